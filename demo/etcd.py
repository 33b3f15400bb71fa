# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The etcd story: a proxy for an external etcd cluster serves a client, through the library.

Both applications run the demo charm: `etcd` uses its `db` endpoint (`EtcdProvides`) and is
configured with the external cluster's connection string, version and a TLS user secret;
`client` uses its `etcd` endpoint (`EtcdRequires`) and saves the credentials it receives.
"""

from __future__ import annotations

import base64
import hashlib
import stat
from pathlib import Path

from charm import CLIENT_CA_FILE, CLIENT_CERT_FILE, CLIENT_KEY_FILE, LegacyInterfacesDemoCharm
from charms.etcd.v0.etcd import EtcdAvailable
from demo.deployment import Application, Endpoint, HookRun, Integration, Unit
from demo.story import Stage, Story, expect, expect_fired, expect_status, fired_on

CONNECTION_STRING = "https://10.20.0.11:2379,https://10.20.0.12:2379"
ETCD_VERSION = "3.5.16"
NOT_RELATED = "relate to etcd, or set etcd-connection-string"


def fake_pem(label: str, seed: str, lines: int = 8) -> str:
    """PEM-shaped text with a made-up body: the library checks only the PEM structure."""
    body = base64.b64encode(hashlib.shake_256(seed.encode()).digest(48 * lines)).decode()
    rows = [body[start : start + 64] for start in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *rows, f"-----END {label}-----", ""])


CLIENT_KEY = fake_pem("PRIVATE KEY", "demo etcd client key")
CLIENT_CERT = fake_pem("CERTIFICATE", "demo etcd client certificate")
CLIENT_CA = fake_pem("CERTIFICATE", "demo etcd CA", lines=6)
# What each saved file must hold: the library's wire keys map to the charm's file names.
EXPECTED_FILES = {
    CLIENT_KEY_FILE: CLIENT_KEY,
    CLIENT_CERT_FILE: CLIENT_CERT,
    CLIENT_CA_FILE: CLIENT_CA,
}


class EtcdStory(Story):
    """Relate, publish, become available and save credentials, scale out and in, break."""

    title = "etcd: a proxy for an external etcd cluster (app etcd) and a client (app client)"

    def play(self, stage: Stage) -> str:
        """Tell the story; return its summary."""
        etcd, client = self._deploy(stage)
        integration = self._relate(stage, etcd, client)
        self._publish(stage, etcd, client)
        self._add_etcd_unit(stage, etcd, client, integration)
        self._remove_etcd_unit(stage, etcd, client)
        self._remove_relation(stage, integration, etcd, client)
        return self._finish(stage, client)

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
        expect_status(_first(client), "blocked", NOT_RELATED)
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
        expect_status(unit, "active", f"etcd {ETCD_VERSION} at {CONNECTION_STRING} (TLS)")
        paths = credential_paths(client)
        expect_credentials_saved(paths)
        names = ", ".join(path.name for path in paths)
        stage.transcript.note(f"client/0 saved {names} in etcd-credentials-dir, each mode 0600")

    def _add_etcd_unit(
        self, stage: Stage, etcd: Application, client: Application, integration: Integration
    ) -> None:
        stage.step("add a second etcd unit")
        runs = stage.deployment.add_unit(etcd)
        new_unit = etcd.units[max(etcd.units)]
        expect_fired(runs, new_unit, ["EtcdClientConnected"])
        client_unit = _first(client)
        relation = client_unit.relation_state(integration)
        seen = sorted(relation.remote_units_data) if relation else []
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
        expect_status(
            _first(client), "active", f"etcd {ETCD_VERSION} at {CONNECTION_STRING} (TLS)"
        )
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
        expect_status(_first(client), "blocked", NOT_RELATED)

    def _finish(self, stage: Stage, client: Application) -> str:
        paths = credential_paths(client)
        stage.transcript.files(
            "Credential files saved by client/0 (under the demo's temporary directory):",
            stage.workdir,
            paths,
        )
        expect_credentials_saved(paths)
        expect(
            not any(line in stage.transcript.text for line in pem_body(CLIENT_KEY)),
            "the transcript must never show the private key",
        )
        client_events = " > ".join(fired_on(stage.runs, _first(client)))
        return (
            f"etcd: OK - {len(stage.runs)} hooks run; client/0 saw {client_events}; "
            f"{len(paths)} credential files saved with mode 0600; no secret printed"
        )


def credential_paths(client: Application) -> list[Path]:
    """Where the client saves the credentials, per its `etcd-credentials-dir` config."""
    directory = Path(str(client.config["etcd-credentials-dir"]))
    return [directory / name for name in EXPECTED_FILES]


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
    """Check each credential file holds the published PEM and only its owner can read it."""
    for path in paths:
        expect(path.is_file(), f"{path.name} should have been saved")
        mode = stat.S_IMODE(path.stat().st_mode)
        expect(mode == 0o600, f"{path.name} should have mode 0600, has {mode:04o}")
        expect(path.read_text() == EXPECTED_FILES[path.name], f"{path.name} content differs")


def pem_body(pem: str) -> list[str]:
    """The base64 lines of PEM text: what must never be printed for a private key."""
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


def _first(app: Application) -> Unit:
    """The application's lowest-numbered unit."""
    return app.units[min(app.units)]
