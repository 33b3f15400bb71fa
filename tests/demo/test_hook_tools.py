# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The fake `leader-get` and `leader-set` tools, called as a charm calls them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from demo import hook_tools


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tools on the PATH, as the leader's, over an empty settings directory."""
    hook_tools.install(tmp_path / "bin")
    directory = tmp_path / "settings"
    hook_tools.write_settings(directory, {})
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv(hook_tools.SETTINGS_ENV, str(directory))
    return directory


def tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603


def test_a_key_set_is_read_back_and_an_empty_value_unsets_it(settings: Path):
    assert tool("leader-set", "password=s3 cr=t", "mark=True").returncode == 0
    assert tool("leader-get", "password").stdout == "s3 cr=t\n"
    assert tool("leader-set", "mark=").returncode == 0
    assert tool("leader-get", "mark").stdout == ""
    assert hook_tools.read_settings(settings) == {"password": "s3 cr=t"}


def test_the_json_form_quotes_one_value_or_gives_every_setting(settings: Path):
    hook_tools.write_settings(settings, {"a": 'say "hi"', "b": "2"})
    assert json.loads(tool("leader-get", "--format=json", "a").stdout) == 'say "hi"'
    assert json.loads(tool("leader-get", "--format=json", "unset").stdout) is None
    assert json.loads(tool("leader-get", "--format=json").stdout) == {"a": 'say "hi"', "b": "2"}


def test_without_a_key_the_text_form_lists_every_setting(settings: Path):
    hook_tools.write_settings(settings, {"a": "1", "b": "2"})
    assert tool("leader-get").stdout == "a: 1\nb: 2\n"


@pytest.mark.parametrize("arg", ["novalue", "=x", "../escape=x", "a/b=x"])
def test_a_malformed_setting_is_refused_and_nothing_written(settings: Path, arg: str):
    refused = tool("leader-set", "valid=1", arg)
    assert refused.returncode == 2
    assert refused.stderr.startswith("ERROR ")
    assert hook_tools.read_settings(settings) == {}
    assert not (settings.parent / "escape").exists()


def test_a_unit_that_is_not_the_leader_cannot_set(settings: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(hook_tools.LEADER_ENV, "false")
    refused = tool("leader-set", "a=1")
    assert refused.returncode == 1
    assert "not the leader" in refused.stderr
    assert hook_tools.read_settings(settings) == {}
