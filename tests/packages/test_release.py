"""`make release-files`: a tag releases one library, and only at the version its file has."""

from __future__ import annotations

from pathlib import Path

import pytest

from packages import release
from packages.build import projects
from packages.release import TagError, release_files, tagged_project

PROJECTS = projects()


@pytest.mark.parametrize("project", PROJECTS, ids=lambda project: project.name)
def test_the_tag_of_a_librarys_current_version_names_it(project):
    library = project.name.removeprefix("legacy-interfaces-")

    assert tagged_project(f"{library}-v{project.version}", PROJECTS) is project


@pytest.mark.parametrize(
    ("tag", "reason"),
    [
        ("etcd-v0.1", "tag the commit whose LIBPATCH it names"),
        ("mysql-v0.1", "names no library"),
        ("v0.7", "not a release tag"),
        ("etcd-0.7", "not a release tag"),
        ("etcd-v0.7.1", "not a release tag"),
        ("innodb_cluster-v0.5", "not a release tag"),
    ],
)
def test_any_other_tag_is_refused_with_its_reason(tag: str, reason: str):
    with pytest.raises(TagError, match=reason):
        tagged_project(tag, PROJECTS)


def test_the_tagged_librarys_two_files_are_copied_and_nothing_else(tmp_path: Path):
    project = next(each for each in PROJECTS if each.name == "legacy-interfaces-kafka")
    dist, out = tmp_path / "dist", tmp_path / "release"
    dist.mkdir()
    for each in PROJECTS:  # what `make dist` leaves
        (dist / f"{each.artifact_stem}.tar.gz").write_text(each.name)
        (dist / f"{each.artifact_stem}-py3-none-any.whl").write_text(each.name)
    out.mkdir()
    (out / "stale.whl").write_text("from an earlier release")

    copied = release_files(project, dist, out)

    assert sorted(path.name for path in out.iterdir()) == sorted(path.name for path in copied)
    assert {path.read_text() for path in copied} == {"legacy-interfaces-kafka"}
    assert len(copied) == 2


def test_without_make_dist_there_is_nothing_to_release(tmp_path: Path):
    with pytest.raises(TagError, match="run `make dist` first"):
        release_files(PROJECTS[0], tmp_path / "dist", tmp_path / "release")


def test_a_refused_tag_exits_1_and_copies_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setattr(release, "RELEASE", tmp_path / "release")

    assert release.main(["etcd-v0.1"]) == 1
    assert "release refused" in capsys.readouterr().err
    assert not (tmp_path / "release").exists()
