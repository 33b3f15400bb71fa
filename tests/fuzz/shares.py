"""What one fuzz test tried, as its report carries it to the process that prints the summary.

`conftest.py` puts a test's share on its report; `__main__.py` reads it back with `share_of`.
Nothing here loads the hypothesis profile, so `make fuzz` can import it before choosing one.
"""

from __future__ import annotations

from typing import Any

import pytest

SHARE = "fuzz"
"""The name of the user property that holds a test's share: a dict of `databags` (by role),
`setter_calls`, `held_to_minimum` (role names) and `findings` (exception class names)."""


def finding_names(error: BaseException) -> list[str]:
    """The class names of the exceptions of a (possibly nested) exception group, or its own."""
    # Duck-typed: on Python 3.10 hypothesis raises the `exceptiongroup` backport's class.
    inner: Any = getattr(error, "exceptions", None)
    if isinstance(inner, tuple):
        return [name for exception in inner for name in finding_names(exception)]
    return [type(error).__name__]


def share_of(report: pytest.TestReport) -> dict[str, Any] | None:
    """The share a fuzz test's report carries, if it is one."""
    for name, value in report.user_properties:
        if name == SHARE:
            share: dict[str, Any] = value  # pyright: ignore[reportAssignmentType]
            return share
    return None
