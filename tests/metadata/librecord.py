"""The record of each library's LIBPATCH and content hash, and the tool that extends it.

Users of `charmcraft fetch-lib` learn that a library changed only through its LIBPATCH, so
every change of a library's content must come with LIBPATCH raised by exactly one. The record
(`lib-record.json`) keeps the history of (LIBPATCH, content hash) per library;
`test_lib_record.py` fails when a library's content and the record disagree.

Run `make lib-record` after raising LIBPATCH to append the new hash.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECORD = Path(__file__).with_name("lib-record.json")
# Lines starting with these are left out of the hash, as charmcraft does, so that the
# hash speaks of the content alone.
VERSION_FIELDS = (b"LIBAPI", b"LIBPATCH", b"LIBID")

Record = dict[str, list[dict[str, object]]]


def library_paths() -> list[Path]:
    """Every library file, as `lib/charms/<charm>/v<api>/<name>.py`."""
    return sorted(ROOT.glob("lib/charms/*/v*/*.py"))


def full_name(path: Path) -> str:
    """The importable name, such as `charms.etcd.v0.etcd`."""
    return ".".join(path.relative_to(ROOT / "lib").with_suffix("").parts)


def content_hash(path: Path) -> str:
    """SHA-256 of every line except the version fields, with Windows newlines folded."""
    hasher = hashlib.sha256()
    for line in path.read_bytes().splitlines(keepends=True):
        line = line.replace(b"\r\n", b"\n")
        if not line.startswith(VERSION_FIELDS):
            hasher.update(line)
    return hasher.hexdigest()


def libpatch(path: Path) -> int:
    """The value of the top-level `LIBPATCH = <int>` assignment."""
    for node in ast.parse(path.read_text()).body:
        if (
            isinstance(node, ast.Assign)
            and any(
                isinstance(target, ast.Name) and target.id == "LIBPATCH" for target in node.targets
            )
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, int)
        ):
            return node.value.value
    raise ValueError(f"{path} has no constant LIBPATCH assignment")


def load_record() -> Record:
    """The committed record."""
    return json.loads(RECORD.read_text())


def problems(record: Record) -> list[str]:
    """What is wrong between the libraries on disk and the record; empty when all agree."""
    found: list[str] = []
    names = {full_name(path): path for path in library_paths()}
    found.extend(
        f"{name}: in the record but there is no such library" for name in record.keys() - names
    )
    for name, path in names.items():
        history = record.get(name, [])
        found.extend(_history_problems(name, history))
        if not history:
            found.append(f"{name}: not in the record; run `make lib-record`")
            continue
        last = history[-1]
        if content_hash(path) != last["content_hash"]:
            found.append(
                f"{name}: content changed since LIBPATCH {last['libpatch']}; raise LIBPATCH to "
                f"{int(str(last['libpatch'])) + 1}, add a changelog line and run `make lib-record`"
            )
        elif libpatch(path) != last["libpatch"]:
            found.append(
                f"{name}: LIBPATCH is {libpatch(path)} but the record says {last['libpatch']} "
                "for this content"
            )
    return found


def _history_problems(name: str, history: list[dict[str, object]]) -> list[str]:
    found: list[str] = []
    patches = [entry["libpatch"] for entry in history]
    if patches != list(range(1, len(history) + 1)):
        found.append(f"{name}: recorded LIBPATCH values {patches} do not count up by one from 1")
    hashes = [entry["content_hash"] for entry in history]
    if any(earlier == later for earlier, later in itertools.pairwise(hashes)):
        found.append(f"{name}: LIBPATCH was raised without a change of content")
    return found


def extended(record: Record) -> Record:
    """The record with each changed library's new (LIBPATCH, hash) appended.

    Raises:
        SystemExit: a changed library's LIBPATCH was not raised by exactly one.
    """
    updated = {name: list(history) for name, history in record.items()}
    for path in library_paths():
        name, new_hash, patch = full_name(path), content_hash(path), libpatch(path)
        history = updated.setdefault(name, [])
        last_patch = int(str(history[-1]["libpatch"])) if history else 0
        if history and history[-1]["content_hash"] == new_hash:
            continue
        if patch != last_patch + 1:
            raise SystemExit(f"{name} changed: set LIBPATCH = {last_patch + 1} (it is {patch})")
        history.append({"libpatch": patch, "content_hash": new_hash})
    return updated


def main() -> None:
    """Append the hash of every library whose content changed, then report what is left."""
    record = extended(load_record() if RECORD.exists() else {})
    RECORD.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    left = problems(record)
    for problem in left:
        print(problem, file=sys.stderr)
    if left:
        raise SystemExit(1)
    print(f"{RECORD.relative_to(ROOT)}: {len(record)} libraries recorded")


if __name__ == "__main__":
    main()
