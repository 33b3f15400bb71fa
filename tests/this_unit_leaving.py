"""Naming the unit under test as the one departing, which ops.testing's API cannot do.

Juju sets `JUJU_DEPARTING_UNIT` to the unit's own name in each relation-departed hook it
runs while the unit is going (scaled down, or removed), and ops then hands the charm its own
unit as `event.departing_unit`. ops.testing (seen in 8.9) can only name a unit of the remote
application, and never unit 0; the unit tests and the fuzz properties amend the hook
environment it builds instead, with `this_unit_named_departing()`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

from scenario._runtime import Runtime  # pyright: ignore[reportPrivateImportUsage]


@contextlib.contextmanager
def this_unit_named_departing() -> Iterator[None]:
    """Within it, every relation-departed hook names the unit under test as departing."""
    build = Runtime._get_event_env  # pyright: ignore[reportPrivateUsage]

    def environment(runtime: Runtime, state: Any, event: Any, charm_root: Path) -> dict[str, str]:
        env = build(runtime, state, event, charm_root)
        if event.name.endswith("_relation_departed"):
            env["JUJU_DEPARTING_UNIT"] = env["JUJU_UNIT_NAME"]
        return env

    with mock.patch.object(Runtime, "_get_event_env", environment):
        yield
