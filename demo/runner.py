# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""Plays stories one after the other, each on a fresh deployment in a temporary directory."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from demo.story import ExpectationFailedError, Stage, Story
from demo.transcript import Masker, Transcript


def play(story: Story, out: TextIO) -> bool:
    """Play one story, printing its transcript; False if one of its expectations failed."""
    transcript = Transcript(out, Masker(story.secret_keys))
    transcript.title(story.title)
    with tempfile.TemporaryDirectory(prefix="legacy-interfaces-demo-") as workdir:
        stage = Stage(transcript, Path(workdir))
        try:
            summary = story.play(stage)
        except ExpectationFailedError as failure:
            transcript.failure(str(failure))
            return False
    transcript.summary(summary)
    return True


def main(stories: Iterable[Story], out: TextIO = sys.stdout) -> int:
    """Play the stories; the exit status is 0 only if every one went as it expects."""
    for story in stories:
        if not play(story, out):
            return 1
        print(file=out)
    return 0
