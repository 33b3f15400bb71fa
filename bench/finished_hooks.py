# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""Letting go of the hooks that ops.testing has finished running in this process.

Juju runs each hook in a process of its own, which ends with it. The bench, and the fuzz
properties under `tests/fuzz`, run thousands of hooks in one, where ops would keep every one
of them alive; both call `release_event_caches()` after a hook.
"""

from __future__ import annotations

from typing import Any

import ops


def release_event_caches() -> None:
    """Empty ops' caches of each emitter's `.on`, which keep every finished hook alive.

    ops (seen in 3.9) caches each emitter's `.on` in a `WeakKeyDictionary` held by the
    class-level `ObjectEvents` descriptor, but the cached object refers to the emitter's
    framework, so the key never dies: every hook keeps its framework, model and relation data.

    Only the attribute `on` is looked at, where ops, ops.testing and every library here keep
    their events: ops.testing makes classes for each hook, so a process that has run many
    hooks has thousands of classes, and reading every attribute of each, after every hook,
    had become the fuzzer's largest single cost. The descriptor is read from the class's
    namespace, since reading it as an attribute would call its `__get__`.
    """
    classes: list[type] = [ops.Object]
    while classes:
        cls = classes.pop()
        classes += cls.__subclasses__()
        events = vars(cls).get("on")
        if isinstance(events, ops.ObjectEvents):
            cache: Any = vars(events).get("_cache")
            if cache:  # its `clear()` raises and catches a KeyError even when it is empty
                cache.clear()
