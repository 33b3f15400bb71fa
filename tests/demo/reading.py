"""Reading `make demo`'s output the way a person would: stories, steps, hooks and events."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

TITLE_LINE = re.compile(r"^=== (?P<title>.*) ===$")
HOOK_LINE = re.compile(r"^   (?P<unit>\S+/\d+)\s+(?P<hook>\S+)(?:  \((?P<detail>.*)\))?$")
STEP_LINE = re.compile(r"^(?P<number>\d+)\. (?P<title>.*)$")
NOTE_LINE = re.compile(r"^   # (?P<note>.*)$")


@dataclasses.dataclass
class HookBlock:
    step: int
    unit: str
    hook: str
    detail: str
    lines: list[str]

    @property
    def events(self) -> list[str]:
        return [line.split()[1] for line in self.lines if line.split()[0] == "event"]


def run_make_demo(env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the demo as `make demo` does, in a child process, with warnings as errors."""
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def titles(output: str) -> list[str]:
    """The titles of the stories told, in order."""
    return [match["title"] for line in output.splitlines() if (match := TITLE_LINE.match(line))]


def story_section(output: str, title: str) -> str:
    """One story's transcript, from its title to the next story's: step numbers restart."""
    lines = output.splitlines()
    start = lines.index(f"=== {title} ===")
    end = next((n for n in range(start + 1, len(lines)) if TITLE_LINE.match(lines[n])), len(lines))
    return "\n".join(lines[start:end])


def hook_blocks(text: str) -> list[HookBlock]:
    blocks: list[HookBlock] = []
    step = 0
    for line in text.splitlines():
        if match := STEP_LINE.match(line):
            step = int(match["number"])
        elif match := HOOK_LINE.match(line):
            blocks.append(HookBlock(step, match["unit"], match["hook"], match["detail"] or "", []))
        elif line.startswith(" " * 10) and blocks:
            blocks[-1].lines.append(line.strip())
    return blocks


def events_on(text: str, unit: str, *prefixes: str) -> list[str]:
    """The library events on the unit; with `prefixes`, those whose names start with one.

    A library's events share a prefix (`Etcd`, `Cluster`): the demo charm's units are all
    mysql-innodb-cluster peers, whose `Cluster` events another interface's tests leave out.
    """
    return [
        event
        for block in hook_blocks(text)
        if block.unit == unit
        for event in block.events
        if not prefixes or event.startswith(prefixes)
    ]


def hooks_in_step(text: str, step: int) -> list[tuple[str, str, str]]:
    return [(b.unit, b.hook, b.detail) for b in hook_blocks(text) if b.step == step]


def steps(text: str) -> list[str]:
    return [m["title"] for line in text.splitlines() if (m := STEP_LINE.match(line))]


def notes_in_step(text: str, step: int) -> list[str]:
    """What the story says in the step beside the hooks (its `# ...` lines), in order."""
    found: list[str] = []
    current = 0
    for line in text.splitlines():
        if match := STEP_LINE.match(line):
            current = int(match["number"])
        elif (match := NOTE_LINE.match(line)) and current == step:
            found.append(match["note"])
    return found
