# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The pages the site's build writes (`docs/_ext/generated_pages.py`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from demo.story import Lifecycle
from docs._ext import generated_pages
from packages.project import library_files, library_project


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
