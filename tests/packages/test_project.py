# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""Each distribution's metadata comes from its library file, and its staged tree is that file."""

from __future__ import annotations

import importlib
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: coverage[toml] brings the backport
    import tomli as tomllib  # pyright: ignore[reportMissingImports]

import pytest

from packages.project import (
    LIBRARIES,
    LibraryProject,
    library_files,
    library_project,
    pyproject_text,
    staged_project,
)

MODULES = [
    "charms.etcd.v0.etcd",
    "charms.http.v0.http",
    "charms.innodb_cluster.v0.innodb_cluster",
    "charms.kafka.v0.kafka",
    "charms.zookeeper.v0.zookeeper",
]


def _project(module: str) -> LibraryProject:
    return library_project(LIBRARIES.parent.joinpath(*module.split(".")).with_suffix(".py"))


def test_there_is_one_project_per_library_file():
    assert [library_project(path).module for path in library_files()] == MODULES


@pytest.mark.parametrize("module", MODULES)
def test_metadata_is_read_from_the_library(module: str):
    library = importlib.import_module(module)
    docstring = library.__doc__ or ""
    project = _project(module)

    assert project.version == f"{library.LIBAPI}.{library.LIBPATCH}"
    assert project.dependencies == ("ops>=2.23,<4", *library.PYDEPS)
    assert project.description == docstring.strip() + "\n"
    assert project.summary == docstring.strip().splitlines()[0].replace("`", "")
    assert project.interface == library.INTERFACE
    assert project.module == module


def test_names_say_what_they_are_and_stay_out_of_the_charmlibs_namespace():
    names = {_project(module).name for module in MODULES}

    assert names == {
        "legacy-interfaces-etcd",
        "legacy-interfaces-http",
        "legacy-interfaces-innodb-cluster",
        "legacy-interfaces-kafka",
        "legacy-interfaces-zookeeper",
    }
    assert not any(name.startswith("charmlibs") for name in names)


@pytest.mark.parametrize("module", MODULES)
def test_the_generated_pyproject_declares_the_metadata(module: str):
    project = _project(module)

    declared = tomllib.loads(pyproject_text(project))

    assert declared["project"]["name"] == project.name
    assert declared["project"]["version"] == project.version
    assert declared["project"]["dependencies"] == list(project.dependencies)
    assert declared["project"]["requires-python"] == ">=3.10"
    assert declared["project"]["license"] == "Apache-2.0"
    assert declared["project"]["urls"] == project.urls
    assert project.urls, "a distribution names the legacy layer it replaces"
    assert declared["tool"]["hatch"]["build"]["targets"]["wheel"]["only-include"] == ["charms"]


@pytest.mark.parametrize("module", MODULES)
def test_the_staged_tree_holds_the_very_library_file_and_no_init(module: str, tmp_path: Path):
    project = _project(module)

    root = staged_project(project, tmp_path)

    staged = root / project.import_path
    assert staged.read_bytes() == project.source.read_bytes()
    assert (staged.parent / "py.typed").exists()
    assert not list(root.rglob("__init__.py")), "charms.* must stay namespace packages"
    assert (root / "README.md").read_text() == project.description


@pytest.mark.parametrize("module", MODULES)
def test_the_changelog_dates_each_libpatch_and_ships_as_changelog_md(module: str, tmp_path: Path):
    project = _project(module)

    changelog = (staged_project(project, tmp_path) / "CHANGELOG.md").read_text()

    assert [release.patch for release in project.releases] == list(
        range(1, int(project.version.split(".")[1]) + 1)
    )
    headings = [line for line in changelog.splitlines() if line.startswith("## ")]
    newest = project.releases[-1]
    assert headings[0] == f"## {project.version} ({newest.date})"
    assert len(headings) == len(project.releases)
    assert newest.text in changelog  # the docstring's words, not a second copy kept by hand


@pytest.mark.parametrize(
    ("entries", "problem"),
    [
        ("- LIBPATCH 1: no date.\n", "every changelog entry"),
        ("- LIBPATCH 1 (2026-11-22): one.\n- LIBPATCH 3 (2026-11-23): three.\n", "in order"),
        ("- LIBPATCH 1 (2026-11-23): one.\n- LIBPATCH 2 (2026-11-22): two.\n", "back in time"),
    ],
    ids=["undated", "a-gap", "dates-going-back"],
)
def test_a_changelog_that_is_not_one_dated_entry_per_libpatch_is_refused(
    entries: str, problem: str, tmp_path: Path
):
    docstring = f"Odd.\n\n## Changelog\n\n{entries}"
    constants = 'INTERFACE = "etcd"\nLIBAPI = 0\nLIBPATCH = 2\n'
    source = _library_file(tmp_path, f'"""{docstring}"""\n{constants}')

    with pytest.raises(ValueError, match=problem):
        library_project(source)


def _library_file(directory: Path, text: str) -> Path:
    source = directory / "charms" / "odd" / "v0" / "odd.py"
    source.parent.mkdir(parents=True)
    source.write_text(text)
    return source


def test_a_library_without_a_docstring_is_refused(tmp_path: Path):
    source = _library_file(tmp_path, "LIBAPI = 0\nLIBPATCH = 1\n")

    with pytest.raises(ValueError, match="module docstring"):
        library_project(source)


def test_pydeps_that_are_not_requirement_strings_are_refused(tmp_path: Path):
    text = '"""Odd."""\nLIBAPI = 0\nLIBPATCH = 1\nINTERFACE = "etcd"\nPYDEPS = [2]\n'
    source = _library_file(tmp_path, text)

    with pytest.raises(ValueError, match="PYDEPS"):
        library_project(source)
