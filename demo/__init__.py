# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""A readable transcript of the interface libraries at work, with no Juju controller.

The demo charm (`src/charm.py`) is deployed as several applications in a simulated model
(`demo.deployment`) that runs each hook through `ops.testing`, carrying each unit's output
databags over as the other units' input in the order Juju would. Each interface tells its
story in its own module (`demo.etcd`, ...) and `demo.transcript` prints what happened.
"""

import sys
from pathlib import Path

# The demo runs the charm as Juju would find it: the charm in src/, its libraries in lib/.
# `python -m demo` only puts the project root on the path, so add those two, as a packed
# charm's dispatch script would.
_ROOT = Path(__file__).resolve().parent.parent
for _directory in (_ROOT / "lib", _ROOT / "src"):
    if str(_directory) not in sys.path:
        sys.path.append(str(_directory))
