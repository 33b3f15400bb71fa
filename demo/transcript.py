# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The demo's transcript: each hook run, the library events it fired, the databags it changed.

Nothing here knows about any interface. Values are masked by shape (anything PEM) and by
name (the keys a story declares secret), so a story cannot print a secret by accident.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TextIO, cast

import ops

from demo.deployment import DatabagChange, HookRun

_PEM_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")

# Column layout: "   <unit>  <hook>", and below it "<INDENT><label> <text>".
_MARGIN = "   "
_UNIT_WIDTH = 12  # fits zookeeper/10
_INDENT = _MARGIN + " " * (_UNIT_WIDTH + 2)
_LABEL_WIDTH = 8


class Masker:
    """Turns a value into text fit to print: PEM and secret-named values are masked.

    Args:
        secret_keys: names (databag keys, event properties, file names) whose values are
            secret whatever they look like, such as `cluster-password`.
    """

    def __init__(self, secret_keys: Iterable[str] = ()):
        self.secret_keys = frozenset(secret_keys)

    def __call__(self, name: str, value: object) -> str:
        """The printable form of the value held under this name."""
        if value is None:
            return "(none)"
        text = str(value)
        labels = _PEM_BEGIN.findall(text)
        if labels:
            return _describe_pem(labels, text)
        if name in self.secret_keys:
            return "<masked>"
        return text


def _describe_pem(labels: list[str], text: str) -> str:
    """Say what PEM text holds without showing it; a private key says nothing more."""
    if any("PRIVATE KEY" in label for label in labels):
        return "<private key: masked>"
    kind = "certificate" if all(label == "CERTIFICATE" for label in labels) else "PEM"
    blocks = f"{len(labels)} block" + ("s" if len(labels) > 1 else "")
    return f"<{kind}: {blocks}, {len(text.encode())} bytes>"


def event_payload(event: ops.EventBase) -> list[tuple[str, object]]:
    """An event's payload: the public properties its class adds to `ops.EventBase`."""
    names: list[str] = []
    for cls in type(event).__mro__:
        if cls is ops.EventBase:
            break
        for name, attribute in vars(cls).items():
            if isinstance(attribute, property) and not name.startswith("_") and name not in names:
                names.append(name)
    return [(name, getattr(event, name)) for name in names]


class Transcript:
    """Writes the demo's transcript to a stream, and keeps a copy for the stories to check.

    Args:
        out: where to write.
        masker: how values are made fit to print.
    """

    def __init__(self, out: TextIO, masker: Masker | None = None):
        self._out = out
        self._mask = masker or Masker()
        self._steps = 0
        self._lines: list[str] = []

    @property
    def text(self) -> str:
        """Everything written so far."""
        return "\n".join(self._lines)

    def title(self, text: str) -> None:
        """Open a story."""
        self._write(f"=== {text} ===")

    def step(self, text: str) -> None:
        """Start a numbered step, such as `1. relate etcd:db to client:etcd`."""
        self._steps += 1
        self._write("")
        self._write(f"{self._steps}. {text}")

    def note(self, text: str) -> None:
        """Explain something about the step that the hooks do not show."""
        self._write(f"{_MARGIN}# {text}")

    def hook(self, run: HookRun) -> None:
        """One hook run: unit, hook, then the events, databag changes and status change."""
        detail = run.hook.detail_on(run.unit)
        suffix = f"  ({detail})" if detail else ""
        self._write(f"{_MARGIN}{run.unit.name:<{_UNIT_WIDTH}}  {run.hook_name}{suffix}")
        for event in run.events:
            self._event(event)
        for change in run.changes:
            self._databag(change)
        if run.status_after != run.status_before:
            name, message = run.status_after
            self._labelled("status", f"{name}: {message}" if message else name)

    def files(self, heading: str, root: Path, paths: Iterable[Path]) -> None:
        """Files on disk: path relative to `root`, mode, and masked content."""
        self._write("")
        self._write(heading)
        rows = [
            (
                str(path.relative_to(root)),
                f"{path.stat().st_mode & 0o777:04o}",
                self._mask(path.name, path.read_text()),
            )
            for path in paths
        ]
        width = max((len(row[0]) for row in rows), default=0)
        for relative, mode, content in rows:
            self._write(f"{_MARGIN}{relative:<{width}}  {mode}  {content}")

    def summary(self, text: str) -> None:
        """Close a story with its one-line outcome."""
        self._write("")
        self._write(text)

    def failure(self, text: str) -> None:
        """Close a story that did not go as it expected."""
        self._write("")
        self._write(f"FAILED: {text}")

    def _event(self, event: ops.EventBase) -> None:
        self._labelled("event", type(event).__name__)
        self._fields([("", name, value) for name, value in event_payload(event)])

    def _databag(self, change: DatabagChange) -> None:
        where = f"relation {change.integration.id} ({change.integration})"
        self._labelled("databag", f"{change.owner} on {where}")
        self._fields([(_marker(change, key), key, value) for key, value in _visible_items(change)])

    def _fields(self, rows: list[tuple[str, str, object]]) -> None:
        """Name-value rows under a label, aligned; each starts with a marker such as `+`.

        A sequence shows one item per line, under its name: a payload of several units or
        servers stays readable.
        """
        width = max((len(name) for _, name, _ in rows), default=0)
        for marker, name, value in rows:
            for index, item in enumerate(_items(value)):
                shown_marker, shown_name = (marker, name) if index == 0 else ("", "")
                text = f"{shown_marker:<1} {shown_name:<{width}}  {self._mask(name, item)}"
                self._write(f"{_INDENT}{'':<{_LABEL_WIDTH}}{text}")

    def _labelled(self, label: str, text: str) -> None:
        self._write(f"{_INDENT}{label:<{_LABEL_WIDTH}}{text}")

    def _write(self, line: str) -> None:
        self._lines.append(line)
        print(line, file=self._out)


def _items(value: object) -> list[object]:
    """A value's lines: each item of a tuple or list (None, shown `(none)`, if it is empty)."""
    if isinstance(value, (tuple, list)):
        items: list[object] = [*cast("Iterable[object]", value)]
        return items or [None]
    return [value]


def _visible_items(change: DatabagChange) -> list[tuple[str, str | None]]:
    """The databag's keys, sorted, leaving out those Juju set and nobody touched since."""
    keys = sorted(set(change.before) | set(change.after))
    return [
        (key, change.after.get(key))
        for key in keys
        if not _untouched_juju_key(change.juju_keys, change.before, change.after, key)
    ]


def _untouched_juju_key(
    juju: Mapping[str, str], before: Mapping[str, str], after: Mapping[str, str], key: str
) -> bool:
    return key in juju and before.get(key) == after.get(key) == juju[key]


def _marker(change: DatabagChange, key: str) -> str:
    """`+` added, `-` removed, `~` changed, blank unchanged."""
    if key not in change.before:
        return "+"
    if key not in change.after:
        return "-"
    return "~" if change.before[key] != change.after[key] else " "
