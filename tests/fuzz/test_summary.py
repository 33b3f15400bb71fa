"""`make fuzz` adds up what every test tried, in whichever process the test ran.

The properties run in pytest-xdist workers, and only reports travel back. These tests run
made-up fuzz tests, with this directory's `conftest.py` hooks, in a child pytest with two
workers, and read the summary that `FuzzSummary` made of the reports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz.__main__ import FuzzSummary

ROOT = Path(__file__).resolve().parents[2]

CONFTEST = "from tests.fuzz.conftest import pytest_runtest_call, pytest_runtest_makereport\n"

# Each test generates what a fuzz property counts; two fail, as hypothesis reports findings.
MADE_UP_TESTS = """\
import pytest
from tests.fuzz.harness import TALLY, SecretLeakError, UncaughtError

@pytest.mark.parametrize("n", range(6))
def test_reads_databags(n):
    TALLY.roles_held_to_minimum.add("made-up-role")
    TALLY.databags_by_role["made-up-role"] += 10 + n

def test_calls_setters():
    TALLY.setter_calls += 7

def test_finds_two_distinct_things():
    TALLY.databags_by_role["made-up-role"] += 1
    raise ExceptionGroup("two", [UncaughtError("a"), ExceptionGroup("in", [SecretLeakError("b")])])

def test_finds_one_thing():
    raise UncaughtError("c")
"""

# In a child: pytest inside a running pytest would share its plugins and imported modules.
SUMMARISE = """\
import json, sys
import pytest
from tests.fuzz.__main__ import FuzzSummary
summary = FuzzSummary()
pytest.main([*sys.argv[1:], "-p", "no:cacheprovider", "-q"], plugins=[summary])
print(json.dumps({
    "databags": summary.databags_by_role,
    "calls": summary.setter_calls,
    "held": sorted(summary.roles_held_to_minimum),
    "findings": summary.findings,
}))
"""


def summarise(directory: Path, *arguments: str) -> dict[str, Any]:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "lib")])}
    # The command is this interpreter and code of this module: no untrusted input.
    child = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SUMMARISE, str(directory), *arguments],
        cwd=directory,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    return json.loads(child.stdout.splitlines()[-1])


@pytest.fixture
def made_up_fuzz_tests(tmp_path: Path) -> Path:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_made_up.py").write_text(MADE_UP_TESTS)
    return tmp_path


EXPECTED = {
    "databags": {"made-up-role": sum(10 + n for n in range(6)) + 1},
    "calls": 7,
    "held": ["made-up-role"],
    "findings": {"UncaughtError": 2, "SecretLeakError": 1},
}


@pytest.mark.skipif(sys.version_info < (3, 11), reason="the made-up tests use ExceptionGroup")
def test_the_summary_adds_up_the_shares_of_tests_run_in_two_workers(made_up_fuzz_tests: Path):
    assert summarise(made_up_fuzz_tests, "-n", "2") == EXPECTED


def test_a_report_without_a_share_adds_nothing():
    summary = FuzzSummary()
    report = pytest.TestReport("test.py::x", ("test.py", 0, "x"), {}, "passed", None, "call")
    summary.pytest_runtest_logreport(report)
    assert (summary.databags_by_role, summary.setter_calls, summary.findings) == (
        Counter(),
        0,
        Counter(),
    )
