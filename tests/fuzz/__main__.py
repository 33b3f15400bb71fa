"""`make fuzz`: the fuzz properties with the large `fuzz` profile, and a one-line summary.

Runs `tests/fuzz` under pytest with thousands of fresh examples per property, then prints the
databags each role held to the minimum saw, and as its last line
`fuzz: <databags> databags, <calls> setter calls, <n> uncaught, <n> leaks`. It exits non-zero
when any property failed (pytest has printed the minimal example of each failure above the
summary) or when a role whose state machine ran and reads remote data saw fewer than
`MIN_DATABAGS` databags (variants that reach known defects stop at their first
finding and are exempt, as are roles that read no remote data; the databags of properties
that read one per example, such as etcd's per-field tolerance, count in the total only).

The properties run in pytest-xdist workers, one per core, each reading role's examples split
among several tests (`profiles.SHARDS`); the summary adds up what each test's report says it
tried (`conftest.py`). Further arguments go to pytest, after these:
`python -m tests.fuzz -k RequirerRemoteData` fuzzes the requirers, and holds only the roles
that ran to the minimum; `-n 0` runs everything in this process.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.fuzz.shares import share_of

MIN_DATABAGS = 10_000
"""Generated remote databags each reading role must see in one run."""

FUZZ_DIRECTORY = Path(__file__).resolve().parent


class FuzzSummary:
    """A pytest plugin that adds up the shares the fuzz tests' reports carry (`conftest.py`).

    It reads reports, not the tally of its own process, so that it counts the same whether
    the tests ran here or in worker processes.
    """

    def __init__(self) -> None:
        self.databags_by_role: Counter[str] = Counter()
        self.setter_calls = 0
        self.roles_held_to_minimum: set[str] = set()
        self.findings: Counter[str] = Counter()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Add one test's share, from the report of its call phase."""
        share = share_of(report)
        if share is None:
            return
        self.databags_by_role.update(share["databags"])
        self.setter_calls += share["setter_calls"]
        self.roles_held_to_minimum.update(share["held_to_minimum"])
        self.findings.update(share["findings"])


def main() -> int:
    """Run the properties with the `fuzz` profile; print the summary line last."""
    os.environ["FUZZ_PROFILE"] = "fuzz"
    summary = FuzzSummary()
    arguments = [
        str(FUZZ_DIRECTORY),
        # Every core: an idle worker takes tests from a busy one (see `profiles.SHARDS`).
        "-n",
        "auto",
        "--dist",
        "worksteal",
        # The harness's own tests plant defects in made-up roles: they belong to `make test`.
        f"--ignore={FUZZ_DIRECTORY / 'test_harness.py'}",
        "-p",
        "no:cacheprovider",
        # pytest's log capture keeps every record of a test until it ends, with the objects
        # its arguments name: over thousands of hooks per property, gigabytes.
        "-p",
        "no:logging",
        "--show-capture=no",
        "-q",
    ]
    status = pytest.main([*arguments, *sys.argv[1:]], plugins=[summary])
    short = []
    for name in sorted(summary.roles_held_to_minimum):
        seen = summary.databags_by_role[name]
        if seen < MIN_DATABAGS:
            short.append(name)
            print(f"fuzz: {name} saw {seen} databags, fewer than {MIN_DATABAGS}")
        else:
            print(f"fuzz: {name} saw {seen} databags")
    uncaught = summary.findings["UncaughtError"]
    leaks = summary.findings["SecretLeakError"]
    others = summary.findings.total() - uncaught - leaks
    if others:
        print(f"fuzz: {others} other findings (see the failures above)")
    print(
        f"fuzz: {summary.databags_by_role.total()} databags, {summary.setter_calls} setter calls, "
        f"{uncaught} uncaught, {leaks} leaks"
    )
    return 1 if status != 0 or short else 0


if __name__ == "__main__":
    raise SystemExit(main())
