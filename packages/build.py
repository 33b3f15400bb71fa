# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""Build each library's wheel and sdist with `uv build`, and check them with `twine check`."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from packages.project import ROOT, LibraryProject, library_files, library_project, staged_project


def uv_executable() -> str:
    """The uv that runs this process (`uv run` exports it), else the repository's pinned one."""
    return os.environ.get("UV") or str(ROOT / ".tools" / "bin" / "uv")


def projects() -> list[LibraryProject]:
    """One distribution per library file."""
    return [library_project(source) for source in library_files()]


def build(project: LibraryProject, out_dir: Path) -> list[Path]:
    """Build `project`'s sdist, then its wheel from that sdist, into `out_dir`."""
    with tempfile.TemporaryDirectory(prefix="legacy-interfaces-dist-") as scratch:
        root = staged_project(project, Path(scratch))
        # Building the wheel from the sdist proves the sdist alone is enough to build it.
        subprocess.run(  # noqa: S603 - a fixed command on paths we made
            [uv_executable(), "build", "--quiet", "--out-dir", str(out_dir), str(root)],
            check=True,
        )
    stem = project.artifact_stem
    return [out_dir / f"{stem}.tar.gz", out_dir / f"{stem}-py3-none-any.whl"]


def build_all(out_dir: Path) -> list[Path]:
    """Build every library's artifacts into `out_dir`, replacing earlier builds of them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("legacy_interfaces_*"):
        stale.unlink()
    return [artifact for project in projects() for artifact in build(project, out_dir)]


def twine_check(artifacts: list[Path]) -> None:
    """Fail unless `twine check --strict` accepts every artifact (metadata, description)."""
    subprocess.run(  # noqa: S603 - a fixed command on paths we made
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, artifacts)],
        check=True,
    )
