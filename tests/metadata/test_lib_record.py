"""The committed record agrees with every library: content changes come with LIBPATCH + 1."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from charmcraft.utils.charmlibs import get_lib_info

from tests.metadata import librecord


def test_every_library_matches_its_recorded_libpatch_and_hash():
    assert librecord.problems(librecord.load_record()) == []


@pytest.mark.parametrize("path", librecord.library_paths(), ids=librecord.full_name)
def test_the_record_hashes_the_way_charmcraft_does(path: Path):
    assert librecord.content_hash(path) == get_lib_info(lib_path=path).content_hash


@pytest.mark.parametrize("path", librecord.library_paths(), ids=librecord.full_name)
def test_the_readme_names_each_librarys_current_libpatch(path: Path):
    readme = (librecord.ROOT / "README.md").read_text(encoding="utf-8")
    row = re.search(rf"^\| `{re.escape(librecord.full_name(path))}` \|.*$", readme, re.MULTILINE)
    assert row is not None, "the README's table of libraries has no row for it"
    patch = get_lib_info(lib_path=path).patch
    assert f"(LIBPATCH {patch})" in row.group(0)


def _one_library_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, patch: int) -> Path:
    """A tree with one library at `patch`, and the record pointed at a scratch file."""
    library = tmp_path / "lib" / "charms" / "demo" / "v0" / "demo.py"
    library.parent.mkdir(parents=True)
    library.write_text(f'LIBID = "0" * 32\nLIBAPI = 0\nLIBPATCH = {patch}\nVALUE = 1\n')
    monkeypatch.setattr(librecord, "ROOT", tmp_path)
    monkeypatch.setattr(librecord, "RECORD", tmp_path / "record.json")
    return library


def test_a_content_change_without_a_libpatch_bump_is_caught(tmp_path, monkeypatch):
    library = _one_library_record(tmp_path, monkeypatch, patch=1)
    record = librecord.extended({})
    library.write_text(library.read_text().replace("VALUE = 1", "VALUE = 2"))

    assert librecord.problems(record) == [
        "charms.demo.v0.demo: content changed since LIBPATCH 1; raise LIBPATCH to 2, "
        "add a changelog line and run `make lib-record`"
    ]
    with pytest.raises(SystemExit, match="set LIBPATCH = 2"):
        librecord.extended(record)


def test_a_bump_by_one_with_the_record_updated_passes(tmp_path, monkeypatch):
    library = _one_library_record(tmp_path, monkeypatch, patch=1)
    record = librecord.extended({})
    library.write_text(library.read_text().replace("VALUE = 1", "VALUE = 2"))
    library.write_text(library.read_text().replace("LIBPATCH = 1", "LIBPATCH = 2"))

    record = librecord.extended(record)

    assert [entry["libpatch"] for entry in record["charms.demo.v0.demo"]] == [1, 2]
    assert librecord.problems(record) == []


def test_a_bump_by_two_is_refused(tmp_path, monkeypatch):
    library = _one_library_record(tmp_path, monkeypatch, patch=1)
    record = librecord.extended({})
    library.write_text(library.read_text().replace("VALUE = 1", "VALUE = 2"))
    library.write_text(library.read_text().replace("LIBPATCH = 1", "LIBPATCH = 3"))

    with pytest.raises(SystemExit, match="set LIBPATCH = 2"):
        librecord.extended(record)


def test_a_bump_without_a_content_change_is_caught(tmp_path, monkeypatch):
    library = _one_library_record(tmp_path, monkeypatch, patch=1)
    record = librecord.extended({})
    library.write_text(library.read_text().replace("LIBPATCH = 1", "LIBPATCH = 2"))

    assert librecord.problems(record) == [
        "charms.demo.v0.demo: LIBPATCH is 2 but the record says 1 for this content"
    ]


def test_a_hand_edited_history_that_skips_a_patch_is_caught(tmp_path, monkeypatch):
    _one_library_record(tmp_path, monkeypatch, patch=1)
    record = librecord.extended({})
    record["charms.demo.v0.demo"][0]["libpatch"] = 2

    assert "do not count up by one from 1" in " ".join(librecord.problems(record))
