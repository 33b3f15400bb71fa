# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""`make dist`: build every library's wheel and sdist into `dist/`, check them, list them."""

from __future__ import annotations

from packages.build import build_all, twine_check
from packages.project import ROOT

DIST = ROOT / "dist"


def main() -> int:
    """Build, check, and print each artifact's name and size."""
    artifacts = build_all(DIST)
    twine_check(artifacts)
    for artifact in artifacts:
        print(f"{artifact.stat().st_size:>8,} bytes  dist/{artifact.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
