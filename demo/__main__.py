# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""`make demo`: tell each interface's story, end to end, without a Juju controller."""

from __future__ import annotations

from demo.etcd import EtcdStory
from demo.http import HttpStory
from demo.innodb_cluster import InnodbClusterStory
from demo.kafka import KafkaStory
from demo.runner import main
from demo.story import Story

# One story per interface library, zookeeper's told with kafka's, which forwards it; a new
# library adds its story here.
STORIES: tuple[Story, ...] = (EtcdStory(), KafkaStory(), HttpStory(), InnodbClusterStory())

if __name__ == "__main__":
    raise SystemExit(main(STORIES))
