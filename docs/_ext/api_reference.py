# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The API reference as autodoc would not write it alone: from the docstrings as written.

The libraries' docstrings are Google style with Markdown code spans, and their models are
pydantic's, with private validators in their types. This extension makes autodoc read them
so that every reference resolves:

- a Markdown code span becomes a reST literal, and napoleon reads `Args:` and `Raises:`
  sections but leaves attributes' prose alone;
- a module docstring is left out: it is its library's page (`generated_pages`);
- a class shows its public ancestors in place of private bases;
- a pydantic model or a dataclass gets a signature of its fields' bare types;
- a field typed with a library's `Annotated` alias (`Host`) shows the alias unlinked, and an
  annotation naming a documented alias links to it;
- a public class or function without an entry fails the build.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
import types
from collections.abc import Iterator
from types import ModuleType
from typing import Annotated, Any, get_origin, get_type_hints

import pydantic
from docutils.nodes import Element
from pydantic_core import PydanticUndefined
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.ext import napoleon
from sphinx.util import logging as sphinx_logging
from sphinx.util.typing import stringify_annotation

from packages.project import library_files, library_project

LOGGER = sphinx_logging.getLogger(__name__)


def setup(app: Sphinx) -> dict[str, Any]:
    """Connect each adaptation to the autodoc event it needs."""
    read_google_sections_but_not_in_attributes(app)
    app.connect("autodoc-process-docstring", drop_module_docstring)
    app.connect("autodoc-process-bases", public_bases)
    app.connect("autodoc-process-signature", model_signature)
    app.connect("config-inited", ignore_validated_type_names)
    app.connect("missing-reference", type_alias_as_class)
    app.connect("env-check-consistency", check_every_public_name_is_documented)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


def library_modules() -> Iterator[ModuleType]:
    """Each library's module, imported."""
    for source in library_files():
        yield importlib.import_module(library_project(source).module)


def read_google_sections_but_not_in_attributes(app: Sphinx) -> None:
    """Read docstrings as the libraries write them: Markdown code spans, Google sections.

    Napoleon reads `Args:` and `Raises:` sections, but not in attributes and properties:
    it takes their first line as `type: description`, and here they are prose, so the words
    before a colon would become a type.
    """
    app.setup_extension("sphinx.ext.napoleon")
    for listener in list(app.events.listeners["autodoc-process-docstring"]):
        if listener.handler is napoleon._process_docstring:
            app.disconnect(listener.id)
    app.connect("autodoc-process-docstring", _docstring_as_rst)


def _docstring_as_rst(
    app: Sphinx, what: Any, name: str, obj: object, options: Any, lines: list[str]
) -> None:
    lines[:] = [_code_spans_as_literals(line) for line in lines]
    if what not in ("attribute", "property", "data"):
        napoleon._process_docstring(app, what, name, obj, options, lines)


# A Markdown code span, `name`, with what touches it on either side.
_CODE_SPAN = re.compile(r"(\w?)(?<!`)`([^`]+)`(?!`)(\w?)")


def _code_spans_as_literals(line: str) -> str:
    """`name` as the literal ``name``; reST wants a literal apart from the word it ends.

    `address`es is Markdown for a code span and a suffix; reST sees no end to the span
    unless an escaped space (which renders as nothing) separates them.
    """

    def literal(match: re.Match[str]) -> str:
        before = f"{match[1]}\\ " if match[1] else ""
        after = f"\\ {match[3]}" if match[3] else ""
        return f"{before}``{match[2]}``{after}"

    return _CODE_SPAN.sub(literal, line)


def public_bases(app: Sphinx, name: str, obj: object, options: object, bases: list[type]) -> None:
    """Show a class's public ancestors in place of private bases, which have no page."""
    public: list[type] = []
    pending = list(bases)
    while pending:
        base = pending.pop(0)
        if base.__name__.startswith("_"):
            pending[:0] = base.__bases__
        elif base not in public:
            public.append(base)
    bases[:] = public


def model_signature(
    app: Sphinx,
    what: str,
    name: str,
    obj: object,
    options: object,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str, str | None] | None:
    """A pydantic model's or a dataclass's arguments: each field's type, and its default.

    pydantic's own signature carries each field's `Annotated` metadata, the private
    validator functions included, which have no page; a dataclass's shows a default factory
    as `<factory>`, which is no Python and so breaks the signature's parsing.
    """
    if what != "class" or not isinstance(obj, type):
        return None
    if issubclass(obj, pydantic.BaseModel):
        fields = [
            (field_name, field.annotation, _default(field.default, field.default_factory))
            for field_name, field in obj.model_fields.items()
        ]
        keyword_only = "*, "
    elif dataclasses.is_dataclass(obj):
        hints = get_type_hints(obj)
        fields = [
            (field.name, hints[field.name], _default(field.default, field.default_factory))
            for field in dataclasses.fields(obj)
            if field.init
        ]
        keyword_only = ""
    else:
        return None
    arguments = [
        f"{field_name}: {stringify_annotation(_without_metadata(annotation), 'smart')}{default}"
        for field_name, annotation, default in fields
    ]
    return f"({keyword_only}{', '.join(arguments)})", return_annotation


def _default(value: object, factory: object) -> str:
    """` = value` for a short default, ` = ...` for a long one or a factory, "" for none."""
    if factory not in (None, dataclasses.MISSING):
        return " = ..."
    if value in (dataclasses.MISSING, PydanticUndefined):
        return ""
    shown = repr(value)
    return f" = {shown}" if len(shown) <= 20 else " = ..."


def _without_metadata(annotation: object) -> object:
    """The type with every `Annotated` in it replaced by its bare type, at any depth.

    `typing.get_type_hints` does exactly that to the annotations of whatever it is given.
    """
    holder = types.SimpleNamespace(__annotations__={"field": annotation})
    return get_type_hints(holder)["field"]


def ignore_validated_type_names(app: Sphinx, config: Config) -> None:
    """Leave unlinked a field's type written with a library's `Annotated` alias (`Host`).

    autodoc shows such a field's type as the source writes it. The aliases are the
    libraries' shorthand for a `str` or an `int` with its validator, with no page of their
    own; any other name that does not resolve still fails the build.
    """
    for module in library_modules():
        config.nitpick_ignore.extend(
            ("py:class", alias)
            for alias, value in vars(module).items()
            if get_origin(value) is Annotated and not alias.startswith("_")
        )


def type_alias_as_class(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: Element
) -> Element | None:
    """Link a type annotation naming a documented alias (`ClusterStage`) to its entry.

    autodoc documents a module-level alias as data, while an annotation refers to it as a
    class; newer Sphinx releases resolve that by themselves, older ones do not.
    """
    if node.get("refdomain") != "py" or node.get("reftype") != "class":
        return None
    domain = env.get_domain("py")
    target = node["reftarget"]
    return domain.resolve_xref(env, node["refdoc"], app.builder, "data", target, node, contnode)


def check_every_public_name_is_documented(app: Sphinx, env: BuildEnvironment) -> None:
    """Warn, which fails the build, for a public class or function with no API entry.

    autodoc leaves out a member without a docstring; every public one must have its entry.
    """
    documented = {name for name, *_ in env.get_domain("py").get_objects()}
    for name in undocumented_names(documented):
        LOGGER.warning("%s is public but has no entry in the API reference", name)


def undocumented_names(documented: set[str]) -> list[str]:
    """The libraries' public classes and functions whose full names are not documented."""
    missing: list[str] = []
    for module in library_modules():
        for name, value in vars(module).items():
            defined_here = getattr(value, "__module__", None) == module.__name__
            public = defined_here and not name.startswith("_")
            if public and (inspect.isclass(value) or inspect.isfunction(value)):
                full_name = f"{module.__name__}.{name}"
                if full_name not in documented:
                    missing.append(full_name)
    return missing


def drop_module_docstring(
    app: Sphinx, what: str, name: str, obj: object, options: object, lines: list[str]
) -> None:
    """A module docstring is Markdown, and is its library's page already."""
    if what == "module":
        lines.clear()
