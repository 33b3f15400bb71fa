"""What every test process shares: ops.testing's hooks without the costs Juju does not have.

- ops.testing tries `import ops_tracing._mock` at the start of every `Context.run`, to patch
  tracing when the optional `ops[tracing]` extra is installed. This project does not install
  it, and Python does not remember a failed import: each hook searched every `sys.path` entry
  again. A `None` in `sys.modules` is Python's own way to say that a module is absent (the
  import raises `ImportError` at once), so ops.testing takes the same branch as before,
  without the search. Where the extra is installed, nothing changes.
- ops attaches a `JujuLogHandler` to the root logger in every hook. ops.testing removes it at
  the end of the hook since ops-scenario 8, but the oldest stack that `make oldest` tests
  (ops-scenario 7.23) leaves it there: every later log record then went through every earlier
  hook's handler, into that hook's long-gone context, which it kept alive. Over a test run
  that made the oldest stack's tests three times slower than the newest's, and took gigabytes.
  Each test now leaves the root logger with the handlers it found.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import Iterator

import ops.log
import pytest

if "ops_tracing" not in sys.modules and importlib.util.find_spec("ops_tracing") is None:
    sys.modules["ops_tracing"] = None  # pyright: ignore[reportArgumentType]


@pytest.fixture(autouse=True)
def _no_juju_log_handler_outlives_its_test() -> Iterator[None]:
    root = logging.getLogger()
    found = set(root.handlers)
    yield
    for handler in root.handlers[:]:
        if isinstance(handler, ops.log.JujuLogHandler) and handler not in found:
            root.removeHandler(handler)
