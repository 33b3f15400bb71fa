# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""Counting the Juju hook tools a charm runs in a hook, through the backend ops.testing uses.

Under Juju every call of a hook tool (`relation-get`, `juju-log`, ...) is a process the
unit agent serves, so their number is what a hook costs beyond Python. ops.testing answers
the same `ops.model._ModelBackend` methods from its `_MockModelBackend` instead; wrapping
those methods counts what the charm would run under Juju.

Which method runs which tool is read from the installed ops itself, so the count follows
ops as it changes rather than a hand-written table.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import re
import types
import weakref
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ops.model import _ModelBackend
from scenario.mocking import _MockModelBackend

from bench.patching import patched_attributes

# ops runs each tool inside `with self._wrap_hookcmd('relation-get', ...)`; older releases
# called `self._run('relation-get', ...)`. A method may name several; the first is its tool.
_TOOL_LITERAL = re.compile(r"""\b(?:_wrap_hookcmd|_run)\(\s*['"]([a-z][a-z-]*)['"]""")
# `juju_log` calls the tool's wrapper directly, untraced (`hookcmds.juju_log(...)`): its
# tool is the wrapper's name with dashes, which is how ops names every hook tool wrapper.
_HOOKCMDS_CALL = re.compile(r"\bhookcmds\.([a-z][a-z_]*)\(")


# Read once per process: the installed ops does not change while the bench runs, and reading
# the source of every method took some 10 ms for each hook counted.
@functools.cache
def hook_tools_by_method() -> Mapping[str, str]:
    """Each `_ModelBackend` method that runs a hook tool, and the name of that tool."""
    tools: dict[str, str] = {}
    for name, method in inspect.getmembers(_ModelBackend, inspect.isfunction):
        tool = _tool_in_source(inspect.getsource(method))
        if tool is not None:
            tools[name] = tool
    return types.MappingProxyType(tools)  # read-only, as every caller shares it


def _tool_in_source(source: str) -> str | None:
    literal = _TOOL_LITERAL.search(source)
    if literal is not None:
        return literal.group(1)
    wrapper = _HOOKCMDS_CALL.search(source)
    return None if wrapper is None else wrapper.group(1).replace("_", "-")


@contextlib.contextmanager
def counting_hook_tools() -> Iterator[Counter[str]]:
    """Count, by tool name, the hook tools run while the context is open.

    Meant to wrap a single `Context.run`: some tools are counted once per hook.
    """
    counter = _HookToolCounter()
    wrapped = {
        method: counter.wrap(method, tool, getattr(_MockModelBackend, method))
        for method, tool in hook_tools_by_method().items()
    }
    with patched_attributes(_MockModelBackend, wrapped):
        yield counter.calls


class _HookToolCounter:
    """Counts calls of the wrapped backend methods as the hook tools ops would run."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        # Backends (one per hook) that have already asked for leadership: see `_runs`.
        self._asked_leadership: weakref.WeakSet[_ModelBackend] = weakref.WeakSet()
        self._depth = 0

    def wrap(self, name: str, tool: str, method: Callable[..., Any]) -> Callable[..., Any]:
        """The backend method `name`, counting `tool` on each call not nested in another."""

        @functools.wraps(method)
        def counted(backend: _ModelBackend, *args: Any, **kwargs: Any) -> Any:
            # The mock answers some methods by calling others (`relation_list` asks
            # `relation_remote_app_name`), which ops under Juju does not: only the outermost
            # call is the charm's.
            if self._depth == 0:
                self.calls[tool] += self._runs(name, method, backend, args, kwargs)
            self._depth += 1
            try:
                return method(backend, *args, **kwargs)
            finally:
                self._depth -= 1

        return counted

    def _runs(
        self,
        name: str,
        method: Callable[..., Any],
        backend: _ModelBackend,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> int:
        """How many processes of its tool the real backend would run for this call."""
        if name == "is_leader":
            # The real `_ModelBackend.is_leader` caches the answer for Juju's 30 s leadership
            # lease, which outlasts a hook; the mock overrides it without the cache.
            if backend in self._asked_leadership:
                return 0
            self._asked_leadership.add(backend)
        elif name == "relation_remote_app_name":
            # The real backend answers for the hook's own relation from JUJU_REMOTE_APP.
            context = backend._juju_context
            relation_id = _argument(method, "relation_id", (backend, *args), kwargs)
            if context.remote_app_name and context.relation_id == relation_id:
                return 0
        elif name == "juju_log":
            # One process per chunk: ops splits a long message to fit a command line.
            message = _argument(method, "message", (backend, *args), kwargs)
            return len(list(_ModelBackend.log_split(message)))
        return 1


def _argument(
    method: Callable[..., Any], parameter: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """The value that a call of `method` with these arguments gives to `parameter`."""
    return inspect.signature(method).bind(*args, **kwargs).arguments[parameter]
