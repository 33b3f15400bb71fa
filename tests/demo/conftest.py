"""What the demo's tests share: `make demo`'s output, run once."""

from __future__ import annotations

import pytest

from tests.demo.reading import run_make_demo


@pytest.fixture(scope="session")
def demo_output() -> str:
    # In a child process: it is the real program, and where it fails it cannot leave
    # anything behind in this one.
    result = run_make_demo()
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout
