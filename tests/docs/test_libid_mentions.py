"""Every `charms.<x>.v0.<x>.LIBID == "..."` the documents show is that library's LIBID.

The documents tell charm authors to assert it in their tests, to make sure the file they
import is this project's and not another with the same import path: a wrong value there
would fail their tests, or, copied into a check of their own, pass for the wrong file.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from tests.metadata.librecord import ROOT, library_paths

DOCUMENTS = [ROOT / "README.md", ROOT / "docs" / "migrating.md", *library_paths()]
MENTION = re.compile(r"(charms\.\w+\.v\d+\.\w+)\.LIBID == \"(\w+)\"")


def mentions(path: Path) -> list[tuple[str, str]]:
    return MENTION.findall(" ".join(path.read_text(encoding="utf-8").split()))


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_each_libid_a_document_shows_is_the_librarys(path: Path):
    wrong = [
        (module, libid)
        for module, libid in mentions(path)
        if libid != importlib.import_module(module).LIBID
    ]
    assert not wrong


def test_every_library_tells_how_to_assert_its_libid():
    for path in library_paths():
        module = ".".join(path.relative_to(ROOT / "lib").with_suffix("").parts)
        assert [each for each, _ in mentions(path)] == [module], path.name


def test_a_wrong_libid_is_found(tmp_path: Path):
    document = tmp_path / "doc.md"
    document.write_text('`assert charms.etcd.v0.etcd.LIBID == "cb9fd1730d05485fbb40e952a585c636"`')
    (module, libid) = mentions(document)[0]
    assert libid != importlib.import_module(module).LIBID
