"""The bench's instruments count what they claim, on charms whose true counts are known."""

from __future__ import annotations

import logging
from typing import Any

import ops
import pydantic
import pytest
from ops import testing

from bench.backend_calls import counting_hook_tools, hook_tools_by_method
from bench.cases import first_remote_unit, remote_unit_names
from bench.validations import counting_validations

logger = logging.getLogger(__name__)

META = {"name": "probe", "requires": {"etcd": {"interface": "etcd"}}}
UNITS = {number: {"key": f"value {number}"} for number in range(4)}


class Probe(pydantic.BaseModel):
    """A databag model of this module, whose validations the bench counts."""

    key: str = ""


class ProbeCharm(ops.CharmBase):
    """Does what `probe` (a class attribute set by each test) says in relation-changed."""

    probe: Any = None

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on["etcd"].relation_changed, self._on_changed)

    def _on_changed(self, event: ops.RelationChangedEvent) -> None:
        type(self).probe(self, event.relation)


def run_changed(probe: Any) -> None:
    ProbeCharm.probe = probe
    ctx = testing.Context(ProbeCharm, meta=META)
    relation = testing.Relation("etcd", remote_units_data=UNITS)
    ctx.run(ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations={relation}))


def sorted_units(relation: ops.Relation) -> list[ops.Unit]:
    return sorted(relation.units, key=lambda unit: unit.name)


def test_the_tool_of_each_backend_method_is_read_from_ops():
    tools = hook_tools_by_method()

    assert tools["relation_get"] == "relation-get"
    assert tools["relation_set"] == "relation-set"
    assert tools["relation_list"] == "relation-list"
    assert tools["relation_ids"] == "relation-ids"
    assert tools["is_leader"] == "is-leader"
    assert tools["juju_log"] == "juju-log"
    assert tools["config_get"] == "config-get"


def test_each_databag_read_is_one_relation_get_however_often_it_is_read():
    def read_two_units_three_times(_: ops.CharmBase, relation: ops.Relation) -> None:
        for _attempt in range(3):
            for unit in sorted_units(relation)[:2]:
                assert relation.data[unit]["key"]

    with counting_hook_tools() as calls:
        run_changed(read_two_units_three_times)

    assert calls["relation-get"] == 2


def test_is_leader_counts_once_per_hook_as_ops_caches_it_under_juju():
    def ask_three_times(charm: ops.CharmBase, _: ops.Relation) -> None:
        for _attempt in range(3):
            charm.unit.is_leader()

    with counting_hook_tools() as calls:
        run_changed(ask_three_times)

    assert calls["is-leader"] == 1


def test_every_log_record_is_a_juju_log_call():
    def log(*_: Any) -> None:
        for number in range(5):
            logger.info("record %d", number)

    with counting_hook_tools() as quiet:
        run_changed(lambda *_: None)
    with counting_hook_tools() as chatty:
        run_changed(log)

    assert chatty["juju-log"] - quiet["juju-log"] == 5


def test_a_databag_read_directly_is_one_read_and_each_validation_counts():
    def validate_two_units_twice(_: ops.CharmBase, relation: ops.Relation) -> None:
        for _attempt in range(2):
            for unit in sorted_units(relation)[:2]:
                Probe.model_validate(dict(relation.data[unit]))
        # Not a validation: model_construct skips it.
        Probe.model_construct(key="trusted")

    with counting_validations(__name__) as counted:
        run_changed(validate_two_units_twice)

    relation_id = counted_relation_id(counted.reads)
    assert dict(counted.reads) == {(relation_id, "remote/0"): 1, (relation_id, "remote/1"): 1}
    assert counted.model_validations == 4


def test_a_databag_loaded_twice_is_one_read_and_two_validations():
    def load_first_unit_twice(_: ops.CharmBase, relation: ops.Relation) -> None:
        first = sorted_units(relation)[0]
        for _attempt in range(2):
            relation.load(Probe, first, decoder=str)
        Probe.model_validate({"key": "not from a databag"})

    with counting_validations(__name__) as counted:
        run_changed(load_first_unit_twice)

    assert dict(counted.reads) == {(counted_relation_id(counted.reads), "remote/0"): 1}
    assert counted.model_validations == 3


class PeerReaderCharm(ops.CharmBase):
    """Reads every peer's databag in relation-changed of its peer relation."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on["cluster"].relation_changed, self._on_changed)

    def _on_changed(self, event: ops.RelationChangedEvent) -> None:
        for unit in event.relation.units:
            assert event.relation.data[unit]["key"]


def test_the_peers_are_the_remote_units_and_their_reads_are_counted_under_their_names():
    meta = {"name": "cluster-probe", "peers": {"cluster": {"interface": "probe"}}}
    # The unit under test is unit 0, so its peers are numbered from 1.
    relation = testing.PeerRelation("cluster", peers_data={2: {"key": "b"}, 1: {"key": "a"}})
    ctx = testing.Context(PeerReaderCharm, meta=meta)

    with counting_validations(__name__) as counted:
        ctx.run(
            ctx.on.relation_changed(relation, remote_unit=first_remote_unit(relation)),
            testing.State(relations={relation}),
        )

    assert first_remote_unit(relation) == 1
    names = remote_unit_names(relation, ctx.app_name)
    assert names == ["cluster-probe/1", "cluster-probe/2"]
    assert dict(counted.reads) == {(relation.id, name): 1 for name in names}


def test_the_remote_units_of_a_relation_are_the_other_applications():
    relation = testing.Relation("etcd", remote_app_name="etcd", remote_units_data=UNITS)

    assert first_remote_unit(relation) == 0
    assert remote_unit_names(relation, "probe") == [f"etcd/{number}" for number in UNITS]


def counted_relation_id(reads: Any) -> int:
    (relation_id,) = {relation_id for relation_id, _ in reads}
    return relation_id


@pytest.fixture(autouse=True)
def _forget_the_probe():
    yield
    ProbeCharm.probe = None
