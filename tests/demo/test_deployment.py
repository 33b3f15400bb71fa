"""The deployment simulator's leader settings, IPv6 addresses, per-hook callback and secrets.

The stories (`test_demo.py` and the `test_*_story.py` files) exercise the rest of it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import ClassVar

import ops
import pytest

from demo.deployment import Deployment, Endpoint, Hook, Unit

METADATA = {"name": "peers", "peers": {"cluster": {"interface": "cluster"}}}


# The tools are found on the PATH, as Juju puts them there: no absolute path to give.
def leader_set(setting: str) -> None:
    subprocess.run(["leader-set", setting], check=True)  # noqa: S603, S607


def leader_get(key: str) -> str:
    tool = subprocess.run(["leader-get", key], capture_output=True, text=True, check=True)  # noqa: S603, S607
    return tool.stdout.strip()


class LeaderSettingsCharm(ops.CharmBase):
    """The leader sets `seen` to its unit name; every unit records what it reads."""

    read: ClassVar[dict[str, str]] = {}

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on.config_changed, self._on_config_changed)
        framework.observe(self.on.leader_settings_changed, self._on_settings_changed)

    def _on_config_changed(self, _: ops.EventBase):
        if self.unit.is_leader():
            leader_set(f"seen={self.unit.name}")

    def _on_settings_changed(self, _: ops.EventBase):
        type(self).read[self.unit.name] = leader_get("seen")


def test_a_leaders_settings_reach_every_other_unit_through_leader_settings_changed(
    tmp_path: Path,
):
    LeaderSettingsCharm.read = {}
    deployment = Deployment(hook_tools=tmp_path)
    runs = deployment.deploy("db", LeaderSettingsCharm, units=3, charmcraft_yaml=METADATA)
    app = deployment.apps["db"]
    assert app.leader_settings == {"seen": "db/0"}
    assert LeaderSettingsCharm.read == {"db/1": "db/0", "db/2": "db/0"}
    changed = [run.unit.name for run in runs if run.hook.kind == "leader-settings-changed"]
    assert changed == ["db/1", "db/2"]  # once each, never on the leader


def test_a_non_leaders_leader_set_fails_and_changes_nothing(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
):
    class EveryUnitSets(ops.CharmBase):
        def __init__(self, framework: ops.Framework):
            super().__init__(framework)
            framework.observe(self.on.config_changed, self._on_config_changed)

        def _on_config_changed(self, _: ops.EventBase):
            leader_set(f"by={self.unit.name}")

    deployment = Deployment(hook_tools=tmp_path)
    deployment.deploy("db", EveryUnitSets, charmcraft_yaml=METADATA)
    with pytest.raises(Exception, match=r"CalledProcessError\(1, \['leader-set'"):
        deployment.add_unit(deployment.apps["db"])
    assert "cannot write leadership settings: not the leader" in capfd.readouterr().err
    assert deployment.apps["db"].leader_settings == {"by": "db/0"}


def test_without_a_tools_directory_there_are_no_leader_settings(tmp_path: Path):
    LeaderSettingsCharm.read = {}
    with pytest.raises(Exception, match="FileNotFoundError"):
        Deployment().deploy("db", LeaderSettingsCharm, charmcraft_yaml=METADATA)


def test_ipv6_units_get_distinct_addresses_and_128_bit_subnets():
    deployment = Deployment(ipv6=True)
    deployment.deploy("db", ops.CharmBase, units=2, charmcraft_yaml={"name": "db"})
    units = list(deployment.apps["db"].units.values())
    assert [unit.address for unit in units] == ["fd00:0:0:1::10", "fd00:0:0:1::11"]
    assert units[1].juju_databag()["egress-subnets"] == "fd00:0:0:1::11/128"


def test_the_callback_before_each_hook_names_the_unit_and_hook():
    seen: list[tuple[str, str]] = []

    def before(unit: Unit, hook: Hook) -> None:
        seen.append((unit.name, hook.kind))

    deployment = Deployment(before_hook=before)
    runs = deployment.deploy("db", ops.CharmBase, units=2, charmcraft_yaml={"name": "db"})
    assert seen == [(run.unit.name, run.hook.kind) for run in runs]
    assert ("db/1", "start") in seen


def test_an_application_secret_is_seen_by_label_only_by_its_owners():
    class ReadsItsSecret(ops.CharmBase):
        content: ClassVar[dict[str, dict[str, str]]] = {}

        def __init__(self, framework: ops.Framework):
            super().__init__(framework)
            framework.observe(self.on.config_changed, self._on_config_changed)

        def _on_config_changed(self, _: ops.EventBase):
            try:
                secret = self.model.get_secret(label="tls")
            except ops.SecretNotFoundError:
                return
            type(self).content[self.app.name] = secret.get_content()

    deployment = Deployment()
    deployment.deploy("owner", ReadsItsSecret, charmcraft_yaml={"name": "owner"})
    deployment.deploy("other", ReadsItsSecret, charmcraft_yaml={"name": "other"})
    deployment.add_secret({"key": "k"}, grant_to=[deployment.apps["owner"]], owned_as="tls")
    deployment.config(deployment.apps["owner"], {})
    deployment.config(deployment.apps["other"], {})
    assert ReadsItsSecret.content == {"owner": {"key": "k"}}


class RecordsDeparting(ops.CharmBase):
    """Records, per unit, each relation-departed hook's departing unit, as ops hands it over."""

    seen: ClassVar[list[tuple[str, str, str]]] = []

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        for relation in self.meta.relations:
            framework.observe(self.on[relation].relation_departed, self._on_departed)

    def _on_departed(self, event: ops.RelationDepartedEvent):
        departing = event.departing_unit.name if event.departing_unit else "(none)"
        type(self).seen.append((self.unit.name, event.relation.name, departing))


TWO_ENDPOINTS = {
    "name": "db",
    "peers": {"cluster": {"interface": "cluster"}},
    "provides": {"db": {"interface": "db"}},
    "requires": {"client": {"interface": "db"}},
}


@pytest.mark.parametrize("leaving", [0, 1])
def test_a_removed_unit_is_named_departing_to_itself_and_to_the_others(leaving: int):
    RecordsDeparting.seen = []
    deployment = Deployment()
    deployment.deploy("db", RecordsDeparting, units=2, charmcraft_yaml=TWO_ENDPOINTS)
    deployment.deploy("app", RecordsDeparting, charmcraft_yaml={**TWO_ENDPOINTS, "name": "app"})
    deployment.integrate(
        Endpoint(deployment.apps["db"], "db"), Endpoint(deployment.apps["app"], "client"), "db"
    )
    RecordsDeparting.seen = []

    deployment.remove_unit(deployment.apps["db"].units[leaving])

    gone, stays = f"db/{leaving}", f"db/{1 - leaving}"
    assert sorted(RecordsDeparting.seen) == sorted(
        [
            (gone, "cluster", gone),  # unit 0 too, which ops.testing cannot name by itself
            (stays, "cluster", gone),
            (gone, "db", gone),
            ("app/0", "client", gone),
        ]
    )
