"""`make fuzz`: the fuzz properties with the large `fuzz` profile, and a one-line summary.

Runs `tests/fuzz` under pytest with thousands of fresh examples per property, then prints, as
its last line, `fuzz: <databags> databags, <calls> setter calls, <n> uncaught, <n> leaks`. It
exits non-zero when any property failed (pytest has printed the minimal example of each
failure above the summary) or when a role whose state machine ran and reads remote data saw
fewer than `MIN_DATABAGS` databags (variants that reach known defects stop at their first
finding and are exempt, as are roles that read no remote data; the databags of properties
that read one per example, such as etcd's per-field tolerance, count in the total only).

Further arguments go to pytest: `python -m tests.fuzz -k RequirerRemoteData` fuzzes one role,
and holds only the roles that ran to the minimum.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

MIN_DATABAGS = 10_000
"""Generated remote databags each reading role must see in one run."""

FUZZ_DIRECTORY = Path(__file__).resolve().parent


class FindingCounter:
    """A pytest plugin that counts each failing test's distinct findings by violation class."""

    def __init__(self) -> None:
        self.findings: Counter[str] = Counter()
        self.failed_tests = 0

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, Any]:
        """Count the findings in a failing test's exception (hypothesis groups distinct ones)."""
        report = yield
        if call.when == "call" and call.excinfo is not None:
            self.failed_tests += 1
            for error in _leaves(call.excinfo.value):
                self.findings[type(error).__name__] += 1
        return report


def _leaves(error: BaseException) -> list[BaseException]:
    """The exceptions of a (possibly nested) exception group, or the exception itself."""
    # Duck-typed: on Python 3.10 hypothesis raises the `exceptiongroup` backport's class.
    inner: Any = getattr(error, "exceptions", None)
    if isinstance(inner, tuple):
        return [leaf for exception in inner for leaf in _leaves(exception)]
    return [error]


def main() -> int:
    """Run the properties with the `fuzz` profile; print the summary line last."""
    os.environ["FUZZ_PROFILE"] = "fuzz"
    counter = FindingCounter()
    arguments = [
        str(FUZZ_DIRECTORY),
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
    status = pytest.main([*arguments, *sys.argv[1:]], plugins=[counter])

    from tests.fuzz.harness import TALLY  # imported by pytest.main: read what it counted

    short = [
        name
        for name in sorted(TALLY.roles_held_to_minimum)
        if TALLY.databags_by_role[name] < MIN_DATABAGS
    ]
    for name in short:
        seen = TALLY.databags_by_role[name]
        print(f"fuzz: {name} saw {seen} databags, fewer than {MIN_DATABAGS}")
    uncaught = counter.findings["UncaughtError"]
    leaks = counter.findings["SecretLeakError"]
    others = counter.findings.total() - uncaught - leaks
    if others:
        print(f"fuzz: {others} other findings (see the failures above)")
    print(
        f"fuzz: {TALLY.databags_by_role.total()} databags, {TALLY.setter_calls} setter calls, "
        f"{uncaught} uncaught, {leaks} leaks"
    )
    return 1 if status != 0 or short else 0


if __name__ == "__main__":
    raise SystemExit(main())
