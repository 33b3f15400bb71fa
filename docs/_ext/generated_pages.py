# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The site's pages that are not files of their own, written into `docs/` at each build.

Each is put together from text that exists once, elsewhere, when the build starts:

- `libraries/<library>.md`: the library's module docstring, and its lifecycle diagram;
- `api/<library>.md`: autodoc of the module, from its code and type hints;
- `interfaces/<interface>.md`: the interface's spec, `interface.yaml` and JSON Schemas;
- `demo.md`: the transcript of the demo run the diagrams are drawn from.

The demo is told once per build, in this process, so the diagrams and the transcript the
site shows come from the same run, and a story that fails fails the build.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import inspect
import io
import logging
import os
import re
import sys
import types
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, get_origin, get_type_hints

import pydantic
from docutils.nodes import Element
from pydantic_core import PydanticUndefined
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.errors import ExtensionError
from sphinx.ext import napoleon
from sphinx.util import logging as sphinx_logging
from sphinx.util.typing import stringify_annotation

from demo.__main__ import STORIES
from demo.diagram import sequence_diagram
from demo.runner import Told, tell_all
from demo.story import Lifecycle
from packages.project import INTERFACES, LibraryProject, library_files, library_project

LOGGER = sphinx_logging.getLogger(__name__)
FENCE = "````"  # longer than any fence a docstring holds, so it can hold them all


def setup(app: Sphinx) -> dict[str, Any]:
    """Write the pages before Sphinx reads its sources, and adapt autodoc to the docstrings."""
    app.connect("builder-inited", write_pages)
    app.connect("autodoc-process-docstring", drop_module_docstring)
    app.connect("autodoc-process-bases", public_bases)
    app.connect("autodoc-process-signature", model_signature)
    app.connect("config-inited", ignore_validated_type_names)
    app.connect("missing-reference", type_alias_as_class)
    app.connect("env-check-consistency", check_every_public_name_is_documented)
    read_google_sections_but_not_in_attributes(app)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


def write_pages(app: Sphinx) -> None:
    """Tell the demo, then write every generated page whose text changed."""
    with _logging_left_as_it_was():
        told = tell_all(STORIES, io.StringIO())
    failed = [each.story.title for each in told if not each.passed]
    if failed or len(told) != len(STORIES):
        raise ExtensionError(f"the demo failed, so the site has no diagrams: {failed}")
    diagrams = {
        lifecycle.interface: (lifecycle, sequence_diagram(each.steps, lifecycle))
        for each in told
        for lifecycle in each.story.lifecycles
    }
    docs = Path(app.srcdir)
    pages = {"demo.md": demo_page(told)}
    for source in library_files():
        project = library_project(source)
        stem = source.stem
        pages[f"libraries/{stem}.md"] = library_page(project, *diagrams[project.interface])
        pages[f"api/{stem}.md"] = api_page(project)
        pages[f"interfaces/{project.interface}.md"] = interface_page(
            project.interface, docs / "interfaces"
        )
    write_changed(docs, pages)


@contextlib.contextmanager
def _logging_left_as_it_was() -> Iterator[None]:
    """Undo what each simulated hook does to logging, as `ops` sets it up for a charm.

    It leaves the root logger at DEBUG, and replaces the warning and exception hooks. The
    charms' records are the demo's, not the build's: they go nowhere (a theme's dependency
    gives the root logger a handler that would print them).
    """
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    showwarning, excepthook = warnings.showwarning, sys.excepthook
    root.handlers[:] = [logging.NullHandler()]
    try:
        yield
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers
        warnings.showwarning, sys.excepthook = showwarning, excepthook


def library_page(project: LibraryProject, lifecycle: Lifecycle, diagram: str) -> str:
    """The module docstring, with the lifecycle drawn before its changelog."""
    stem = project.source.stem
    header = (
        f"# {stem}\n\n"
        f"`{project.module}`, LIBPATCH {project.version.split('.')[1]}, in the package "
        f"`{project.name}`: its [API reference](../api/{stem}.md) and "
        f"[interface specification](../interfaces/{project.interface}.md).\n\n"
    )
    section = (
        "## Lifecycle\n\n"
        f"Steps 1 to {lifecycle.steps} of the demo's story, as the demo ran them for this "
        "site: the hooks Juju ran on each unit, the events this library emitted in them, and "
        f"the databag keys they set. [The demo's transcript](../demo.md) prints the same "
        f"run.\n\n```{{mermaid}}\n{diagram}```\n\n"
    )
    intro, changelog = project.description.split("\n## Changelog\n")
    return f"{header}{intro}\n{section}## Changelog\n{changelog}"


def api_page(project: LibraryProject) -> str:
    """Autodoc of every public member of the module."""
    stem = project.source.stem
    return (
        f"# {stem} API reference\n\n"
        f"The public classes, events, models, errors and test helpers of `{project.module}`. "
        f"The [library's page](../libraries/{stem}.md) says how to use them.\n\n"
        f"```{{eval-rst}}\n.. automodule:: {project.module}\n```\n"
    )


def interface_page(interface: str, page_directory: Path) -> str:
    """The spec's README, then its `interface.yaml` and JSON Schemas as they are."""
    spec = INTERFACES / interface / "interface" / "v0"
    files = [spec / "interface.yaml", *sorted((spec / "schemas").glob("*.json"))]
    parts = [f"```{{include}} {_relative(spec / 'README.md', page_directory)}\n```\n"]
    for path in files:
        language = "yaml" if path.suffix == ".yaml" else "json"
        parts.append(
            f"## `{path.relative_to(spec)}`\n\n"
            f"```{{literalinclude}} {_relative(path, page_directory)}\n"
            f":language: {language}\n```\n"
        )
    return "\n".join(parts)


def _relative(path: Path, directory: Path) -> str:
    """The path as a directive of a page in the directory takes it: relative to the page."""
    return os.path.relpath(path, directory)


def demo_page(told: list[Told]) -> str:
    """Each story's transcript, as `make demo` prints it."""
    parts = [
        "# The demo\n\n"
        "`make demo` tells one story per interface, through the demo charm, in a simulated "
        "deployment. This is the transcript of the run the libraries' lifecycle diagrams were "
        "drawn from, made when this site was built.\n"
    ]
    for each in told:
        title = each.story.title.split(":")[0]
        parts.append(f"## {title}\n\n{FENCE}text\n{each.transcript}\n{FENCE}\n")
    return "\n".join(parts)


def write_changed(directory: Path, pages: dict[str, str]) -> None:
    """Write each page whose text differs, and remove stale pages from the pages' folders.

    An unchanged page keeps its time stamp, so that Sphinx does not read it again.
    """
    folders = {(directory / name).parent for name in pages} - {directory}
    for path in (path for folder in folders for path in folder.glob("*.md")):
        if path.relative_to(directory).as_posix() not in pages:
            path.unlink()
    for name, text in pages.items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")


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
    for source in library_files():
        module = importlib.import_module(library_project(source).module)
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
    for source in library_files():
        module = importlib.import_module(library_project(source).module)
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
