# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""`make release-files TAG=<library>-v<version>`: the tagged library's built files, or a refusal.

The release workflow runs this after `make dist`. A tag names one library and the version
it releases, such as `etcd-v0.7` or `innodb-cluster-v0.5` (the distribution's name without
its `legacy-interfaces-` prefix). Only when that version is the library's current
`LIBAPI.LIBPATCH` are its wheel and sdist copied from `dist/` into `release/`, the one
directory the workflow publishes; any other tag fails with a message that says why, and
copies nothing.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from packages.build import projects
from packages.project import DISTRIBUTION_PREFIX, ROOT, LibraryProject

DIST = ROOT / "dist"
RELEASE = ROOT / "release"
TAG = re.compile(r"^(?P<library>[a-z][a-z0-9-]*)-v(?P<version>\d+\.\d+)$")


class TagError(ValueError):
    """The tag does not name a library at its current version."""


def tagged_project(tag: str, candidates: list[LibraryProject]) -> LibraryProject:
    """The library the tag releases; raises `TagError` unless it is at that version."""
    match = TAG.match(tag)
    if match is None:
        raise TagError(f"{tag!r} is not a release tag: write <library>-v<LIBAPI>.<LIBPATCH>")
    name = DISTRIBUTION_PREFIX + match["library"]
    project = next((each for each in candidates if each.name == name), None)
    if project is None:
        known = ", ".join(each.name.removeprefix(DISTRIBUTION_PREFIX) for each in candidates)
        raise TagError(f"{tag!r} names no library; the libraries are {known}")
    if project.version != match["version"]:
        raise TagError(
            f"{tag!r} releases {project.name} {match['version']}, but its file is at "
            f"{project.version}: tag the commit whose LIBPATCH it names"
        )
    return project


def release_files(project: LibraryProject, dist: Path, release: Path) -> list[Path]:
    """Copy the project's wheel and sdist from `dist` into an emptied `release`."""
    stem = project.artifact_stem
    built = [dist / f"{stem}.tar.gz", dist / f"{stem}-py3-none-any.whl"]
    missing = [path.name for path in built if not path.exists()]
    if missing:
        raise TagError(f"run `make dist` first: {', '.join(missing)} not in {dist}")
    shutil.rmtree(release, ignore_errors=True)
    release.mkdir(parents=True)
    return [Path(shutil.copy2(path, release)) for path in built]


def main(argv: list[str]) -> int:
    """Copy the tagged library's files into `release/`; exit 1 with the reason if refused."""
    if len(argv) != 1:
        print("usage: python -m packages.release <library>-v<version>", file=sys.stderr)
        return 2
    try:
        copied = release_files(tagged_project(argv[0], projects()), DIST, RELEASE)
    except TagError as error:
        print(f"release refused: {error}", file=sys.stderr)
        return 1
    for path in copied:
        print(f"release/{path.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
