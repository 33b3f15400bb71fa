# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""What each interface library costs a charm, measured against a hand-written bare-ops floor.

`python -m bench` (`make bench`) measures, per library and role: the import cost, the
wall time of a relation-changed hook as the number of remote units grows, the Juju hook
tools the charm runs per hook, and how often each remote databag is validated per hook. It
prints a table with the targets the libraries are held to and writes `.bench/latest.json`.
It only reports: a missed target does not fail the run.

Each library registers its cases (`bench.cases.BenchCase`) in `bench.__main__`.
"""

import sys

from bench.paths import LIB, ROOT

# The bench imports the libraries as a charm would find them, from lib/. `python -m bench`
# only puts the current directory on the path, so add lib/, as the demo does, and the project
# root, so that the path does not depend on the directory the bench was started from.
for _directory in (LIB, ROOT):
    if str(_directory) not in sys.path:
        sys.path.append(str(_directory))
