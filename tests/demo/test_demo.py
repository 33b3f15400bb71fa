"""`make demo` end to end, the demo's own parts, and the demo charm's behaviour.

The end-to-end tests read the transcript the way a person would: which step, which unit,
which hook, which library events, in which order, and that no secret shows.
"""

from __future__ import annotations

import dataclasses
import io
import stat
from pathlib import Path
from typing import Any

import ops
import pytest
from ops import testing

import demo.etcd
from charm import LegacyInterfacesDemoCharm
from charms.etcd.v0.etcd import EtcdRequires, credentials_for_testing, etcd_relation_for_testing
from demo.__main__ import STORIES
from demo.deployment import Deployment, Endpoint, charm_context, load_charmcraft_yaml
from demo.etcd import (
    CLIENT_CA,
    CLIENT_CERT,
    CLIENT_KEY,
    CONNECTION_STRING,
    EtcdStory,
    ReactiveClientStandIn,
    pem_body,
)
from demo.runner import main
from demo.transcript import Masker
from tests.demo.conftest import DemoRun, DemoToldHere
from tests.demo.reading import (
    events_on,
    hook_blocks,
    hooks_in_step,
    steps,
    story_section,
)


@pytest.fixture(scope="module")
def transcript(demo_output: str) -> str:
    """The etcd story's part of `make demo`'s output."""
    return story_section(demo_output, EtcdStory.title)


# --- make demo, end to end -----------------------------------------------------------------


def test_the_etcd_story_ends_with_its_summary(transcript: str):
    assert transcript.rstrip().splitlines()[-1] == (
        "etcd: OK - 58 hooks run; client/0 saw EtcdConnected > EtcdAvailable > "
        "EtcdTlsAvailable > EtcdTlsUnavailable > EtcdUnavailable > EtcdDisconnected; "
        "legacy/0 saw EtcdConnected > EtcdAvailable > EtcdTlsAvailable when refreshed; "
        "6 credential files saved (key 0600, certificates 0644); no secret printed"
    )


def test_steps_tell_the_story_in_order(transcript: str):
    assert steps(transcript) == [
        "deploy the demo charm twice: as etcd, and as client",
        "relate etcd:db to client:etcd",
        "configure etcd: it publishes; the client becomes available, saves credentials",
        "add a second etcd unit",
        "remove etcd/0",
        "remove the relation",
        "refresh from the reactive charm: relate etcd:db to a client running it",
        "juju refresh legacy to the demo charm (ops)",
    ]


def test_client_becomes_available_then_tls_available_and_loses_both_at_the_end(transcript: str):
    assert events_on(transcript, "client/0") == [
        "EtcdConnected",
        "EtcdAvailable",
        "EtcdTlsAvailable",
        "EtcdTlsUnavailable",
        "EtcdUnavailable",
        "EtcdDisconnected",
    ]


def test_each_etcd_unit_sees_its_clients_connect_and_disconnect(transcript: str):
    assert events_on(transcript, "etcd/0", "Etcd") == [
        "EtcdClientConnected",
        "EtcdClientDisconnected",
    ]
    # etcd/1 then serves the reactive client too.
    assert events_on(transcript, "etcd/1", "Etcd") == [
        "EtcdClientConnected",
        "EtcdClientDisconnected",
        "EtcdClientConnected",
    ]


def test_the_etcd_units_are_peers_that_take_no_part_in_a_cluster(transcript: str):
    # The demo charm's peer endpoint: the units meet and part, and send nothing on it.
    cluster = [
        (b.step, b.unit, b.hook, b.events, b.lines)
        for b in hook_blocks(transcript)
        if b.unit.startswith("etcd/") and b.hook.startswith("cluster-")
    ]

    assert [row[:4] for row in cluster] == [
        (1, "etcd/0", "cluster-relation-created", []),
        (4, "etcd/1", "cluster-relation-created", []),
        (4, "etcd/1", "cluster-relation-joined", ["ClusterConnected"]),
        (4, "etcd/1", "cluster-relation-changed", []),
        (4, "etcd/0", "cluster-relation-joined", ["ClusterConnected"]),
        (4, "etcd/0", "cluster-relation-changed", []),
        (5, "etcd/1", "cluster-relation-departed", ["ClusterPeerDeparted", "ClusterDisconnected"]),
        # The leaving unit's peers stay: nothing says they departed (the library's rule).
        (5, "etcd/0", "cluster-relation-departed", ["ClusterDisconnected"]),
        (5, "etcd/0", "cluster-relation-broken", []),
    ]
    assert not any(line.startswith("databag") for row in cluster for line in row[4])


def test_relate_runs_created_on_both_sides_then_joined_and_changed(transcript: str):
    assert hooks_in_step(transcript, 2) == [
        ("etcd/0", "db-relation-created", ""),
        ("client/0", "etcd-relation-created", ""),
        ("etcd/0", "db-relation-joined", "remote client/0"),
        ("etcd/0", "db-relation-changed", "remote client/0"),
        ("client/0", "etcd-relation-joined", "remote etcd/0"),
        ("client/0", "etcd-relation-changed", "remote etcd/0"),
    ]


def test_publishing_causes_relation_changed_on_the_client_which_fires_both_events(
    transcript: str,
):
    blocks = [b for b in hook_blocks(transcript) if b.step == 3]

    assert [(b.unit, b.hook, b.detail) for b in blocks] == [
        ("etcd/0", "config-changed", ""),
        ("client/0", "etcd-relation-changed", "remote etcd/0"),
    ]
    assert blocks[1].events == ["EtcdAvailable", "EtcdTlsAvailable"]
    assert f"connection_string  {CONNECTION_STRING}" in blocks[1].lines
    assert "version            3.5.16" in blocks[1].lines
    assert f"status  active: etcd 3.5.16 at {CONNECTION_STRING} (TLS)" in blocks[1].lines


def test_provider_databag_is_shown_with_the_key_masked(transcript: str):
    config_changed = next(
        b for b in hook_blocks(transcript) if b.hook == "config-changed" and b.step == 3
    )
    bag = config_changed.lines

    # Relations 0 and 1 are the peer relations of etcd and client, made when deployed.
    assert "databag etcd/0 on relation 2 (etcd:db to client:etcd)" in bag
    assert f"+ connection_string  {CONNECTION_STRING}" in bag
    assert "+ version            3.5.16" in bag
    assert "+ client_key         <private key: masked>" in bag
    assert f"+ client_cert        <certificate: 1 block, {len(CLIENT_CERT)} bytes>" in bag
    assert f"+ client_ca          <certificate: 1 block, {len(CLIENT_CA)} bytes>" in bag
    # Juju's own keys are not news, so they are left out.
    assert not any("ingress-address" in line for line in bag)


def test_a_second_etcd_unit_publishing_the_same_data_fires_nothing_on_the_client(
    transcript: str,
):
    hooks = hooks_in_step(transcript, 4)

    assert hooks[:5] == [
        ("etcd/1", "install", ""),
        ("etcd/1", "cluster-relation-created", ""),
        ("etcd/1", "db-relation-created", ""),
        ("etcd/1", "config-changed", ""),
        ("etcd/1", "start", ""),
    ]
    assert ("client/0", "etcd-relation-joined", "remote etcd/1") in hooks
    assert [b.events for b in hook_blocks(transcript) if b.step == 4 and b.unit == "client/0"] == [
        [],
        [],
    ]


def test_removing_a_unit_departs_both_sides_then_breaks_and_reelects(transcript: str):
    assert hooks_in_step(transcript, 5) == [
        ("etcd/1", "cluster-relation-departed", "remote etcd/0"),
        ("etcd/0", "cluster-relation-departed", "remote etcd/1, this unit is departing"),
        ("etcd/0", "cluster-relation-broken", ""),
        ("client/0", "etcd-relation-departed", "remote etcd/0"),
        ("etcd/0", "db-relation-departed", "remote client/0, this unit is departing"),
        ("etcd/0", "db-relation-broken", ""),
        ("etcd/0", "stop", ""),
        ("etcd/0", "remove", ""),
        ("etcd/1", "leader-elected", ""),
    ]


def test_removing_the_relation_departs_then_breaks_on_each_unit(transcript: str):
    assert hooks_in_step(transcript, 6) == [
        ("etcd/1", "db-relation-departed", "remote client/0"),
        ("etcd/1", "db-relation-broken", ""),
        ("client/0", "etcd-relation-departed", "remote etcd/1"),
        ("client/0", "etcd-relation-broken", ""),
    ]


def test_no_secret_is_ever_printed(demo_output: str):
    for pem in (CLIENT_KEY, CLIENT_CERT, CLIENT_CA):
        for line in pem_body(pem):
            assert line not in demo_output
    assert "-----BEGIN" not in demo_output


@pytest.mark.parametrize("app", ["client", "legacy"])
def test_credential_files_are_listed_key_0600_certificates_0644_and_masked(
    transcript: str, app: str
):
    files = transcript.split(f"Credential files saved by {app}/0")[1].splitlines()[1:4]

    assert [line.split(maxsplit=2) for line in files] == [
        [f"{app}/etcd/client.key", "0600", "<private key: masked>"],
        [f"{app}/etcd/client.crt", "0644", f"<certificate: 1 block, {len(CLIENT_CERT)} bytes>"],
        [f"{app}/etcd/ca.crt", "0644", f"<certificate: 1 block, {len(CLIENT_CA)} bytes>"],
    ]


def test_the_reactive_client_is_related_before_it_runs_the_library(transcript: str):
    blocks = [b for b in hook_blocks(transcript) if b.step == 7]

    assert [(b.unit, b.hook) for b in blocks if b.unit == "legacy/0"] == [
        ("legacy/0", "install"),
        ("legacy/0", "cluster-relation-created"),
        ("legacy/0", "leader-elected"),
        ("legacy/0", "config-changed"),
        ("legacy/0", "start"),
        ("legacy/0", "etcd-relation-created"),
        ("legacy/0", "etcd-relation-joined"),
        ("legacy/0", "etcd-relation-changed"),
    ]
    # The stand-in for the reactive charm runs no library: it sees no event, sets no status.
    assert [b.lines for b in blocks if b.unit == "legacy/0"] == [[]] * 8
    # etcd/1 publishes on the new relation, so the legacy data is on the wire before the refresh.
    created = next(b for b in blocks if b.hook == "db-relation-created")
    assert "databag etcd/1 on relation 4 (etcd:db to legacy:etcd)" in created.lines
    assert f"+ connection_string  {CONNECTION_STRING}" in created.lines


def test_refresh_from_the_reactive_charm_announces_everything_in_upgrade_charm(
    transcript: str,
):
    blocks = [b for b in hook_blocks(transcript) if b.step == 8]

    # Juju's sequence for a refreshed machine charm; no relation hook runs.
    assert [(b.unit, b.hook, b.detail) for b in blocks] == [
        ("legacy/0", "upgrade-charm", ""),
        ("legacy/0", "config-changed", ""),
        ("legacy/0", "start", ""),
    ]
    upgrade = blocks[0]
    assert upgrade.events == ["EtcdConnected", "EtcdAvailable", "EtcdTlsAvailable"]
    assert f"connection_string  {CONNECTION_STRING}" in upgrade.lines
    assert f"status  active: etcd 3.5.16 at {CONNECTION_STRING} (TLS)" in upgrade.lines
    # Announced once: the later hooks of the refresh find the library's record up to date.
    assert blocks[1].events == blocks[2].events == []


def test_every_file_goes_in_a_temporary_directory_that_is_removed(demo_run: DemoRun):
    assert "client/etcd/client.key  0600" in demo_run.output
    assert "legacy/etcd/client.key  0600" in demo_run.output
    assert list(demo_run.temporary_directory.iterdir()) == []


def test_the_demo_tells_the_same_stories_in_this_process(
    demo_output: str, demo_told_here: DemoToldHere
):
    # As `python -m demo` tells them, but here, where coverage sees every story's code run.
    assert [told.story for told in demo_told_here.told] == list(STORIES)
    assert all(told.passed for told in demo_told_here.told)
    assert demo_told_here.output == demo_output


def test_a_story_whose_expectation_fails_makes_the_demo_fail_loudly(
    monkeypatch: pytest.MonkeyPatch,
):
    # A key that is not PEM: the provider refuses it, so the client never becomes available.
    monkeypatch.setattr(demo.etcd, "CLIENT_KEY", "not a key")
    out = io.StringIO()

    assert main([EtcdStory()], out) == 1
    last = out.getvalue().rstrip().splitlines()[-1]
    assert last == (
        "FAILED: client/0 should have seen ['EtcdAvailable', 'EtcdTlsAvailable'], saw []"
    )


# --- The deployment's refresh ----------------------------------------------------------------


def deployment_with_a_client(client_charm: type[ops.CharmBase]) -> Deployment:
    """etcd publishing a cluster without TLS, related to one unit of `client_charm`."""
    deployment = Deployment()
    config = {"etcd-connection-string": CONNECTION_STRING, "etcd-version": "3.5.16"}
    deployment.deploy("etcd", LegacyInterfacesDemoCharm, config=config)
    deployment.deploy(
        "client", client_charm, charmcraft_yaml=load_charmcraft_yaml(LegacyInterfacesDemoCharm)
    )
    etcd, client = deployment.apps["etcd"], deployment.apps["client"]
    deployment.integrate(Endpoint(etcd, "db"), Endpoint(client, "etcd"), "etcd")
    return deployment


@pytest.mark.parametrize(
    ("keep_stored_state", "announced"),
    [
        # Between two ops charms the library's record survives: nothing new to announce.
        (True, []),
        # Without it, as after a reactive charm, everything that holds is announced again.
        (False, ["EtcdConnected", "EtcdAvailable"]),
    ],
)
def test_refresh_keeps_or_drops_the_stored_state_and_runs_juju_hooks(
    keep_stored_state: bool, announced: list[str]
):
    deployment = deployment_with_a_client(LegacyInterfacesDemoCharm)
    client = deployment.apps["client"]

    runs = deployment.refresh(
        client, LegacyInterfacesDemoCharm, keep_stored_state=keep_stored_state
    )

    assert [(run.unit.name, run.hook_name) for run in runs] == [
        ("client/0", "upgrade-charm"),
        ("client/0", "config-changed"),
        ("client/0", "start"),
    ]
    assert runs[0].fired == announced
    assert client.units[0].state.unit_status == testing.ActiveStatus(
        f"etcd 3.5.16 at {CONNECTION_STRING} (no TLS)"
    )


def test_refresh_from_the_stand_in_runs_the_new_charm_with_the_relation_in_place():
    deployment = deployment_with_a_client(ReactiveClientStandIn)
    client = deployment.apps["client"]
    unit = client.units[0]
    (integration,) = [each for each in deployment.integrations if not each.is_peer]

    runs = deployment.refresh(client, LegacyInterfacesDemoCharm, keep_stored_state=False)

    assert client.charm_type is LegacyInterfacesDemoCharm
    assert runs[0].fired == ["EtcdConnected", "EtcdAvailable"]
    # Juju keeps the relation and its databags across the refresh.
    assert unit.remote_databags(integration)[0]["connection_string"] == CONNECTION_STRING


# --- The transcript's masking --------------------------------------------------------------


def test_masker_hides_private_keys_and_describes_certificates():
    mask = Masker(secret_keys={"cluster-password"})

    assert mask("client_key", CLIENT_KEY) == "<private key: masked>"
    assert mask("anything", CLIENT_CA) == f"<certificate: 1 block, {len(CLIENT_CA)} bytes>"
    assert mask("bundle", CLIENT_CA + CLIENT_CERT).startswith("<certificate: 2 blocks, ")
    assert mask("cluster-password", "hunter2") == "<masked>"
    assert mask("version", None) == "(none)"
    assert mask("port", 2379) == "2379"


def test_masker_hides_a_bundle_that_contains_a_key_among_certificates():
    assert Masker()("pem", CLIENT_CERT + CLIENT_KEY) == "<private key: masked>"


# --- The demo charm ------------------------------------------------------------------------

CHARMCRAFT = load_charmcraft_yaml(LegacyInterfacesDemoCharm)
SECRET_ID = "secret:demo0000000000000042"
NOT_RELATED = "relate an endpoint, or configure etcd, zookeeper, kafka, a website or a cluster"
TLS_CONTENT = {"client-key": CLIENT_KEY, "client-cert": CLIENT_CERT, "client-ca": CLIENT_CA}


def context(app_name: str, **kwargs: Any) -> testing.Context[LegacyInterfacesDemoCharm]:
    return charm_context(LegacyInterfacesDemoCharm, CHARMCRAFT, app_name=app_name, **kwargs)


def client_relation(*units_data: dict[str, str]) -> testing.Relation:
    return testing.Relation(
        "etcd",
        "etcd",
        remote_app_name="etcd",
        remote_units_data=dict(enumerate(units_data)),
    )


def provider_relation() -> testing.Relation:
    return testing.Relation("db", "etcd", remote_app_name="client", remote_units_data={0: {}})


def published(connection_string: str = CONNECTION_STRING, **extra: str) -> dict[str, str]:
    return {"connection_string": connection_string, **extra}


def tls_published() -> dict[str, str]:
    return published(
        version="3.5.16", client_key=CLIENT_KEY, client_cert=CLIENT_CERT, client_ca=CLIENT_CA
    )


def run_provider(
    config: dict[str, Any], secrets: list[testing.Secret] | None = None
) -> testing.State:
    ctx = context("etcd")
    relation = provider_relation()
    state = testing.State(config=config, relations=[relation], secrets=secrets or [])
    return ctx.run(ctx.on.config_changed(), state)


def provider_wire(state: testing.State) -> dict[str, str]:
    bag = dict(state.get_relation(provider_relation_id(state)).local_unit_data)
    return {key: value for key, value in bag.items() if "-" not in key}  # leave out Juju's keys


def provider_relation_id(state: testing.State) -> int:
    return next(iter(state.relations)).id


def test_unrelated_and_unconfigured_unit_asks_for_a_relation_or_config():
    ctx = context("lonely")

    state = ctx.run(ctx.on.install(), testing.State())

    assert state.unit_status == testing.BlockedStatus(NOT_RELATED)


def test_provider_publishes_connection_version_and_tls_secret_in_legacy_keys():
    secret = testing.Secret(TLS_CONTENT, id=SECRET_ID, owner=None)
    config = {
        "etcd-connection-string": CONNECTION_STRING,
        "etcd-version": "3.5.16",
        "etcd-tls-secret": SECRET_ID,
    }

    state = run_provider(config, [secret])

    assert provider_wire(state) == tls_published()
    assert state.unit_status == testing.ActiveStatus(
        f"proxying etcd 3.5.16 at {CONNECTION_STRING} (TLS)"
    )


def test_provider_without_version_or_tls_publishes_only_the_connection_string():
    state = run_provider({"etcd-connection-string": CONNECTION_STRING})

    assert provider_wire(state) == published()
    assert state.unit_status == testing.ActiveStatus(f"proxying etcd 2.x at {CONNECTION_STRING}")


def test_unsetting_the_provider_config_withdraws_what_it_published():
    secret = testing.Secret(TLS_CONTENT, id=SECRET_ID, owner=None)
    config = {"etcd-connection-string": CONNECTION_STRING, "etcd-tls-secret": SECRET_ID}
    ctx = context("etcd")
    state = run_provider(config, [secret])

    without_tls = ctx.run(
        ctx.on.config_changed(),
        dataclasses.replace(state, config={"etcd-connection-string": CONNECTION_STRING}),
    )
    unset = ctx.run(ctx.on.config_changed(), dataclasses.replace(without_tls, config={}))

    assert provider_wire(without_tls) == published()
    assert provider_wire(unset) == {}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"etcd-connection-string": "https://10.0.0.5:2379, https://10.0.0.6:2379"},
            "invalid etcd config: connection_string: must not contain white space, "
            "not even after the commas",
        ),
        (
            {"etcd-connection-string": CONNECTION_STRING, "etcd-version": "3.5 beta"},
            "invalid etcd config: version: must be a version such as 3.5.16",
        ),
        ({"etcd-version": "3.5.16"}, "etcd-connection-string is required to publish etcd"),
        (
            {"etcd-connection-string": CONNECTION_STRING, "etcd-tls-secret": SECRET_ID},
            "cannot read etcd-tls-secret: not found, or not granted to this application",
        ),
    ],
)
def test_invalid_provider_config_blocks_and_publishes_nothing(
    config: dict[str, Any], message: str
):
    state = run_provider(config)

    assert state.unit_status == testing.BlockedStatus(message)
    assert provider_wire(state) == {}


def test_tls_secret_that_is_not_pem_blocks_without_showing_the_secret():
    content = {**TLS_CONTENT, "client-key": "my very secret key"}
    secret = testing.Secret(content, id=SECRET_ID, owner=None)
    config = {"etcd-connection-string": CONNECTION_STRING, "etcd-tls-secret": SECRET_ID}

    state = run_provider(config, [secret])

    assert state.unit_status == testing.BlockedStatus(
        "invalid etcd-tls-secret: client_key: is not PEM text (labelled blocks of base64)"
    )
    # Credentials are checked first, so clients are not offered a cluster they cannot reach.
    assert provider_wire(state) == {}


def test_tls_secret_missing_keys_blocks_naming_them():
    secret = testing.Secret({"client-key": CLIENT_KEY}, id=SECRET_ID, owner=None)
    config = {"etcd-connection-string": CONNECTION_STRING, "etcd-tls-secret": SECRET_ID}

    state = run_provider(config, [secret])

    assert state.unit_status == testing.BlockedStatus(
        "etcd-tls-secret lacks client-cert, client-ca"
    )


def test_blocked_provider_stays_blocked_in_later_hooks_until_the_config_is_fixed():
    ctx = context("etcd")
    bad = {"etcd-connection-string": "no-scheme"}
    state = ctx.run(ctx.on.config_changed(), testing.State(config=bad))

    state = ctx.run(ctx.on.update_status(), state)
    assert state.unit_status.name == "blocked"

    fixed = dataclasses.replace(state, config={"etcd-connection-string": CONNECTION_STRING})
    state = ctx.run(ctx.on.config_changed(), fixed)
    assert state.unit_status == testing.ActiveStatus(f"proxying etcd 2.x at {CONNECTION_STRING}")


def test_a_new_revision_of_the_tls_secret_is_published():
    new_key = CLIENT_KEY.replace("-----\n", "-----\nAAAA\n", 1)
    secret = testing.Secret(
        TLS_CONTENT, latest_content={**TLS_CONTENT, "client-key": new_key}, id=SECRET_ID
    )
    config = {"etcd-connection-string": CONNECTION_STRING, "etcd-tls-secret": SECRET_ID}
    ctx = context("etcd")
    state = testing.State(config=config, relations=[provider_relation()], secrets=[secret])

    state = ctx.run(ctx.on.secret_changed(secret), state)

    assert provider_wire(state)["client_key"] == new_key


def test_client_related_without_data_waits_for_etcd():
    ctx = context("client")
    relation = client_relation({})

    state = ctx.run(
        ctx.on.relation_joined(relation, remote_unit=0), testing.State(relations=[relation])
    )

    assert state.unit_status == testing.WaitingStatus("waiting for etcd")


def test_client_with_connection_but_no_tls_is_active_without_tls():
    ctx = context("client")
    relation = client_relation(published())

    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    )

    assert state.unit_status == testing.ActiveStatus(f"etcd 2.x at {CONNECTION_STRING} (no TLS)")


def test_client_saves_the_key_0600_and_the_certificates_0644_and_reports_tls(tmp_path: Path):
    ctx = context("client")
    relation = client_relation(tls_published())
    directory = tmp_path / "creds"
    state = testing.State(relations=[relation], config={"etcd-credentials-dir": str(directory)})

    state = ctx.run(ctx.on.relation_changed(relation, remote_unit=0), state)

    saved = {path.name: path for path in directory.iterdir()}
    assert {name: path.read_text() for name, path in saved.items()} == {
        "client.key": CLIENT_KEY,
        "client.crt": CLIENT_CERT,
        "ca.crt": CLIENT_CA,
    }
    # Only the owner may read the key; a workload running as another user reads the rest.
    assert {name: stat.S_IMODE(path.stat().st_mode) for name, path in saved.items()} == {
        "client.key": 0o600,
        "client.crt": 0o644,
        "ca.crt": 0o644,
    }
    assert state.unit_status == testing.ActiveStatus(f"etcd 3.5.16 at {CONNECTION_STRING} (TLS)")


def test_client_refreshed_from_the_reactive_charm_saves_the_credentials_in_upgrade_charm(
    tmp_path: Path,
):
    # Related by the reactive charm: legacy data on the wire, no stored state of the library.
    ctx = context("client")
    relation = etcd_relation_for_testing(units=2)
    directory = tmp_path / "creds"
    state = testing.State(relations=[relation], config={"etcd-credentials-dir": str(directory)})

    state = ctx.run(ctx.on.upgrade_charm(), state)

    library_events = [
        type(e).__name__ for e in ctx.emitted_events if not isinstance(e, ops.HookEvent)
    ]
    assert library_events == ["EtcdConnected", "EtcdAvailable", "EtcdTlsAvailable"]
    credentials = credentials_for_testing()
    assert (directory / "client.key").read_text() == credentials.client_key
    assert (directory / "ca.crt").read_text() == credentials.client_ca
    assert state.unit_status == testing.ActiveStatus(
        "etcd 3.5.16 at https://10.0.0.5:2379,https://10.0.0.6:2379 (TLS)"
    )


def test_a_stale_tls_available_whose_credentials_were_withdrawn_saves_nothing(tmp_path: Path):
    # What a deferred event brings back: the credentials at emit time, withdrawn since. The
    # charm reconciles from what etcd publishes now, never from the event's payload.
    ctx = context("client")
    relation = client_relation(published())
    directory = tmp_path / "creds"
    state = testing.State(relations=[relation], config={"etcd-credentials-dir": str(directory)})
    stale = ctx.on.custom(
        EtcdRequires.on.tls_available, relation, CLIENT_KEY, CLIENT_CERT, CLIENT_CA
    )

    state = ctx.run(stale, state)

    assert not directory.exists()
    assert state.unit_status == testing.ActiveStatus(f"etcd 2.x at {CONNECTION_STRING} (no TLS)")


def test_client_saves_again_when_the_credentials_directory_moves(tmp_path: Path):
    ctx = context("client")
    relation = client_relation(tls_published())
    state = testing.State(
        relations=[relation], config={"etcd-credentials-dir": str(tmp_path / "a")}
    )
    state = ctx.run(ctx.on.relation_changed(relation, remote_unit=0), state)

    moved = dataclasses.replace(state, config={"etcd-credentials-dir": str(tmp_path / "b")})
    ctx.run(ctx.on.config_changed(), moved)

    assert (tmp_path / "b" / "client.key").read_text() == CLIENT_KEY


def test_client_with_a_relative_credentials_directory_blocks_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    ctx = context("client")
    relation = client_relation(tls_published())
    state = testing.State(relations=[relation], config={"etcd-credentials-dir": "creds"})

    state = ctx.run(ctx.on.relation_changed(relation, remote_unit=0), state)

    assert state.unit_status == testing.BlockedStatus(
        "etcd-credentials-dir must be an absolute path"
    )
    assert list(tmp_path.iterdir()) == []


def test_client_that_cannot_write_the_credentials_blocks_instead_of_crashing(tmp_path: Path):
    in_the_way = tmp_path / "file"
    in_the_way.write_text("")
    ctx = context("client")
    relation = client_relation(tls_published())
    state = testing.State(relations=[relation], config={"etcd-credentials-dir": str(in_the_way)})

    state = ctx.run(ctx.on.relation_changed(relation, remote_unit=0), state)

    # The reason is the operating system's ("File exists"); it never holds file content.
    assert state.unit_status.name == "blocked"
    assert state.unit_status.message.startswith(f"cannot save etcd credentials in {in_the_way}: ")
    assert in_the_way.read_text() == ""


def test_client_whose_credential_path_is_a_directory_blocks_instead_of_crashing(
    tmp_path: Path,
):
    (tmp_path / "client.key").mkdir()
    ctx = context("client")
    relation = client_relation(tls_published())
    state = testing.State(relations=[relation], config={"etcd-credentials-dir": str(tmp_path)})

    state = ctx.run(ctx.on.relation_changed(relation, remote_unit=0), state)

    assert state.unit_status == testing.BlockedStatus(
        f"cannot save etcd credentials in {tmp_path}: "
        f"cannot replace a directory with a credential file: {tmp_path / 'client.key'}"
    )
    # The library checks every target before it replaces any.
    assert sorted(path.name for path in tmp_path.iterdir()) == ["client.key"]


def test_client_ignores_malformed_data_and_keeps_waiting():
    ctx = context("client")
    relation = client_relation(published("not a url"))

    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    )

    assert state.unit_status == testing.WaitingStatus("waiting for etcd")


def test_client_stays_available_and_silent_while_one_of_two_etcd_units_departs(tmp_path: Path):
    # A charm root of our own: where this run fails (see above), it leaves nothing behind.
    charm_root = tmp_path / "charm"
    charm_root.mkdir()
    ctx = context("client", charm_root=charm_root)
    both = client_relation(tls_published(), tls_published())
    config = {"etcd-credentials-dir": str(tmp_path / "credentials")}
    state = ctx.run(
        ctx.on.relation_changed(both, remote_unit=1),
        testing.State(relations=[both], config=config),
    )
    # etcd/0 departs: like Juju's relation-list, the relation no longer lists it.
    one_left = dataclasses.replace(both, remote_units_data={1: tls_published()})
    state = dataclasses.replace(state, relations=[one_left])
    seen = len(ctx.emitted_events)

    state = ctx.run(ctx.on.relation_departed(one_left, remote_unit=0, departing_unit=0), state)

    library_events = [e for e in ctx.emitted_events[seen:] if not isinstance(e, ops.HookEvent)]
    assert library_events == []
    assert state.unit_status == testing.ActiveStatus(f"etcd 3.5.16 at {CONNECTION_STRING} (TLS)")
