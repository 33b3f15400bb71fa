# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The demo charm's mysql-innodb-cluster behaviour: its units are the peers of one cluster.

The charm stands for a unit of a MySQL InnoDB cluster whose workload is simulated: no MySQL
runs, and what the charm would do to its instance it writes down in files. A unit takes part
once `cluster-password-secret` names the Juju user secret holding the cluster password
(under `password`); until then it sends nothing on its peer endpoint, `cluster`, and has no
cluster status. Unsetting it later does not take the unit out of the cluster: removing the
unit does.

The handshake is the reactive mysql-innodb-cluster charm's, through the library:

- each unit sends its cluster address (its bind address on the peer endpoint), the user
  `clusteruser` and the password;
- once every peer has sent its own (`available`), the unit creates each peer's cluster user,
  which it writes down in `cluster-users` as `'clusteruser'@'<address>'`, never with a
  password, then says so (`set_unit_configure_ready()`);
- the leader adds the instance of each peer that says so (`peer_configure_ready`), having
  created the cluster on its own instance the first time. It writes the instances down in
  `cluster-instances`, one address per line, and marks each in the peer relation's
  application databag under the legacy leader-settings key for it,
  `cluster-instance-clustered-<address>` (`cluster_instance_clustered_key`), set to `true`:
  the application databag is to an `ops` charm what leader settings were to a reactive one;
- a unit sends `unit-clustered` once its instance is in the cluster: the leader when it
  creates the cluster, the others when they find their key in the application databag (the
  leader's write causes relation-changed on them);
- a unit that leaves withdraws its credentials in its relation-departed hook, and keeps its
  address, which the leader, told by `peer_departed`, removes from the cluster;
- a new leader takes the cluster over: it writes its `cluster-instances` from the marks.

The files are in `cluster-dir`, in a directory named after the unit (`mysql-0`), so that
units sharing a filesystem, as the demo's do, keep apart.

A reactive unit reads its key with `leader-get`, not in the application databag, so an `ops`
leader of a cluster that still has reactive units would `leader-set` the keys too; the demo
cannot show it (ops.testing has no leader settings), and its reactive unit had clustered
before the `ops` units came.
"""

from __future__ import annotations

import logging
from pathlib import Path

import ops

from charm_config import DemoConfig, ProviderConfigError
from charms.innodb_cluster.v0.innodb_cluster import (
    ClusterAvailable,
    ClusterPeerConfigureReady,
    ClusterPeerDeparted,
    InnodbClusterPeers,
    cluster_instance_clustered_key,
)

logger = logging.getLogger(__name__)

# The peer endpoint InnodbClusterPeers uses by default, as the charm creates it.
CLUSTER_ENDPOINT = "cluster"
# The user each unit creates on its instance for each of its peers, as the reactive charm did.
CLUSTER_USER = "clusteruser"
# The key of the cluster password in the `cluster-password-secret` user secret.
PASSWORD_KEY = "password"  # noqa: S105 - a key name, not a password
# What each unit writes down in its directory under `cluster-dir`.
USERS_FILE = "cluster-users"
INSTANCES_FILE = "cluster-instances"
# The value of an instance's mark in the application databag.
MARKED = "true"


class InnodbClusterRoles(ops.Object):
    """Plays a unit of a MySQL InnoDB cluster, every unit a peer, the leader adding instances."""

    # Problems found while handling one hook must show in the status of every later hook
    # until fixed; recomputing them would mean sending, or writing the files, again.
    _stored = ops.StoredState()

    def __init__(self, charm: ops.CharmBase, cluster: InnodbClusterPeers):
        super().__init__(charm, "innodb-cluster-roles")
        self._charm = charm
        self._stored.set_default(credentials_problem="", files_problem="")
        self.cluster = cluster
        # Send, or send again: the password may be set or rotated (a new revision of the
        # secret), the address may move (Juju runs config-changed then), and a unit refreshed
        # from the reactive charm takes its databag over in its first hook.
        for event in (charm.on.config_changed, charm.on.secret_changed, charm.on.upgrade_charm):
            self.framework.observe(event, self._on_config_or_charm_changed)
        self.framework.observe(cluster.on.available, self._on_available)
        self.framework.observe(cluster.on.peer_configure_ready, self._on_peer_configure_ready)
        self.framework.observe(cluster.on.peer_departed, self._on_peer_departed)
        peer_events = charm.on[CLUSTER_ENDPOINT]
        # The leader marks an instance it added in the application databag: relation-changed.
        self.framework.observe(peer_events.relation_changed, self._on_cluster_changed)
        self.framework.observe(peer_events.relation_departed, self._on_cluster_departed)
        self.framework.observe(charm.on.leader_elected, self._on_leader_elected)

    @property
    def config(self) -> DemoConfig:
        """The current config, typed."""
        return self._charm.load_config(DemoConfig)

    @property
    def unit_dir(self) -> Path:
        """Where this unit writes down what it did to its instance."""
        return Path(self.config.cluster_dir) / self._charm.unit.name.replace("/", "-")

    def is_member(self) -> bool:
        """Whether this unit takes part in a cluster: it was given the cluster password."""
        return self.config.cluster_password_secret is not None

    def statuses(self) -> list[ops.StatusBase]:
        """The unit status of its part in the cluster; none when it takes no part."""
        status = self._cluster_status()
        return [status] if status else []

    # --- Event handlers ----------------------------------------------------------------------

    def _on_config_or_charm_changed(self, _: ops.EventBase) -> None:
        secret = self.config.cluster_password_secret
        if secret is None:
            self._stored.credentials_problem = ""
            return  # takes no part in a cluster
        try:
            self._send_connection_info(secret)
        except ProviderConfigError as error:
            self._stored.credentials_problem = str(error)
        else:
            self._stored.credentials_problem = ""
        # A unit refreshed from the reactive charm may find its instance added already.
        self._send_clustered_once_added()

    def _on_available(self, _: ClusterAvailable) -> None:
        # Not the event's payload, which holds no password: what the peers send now.
        if self.is_member() and self._create_cluster_users():
            self.cluster.set_unit_configure_ready()

    def _on_peer_configure_ready(self, event: ClusterPeerConfigureReady) -> None:
        if not self.is_member() or not self._charm.unit.is_leader():
            return
        if self._own_address() is None:
            # The cluster is created on this unit's instance, whose address it sends once it
            # can read the password: the library tells of each ready peer once, so wait.
            event.defer()
            return
        self._add_instance(event.cluster_address)

    def _on_peer_departed(self, event: ClusterPeerDeparted) -> None:
        # Never on the unit that leaves itself: its peers stay in the cluster.
        if self.is_member() and self._charm.unit.is_leader() and event.cluster_address:
            self._remove_instance(event.cluster_address)

    def _on_cluster_changed(self, _: ops.RelationChangedEvent) -> None:
        self._send_clustered_once_added()

    def _on_cluster_departed(self, event: ops.RelationDepartedEvent) -> None:
        if self.is_member() and event.departing_unit == self._charm.unit:
            # Leaving: its peers must not keep a way in, but the leader still needs the
            # address, to remove the instance.
            self.cluster.withdraw_cluster_credentials()

    def _on_leader_elected(self, _: ops.LeaderElectedEvent) -> None:
        instances = self._marked_instances()
        if self.is_member() and instances:
            self._write_instances(instances)

    # --- Every unit: send its credentials, create its peers' users ---------------------------

    def _send_connection_info(self, secret: ops.Secret) -> None:
        """Send this unit's cluster address, user and the password the secret holds.

        Raises:
            ProviderConfigError: the password cannot be read or is invalid, or the unit has
                no address; nothing was sent. The message holds no password (the library's
                messages never do).
        """
        password = self._read_password(secret)
        address = self._bind_address()
        try:
            self.cluster.set_cluster_connection_info(address, CLUSTER_USER, password)
        except ValueError as error:  # it names the field: the address or the password
            raise ProviderConfigError(f"cannot send the cluster credentials: {error}") from None

    def _read_password(self, secret: ops.Secret) -> str:
        """The cluster password held in the user secret, latest revision."""
        try:
            content = secret.get_content(refresh=True)
        except ops.ModelError:  # also SecretNotFoundError: Juju reports both the same way
            raise ProviderConfigError(
                "cannot read cluster-password-secret: not found, or not granted to this "
                "application"
            ) from None
        password = content.get(PASSWORD_KEY)
        if not password:
            raise ProviderConfigError(f"cluster-password-secret lacks {PASSWORD_KEY}")
        return password

    def _bind_address(self) -> str:
        """This unit's address on the peer endpoint, which its peers reach its instance at.

        A failing network-get raises ops.ModelError, which fails the hook for Juju to retry.

        Raises:
            ProviderConfigError: Juju gave no address for the endpoint.
        """
        address = self.model.get_binding(CLUSTER_ENDPOINT).network.bind_address
        if address is None:
            raise ProviderConfigError("cannot join a cluster: the cluster endpoint has no address")
        return str(address)

    def _create_cluster_users(self) -> bool:
        """Create the cluster user of each peer that sent its credentials; False if it failed.

        Simulated: each user is written down once, in the order created, as MySQL names an
        account. A real charm would `CREATE USER ... IDENTIFIED BY` the peer's password,
        which `read()` gives; the file never holds one.
        """
        path = self.unit_dir / USERS_FILE
        created = _lines(path)
        for peer in self.cluster.read().credentials:
            account = f"'{peer.cluster_user}'@'{peer.cluster_address}'"
            if account not in created:
                created.append(account)
        return self._write(path, created)

    def _send_clustered_once_added(self) -> None:
        """Send `unit-clustered` once the leader has marked this unit's instance as added."""
        if not self.is_member():
            return
        published = self.cluster.published()
        if published is None or published.clustered or published.cluster_address is None:
            return
        if published.cluster_address in self._marked_instances():
            self.cluster.set_unit_clustered()

    # --- The leader: add and remove instances ------------------------------------------------

    def _add_instance(self, address: str) -> None:
        """Add the instance at this address, creating the cluster on this unit's if need be."""
        own = self._own_address()
        if own is None:
            return  # not sent yet: the caller waits for it
        instances = self._marked_instances() or [own]  # the first instance creates it
        if address not in instances:
            instances.append(address)
        if not self._write_instances(instances):
            return
        self._mark(instances)
        self.cluster.set_unit_clustered()  # the cluster exists, and this unit is in it

    def _remove_instance(self, address: str) -> None:
        """Remove the departed peer's instance from the cluster."""
        instances = [instance for instance in self._marked_instances() if instance != address]
        if self._write_instances(instances):
            self._unmark(address)

    def _write_instances(self, instances: list[str]) -> bool:
        return self._write(self.unit_dir / INSTANCES_FILE, instances)

    def _marked_instances(self) -> list[str]:
        """The instances the leader marked as in the cluster: this unit's, then its peers'.

        Only the current units' count: a departed peer's instance is removed, or about to be.
        """
        databag = self._app_databag()
        if databag is None:
            return []
        own = self._own_address()
        addresses = [own] if own else []
        addresses += [
            address for peer in self.cluster.peers() if (address := peer.cluster_address)
        ]
        return [address for address in addresses if _is_marked(databag, address)]

    def _mark(self, instances: list[str]) -> None:
        databag = self._app_databag()
        if databag is not None:
            for address in instances:
                databag[cluster_instance_clustered_key(address)] = MARKED

    def _unmark(self, address: str) -> None:
        databag = self._app_databag()
        if databag is not None:
            databag.pop(cluster_instance_clustered_key(address), None)

    def _app_databag(self) -> ops.RelationDataContent | None:
        """The peer relation's application databag: every unit reads it, the leader writes."""
        relation = self.cluster.relation
        return None if relation is None else relation.data[self._charm.app]

    def _own_address(self) -> str | None:
        published = self.cluster.published()
        if published is None or published.cluster_address is None:
            return None
        return str(published.cluster_address)

    # --- Files and status --------------------------------------------------------------------

    def _write(self, path: Path, lines: list[str]) -> bool:
        """Replace the file with these lines, or remember why it could not be; False then."""
        if not path.is_absolute():
            self._stored.files_problem = "cluster-dir must be an absolute path"
            return False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _replace(path, "".join(f"{line}\n" for line in lines))
        except OSError as error:
            logger.error("cannot write down the cluster's %s: %s", path.name, error)
            self._stored.files_problem = (
                f"cannot write {path.name} in {path.parent}: {error.strerror}"
            )
            return False
        self._stored.files_problem = ""
        return True

    def _cluster_status(self) -> ops.StatusBase | None:
        if not self.is_member():
            return None  # takes no part in a cluster
        problem = self._stored.credentials_problem or self._stored.files_problem
        if problem:
            return ops.BlockedStatus(problem)
        view = self.cluster.read()
        minimum = self.cluster.minimum_cluster_size
        if not view.available:
            units = 1 + len(view.members)
            return ops.WaitingStatus(f"waiting for peers ({units} of {minimum} units)")
        published = self.cluster.published()
        if not view.clustered or published is None or not published.clustered:
            return ops.MaintenanceStatus("clustering")
        return ops.ActiveStatus(f"in a cluster of {1 + len(view.peers)} units")


def _is_marked(databag: ops.RelationDataContent, address: str) -> bool:
    return databag.get(cluster_instance_clustered_key(address)) == MARKED


def _lines(path: Path) -> list[str]:
    """The file's lines, or none if it is not there (or cannot be read)."""
    try:
        return path.read_text().splitlines()
    except OSError:
        return []


def _replace(path: Path, text: str) -> None:
    """Replace the file at once, so that a reader never finds half of it."""
    partial = path.with_name(f".{path.name}.new")
    partial.write_text(text)
    partial.replace(path)
