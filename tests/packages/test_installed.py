# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The built distributions, installed into a fresh virtual environment, are the libraries.

The wheels and sdists are built as `make dist` builds them, then the wheels are installed
with `ops[testing]` (and the locked versions of `ops` and `pydantic`) into a new virtual
environment. Its Python runs with the repository's `demo/` and `src/` on its path but not
`lib/`, so every `charms.*` import resolves to the installed packages; the checks prove it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from email.parser import HeaderParser
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from packages.build import build, build_all, projects, twine_check, uv_executable
from packages.project import ROOT, LibraryProject

PLAY_EVERY_STORY = """
import json, sys
from demo.__main__ import STORIES
from demo.runner import main
status = main(STORIES)
origins = {
    name: module.__file__
    for name, module in sys.modules.items()
    if name.startswith("charms.") and module.__file__  # namespace packages have no file
}
print(json.dumps(origins))
sys.exit(status)
"""

IMPORT_BOTH = """
import json
import charms
import charms.etcd.v0.etcd as installed
import charms.vendored.v0.vendored as vendored
print(json.dumps({
    "installed": installed.__file__,
    "vendored": vendored.__file__,
    "answer": vendored.ANSWER,
    "charms": list(charms.__path__),
}))
"""


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return build_all(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def python(tmp_path_factory: pytest.TempPathFactory, artifacts: list[Path]) -> Path:
    """The Python of a fresh virtual environment holding the wheels and nothing of `lib/`."""
    venv = tmp_path_factory.mktemp("installed") / "venv"
    _run(uv_executable(), "venv", "--quiet", "--python", sys.executable, str(venv))
    interpreter = venv / "bin" / "python"
    wheels = [str(artifact) for artifact in artifacts if artifact.suffix == ".whl"]
    locked = [f"{name}=={version(name)}" for name in ("ops", "ops-scenario", "pydantic")]
    install = ("pip", "install", "--quiet", "--python", str(interpreter))
    _run(uv_executable(), *install, *wheels, f"ops[testing]=={version('ops')}", *locked)
    return interpreter


def _run(*command: str, cwd: Path | None = None, path: list[Path] | None = None) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    if path is not None:
        env["PYTHONPATH"] = os.pathsep.join(map(str, path))
    result = subprocess.run(  # noqa: S603 - fixed commands on paths the test made
        command, cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result.stdout


def _site_packages(python: Path) -> Path:
    return Path(
        _run(str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").strip()
    )


def test_every_artifact_passes_twine_check(artifacts: list[Path]):
    twine_check(artifacts)
    assert len(artifacts) == 2 * len(projects())


def test_a_library_file_always_builds_the_same_artifacts(artifacts: list[Path], tmp_path: Path):
    project = projects()[0]

    rebuilt = build(project, tmp_path)

    for artifact in rebuilt:
        assert artifact.read_bytes() == (artifacts[0].parent / artifact.name).read_bytes()


@pytest.mark.parametrize("project", projects(), ids=lambda project: project.name)
def test_the_wheel_ships_the_library_file_as_it_is(project: LibraryProject, artifacts: list[Path]):
    wheel = next(a for a in artifacts if a.name == f"{project.artifact_stem}-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        shipped = archive.read(project.import_path.as_posix())
        metadata = HeaderParser().parsestr(
            archive.read(f"{project.artifact_stem}.dist-info/METADATA").decode()
        )

    assert shipped == project.source.read_bytes()
    assert project.import_path.with_name("py.typed").as_posix() in names
    assert not [name for name in names if name.endswith("__init__.py")]
    assert metadata["Name"] == project.name
    assert metadata["Version"] == project.version
    # The backend normalizes each requirement: names in lower case, specifiers sorted.
    assert [Requirement(dep) for dep in metadata.get_all("Requires-Dist") or []] == [
        Requirement(dep) for dep in project.dependencies
    ]
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert metadata.get_payload() == project.description
    assert sorted(metadata.get_all("Project-URL") or []) == sorted(
        f"{label}, {url}" for label, url in project.urls.items()
    )


@pytest.mark.parametrize("project", projects(), ids=lambda project: project.name)
def test_the_sdist_ships_the_library_file_and_the_license(
    project: LibraryProject, artifacts: list[Path]
):
    sdist = next(a for a in artifacts if a.name == f"{project.artifact_stem}.tar.gz")
    with tarfile.open(sdist) as archive:
        prefix = f"{project.artifact_stem}/"
        shipped = archive.extractfile(prefix + project.import_path.as_posix())
        license_file = archive.extractfile(prefix + "LICENSE")
        assert shipped is not None
        assert license_file is not None
        assert shipped.read() == project.source.read_bytes()
        assert license_file.read() == (ROOT / "LICENSE").read_bytes()


def test_every_demo_story_plays_against_the_installed_libraries(python: Path, tmp_path: Path):
    output = _run(str(python), "-c", PLAY_EVERY_STORY, cwd=tmp_path, path=[ROOT, ROOT / "src"])

    transcript, origins_line = output.rstrip("\n").rsplit("\n", 1)
    origins = json.loads(origins_line)
    site_packages = _site_packages(python)
    assert sorted(origins) == sorted(project.module for project in projects())
    for module, origin in origins.items():
        assert Path(origin).is_relative_to(site_packages), f"{module} came from {origin}"
    assert "FAILED" not in transcript
    assert transcript.count(": OK - ") == 4  # zookeeper's story is told within kafka's


def test_the_packages_merge_with_a_charms_own_vendored_libraries(python: Path, tmp_path: Path):
    vendored = tmp_path / "lib" / "charms" / "vendored" / "v0" / "vendored.py"
    vendored.parent.mkdir(parents=True)
    vendored.write_text("ANSWER = 42\n")

    output = _run(str(python), "-c", IMPORT_BOTH, cwd=tmp_path, path=[tmp_path / "lib"])

    imported = json.loads(output)
    site_packages = _site_packages(python)
    assert Path(imported["installed"]).is_relative_to(site_packages)
    assert Path(imported["vendored"]) == vendored
    assert imported["answer"] == 42
    assert sorted(imported["charms"]) == sorted(
        [str(tmp_path / "lib" / "charms"), str(site_packages / "charms")]
    )
