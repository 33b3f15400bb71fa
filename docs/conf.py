# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The documentation site: `make docs` builds it into `docs/_build/html/`.

Every page is made of text that already exists: the README, the migration guide, each
library's module docstring (Markdown), its API reference (autodoc, from the code), the
interface specs, and a run of the demo (its transcript and the lifecycle diagrams).
`docs/_ext/generated_pages.py` writes the pages that are not files of their own, and
`docs/_ext/api_reference.py` makes autodoc read the docstrings as they are written.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The libraries, the demo charm's source and the demo, importable as the tests import them.
sys.path[:0] = [
    str(ROOT / "lib"),
    str(ROOT / "src"),
    str(ROOT),
    str(Path(__file__).parent / "_ext"),
]

project = "legacy-interfaces"
author = "The legacy-interfaces authors"
copyright = f"2026, {author}"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinxcontrib.mermaid",
    "api_reference",
    "generated_pages",
]

exclude_patterns = ["_build"]
html_theme = "furo"
html_title = "legacy-interfaces"

# Markdown everywhere: `#heading` links resolve to the headings of the page they name.
myst_heading_anchors = 3
# The interface specs draw their diagrams in ```mermaid fences, as GitHub renders them.
myst_fence_as_directive = ["mermaid"]

# Every cross-reference must resolve. Those into ops, pydantic and the standard library
# cannot: their inventories are on sites the build cannot reach, so they stay plain text.
nitpicky = True
# A private class a public one names (a field's type) has no page by design, so neither.
nitpick_ignore_regex = [
    ("py:.*", r"(ops|testing|pydantic|pydantic_core|yaml|os|pathlib|collections|typing|abc)\b.*"),
    ("py:class", r"charms\.\w+\.v\d+\.\w+\._\w+"),
]

# The docstrings are Markdown-flavoured Google style: `name` is code, as in Markdown.
default_role = "code"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# pydantic's model_config is configuration, not API.
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
    "exclude-members": "model_config",
}

# The browser draws the diagrams with this Mermaid release, fetched from its CDN.
mermaid_version = "11.12.1"
