"""How every library reads the hook it runs in from Juju's environment, in both its forms.

Juju sets `JUJU_RELATION_ID` to `<endpoint>:<id>`, `JUJU_RELATION` to the endpoint and
`JUJU_HOOK_NAME`/`JUJU_DISPATCH_PATH` with dashes; ops.testing of the ops 2 era (the oldest
stack, `make oldest`) sets the id alone and dispatches with underscores. Each library must
tell from either that this unit is leaving, or which relation is being broken, before ops
runs the handlers of deferred events.
"""

from __future__ import annotations

from types import ModuleType

import pytest

import charms.etcd.v0.etcd as etcd
import charms.http.v0.http as http
import charms.innodb_cluster.v0.innodb_cluster as innodb_cluster
import charms.kafka.v0.kafka as kafka
import charms.zookeeper.v0.zookeeper as zookeeper

LIBRARIES = [
    pytest.param(module, id=module.__name__)
    for module in (etcd, zookeeper, kafka, http, innodb_cluster)
]

JUJU = {"JUJU_RELATION": "db", "JUJU_RELATION_ID": "db:7"}
OPS_2_ERA = {"JUJU_RELATION": "db", "JUJU_RELATION_ID": "7"}


def set_environment(monkeypatch: pytest.MonkeyPatch, **variables: str) -> None:
    for name in ("JUJU_RELATION", "JUJU_RELATION_ID", "JUJU_DEPARTING_UNIT", "JUJU_HOOK_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JUJU_DISPATCH_PATH", "")
    for name, value in variables.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize(
    ("variables", "leaving"),
    [
        pytest.param({**JUJU, "JUJU_DEPARTING_UNIT": "app/0"}, True, id="juju"),
        pytest.param({**OPS_2_ERA, "JUJU_DEPARTING_UNIT": "app/0"}, True, id="ops-2-era"),
        pytest.param(
            {"JUJU_RELATION_ID": "db:7", "JUJU_DEPARTING_UNIT": "app/0"}, True, id="id-only"
        ),
        pytest.param({**JUJU, "JUJU_DEPARTING_UNIT": "other/0"}, False, id="a-remote-unit"),
        pytest.param(
            {**JUJU, "JUJU_RELATION_ID": "db:x", "JUJU_DEPARTING_UNIT": "app/0"},
            False,
            id="malformed-id",
        ),
        pytest.param(
            {"JUJU_RELATION_ID": "7", "JUJU_DEPARTING_UNIT": "app/0"}, False, id="no-endpoint"
        ),
        pytest.param(
            {
                "JUJU_RELATION": "other",
                "JUJU_RELATION_ID": "other:7",
                "JUJU_DEPARTING_UNIT": "app/0",
            },
            False,
            id="another-endpoint",
        ),
        pytest.param(JUJU, False, id="no-departing-unit"),
    ],
)
def test_this_unit_leaving_is_read_from_either_form(
    monkeypatch: pytest.MonkeyPatch, library: ModuleType, variables: dict[str, str], leaving: bool
):
    set_environment(monkeypatch, **variables)

    assert library._leaving_in_this_hook("db", "app/0") is leaving


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize(
    ("variables", "broken"),
    [
        pytest.param({**JUJU, "JUJU_HOOK_NAME": "db-relation-broken"}, 7, id="juju-hook-name"),
        pytest.param(
            {**JUJU, "JUJU_DISPATCH_PATH": "hooks/db-relation-broken"}, 7, id="juju-dispatch-path"
        ),
        pytest.param(
            {**OPS_2_ERA, "JUJU_DISPATCH_PATH": "hooks/db_relation_broken"}, 7, id="ops-2-era"
        ),
        pytest.param({**JUJU, "JUJU_HOOK_NAME": "db-relation-departed"}, None, id="departed"),
        pytest.param(
            {**JUJU, "JUJU_RELATION_ID": "db:x", "JUJU_HOOK_NAME": "db-relation-broken"},
            None,
            id="malformed-id",
        ),
        pytest.param(
            {
                "JUJU_RELATION": "other",
                "JUJU_RELATION_ID": "other:7",
                "JUJU_HOOK_NAME": "other-relation-broken",
            },
            None,
            id="another-endpoint",
        ),
        pytest.param({"JUJU_HOOK_NAME": "update-status"}, None, id="no-relation"),
    ],
)
def test_the_relation_being_broken_is_read_from_either_form(
    monkeypatch: pytest.MonkeyPatch,
    library: ModuleType,
    variables: dict[str, str],
    broken: int | None,
):
    set_environment(monkeypatch, **variables)

    assert library._broken_in_this_hook("db") == broken
