# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""Plays stories one after the other, each on a fresh deployment in a temporary directory."""

from __future__ import annotations

import dataclasses
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from demo.story import ExpectationFailedError, Stage, Step, Story
from demo.transcript import Masker, Transcript


@dataclasses.dataclass(frozen=True)
class Told:
    """A story told: whether it went as it expects, its transcript, and its steps' hooks."""

    story: Story
    passed: bool
    transcript: str
    steps: list[Step]


def tell(story: Story, out: TextIO) -> Told:
    """Play one story, printing its transcript; `passed` is False if an expectation failed."""
    transcript = Transcript(out, Masker(story.secret_keys))
    transcript.title(story.title)
    with tempfile.TemporaryDirectory(prefix="legacy-interfaces-demo-") as workdir:
        stage = Stage(transcript, Path(workdir))
        try:
            summary = story.play(stage)
        except ExpectationFailedError as failure:
            transcript.failure(str(failure))
            return Told(story, False, transcript.text, stage.steps)
    transcript.summary(summary)
    return Told(story, True, transcript.text, stage.steps)


def tell_all(stories: Iterable[Story], out: TextIO) -> list[Told]:
    """Tell the stories one after the other, stopping after the first that fails."""
    told: list[Told] = []
    for story in stories:
        told.append(tell(story, out))
        if not told[-1].passed:
            break
        print(file=out)
    return told


def main(stories: Iterable[Story], out: TextIO = sys.stdout) -> int:
    """Play the stories; the exit status is 0 only if every one went as it expects."""
    return 0 if all(told.passed for told in tell_all(stories, out)) else 1
