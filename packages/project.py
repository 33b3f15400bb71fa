# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""What each library's Python distribution is, derived from the library file alone.

A library is shipped two ways: as the single file charm authors vendor under `lib/charms/`,
and as a distribution on a package index. Both carry the very same file. Everything the
distribution declares comes from that file or from the repository's `pyproject.toml`:

- the name: `legacy-interfaces-<library>`, `_` written `-` (`legacy-interfaces-innodb-cluster`);
- the version: `LIBAPI.LIBPATCH` (`0.4`), so a package and a vendored copy of one file
  compare at a glance;
- the dependencies: the repository's `ops` floor, then the library's `PYDEPS`;
- the summary: the docstring's first line; the long description: the whole docstring, which
  is the library's documentation (Markdown);
- the project URLs: the legacy layer the library replaces, from the interface's spec
  (`interfaces/<interface>/interface/v0/interface.yaml`);
- the changelog: the docstring's "## Changelog" list, one dated entry per LIBPATCH
  (`- LIBPATCH 5 (2026-12-07): ...`), written as `CHANGELOG.md`, newest first, each entry
  under the version it made.

`staged_project()` writes the source tree a build backend needs into a scratch directory:
the library file at its import path, a `py.typed` marker beside it, the license, the
docstring as `README.md`, the changelog as `CHANGELOG.md` and a generated `pyproject.toml`.
No `__init__.py` is written, so `charms`, `charms.<library>` and `charms.<library>.v0` stay
namespace packages and merge with a charm's own `lib/charms/`.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import json
import re
import shutil
from pathlib import Path

import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: coverage[toml] brings the backport
    import tomli as tomllib  # pyright: ignore[reportMissingImports]

ROOT = Path(__file__).resolve().parents[1]
LIBRARIES = ROOT / "lib" / "charms"
INTERFACES = ROOT / "interfaces"
LICENSE = ROOT / "LICENSE"

DISTRIBUTION_PREFIX = "legacy-interfaces-"
# Pinned so that a given library file always builds the same artifacts.
BUILD_BACKEND = "hatchling==1.33.0"
CLASSIFIERS = (
    "Development Status :: 4 - Beta",
    "Intended Audience :: Developers",
    "Operating System :: POSIX :: Linux",
    "Programming Language :: Python :: 3",
    "Programming Language :: Python :: 3 :: Only",
    "Topic :: System :: Distributed Computing",
    "Typing :: Typed",
)


# One changelog entry: "- LIBPATCH <n> (<date>): <text>", its text going on indented lines.
CHANGELOG_ENTRY = re.compile(
    r"^- LIBPATCH (?P<patch>\d+) \((?P<date>\d{4}-\d{2}-\d{2})\): (?P<text>.*(?:\n  .*)*)",
    re.MULTILINE,
)


@dataclasses.dataclass(frozen=True)
class Release:
    """One entry of a library's changelog: the LIBPATCH it made, when, and what changed."""

    patch: int
    date: str
    """ISO 8601, `2026-12-07`."""
    text: str
    """The entry's Markdown, its lines joined."""


@dataclasses.dataclass(frozen=True)
class LibraryProject:
    """One library's distribution: its metadata and the file it ships."""

    source: Path
    """The library file, `lib/charms/<library>/v<api>/<library>.py`."""
    name: str
    """The distribution's name, `legacy-interfaces-<library>`."""
    version: str
    """`LIBAPI.LIBPATCH`."""
    dependencies: tuple[str, ...]
    summary: str
    description: str
    """The module docstring, Markdown."""
    interface: str
    urls: dict[str, str]
    releases: tuple[Release, ...]
    """The changelog, oldest first: one entry per LIBPATCH up to the current one."""

    @property
    def import_path(self) -> Path:
        """Where the file sits in the installed tree: `charms/<library>/v<api>/<library>.py`."""
        return self.source.relative_to(LIBRARIES.parent)

    @property
    def module(self) -> str:
        """The dotted module name, `charms.<library>.v<api>.<library>`."""
        return ".".join(self.import_path.with_suffix("").parts)

    @property
    def artifact_stem(self) -> str:
        """The normalized name and version that start both artifacts' file names."""
        return f"{self.name.replace('-', '_')}-{self.version}"


def library_files() -> list[Path]:
    """Every library file, sorted by path."""
    return sorted(LIBRARIES.glob("*/v*/*.py"))


def library_project(source: Path) -> LibraryProject:
    """Read the distribution's metadata from a library file (it is parsed, never imported)."""
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    constants = _module_constants(tree)
    description = ast.get_docstring(tree, clean=True)
    if not description:
        raise ValueError(f"{source}: a library needs a module docstring")
    interface = str(constants["INTERFACE"])
    libpatch = int(str(constants["LIBPATCH"]))
    return LibraryProject(
        source=source,
        name=DISTRIBUTION_PREFIX + source.stem.replace("_", "-"),
        version=f"{constants['LIBAPI']}.{constants['LIBPATCH']}",
        dependencies=(_ops_requirement(), *_string_list(constants.get("PYDEPS", []))),
        summary=description.splitlines()[0].replace("`", ""),
        description=description + "\n",
        interface=interface,
        urls=_legacy_urls(interface),
        releases=changelog(description, libpatch, source),
    )


def changelog(docstring: str, libpatch: int, source: Path) -> tuple[Release, ...]:
    """The releases the docstring's changelog lists: LIBPATCH 1 to `libpatch`, dated, in order.

    Raises:
        ValueError: the section is missing, an entry has no date, or the entries are not
            LIBPATCH 1, 2, ... `libpatch` in order with dates that never go back.
    """
    section = docstring.partition("\n## Changelog\n")[2].partition("\n## ")[0]
    entries = [line for line in section.splitlines() if line.startswith("- ")]
    releases = tuple(
        Release(int(match["patch"]), match["date"], " ".join(match["text"].split()))
        for match in CHANGELOG_ENTRY.finditer(section)
    )
    if len(releases) != len(entries):
        raise ValueError(f"{source}: every changelog entry is '- LIBPATCH <n> (<date>): ...'")
    if [release.patch for release in releases] != list(range(1, libpatch + 1)):
        raise ValueError(f"{source}: the changelog must list LIBPATCH 1 to {libpatch} in order")
    dates = [release.date for release in releases]
    if dates != sorted(dates):
        raise ValueError(f"{source}: the changelog's dates go back in time")
    return releases


def changelog_markdown(project: LibraryProject) -> str:
    """The distribution's `CHANGELOG.md`: each version, newest first, with its date."""
    api = project.version.partition(".")[0]
    lines = [f"# Changelog of {project.name}", ""]
    for release in reversed(project.releases):
        lines += [f"## {api}.{release.patch} ({release.date})", "", release.text, ""]
    return "\n".join(lines)


def staged_project(project: LibraryProject, directory: Path) -> Path:
    """Write the buildable source tree of `project` under `directory`; return its root."""
    root = directory / project.name
    module = root / project.import_path
    module.parent.mkdir(parents=True)
    shutil.copyfile(project.source, module)
    (module.parent / "py.typed").write_text("", encoding="utf-8")
    shutil.copyfile(LICENSE, root / "LICENSE")
    (root / "README.md").write_text(project.description, encoding="utf-8")
    (root / "CHANGELOG.md").write_text(changelog_markdown(project), encoding="utf-8")
    (root / "pyproject.toml").write_text(pyproject_text(project), encoding="utf-8")
    return root


def pyproject_text(project: LibraryProject) -> str:
    """The generated `pyproject.toml` of `project`, for the hatchling backend."""
    # JSON strings and arrays are valid TOML values, which spares a TOML writer.
    lines = [
        "[build-system]",
        f"requires = {json.dumps([BUILD_BACKEND])}",
        'build-backend = "hatchling.build"',
        "",
        "[project]",
        f"name = {json.dumps(project.name)}",
        f"version = {json.dumps(project.version)}",
        f"description = {json.dumps(project.summary)}",
        'readme = {file = "README.md", content-type = "text/markdown"}',
        f"requires-python = {json.dumps(_root_project()['requires-python'])}",
        f"license = {json.dumps(_root_project()['license'])}",
        'license-files = ["LICENSE"]',
        f"keywords = {json.dumps(['juju', 'charm', 'ops', 'reactive', project.interface])}",
        f"classifiers = {json.dumps(list(CLASSIFIERS))}",
        f"dependencies = {json.dumps(list(project.dependencies))}",
        "",
        "[project.urls]",
        *(f"{json.dumps(label)} = {json.dumps(url)}" for label, url in project.urls.items()),
        "",
        "[tool.hatch.build.targets.wheel]",
        'only-include = ["charms"]',
        "",
    ]
    return "\n".join(lines)


def _module_constants(tree: ast.Module) -> dict[str, object]:
    """The module's top-level `NAME = <literal>` assignments."""
    constants: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id.isupper():
                try:
                    constants[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    continue  # not a literal, so not metadata
    return constants


def _string_list(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"PYDEPS must be a list of requirement strings, not {value!r}")
    return list(value)  # pyright: ignore[reportUnknownArgumentType]


@functools.cache
def _root_project() -> dict[str, object]:
    """The repository's `[project]` table, whose floors and license the packages share."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["project"]


def _ops_requirement() -> str:
    """The repository's `ops` requirement, the floor every library is tested against."""
    dependencies = _string_list(_root_project()["dependencies"])
    return next(requirement for requirement in dependencies if requirement.startswith("ops"))


def _legacy_urls(interface: str) -> dict[str, str]:
    """Project URLs: the legacy layer, the one implementation the interface's spec links to."""
    spec_path = INTERFACES / interface / "interface" / "v0" / "interface.yaml"
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    implementations = [*spec["providers"], *spec["requirers"]]
    # Every implementation has a url; the library's own is its package's, not a layer's.
    legacy = {entry["url"] for entry in implementations if entry["name"] != spec["lib"]}
    if len(legacy) != 1:
        raise ValueError(f"the {interface} spec must link to one legacy layer, not {legacy}")
    # The project itself has no public home yet; its own URLs join this one once it has.
    return {"Legacy layer": legacy.pop()}
