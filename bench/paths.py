# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""Where the bench finds the libraries and puts what it writes."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / "lib"
OUTPUT = ROOT / ".bench"
"""Everything the bench writes goes here (git-ignored)."""
JSON_REPORT = OUTPUT / "latest.json"
PYCACHE = OUTPUT / "pycache"
"""Bytecode of the import-cost children, kept out of lib/ and the virtual environment."""
