# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The demo charm's config options, typed; every interface module reads what it needs."""

from __future__ import annotations

import dataclasses

import ops

DEFAULT_CREDENTIALS_DIR = "/var/lib/legacy-interfaces-demo/etcd"
DEFAULT_BACKENDS_DIR = "/var/lib/legacy-interfaces-demo/reverseproxy"
DEFAULT_CLUSTER_DIR = "/var/lib/legacy-interfaces-demo/cluster"


class ProviderConfigError(ValueError):
    """A provider's config cannot be published; the message is fit for a Blocked status."""


@dataclasses.dataclass(frozen=True)
class DemoConfig:
    """The charm's config options; `load_config` turns dashes in their names to underscores."""

    etcd_connection_string: str = ""
    etcd_version: str = ""
    etcd_tls_secret: ops.Secret | None = None
    etcd_credentials_dir: str = DEFAULT_CREDENTIALS_DIR
    # Ports are None while unset: Juju leaves an option without a default out of the config.
    zookeeper_port: int | None = None
    zookeeper_rest_port: int | None = None
    kafka_port: int | None = None
    website_port: int | None = None
    website_vips: str = ""
    reverseproxy_config_dir: str = DEFAULT_BACKENDS_DIR
    cluster_password_secret: ops.Secret | None = None
    cluster_dir: str = DEFAULT_CLUSTER_DIR
