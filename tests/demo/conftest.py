"""What the demo's tests share: `make demo`'s output, run once."""

from __future__ import annotations

import dataclasses
import io
import os
from pathlib import Path

import pytest

from demo.__main__ import STORIES
from demo.runner import Told, tell_all
from tests.demo.reading import run_make_demo


@dataclasses.dataclass(frozen=True)
class DemoRun:
    """`make demo`'s output, and the temporary directory it was given (`TMPDIR`)."""

    output: str
    temporary_directory: Path


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    # In a child process: it is the real program, and where it fails it cannot leave
    # anything behind in this one. Its own TMPDIR shows whether it removes what it writes.
    temporary_directory = tmp_path_factory.mktemp("demo-tmpdir")
    result = run_make_demo({**os.environ, "TMPDIR": str(temporary_directory)})
    assert result.returncode == 0, result.stdout + result.stderr
    return DemoRun(result.stdout, temporary_directory)


@pytest.fixture(scope="session")
def demo_output(demo_run: DemoRun) -> str:
    return demo_run.output


@dataclasses.dataclass(frozen=True)
class DemoToldHere:
    """The demo told in this process, where coverage sees it: its output and its stories."""

    output: str
    told: list[Told]


@pytest.fixture(scope="session")
def demo_told_here() -> DemoToldHere:
    out = io.StringIO()
    told = tell_all(STORIES, out)
    return DemoToldHere(out.getvalue(), told)
