# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""Counting how often a library reads and validates remote databags in a hook.

Two counts, both while the context is open:

- reads: `relation-get` calls per relation and databag (unit or application), counted on the
  backend ops.testing answers them from. However a library gets at a databag's content
  (`relation.data[unit]`, `Relation.load`, ...), ops fetches it with one `relation-get` and
  keeps it for the rest of the hook, so this counts the reads that cost a hook tool whatever
  the reading path, and a library that fetched a databag again would show.
- model validations: every validation of a pydantic model defined in the library module,
  through `Model(...)`, `model_validate` or `model_validate_json`, whatever started it
  (databag reads, event payloads, the charm's own input). `model_construct`, which skips
  validation, is not one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib
from collections import Counter
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pydantic
from scenario.mocking import _MockModelBackend

from bench.patching import patched_attributes

# The ways to validate a model: its constructor (what `Relation.load` uses) and the two
# class methods. `model_construct` skips validation and is left out.
_VALIDATING_CLASS_METHODS = ("model_validate", "model_validate_json")


@dataclasses.dataclass
class ValidationCounts:
    """What was read and validated while counting.

    Attributes:
        reads: `relation-get` calls per (relation id, unit or application name).
        model_validations: validations of the library module's pydantic models.
    """

    reads: Counter[tuple[int, str]] = dataclasses.field(default_factory=Counter)
    model_validations: int = 0


@contextlib.contextmanager
def counting_validations(module_name: str) -> Iterator[ValidationCounts]:
    """Count databag reads, and validations of the pydantic models of `module_name`."""
    counts = ValidationCounts()
    with contextlib.ExitStack() as stack:
        stack.enter_context(_counting_reads(counts))
        for model, replacements in _counting_model_validations(
            library_models(importlib.import_module(module_name)), counts
        ).items():
            stack.enter_context(patched_attributes(model, replacements))
        yield counts


def library_models(module: ModuleType) -> list[type[pydantic.BaseModel]]:
    """The pydantic models defined in the module (not those it imports)."""
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, pydantic.BaseModel)
        and value.__module__ == module.__name__
    ]


def _counting_reads(counts: ValidationCounts) -> contextlib.AbstractContextManager[None]:
    """Count each `relation-get` by the databag it fetches: `member_name` names its owner."""
    original = _MockModelBackend.relation_get

    @functools.wraps(original)
    def relation_get(
        backend: _MockModelBackend,
        relation_id: int,
        member_name: str,
        is_app: bool,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        counts.reads[relation_id, member_name] += 1
        return original(backend, relation_id, member_name, is_app, *args, **kwargs)

    return patched_attributes(_MockModelBackend, {"relation_get": relation_get})


def _counting_model_validations(
    models: list[type[pydantic.BaseModel]], counts: ValidationCounts
) -> dict[type[pydantic.BaseModel], dict[str, Any]]:
    """Replacements, per model, for each way of validating it, that count the validation.

    Each model gets its own replacements, wrapping what it had before any was patched, so a
    model that inherits from another library model is counted once, not once per ancestor.
    """
    return {
        model: {
            "__init__": _counted(model.__init__, counts),
            **{
                name: classmethod(_counted(getattr(model, name).__func__, counts))
                for name in _VALIDATING_CLASS_METHODS
            },
        }
        for model in models
    }


def _counted(function: Callable[..., Any], counts: ValidationCounts) -> Callable[..., Any]:
    @functools.wraps(function)
    def counted(*args: Any, **kwargs: Any) -> Any:
        counts.model_validations += 1
        return function(*args, **kwargs)

    return counted
