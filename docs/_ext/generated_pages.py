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
import io
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

from demo.__main__ import STORIES
from demo.diagram import sequence_diagram
from demo.runner import Told, tell_all
from demo.story import Lifecycle
from packages.project import INTERFACES, LibraryProject, library_files, library_project

FENCE = "````"  # longer than any fence a docstring holds, so it can hold them all


def setup(app: Sphinx) -> dict[str, Any]:
    """Write the pages before Sphinx reads its sources."""
    app.connect("builder-inited", write_pages)
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
        f"`{project.module}`, LIBPATCH {project.releases[-1].patch}, in the package "
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
