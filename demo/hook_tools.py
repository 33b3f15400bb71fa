# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""Fake `leader-get` and `leader-set` hook tools, over leader settings kept in a JSON file.

`ops` has no API for leader settings, and `ops.testing` does not simulate the tools, yet a
charm in a cluster with reactive units must read and write them (the mysql-innodb-cluster
handshake lives there). `install` writes the two tools as small Python scripts into a
directory; a hook sees them when that directory is first on its `PATH` and `SETTINGS_ENV`
names the settings file. They behave as Juju's do, as far as charms use them:

- `leader-get [--format=json] [<key>]` prints the value of a key (nothing when it is unset),
  or every setting without a key;
- `leader-set <key>=<value> ...` sets each key, an empty value unsetting it. When
  `LEADER_ENV` is `"false"`, it fails as Juju's does on a unit that is not the leader.
"""

from __future__ import annotations

import sys
from pathlib import Path

SETTINGS_ENV = "LEGACY_INTERFACES_LEADER_SETTINGS"
"""The variable naming the file in which the fake tools keep the leader settings."""
LEADER_ENV = "LEGACY_INTERFACES_IS_LEADER"
"""The variable saying whether the unit running the tools is the leader; unset means it is."""

_LEADER_GET = """
import json, os, sys
settings = json.loads(open(os.environ["{settings}"], encoding="utf-8").read())
args = sys.argv[1:]
keys = [arg for arg in args if not arg.startswith("-")]
value = settings.get(keys[0]) if keys else settings
if "--format=json" in args:
    print(json.dumps(value))
elif value is not None:
    print(value)
"""

_LEADER_SET = """
import json, os, sys
if os.environ.get("{leader}") == "false":
    sys.exit("ERROR cannot write leadership settings: not the leader")
path = os.environ["{settings}"]
settings = json.loads(open(path, encoding="utf-8").read())
for arg in sys.argv[1:]:
    key, _, value = arg.partition("=")
    if value:
        settings[key] = value
    else:
        settings.pop(key, None)
open(path, "w", encoding="utf-8").write(json.dumps(settings))
"""

TOOLS = {"leader-get": _LEADER_GET, "leader-set": _LEADER_SET}


def install(directory: Path) -> None:
    """Write the tools, executable, into the directory (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, body in TOOLS.items():
        tool = directory / name
        script = body.format(settings=SETTINGS_ENV, leader=LEADER_ENV)
        tool.write_text(f"#!{sys.executable}\n{script}", encoding="utf-8")
        tool.chmod(0o755)
