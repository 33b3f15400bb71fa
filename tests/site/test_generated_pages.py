# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""How the site's build reads the libraries: their docstrings, signatures and pages.

`make docs` builds the whole site with every warning an error; these tests pin the
adaptations that make that possible, each on a small case.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
from pathlib import Path
from typing import Annotated, Any

import ops
import pydantic
import pytest

from demo.story import Lifecycle
from docs._ext import generated_pages
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
    assert generated_pages._code_spans_as_literals(markdown) == rest


def test_a_private_base_is_shown_as_its_public_ancestors():
    class _Base(ops.EventBase):
        pass

    class _Mixin:
        pass

    class Event(_Base, _Mixin):
        pass

    bases: list[type] = list(Event.__bases__)
    generated_pages.public_bases(None, "Event", Event, None, bases)  # type: ignore[arg-type]
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
    return generated_pages.model_signature(None, "class", cls.__name__, cls, None, "(...)", None)  # type: ignore[arg-type]


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


@pytest.mark.parametrize("source", library_files(), ids=lambda path: path.stem)
def test_a_library_page_is_its_docstring_with_the_lifecycle_before_the_changelog(
    source: Path,
):
    project = library_project(source)
    lifecycle = Lifecycle(project.interface, project.module, steps=3)
    page = generated_pages.library_page(project, lifecycle, "sequenceDiagram\n")

    lifecycle_at, changelog_at = page.index("\n## Lifecycle\n"), page.index("\n## Changelog\n")
    assert page.startswith(f"# {source.stem}\n")
    assert lifecycle_at < changelog_at
    assert "```{mermaid}\nsequenceDiagram\n```" in page
    assert "Steps 1 to 3 of the demo's story" in page
    # Nothing of the docstring is lost.
    for paragraph in project.description.split("\n\n"):
        assert paragraph.strip() in page


def test_pages_are_written_only_when_changed_and_stale_ones_removed(tmp_path: Path):
    (tmp_path / "libraries").mkdir()
    kept = tmp_path / "libraries" / "etcd.md"
    kept.write_text("same", encoding="utf-8")
    stale = tmp_path / "libraries" / "gone.md"
    stale.write_text("old", encoding="utf-8")
    hand_written = tmp_path / "migrating.md"
    hand_written.write_text("mine", encoding="utf-8")
    os.utime(kept, (1, 1))

    generated_pages.write_changed(
        tmp_path, {"libraries/etcd.md": "same", "api/etcd.md": "new", "demo.md": "told"}
    )

    assert kept.stat().st_mtime == 1  # unchanged: Sphinx need not read it again
    assert not stale.exists()
    assert hand_written.read_text(encoding="utf-8") == "mine"
    assert (tmp_path / "api" / "etcd.md").read_text(encoding="utf-8") == "new"
    assert (tmp_path / "demo.md").read_text(encoding="utf-8") == "told"


def test_a_public_class_missing_from_the_api_reference_is_named():
    modules = [library_project(source).module for source in library_files()]
    everything = {
        f"{module}.{name}" for module in modules for name in vars(importlib.import_module(module))
    }
    assert generated_pages.undocumented_names(everything) == []

    without_one = everything - {"charms.etcd.v0.etcd.EtcdRequires"}
    assert generated_pages.undocumented_names(without_one) == ["charms.etcd.v0.etcd.EtcdRequires"]
