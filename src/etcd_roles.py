# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The demo charm's etcd behaviour, on both sides of the `etcd` interface.

Provider side (endpoint `db`): the charm is a proxy for an externally managed etcd cluster.
It publishes the connection string and version from its config, and the client TLS
credentials from a Juju user secret named in its config.

Client side (endpoint `etcd`): the charm saves the client credentials that an etcd charm
publishes into a directory named in its config, and reports in its status which etcd it is
connected to. It is written in the holistic style: the handlers ignore the library events'
payloads and reconcile from one typed read of what the endpoint offers now
(`EtcdRequires.read()`), so a late or deferred event can never act on withdrawn data.
"""

from __future__ import annotations

import logging
from pathlib import Path

import ops

from charm_config import DemoConfig, ProviderConfigError
from charms.etcd.v0.etcd import (
    EtcdClientTls,
    EtcdCluster,
    EtcdProvides,
    EtcdRequires,
    EtcdTlsAvailable,
)

logger = logging.getLogger(__name__)

# Names of the saved credential files, in the order save_client_credentials() takes them.
CLIENT_KEY_FILE = "client.key"
CLIENT_CERT_FILE = "client.crt"
CLIENT_CA_FILE = "ca.crt"

# The content keys of the `etcd-tls-secret` user secret. Juju secret keys cannot contain
# underscores, so these are the wire keys (`client_key`, ...) spelled with dashes.
TLS_SECRET_KEYS = ("client-key", "client-cert", "client-ca")


class EtcdRoles(ops.Object):
    """Plays both roles of the etcd interface: proxy for an external etcd, and etcd client."""

    # Problems found while handling one hook must show in the status of every later hook
    # until fixed, so they are kept here rather than recomputed (recomputing the provider's
    # would mean publishing again, and the client's would mean writing the files again).
    _stored = ops.StoredState()

    def __init__(self, charm: ops.CharmBase, etcd: EtcdRequires, etcd_server: EtcdProvides):
        super().__init__(charm, "etcd-roles")
        self._charm = charm
        self._stored.set_default(provider_problem="", credentials_problem="")
        self.etcd = etcd
        self.etcd_server = etcd_server
        self.framework.observe(charm.on.config_changed, self._on_config_changed)
        # A user who rotates the TLS secret creates a new revision: publish it.
        self.framework.observe(charm.on.secret_changed, self._on_secret_changed)
        # The credentials arrived or changed: in a relation hook, or in upgrade-charm after a
        # refresh from the reactive charm, when the library announces what already holds.
        self.framework.observe(self.etcd.on.tls_available, self._on_etcd_tls_available)

    @property
    def config(self) -> DemoConfig:
        """The current config, typed."""
        return self._charm.load_config(DemoConfig)

    @property
    def credentials_dir(self) -> Path:
        """Where the client credentials received on the `etcd` endpoint are saved."""
        return Path(self.config.etcd_credentials_dir)

    def credential_paths(self) -> tuple[Path, Path, Path]:
        """The key, certificate and CA file paths, in the order the library takes them."""
        directory = self.credentials_dir
        return (
            directory / CLIENT_KEY_FILE,
            directory / CLIENT_CERT_FILE,
            directory / CLIENT_CA_FILE,
        )

    def statuses(self) -> list[ops.StatusBase]:
        """The unit statuses of each role the unit plays; none when it plays neither."""
        return [status for status in (self._client_status(), self._provider_status()) if status]

    # --- Event handlers ----------------------------------------------------------------------

    def _on_config_changed(self, _: ops.ConfigChangedEvent) -> None:
        self._configure_provider()
        # The credentials directory may have moved: save the credentials there too.
        self._reconcile_client()

    def _on_secret_changed(self, _: ops.SecretChangedEvent) -> None:
        # Publishing again is harmless when the changed secret is some other one, and simpler
        # than working out which secret the config names.
        self._configure_provider()

    def _on_etcd_tls_available(self, _: EtcdTlsAvailable) -> None:
        # Not the event's payload: what etcd publishes now (see _reconcile_client).
        self._reconcile_client()

    # --- Provider role: a proxy for an external etcd cluster ---------------------------------

    def _configure_provider(self) -> None:
        """Publish the provider config, then remember what was published, or why it was not."""
        config = self.config
        try:
            self._publish_etcd_cluster(config)
        except ProviderConfigError as error:
            self._stored.provider_problem = str(error)
            return
        self._stored.provider_problem = ""

    def _publish_etcd_cluster(self, config: DemoConfig) -> None:
        """Publish the external cluster's connection string, version and TLS credentials.

        Raises:
            ProviderConfigError: the config is incomplete or invalid; the message holds no
                secret value (the library's messages never do).
        """
        if not config.etcd_connection_string:
            if config.etcd_version or config.etcd_tls_secret:
                raise ProviderConfigError("etcd-connection-string is required to publish etcd")
            # Not, or no longer, a provider: withdraw whatever an earlier config published.
            self.etcd_server.clear_client_credentials()
            self.etcd_server.clear_connection_string()
            return
        # Credentials first: if they are rejected, nothing at all is published, rather than a
        # cluster that clients would find without the credentials they need to reach it.
        if config.etcd_tls_secret is not None:
            key, cert, ca = self._read_tls_secret(config.etcd_tls_secret)
            try:
                self.etcd_server.set_client_credentials(key, cert, ca)
            except ValueError as error:
                raise ProviderConfigError(f"invalid etcd-tls-secret: {error}") from None
        else:
            self.etcd_server.clear_client_credentials()
        try:
            self.etcd_server.set_connection_string(
                config.etcd_connection_string, config.etcd_version or None
            )
        except ValueError as error:
            raise ProviderConfigError(f"invalid etcd config: {error}") from None

    def _read_tls_secret(self, secret: ops.Secret) -> tuple[str, str, str]:
        """The key, certificate and CA PEMs held in the user secret, latest revision."""
        try:
            content = secret.get_content(refresh=True)
        except ops.ModelError:  # also SecretNotFoundError: Juju reports both the same way
            raise ProviderConfigError(
                "cannot read etcd-tls-secret: not found, or not granted to this application"
            ) from None
        missing = [key for key in TLS_SECRET_KEYS if not content.get(key)]
        if missing:
            raise ProviderConfigError(f"etcd-tls-secret lacks {', '.join(missing)}")
        key, cert, ca = (content[key] for key in TLS_SECRET_KEYS)
        return key, cert, ca

    def _provider_status(self) -> ops.StatusBase | None:
        if self._stored.provider_problem:
            return ops.BlockedStatus(self._stored.provider_problem)
        # What was published, not what the config says: a new unit has its config before its
        # first config-changed hook publishes it.
        published = self.etcd_server.published()
        if published.cluster is None:
            return None  # not an etcd provider
        tls = " (TLS)" if published.tls else ""
        return ops.ActiveStatus(f"proxying {_describe(published.cluster)}{tls}")

    # --- Client role: an etcd client -----------------------------------------------------------

    def _reconcile_client(self) -> None:
        """Save the credentials etcd publishes now, if it publishes all three.

        Safe in any hook and under deferral: it reads the endpoint's current offer, never an
        event's payload, which may be stale or withdrawn since. Files saved earlier are kept
        when etcd stops publishing credentials, as the legacy layer kept them.
        """
        tls = self.etcd.read().tls
        if tls is not None:
            self._save_etcd_credentials(tls)

    def _save_etcd_credentials(self, tls: EtcdClientTls) -> None:
        """Save the published credentials, or remember why they could not be saved."""
        if not self.credentials_dir.is_absolute():
            self._stored.credentials_problem = "etcd-credentials-dir must be an absolute path"
            return
        try:
            self.etcd.save_client_credentials(*self.credential_paths(), tls=tls)
        except OSError as error:
            # The file name and the reason are enough; the error holds no file content.
            logger.error("cannot save the etcd client credentials: %s", error)
            self._stored.credentials_problem = (
                f"cannot save etcd credentials in {self.credentials_dir}: {error.strerror}"
            )
        except ValueError as error:  # a target is a directory; checked before any write
            logger.error("cannot save the etcd client credentials: %s", error)
            self._stored.credentials_problem = (
                f"cannot save etcd credentials in {self.credentials_dir}: {error}"
            )
        else:
            self._stored.credentials_problem = ""

    def _client_status(self) -> ops.StatusBase | None:
        if not self.etcd.relations:
            return None  # not an etcd client
        offer = self.etcd.read()
        if offer.cluster is None:
            return ops.WaitingStatus("waiting for etcd")
        if offer.tls is None:
            return ops.ActiveStatus(f"{_describe(offer.cluster)} (no TLS)")
        if self._stored.credentials_problem:
            return ops.BlockedStatus(self._stored.credentials_problem)
        return ops.ActiveStatus(f"{_describe(offer.cluster)} (TLS)")


def _describe(cluster: EtcdCluster) -> str:
    """An etcd cluster in a few words, such as `etcd 3.5.16 at https://10.0.0.5:2379`."""
    # Legacy clients take a missing version for etcd 2.x.
    return f"etcd {cluster.version or '2.x'} at {cluster.connection_string}"
