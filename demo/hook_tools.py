# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""Fake `leader-get` and `leader-set` hook tools, over leader settings kept one file per key.

`ops` has no API for leader settings, and `ops.testing` does not simulate the tools, yet a
charm in a cluster with reactive units must read and write them (the mysql-innodb-cluster
handshake lives there). `install` writes the two tools into a directory; a hook sees them
when that directory is first on its `PATH` and `SETTINGS_ENV` names the settings directory
(`write_settings` fills it, `read_settings` reads it back). They behave as Juju's do, as far
as charms use them:

- `leader-get [--format=json] [<key>]` prints the value of a key (nothing when it is unset),
  or every setting without a key;
- `leader-set <key>=<value> ...` sets each key, an empty value unsetting it. When
  `LEADER_ENV` is `"false"`, it fails as Juju's does on a unit that is not the leader.

The tools are POSIX shell scripts, because a charm may call `leader-get` once per key and
peer in every hook: a shell starts in about 2 ms, a Python interpreter in about 20. Only the
JSON form of `leader-get`, which needs an encoder, hands over to Python.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

SETTINGS_ENV = "LEGACY_INTERFACES_LEADER_SETTINGS"
"""The variable naming the directory in which the fake tools keep the leader settings."""
LEADER_ENV = "LEGACY_INTERFACES_IS_LEADER"
"""The variable saying whether the unit running the tools is the leader; unset means it is."""

_LEADER_GET = """\
#!/bin/sh
key=
for arg in "$@"; do
    case "$arg" in
        --format=json) exec "{python}" - "$@" <<'PYTHON'
import json, os, sys
from pathlib import Path
folder = Path(os.environ["{settings}"])
settings = {{path.name: path.read_text(encoding="utf-8") for path in folder.iterdir()}}
keys = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
print(json.dumps(settings.get(keys[0]) if keys else settings))
PYTHON
        ;;
        -*) ;;
        *) key=$arg ;;
    esac
done
if [ -z "$key" ]; then
    for path in "${settings}"/*; do
        [ -f "$path" ] && printf '%s: %s\\n' "${{path##*/}}" "$(cat "$path")"
    done
elif [ -f "${settings}/$key" ]; then
    cat "${settings}/$key"
    echo
fi
exit 0
"""

_LEADER_SET = """\
#!/bin/sh
if [ "${leader}" = false ]; then
    echo "ERROR cannot write leadership settings: not the leader" >&2
    exit 1
fi
# Every argument is checked before any is written, so a refused call changes nothing.
for arg in "$@"; do
    case "$arg" in
        *=*) ;;
        *) echo "ERROR expected \\"key=value\\", got \\"$arg\\"" >&2; exit 2 ;;
    esac
    case "${{arg%%=*}}" in
        "" | . | .. | */*) echo "ERROR invalid key \\"${{arg%%=*}}\\"" >&2; exit 2 ;;
    esac
done
for arg in "$@"; do
    key=${{arg%%=*}}
    if [ -n "${{arg#*=}}" ]; then
        printf '%s' "${{arg#*=}}" > "${settings}/$key"
    else
        rm -f "${settings}/$key"
    fi
done
"""

TOOLS = {"leader-get": _LEADER_GET, "leader-set": _LEADER_SET}


def install(directory: Path) -> None:
    """Write the tools, executable, into the directory (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, body in TOOLS.items():
        tool = directory / name
        tool.write_text(
            body.format(python=sys.executable, settings=SETTINGS_ENV, leader=LEADER_ENV),
            encoding="utf-8",
        )
        tool.chmod(0o755)


def write_settings(directory: Path, settings: Mapping[str, str]) -> None:
    """Make the directory hold exactly these settings, one file per key."""
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.iterdir():
        path.unlink()
    for key, value in settings.items():
        (directory / key).write_text(value, encoding="utf-8")


def read_settings(directory: Path) -> dict[str, str]:
    """The settings the directory holds."""
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(directory.iterdir())}
