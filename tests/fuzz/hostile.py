"""Hostile values for databags and setters: what a broken or malicious peer could send.

Nothing here knows an interface. A library's fuzz module combines `hostile_text()` with
strategies for the right values of its own keys (`mixed_with`), so that the generated data is
often right, sometimes slightly wrong and sometimes absurd.

Secrets get special care: `secret_text()` builds values that carry a `Secret` token, a random
marker that cannot occur by accident, so that a leak of any recognisable part of the value
into a log, a message or a repr is found by a plain substring search (`SecretRegistry`).
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from hypothesis import strategies as st

MIB = 1024 * 1024

_BUILT_ONCE = functools.cache
"""For functions that build a strategy: hypothesis analyses each strategy object once, the
first time it is drawn from, so a strategy rebuilt in every draw is analysed in every draw."""

# Values that are valid JSON but hold the wrong type for almost any key.
WRONG_TYPES = (
    "0",
    "-1",
    "2379",
    "99999999999999999999",
    "3.14",
    "1e309",
    "true",
    "false",
    "[]",
    '["https://10.0.0.5:2379"]',
    "{}",
    '{"host": "10.0.0.5", "port": 2379}',
)
# What a careless writer puts where nothing should be.
NOTHING = ("", " ", "None", "null", '"None"', '"null"', '""', "undefined", "NaN")
CONTROL = ("\x00", "\x1b[31mred\x1b[0m", "a\rb", "a\nb", "\t", "\x7f", "\u2028", "\ufeff")
SHELL = ("$(reboot)", "`id`", "; rm -rf /", "| cat /etc/shadow", "&& true", "${IFS}", "'\"")
# JSON text whose escapes decode to lone surrogates: no UTF-8 encoder accepts the result.
LONE_SURROGATES = (
    r'"\ud800"',
    r'"\udfff"',
    r'"https://\ud800:2379"',
    r'"3.5.\udc00"',
    r'"-----BEGIN CERTIFICATE-----\n\ud800\n-----END CERTIFICATE-----\n"',
)
# Keys that other interfaces' layers write; a confused peer may write them here.
FOREIGN_KEYS = (
    "port",
    "host",
    "hostname",
    "rest_port",
    "zookeepers",
    "extended_data",
    "services",
    "cluster-address",
    "cluster-password",
    "unit-clustered",
    "ingress-address",
    "private-address",
    "egress-subnets",
)


@functools.lru_cache(maxsize=64)
def pem(label: str, body: str) -> str:
    """A PEM block around `body`, wrapped at 64 characters as openssl writes it."""
    lines = [body[start : start + 64] for start in range(0, len(body), 64)] or [""]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----", ""])


@functools.lru_cache(maxsize=64)
def base64_body(size: int, seed: bytes = b"legacy") -> str:
    """`size` bytes of base64, deterministic, so that a huge value is built once per run."""
    return base64.b64encode((seed * (size // len(seed) + 1))[:size]).decode()


# Each shape builds one kind of look-alike from a label, another label and a base64 body.
_PEM_LOOKALIKES: tuple[Callable[[str, str, str], str], ...] = (
    lambda label, _, body: pem(label, body),
    lambda label, other, body: pem(label, body).replace(f"END {label}-", f"END {other}-"),
    lambda label, _, body: pem(label, body).rsplit("-----END", 1)[0],  # no END line
    lambda label, _, body: f"-----BEGIN {label}-----{body}-----END {label}-----",  # one line
    lambda label, other, body: pem(label, "") + pem(other, body),
    lambda label, _, body: pem(label, body) + "trailing garbage",
    lambda label, _, body: pem(label, body).replace("\n", "\r\n"),
    lambda label, _, body: pem(label, body).replace("-----", "----"),
    lambda label, _, body: pem(label, body) * 3,
    lambda label, _, body: json.dumps(pem(label, body)),  # JSON-quoted
)


@st.composite
def pem_lookalikes(draw: st.DrawFn) -> str:
    """Text that looks like PEM to a careless eye: wrong labels, broken or mismatched lines."""
    body = base64_body(draw(st.integers(1, 400)))
    label = draw(st.sampled_from(["CERTIFICATE", "PRIVATE KEY", "RSA PRIVATE KEY", "X", ""]))
    other = draw(st.sampled_from(["CERTIFICATE", "PRIVATE KEY", "PUBLIC KEY"]))
    return draw(st.sampled_from(_PEM_LOOKALIKES))(label, other, body)


class Unrecorded(str):
    """A string that hypothesis keeps only a weak reference to, once it is drawn.

    Hypothesis (seen in 6.170) records with each example every value of a built-in type that
    a strategy returns, and keeps up to 10,000 examples: megabyte values recorded that way
    filled 24 GiB within a few hundred examples. Only exact built-in types are recorded, so a
    strategy returns its megabytes as this subclass, and `databags()` stores a plain copy.
    """


# Only the shape drawn is built: building every shape of megabytes for each draw would cost
# more than the hooks the values are fed to.
_HUGE: tuple[Callable[[int], str], ...] = (
    lambda size: "x" * size,
    lambda size: pem("CERTIFICATE", base64_body(size)),
    lambda size: ",".join(["https://10.0.0.5:2379"] * (size // 21)),
    lambda size: json.dumps("y" * size),
)


@st.composite
def huge_text(draw: st.DrawFn) -> str:
    """Megabytes: a repeated character, a huge PEM, or a huge list of URLs."""
    size = draw(st.sampled_from([64 * 1024, 300 * 1024, MIB, 3 * MIB]))
    return Unrecorded(draw(st.sampled_from(_HUGE))(size))


@_BUILT_ONCE
def unicode_text() -> st.SearchStrategy[str]:
    """Any text a UTF-8 databag can hold (Juju's are UTF-8, so no raw lone surrogates)."""
    return st.text(st.characters(exclude_categories=("Cs",)), max_size=50)


@_BUILT_ONCE
def garbage_text() -> st.SearchStrategy[str]:
    """Text that no key of any of the five interfaces takes: never PEM, URL or version."""
    return st.one_of(st.sampled_from(NOTHING + CONTROL + SHELL), unicode_text())


def json_quoted(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """The values, JSON-quoted, as the json encoding or a confused legacy build writes them."""
    return values.map(json.dumps)


@_BUILT_ONCE
def hostile_text() -> st.SearchStrategy[str]:
    """A value no reader should trust, of every kind named in the module docstring."""
    return st.one_of(
        st.sampled_from(WRONG_TYPES + NOTHING + CONTROL + SHELL + LONE_SURROGATES),
        json_quoted(st.sampled_from(WRONG_TYPES + NOTHING + CONTROL + SHELL)),
        unicode_text(),
        pem_lookalikes(),
        huge_text(),
    )


@st.composite
def escaped_lone_surrogate(draw: st.DrawFn, values: st.SearchStrategy[str]) -> str:
    """A right value with a lone surrogate spliced in anywhere, JSON-quoted.

    `json.dumps` writes the surrogate as an escape (`\\ud800`), as a peer's JSON encoder
    would; where it lands decides which check, if any, notices it (a URL's host notices none).
    """
    value = draw(values)
    # After the first occurrence of one of the value's characters: an integer position would
    # land at either end (hypothesis favours the bounds), where a scheme or a port check
    # catches it.
    after = value.index(draw(st.sampled_from(sorted(set(value))))) + 1 if value else 0
    surrogate = draw(st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff"]))
    return json.dumps(value[:after] + surrogate + value[after:])


@_BUILT_ONCE
def mixed_with(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly right values (so that states become true), also quoted, spoiled or hostile."""
    return st.one_of(
        valid,
        valid,
        json_quoted(valid),
        escaped_lone_surrogate(valid),
        st.tuples(valid, st.sampled_from(CONTROL + SHELL + (" ", ",", "\n"))).map("".join),
        hostile_text(),
    )


@st.composite
def half_right(draw: st.DrawFn, values: st.SearchStrategy[str]) -> str:
    """A right value half the time, else `mixed_with(values)`.

    A composite rather than `st.one_of`, which flattens nested alternatives and drops repeated
    ones: in `mixed_with` alone the right values are one alternative among ten, and a unit
    would rarely be usable.
    """
    if draw(st.booleans()):
        return draw(values)
    return draw(mixed_with(values))


def as_json(values: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    """Values as JSON text: Python's default separators (the legacy bytes), or compact."""
    return st.one_of(
        values.map(json.dumps), values.map(lambda v: json.dumps(v, separators=(",", ":")))
    )


@st.composite
def databags(draw: st.DrawFn, keys: dict[str, st.SearchStrategy[str]]) -> dict[str, str]:
    """A unit databag: Juju's own keys, a subset of `keys`, and sometimes foreign keys."""
    databag = {
        "egress-subnets": "10.0.0.9/32",
        "ingress-address": "10.0.0.9",
        "private-address": "10.0.0.9",
    }
    every_key = draw(st.booleans())  # so that states needing every key come true often
    for key, values in keys.items():
        if every_key or draw(st.booleans()):
            databag[key] = str(draw(values))  # a plain `str`, as Juju hands out
    for key in draw(st.lists(st.sampled_from(FOREIGN_KEYS), max_size=3)):
        databag[key] = str(draw(hostile_text()))
    return databag


# --- Secrets -------------------------------------------------------------------------------


class SecretRegistry:
    """The secrets generated for the current example, and a search for them in texts.

    A secret is recognised by its token: `SECRET` and 18 letters or digits, which the
    generator puts in every line of a secret value, so that even a fragment of a value (one
    line of a PEM body, a prefix longer than a line) gives it away. The search is one pass of
    a regular expression, however many secrets and however long the texts.
    """

    TOKEN = re.compile(r"SECRET[A-Za-z0-9]{18}")

    def __init__(self) -> None:
        self.tokens: set[str] = set()

    def reset(self) -> None:
        """Forget the secrets of earlier examples."""
        self.tokens.clear()

    def add(self, token: str) -> None:
        """Remember a secret's token."""
        self.tokens.add(token)

    def leaks(self, texts: Iterable[str]) -> list[str]:
        """The tokens of current secrets that occur in any of the texts."""
        found = {match for text in texts for match in self.TOKEN.findall(text)}
        return sorted(found & self.tokens)


SECRETS = SecretRegistry()
"""Every secret generated in this process; fuzz modules scan their outputs against it."""

_TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _new_token(draw: st.DrawFn) -> str:
    token = "SECRET" + draw(st.text(_TOKEN_ALPHABET, min_size=18, max_size=18))
    SECRETS.add(token)
    return token


@st.composite
def secret_tokens(draw: st.DrawFn) -> str:
    """A fresh secret token alone: a secret of one line, such as a password, can be built on it."""
    return _new_token(draw)


def _secret_pem(token: str, label: str, lines: int) -> str:
    line = (token * 3)[:64]
    body = "\n".join([line] * lines)
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"


@st.composite
def secret_pems(draw: st.DrawFn, label: str = "PRIVATE KEY") -> str:
    """A well-formed PEM secret whose every body line carries a fresh secret token."""
    return _secret_pem(_new_token(draw), label, draw(st.integers(1, 30)))


# Each shape builds a malformed secret from its token, a plain PEM holding it, and its label.
_MALFORMED_SECRETS: tuple[Callable[[str, str, str], str], ...] = (
    lambda _, plain, __: json.dumps(plain),
    lambda _, plain, label: plain.replace(f"END {label}", "END CERTIFICATE"),
    lambda _, plain, label: plain.replace(f"BEGIN {label}", "BEGIN CERTIFICATE"),
    lambda _, plain, __: plain.rsplit("-----END", 1)[0],
    lambda _, plain, __: plain + "trailing garbage",
    lambda token, _, __: token,
    lambda token, _, __: json.dumps(token)[:-1] + r"\ud800" + '"',
    lambda token, _, __: f"{token}\x00{token}",
    lambda _, plain, __: plain * (MIB // len(plain) + 1),
)


@st.composite
def secret_text(draw: st.DrawFn, label: str = "PRIVATE KEY") -> str:
    """A malformed secret (not one plain PEM block), each line with a fresh secret token."""
    token = _new_token(draw)
    plain = _secret_pem(token, label, draw(st.integers(1, 30)))
    return Unrecorded(draw(st.sampled_from(_MALFORMED_SECRETS))(token, plain, label))
