# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""How the site's build reads the libraries' docstrings and types (`docs/_ext/api_reference.py`).

`make docs` builds the whole site with every warning an error; these tests pin each
adaptation that makes that possible on a small case.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Annotated, Any

import ops
import pydantic
import pytest

from docs._ext import api_reference
from packages.project import library_files, library_project


@pytest.mark.parametrize(
    ("markdown", "rest"),
    [
        ("the `port` key", "the ``port`` key"),
        ("the units' `address`es", "the units' ``address``\\ es"),
        ("x`y` and `a`/`b`", "x\\ ``y`` and ``a``/``b``"),
        ("already ``literal``", "already ``literal``"),
        ("no code here", "no code here"),
    ],
)
def test_a_markdown_code_span_becomes_a_rest_literal_apart_from_its_word(markdown: str, rest: str):
    assert api_reference._code_spans_as_literals(markdown) == rest


def test_a_private_base_is_shown_as_its_public_ancestors():
    class _Base(ops.EventBase):
        pass

    class _Mixin:
        pass

    class Event(_Base, _Mixin):
        pass

    bases: list[type] = list(Event.__bases__)
    api_reference.public_bases(None, "Event", Event, None, bases)  # type: ignore[arg-type]
    assert bases == [ops.EventBase, object]


def _checked(value: str) -> str:
    return value


Checked = Annotated[str, pydantic.AfterValidator(_checked)]


class Model(pydantic.BaseModel):
    host: Checked
    port: Annotated[int, pydantic.Field(ge=1)] | None = None
    names: tuple[Checked, ...] = ()
    extra: dict[str, str] = pydantic.Field(default_factory=dict)


@dataclasses.dataclass
class Record:
    name: str
    tags: list[str] = dataclasses.field(default_factory=list)
    note: str = "a note far too long to be shown in full"


def signature_of(cls: type) -> Any:
    return api_reference.model_signature(None, "class", cls.__name__, cls, None, "(...)", None)  # type: ignore[arg-type]


def test_a_models_signature_has_its_fields_bare_types_and_no_validator():
    signature, _ = signature_of(Model)
    assert signature == (
        "(*, host: str, port: int | None = None, names: tuple[str, ...] = (), "
        "extra: dict[str, str] = ...)"
    )


def test_a_dataclasss_signature_shows_a_factory_or_a_long_default_as_an_ellipsis():
    signature, _ = signature_of(Record)
    assert signature == "(name: str, tags: list[str] = ..., note: str = ...)"


def test_other_classes_keep_the_signature_autodoc_found():
    assert signature_of(ops.Object) is None


def test_a_public_class_missing_from_the_api_reference_is_named():
    modules = [library_project(source).module for source in library_files()]
    everything = {
        f"{module}.{name}" for module in modules for name in vars(importlib.import_module(module))
    }
    assert api_reference.undocumented_names(everything) == []

    without_one = everything - {"charms.etcd.v0.etcd.EtcdRequires"}
    assert api_reference.undocumented_names(without_one) == ["charms.etcd.v0.etcd.EtcdRequires"]
