# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The etcd story: a proxy for an external etcd cluster serves a client, through the library.

Both applications run the demo charm: `etcd` uses its `db` endpoint (`EtcdProvides`) and is
configured with the external cluster's connection string, version and a TLS user secret;
`client` uses its `etcd` endpoint (`EtcdRequires`) and saves the credentials it receives.

A last chapter refreshes a client from the legacy reactive charm: the application `legacy` is
related to etcd while it runs a stand-in for the reactive charm, then `juju refresh` gives it
the demo charm, which finds the relation established and its own stored state empty.
"""

from __future__ import annotations

import functools
import stat
from pathlib import Path

import ops

from charm import NOTHING_TO_DO, LegacyInterfacesDemoCharm
from charms.etcd.v0.etcd import EtcdAvailable, credentials_for_testing
from demo import story
from demo.deployment import Application, Endpoint, HookRun, Integration, Unit, load_charmcraft_yaml
from demo.story import Lifecycle, Stage, Story, expect, expect_status
from etcd_roles import CLIENT_CA_FILE, CLIENT_CERT_FILE, CLIENT_KEY_FILE

# The demo charm's units are mysql-innodb-cluster peers too, whose events are the
# innodb-cluster story's to check: this story checks the etcd library's events.
LIBRARIES = ("charms.etcd.v0.etcd",)
fired_on = functools.partial(story.fired_on, libraries=LIBRARIES)
expect_fired = functools.partial(story.expect_fired, libraries=LIBRARIES)

CONNECTION_STRING = "https://10.20.0.11:2379,https://10.20.0.12:2379"
ETCD_VERSION = "3.5.16"
TLS_ACTIVE = f"etcd {ETCD_VERSION} at {CONNECTION_STRING} (TLS)"

# Made-up PEM of the usual sizes, from the library's test helper: the library checks the PEM
# structure, not the key.
_CREDENTIALS = credentials_for_testing("demo")
CLIENT_KEY = _CREDENTIALS.client_key
CLIENT_CERT = _CREDENTIALS.client_cert
CLIENT_CA = _CREDENTIALS.client_ca
# The file names the charm saves under, in the order the library takes them: key, cert, CA.
CREDENTIAL_FILES = (CLIENT_KEY_FILE, CLIENT_CERT_FILE, CLIENT_CA_FILE)
# The modes the library gives them: only the owner may read the key; the certificates are
# public, so a workload running as another user can read them, as with the legacy layer.
EXPECTED_MODES = {CLIENT_KEY_FILE: 0o600, CLIENT_CERT_FILE: 0o644, CLIENT_CA_FILE: 0o644}
MODES_IN_WORDS = "key 0600, certificates 0644"


def expected_files() -> dict[str, str]:
    """What each saved file must hold: the library's wire keys map to the charm's file names.

    Read when called, so that a test that replaces a credential changes what is expected.
    """
    return dict(zip(CREDENTIAL_FILES, (CLIENT_KEY, CLIENT_CERT, CLIENT_CA), strict=True))


class ReactiveClientStandIn(ops.CharmBase):
    """What the simulator can run of the legacy reactive etcd client: nothing at all.

    Reactive code cannot run under ops.testing, and needs not: on an etcd relation the client
    side of interface-etcd writes nothing, and the flags it sets live in charmhelpers' key-value
    store, which ops never reads. So a stand-in that handles no hook leaves the relation as
    the reactive charm would; it is deployed with the demo charm's metadata (the same
    endpoint), which the refresh keeps.
    """


class EtcdStory(Story):
    """Relate, publish, save credentials, scale out and in, break; refresh a reactive client.

    The last chapter relates a client while it runs the reactive charm, then refreshes it to
    the demo charm, which announces in upgrade-charm what the relation already offers.
    """

    title = "etcd: a proxy for an external etcd cluster (app etcd) and a client (app client)"

    # Steps 1-6: relate, publish, scale out, a unit leaves, unrelate; then the refresh chapter.
    lifecycles = (Lifecycle("etcd", "charms.etcd.v0.etcd", steps=6),)

    def play(self, stage: Stage) -> str:
        """Tell the story; return its summary."""
        etcd, client = self._deploy(stage)
        integration = self._relate(stage, etcd, client)
        self._publish(stage, etcd, client)
        self._add_etcd_unit(stage, etcd, client, integration)
        self._remove_etcd_unit(stage, etcd, client)
        self._remove_relation(stage, integration, etcd, client)
        reactive = self._relate_reactive_client(stage, etcd)
        self._refresh_reactive_client(stage, reactive)
        return self._finish(stage, client, reactive)

    def _deploy(self, stage: Stage) -> tuple[Application, Application]:
        stage.step("deploy the demo charm twice: as etcd, and as client")
        deployment = stage.deployment
        deployment.deploy("etcd", LegacyInterfacesDemoCharm)
        credentials_dir = stage.workdir / "client" / "etcd"
        deployment.deploy(
            "client",
            LegacyInterfacesDemoCharm,
            config={"etcd-credentials-dir": str(credentials_dir)},
        )
        etcd, client = deployment.apps["etcd"], deployment.apps["client"]
        expect_status(_first(client), "blocked", NOTHING_TO_DO)
        return etcd, client

    def _relate(self, stage: Stage, etcd: Application, client: Application) -> Integration:
        stage.step("relate etcd:db to client:etcd")
        runs = stage.deployment.integrate(Endpoint(etcd, "db"), Endpoint(client, "etcd"), "etcd")
        expect_fired(runs, _first(etcd), ["EtcdClientConnected"])
        expect_fired(runs, _first(client), ["EtcdConnected"])
        # Related, but etcd has not been told where the cluster is: nothing to read yet.
        expect_status(_first(client), "waiting", "waiting for etcd")
        return stage.deployment.integrations[-1]

    def _publish(self, stage: Stage, etcd: Application, client: Application) -> None:
        stage.step("configure etcd: it publishes; the client becomes available, saves credentials")
        stage.transcript.note(
            "juju add-secret etcd-tls client-key=... client-cert=... client-ca=...; "
            "juju grant-secret etcd-tls etcd"
        )
        secret_id = stage.deployment.add_secret(
            {"client-key": CLIENT_KEY, "client-cert": CLIENT_CERT, "client-ca": CLIENT_CA},
            grant_to=[etcd],
        )
        stage.transcript.note(
            f"juju config etcd etcd-connection-string={CONNECTION_STRING} "
            f"etcd-version={ETCD_VERSION} etcd-tls-secret={secret_id}"
        )
        runs = stage.deployment.config(
            etcd,
            {
                "etcd-connection-string": CONNECTION_STRING,
                "etcd-version": ETCD_VERSION,
                "etcd-tls-secret": secret_id,
            },
        )
        unit = _first(client)
        expect_fired(runs, unit, ["EtcdAvailable", "EtcdTlsAvailable"])
        expect_available_payload(runs, unit)
        expect_status(unit, "active", TLS_ACTIVE)
        paths = credential_paths(client)
        expect_credentials_saved(paths)
        names = ", ".join(path.name for path in paths)
        stage.transcript.note(f"client/0 saved {names} in etcd-credentials-dir ({MODES_IN_WORDS})")

    def _add_etcd_unit(
        self, stage: Stage, etcd: Application, client: Application, integration: Integration
    ) -> None:
        stage.step("add a second etcd unit")
        runs = stage.deployment.add_unit(etcd)
        new_unit = etcd.units[max(etcd.units)]
        expect_fired(runs, new_unit, ["EtcdClientConnected"])
        client_unit = _first(client)
        seen = sorted(client_unit.remote_databags(integration))
        expect(seen == [0, 1], f"client/0 should see etcd/0 and etcd/1 in the relation: {seen}")
        # The new unit publishes exactly what etcd/0 does, so nothing changed for the client.
        expect_fired(runs, client_unit, [])
        stage.transcript.note("etcd/1 publishes the same data as etcd/0: no event on the client")

    def _remove_etcd_unit(self, stage: Stage, etcd: Application, client: Application) -> None:
        stage.step("remove etcd/0")
        leaving = _first(etcd)
        runs = stage.deployment.remove_unit(leaving)
        expect_fired(runs, leaving, ["EtcdClientDisconnected"])
        # etcd/1 still publishes everything, so the client stays available, silently.
        expect_fired(runs, _first(client), [])
        expect_status(_first(client), "active", TLS_ACTIVE)
        stage.transcript.note("client/0 now reads the same data from etcd/1: no event")

    def _remove_relation(
        self, stage: Stage, integration: Integration, etcd: Application, client: Application
    ) -> None:
        stage.step("remove the relation")
        runs = stage.deployment.remove_integration(integration)
        expect_fired(runs, _first(etcd), ["EtcdClientDisconnected"])
        expect_fired(
            runs, _first(client), ["EtcdTlsUnavailable", "EtcdUnavailable", "EtcdDisconnected"]
        )
        expect_status(_first(client), "blocked", NOTHING_TO_DO)

    def _relate_reactive_client(self, stage: Stage, etcd: Application) -> Application:
        stage.step("refresh from the reactive charm: relate etcd:db to a client running it")
        stage.transcript.note(
            "app legacy runs the reactive charm, played by a stand-in that handles no hook: "
            "interface-etcd's client side writes nothing on the relation"
        )
        deployment = stage.deployment
        deployment.deploy(
            "legacy",
            ReactiveClientStandIn,
            config={"etcd-credentials-dir": str(stage.workdir / "legacy" / "etcd")},
            # The reactive charm declares the same endpoint as the charm it is refreshed to.
            charmcraft_yaml=load_charmcraft_yaml(LegacyInterfacesDemoCharm),
        )
        reactive = deployment.apps["legacy"]
        runs = deployment.integrate(Endpoint(etcd, "db"), Endpoint(reactive, "etcd"), "etcd")
        expect_fired(runs, _first(etcd), ["EtcdClientConnected"])
        unit = _first(reactive)
        data = unit.remote_databags(deployment.integrations[-1])
        expect(
            [bag.get("connection_string") for bag in data.values()] == [CONNECTION_STRING],
            f"{unit.name} should hold etcd/1's legacy data on the relation: {data}",
        )
        return reactive

    def _refresh_reactive_client(self, stage: Stage, reactive: Application) -> None:
        stage.step("juju refresh legacy to the demo charm (ops)")
        stage.transcript.note(
            "the relation is established and holds etcd's data, but the ops charm finds no "
            "stored state: the library announces in upgrade-charm what already holds"
        )
        runs = stage.deployment.refresh(
            reactive, LegacyInterfacesDemoCharm, keep_stored_state=False
        )
        unit = _first(reactive)
        expected = ["EtcdConnected", "EtcdAvailable", "EtcdTlsAvailable"]
        expect_fired(runs, unit, expected)
        upgrade = [run.fired for run in runs if run.hook.kind == "upgrade-charm"]
        expect(upgrade == [expected], f"{unit.name} should see {expected} in upgrade-charm")
        expect_available_payload(runs, unit)
        expect_status(unit, "active", TLS_ACTIVE)
        expect_credentials_saved(credential_paths(reactive))
        stage.transcript.note(f"{unit.name} saved the credentials in upgrade-charm")

    def _finish(self, stage: Stage, client: Application, reactive: Application) -> str:
        saved = 0
        for app in (client, reactive):
            paths = credential_paths(app)
            stage.transcript.files(
                f"Credential files saved by {_first(app).name} "
                "(under the demo's temporary directory):",
                stage.workdir,
                paths,
            )
            expect_credentials_saved(paths)
            saved += len(paths)
        expect(
            not any(line in stage.transcript.text for line in pem_body(CLIENT_KEY)),
            "the transcript must never show the private key",
        )
        client_events = " > ".join(fired_on(stage.runs, _first(client)))
        refreshed = " > ".join(fired_on(stage.runs, _first(reactive)))
        return (
            f"etcd: OK - {len(stage.runs)} hooks run; client/0 saw {client_events}; "
            f"legacy/0 saw {refreshed} when refreshed; {saved} credential files "
            f"saved ({MODES_IN_WORDS}); no secret printed"
        )


def credential_paths(client: Application) -> list[Path]:
    """Where the client saves the credentials, per its `etcd-credentials-dir` config."""
    directory = Path(str(client.config["etcd-credentials-dir"]))
    return [directory / name for name in CREDENTIAL_FILES]


def expect_available_payload(runs: list[HookRun], unit: Unit) -> None:
    """Check that the client's `EtcdAvailable` carried the published connection and version."""
    payload = [
        (event.connection_string, event.version)
        for run in runs
        if run.unit is unit
        for event in run.events
        if isinstance(event, EtcdAvailable)
    ]
    expect(
        payload == [(CONNECTION_STRING, ETCD_VERSION)],
        f"EtcdAvailable should carry {CONNECTION_STRING} and {ETCD_VERSION}: {payload}",
    )


def expect_credentials_saved(paths: list[Path]) -> None:
    """Check each credential file holds the published PEM, with the mode the library gives it."""
    expected = expected_files()
    for path in paths:
        expect(path.is_file(), f"{path.name} should have been saved")
        mode = stat.S_IMODE(path.stat().st_mode)
        wanted = EXPECTED_MODES[path.name]
        expect(mode == wanted, f"{path.name} should have mode {wanted:04o}, has {mode:04o}")
        expect(path.read_text() == expected[path.name], f"{path.name} content differs")


def pem_body(pem: str) -> list[str]:
    """The base64 lines of PEM text: what must never be printed for a private key."""
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


def _first(app: Application) -> Unit:
    """The application's lowest-numbered unit."""
    return app.units[min(app.units)]
