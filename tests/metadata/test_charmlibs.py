"""Every library's metadata, read by charmcraft's own parser, is what DESIGN.md asks for."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
from charmcraft.utils.charmlibs import get_lib_info, get_lib_internals

from tests.metadata.librecord import full_name, library_paths

LIBRARIES = library_paths()
# What a library may import: the standard library, ops, and what its PYDEPS name.
ALLOWED_IMPORTS = set(sys.stdlib_module_names) | {"ops", "pydantic"}


def test_there_are_libraries_to_check():
    assert "charms.etcd.v0.etcd" in [full_name(path) for path in LIBRARIES]


@pytest.mark.parametrize("path", LIBRARIES, ids=full_name)
def test_charmcraft_accepts_the_library(path: Path):
    info = get_lib_info(lib_path=path)

    assert info.full_name == full_name(path)
    assert info.lib_id is not None
    assert re.fullmatch(r"[0-9a-f]{32}", info.lib_id)
    assert info.api == 0
    assert info.patch >= 1
    assert info.lib_name == info.charm_name.replace("-", "_")


@pytest.mark.parametrize("path", LIBRARIES, ids=full_name)
def test_pydeps_name_only_pydantic_2_unpinned(path: Path):
    assert get_lib_internals(path).pydeps == ["pydantic>=2"]


def test_library_ids_are_unique():
    ids = [get_lib_info(lib_path=path).lib_id for path in LIBRARIES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("path", LIBRARIES, ids=full_name)
def test_a_library_imports_nothing_but_stdlib_ops_and_its_pydeps(path: Path):
    imported: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])

    assert imported - ALLOWED_IMPORTS == set()
