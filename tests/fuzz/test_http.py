"""Fuzzing `charms.http.v0.http`: hostile databags for both roles, any setter input.

This module registers http with the generic properties (`remote_data.py`, `setters.py`): the
value strategies of its keys (the JSON `extended_data` list and the YAML `services` above
all), its event pairs and queries, and its setters. Every remote value may carry a secret
token (`with_token`): nothing here is secret, but a token that reaches a log record, an
exception or the repr of an answer that must not hold values shows that a value was logged.

The requirer's state machine is the generic one (its pairs: `connected`, `available`),
extended with what its pairs cannot say:

- `new_website` announces what a relation offers: its usable websites, and the extra keys of
  every unit that sends some, usable or not (a unit that sends `services` alone counts); it
  never repeats an offer, its websites are there exactly while the relation is `available`,
  and it never fires while this unit is leaving; `available` is followed by `new_website`;
  `website_removed` names only a unit that was announced and is not removed yet, and
  precedes the `new_website` that announces the rest, or ends the offer when no unit is
  left; `unavailable` comes after the removal of every usable unit announced; within a hook
  the events come relation by relation, the ends first; at the end of each hook every
  relation's announced offer is what the queries answer for it now (so a change of a unit
  that sends only `services` must be announced), and none is left while this unit leaves.

It adds the properties that the generic ones cannot express:

- the endpoint's answers (`read()`, `websites()`, `services()`, `extras()`,
  `malformed_units()`) are exactly what an independent reading of the databags finds, over
  one to three relations;
- per-field tolerance: a valid port and host count whatever `extended_data`, the YAML and
  the other keys hold; per-entry tolerance: a valid `extended_data` entry counts whatever its
  neighbours hold;
- a YAML value is parsed as PyYAML's safe loader reads it, or refused whole (answered as
  None and listed), never expanded past its bounds;
- the provider writes exactly what the charm set over what a legacy build left in its
  databag, and its `available` follows a reverse proxy and the port on the wire;
- each setter, given any input, either writes exactly the legacy data the docstring
  describes, or raises `ValueError`, writes nothing, and names no value.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, cast

import ops
import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from ops import testing

from charms.http.v0.http import (
    HttpOffer,
    HttpProvides,
    HttpRequires,
    HttpWebsite,
    ProxyServer,
    ProxyService,
)
from tests.fuzz.harness import (
    TALLY,
    EventPair,
    EventQueryDisagreementError,
    FieldToleranceError,
    FuzzCharm,
    LeavingUnitError,
    Recording,
    RemoteDataTarget,
    RepeatedEventError,
    SecretLeakError,
    Seen,
    Setter,
    SetterMisbehavedError,
    SetterTarget,
    exception_texts,
    fuzz_context,
    known_defects_test,
    relation_in,
    release_finished_hooks,
    run_hook,
    short,
)
from tests.fuzz.hostile import (
    MIB,
    SECRETS,
    Unrecorded,
    as_json,
    databags,
    half_right,
    hostile_text,
    mixed_with,
)
from tests.fuzz.profiles import EXPLORE_KNOWN_DEFECTS
from tests.fuzz.remote_data import RemoteDataMachine, read_one_databag, remote_data_test
from tests.fuzz.setters import setter_test
from tests.fuzz.wire import decoded, host_name, port_number

KNOWN_DEFECTS: dict[str, str] = {}
"""Defects of the current LIBPATCH, left to the next one, by name: what goes wrong.

A variant below that reaches one names it in `known_defects` and runs only in `make fuzz`;
a variant that steers around one names it in `steers_around`."""

REQUIRER_ENDPOINT = "reverseproxy"
PROVIDER_ENDPOINT = "website"
REQUIRES_META = {"requires": {REQUIRER_ENDPOINT: {"interface": "http"}}}
PROVIDES_META = {"provides": {PROVIDER_ENDPOINT: {"interface": "http"}}}
EXTENDED_LIMIT = 64 * 1024
"""The docstring's bound: an `extended_data` value longer than 64 KiB is malformed whole."""
YAML_LIMIT = 32 * 1024
"""The docstring's bound: a YAML value longer than 32 KiB is refused."""
RESERVED_KEYS = frozenset(
    ("hostname", "private-address", "port", "extended_data", "ingress-address", "egress-subnets")
)
"""The keys that are not extra keys: the website's own, and Juju's."""
YAML_KEYS = ("services", "all_services")
INGRESS = "192.0.2.0"
"""The ingress address ops.testing gives this unit on every relation."""
UNIT_NAME = "fuzz/0"

# --- Secret tokens, as markers of values ---------------------------------------------------

_TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


@st.composite
def tokens(draw: st.DrawFn) -> str:
    """A fresh token that `SECRETS` looks for; alone it is a valid host name."""
    token = "SECRET" + draw(st.text(_TOKEN_ALPHABET, min_size=18, max_size=18))
    SECRETS.add(token)
    return token


@st.composite
def with_token(draw: st.DrawFn, values: st.SearchStrategy[str]) -> str:
    """A value with a token in it (alone, before, after or inside), to catch it in a log.

    A megabyte value stays an `Unrecorded`, so that hypothesis keeps none of them alive.
    """
    value, token = draw(values), draw(tokens())
    where = draw(st.sampled_from(["alone", "before", "after", "inside"]))
    if where == "alone":
        return token
    if where == "before":
        marked_value = token + value
    elif where == "after":
        marked_value = value + token
    else:
        middle = len(value) // 2
        marked_value = value[:middle] + token + value[middle:]
    return Unrecorded(marked_value) if isinstance(value, Unrecorded) else marked_value


def marked(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """The values, and now and then the same with a token in them."""
    return st.one_of(values, values, with_token(values))


# --- Right values of each key --------------------------------------------------------------

HOST_NAMES = ("www.example.com", "website-0", "localhost", "web.internal.")
port_numbers = st.integers(1, 65535)
ports = port_numbers.map(str)
addresses = st.one_of(
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(str),
    st.sampled_from(("10.0.0.5", "fd00::5")),
)
hosts = st.one_of(addresses, st.sampled_from(HOST_NAMES))


@st.composite
def extended_entries(draw: st.DrawFn) -> dict[str, Any]:
    """One `extended_data` entry as some legacy build wrote it.

    The legacy bytes (`hostname`, `port`, `private-address`, the port a number or a
    string), or: no hostname (it defaults to the private address), values JSON-quoted by a
    build that quoted everything, keys a later build added.
    """
    address = draw(addresses)
    port = draw(port_numbers)
    entry: dict[str, Any] = {
        "hostname": draw(hosts),
        "port": draw(st.sampled_from([port, str(port)])),
        "private-address": address,
    }
    shape = draw(st.sampled_from(["legacy", "legacy", "no hostname", "quoted", "extra keys"]))
    if shape == "no hostname":
        del entry["hostname"]
    elif shape == "quoted":
        key = draw(st.sampled_from(["hostname", "port", "private-address"]))
        entry[key] = json.dumps(str(entry[key]))
    elif shape == "extra keys":
        entry["weight"] = draw(st.sampled_from([1, None, "x", [1]]))
    return entry


def entry_lists(entries: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    """Zero to five entries, sometimes with a duplicate."""
    return st.lists(entries, max_size=5).flatmap(
        lambda found: (
            st.just(found)
            if not found
            else st.sampled_from(found).map(lambda again: [*found, again]) | st.just(found)
        )
    )


right_extended = st.one_of(
    as_json(entry_lists(extended_entries())),
    # A build that JSON-encoded every value sent the list's JSON text as a JSON string.
    as_json(entry_lists(extended_entries())).map(json.dumps),
)

ANY_ADDRESS = "0.0.0.0"  # noqa: S104 - where a reverse proxy listens, as a stanza says it
PROXY_NAMES = ("my-site", "web_0", "api.v1", "svc:80", "A" * 128)
OPTION_LINES = ("mode http", "balance leastconn", "option httpchk GET /health", "timeout 5s")


@st.composite
def stanzas(draw: st.DrawFn) -> dict[str, Any]:
    """A haproxy stanza as a website charm sends it in its `services` YAML."""
    stanza: dict[str, Any] = {"service_name": draw(st.sampled_from(PROXY_NAMES))}
    if draw(st.booleans()):
        stanza["service_host"] = draw(st.sampled_from([ANY_ADDRESS, "10.0.0.5", "fd00::5"]))
    if draw(st.booleans()):
        stanza["service_port"] = draw(port_numbers)
    if draw(st.booleans()):
        stanza["service_options"] = draw(st.lists(st.sampled_from(OPTION_LINES), max_size=3))
    if draw(st.booleans()):
        server = st.tuples(
            st.sampled_from(PROXY_NAMES),
            addresses,
            port_numbers,
            st.sampled_from([None, "check", "check inter 2000 rise 2 fall 5"]),
        ).map(list)
        stanza["servers"] = draw(st.lists(server, max_size=3))
    if draw(st.booleans()):
        stanza["crts"] = ["DEFAULT"]
    return stanza


def yaml_texts(values: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    """Values as YAML text: block style with sorted keys (what legacy charms wrote), flow
    style, or JSON (which YAML reads too)."""
    return st.one_of(
        values.map(lambda v: yaml.safe_dump(v, default_flow_style=False)),
        values.map(lambda v: yaml.safe_dump(v, default_flow_style=True)),
        values.map(json.dumps),
    )


right_services = yaml_texts(st.lists(stanzas(), min_size=1, max_size=4))
few_services = yaml_texts(st.lists(stanzas(), min_size=1, max_size=2))
"""Right `services` of one or two stanzas: the state machine parses every unit's in every
hook (PyYAML's pure-Python loader takes 2 ms for one), so its databags hold the small ones,
and not too often; the YAML property takes the larger ones."""
sitenames = st.lists(st.sampled_from(HOST_NAMES), min_size=1, max_size=3).map(" ".join)

# --- Hostile extended_data -----------------------------------------------------------------

BAD_ENTRY_HOSTS: tuple[Any, ...] = (
    " ",
    "bad host",
    "[fd00::5]",
    "10.0.0.5:8080",
    "fe80::1%eth0",
    "256.0.0.1",
    "1.2.3",
    "-web",
    "web_0",
    "a" * 300,
    "\ud800",
    '"bad host"',
    5,
    True,
    ["10.0.0.5"],
    {"hostname": "10.0.0.5"},
)
BAD_ENTRY_PORTS: tuple[Any, ...] = (
    "",
    "0",
    "65536",
    "08080",
    "8080 ",
    " 8080",
    "-1",
    "8e3",
    '"0"',
    "\ud800",
    "８０８０",  # fullwidth digits  # noqa: RUF001 - the confusable is the point
    0,
    -1,
    65536,
    10**20,
    8080.0,
    8080.5,
    True,
    False,
    None,
    [8080],
    {"port": 8080},
)
NOT_OBJECTS: tuple[Any, ...] = (
    None,
    True,
    8080,
    3.5,
    "10.0.0.9:8080",
    "",
    [],
    ["10.0.0.9", 8080, "10.0.0.9"],
    [[[]]],
)


@st.composite
def bad_entries(draw: st.DrawFn) -> Any:
    """An entry no reader may take: not an object, or one with a bad address or port."""
    kind = draw(st.sampled_from(["not an object", "hostname", "private-address", "port", "few"]))
    if kind == "not an object":
        return draw(st.sampled_from(NOT_OBJECTS))
    entry: dict[str, Any] = {
        "hostname": draw(hosts),
        "port": draw(port_numbers),
        "private-address": draw(addresses),
    }
    if kind in ("hostname", "private-address"):
        entry[kind] = draw(st.sampled_from((*BAD_ENTRY_HOSTS, "", None)))
        if kind == "hostname" and not entry[kind]:
            entry["private-address"] = draw(st.sampled_from(BAD_ENTRY_HOSTS))  # no fallback
    elif kind == "port":
        entry["port"] = draw(st.sampled_from(BAD_ENTRY_PORTS))
    else:
        del entry[draw(st.sampled_from(["port", "private-address"]))]
    return entry


mixed_entry_lists = entry_lists(st.one_of(extended_entries(), bad_entries()))

NOT_JSON = (
    "10.0.0.9:8080",
    "[{",
    "[{'hostname': '10.0.0.9', 'port': 8080}]",  # a Python repr
    '[{"private-address": "10.0.0.9", "port": 8080},]',
    "[1, 2",
    "]",
    "\x00[]",
    '""',  # an empty JSON string: nothing to decode twice
    '"[{"',  # a JSON string that is not JSON itself
    "[" + "1" * 5000 + "]",  # an integer past Python's digit limit: a ValueError
)
NOT_A_LIST = (
    '{"hostname": "10.0.0.9", "port": 8080, "private-address": "10.0.0.9"}',
    '"\\"[]\\""',  # a list encoded three times
    "8080",
    "null",
    "true",
    '"10.0.0.9"',
    "{}",
    "NaN",
)
ODD_JSON = (
    '[{"private-address": "10.0.0.9", "port": NaN}]',
    '[{"private-address": "10.0.0.9", "port": Infinity}]',
    '[{"private-address": "10.0.0.9", "port": 8080, "private-address": "bad host"}]',
    '[{"private-address": "10.0.0.9", "port": 8080}, 1]',
    r'[{"private-address": "\ud800", "port": 8080}]',
    r'[{"private-address": "10.0.0.9", "port": "\udc00"}]',
    r'[{"private-address": "10.0.0.9", "port": 8080, "hostname": "\ud800"}]',
)

# Only the shape drawn is built; each returns an `Unrecorded`, so hypothesis keeps none alive.
_DEEP_OR_LONG_JSON: tuple[Callable[[], str], ...] = (
    lambda: "[" * 200_000,
    lambda: "[" * MIB,
    lambda: "[" * 30_000 + "]" * 30_000,  # balanced, under 64 KiB: too deep to decode
    lambda: '{"a": ' * 10_000 + "1" + "}" * 10_000,
    lambda: "[" + "[" * 900 + "]" * 900 + "]",
    lambda: json.dumps("[" * 30_000),  # encoded twice, too deep once decoded
    lambda: json.dumps(json.dumps([{"private-address": "10.0.0.9", "port": 8080}] * 1400)),
    # Valid lists longer than 64 KiB: malformed as a whole, however good their entries.
    lambda: json.dumps([{"hostname": "10.0.0.9", "port": 8080, "private-address": "::1"}] * 1400),
    lambda: "[" + " " * EXTENDED_LIMIT + "]",
    lambda: json.dumps([{"private-address": "w" * MIB, "port": 8080}]),
)


@st.composite
def deep_or_long_json(draw: st.DrawFn) -> str:
    """Deep nesting, balanced or not, and texts over 64 KiB, up to megabytes."""
    return Unrecorded(draw(st.sampled_from(_DEEP_OR_LONG_JSON))())


def hostile_extended() -> st.SearchStrategy[str]:
    """What a broken website unit may send as its `extended_data`, besides hostile text."""
    return st.one_of(
        st.sampled_from(NOT_JSON + NOT_A_LIST + ODD_JSON),
        as_json(st.lists(st.sampled_from(NOT_OBJECTS), min_size=1, max_size=4)),
        as_json(mixed_entry_lists),
        as_json(st.lists(bad_entries(), min_size=1, max_size=3)),
        deep_or_long_json(),
    )


@st.composite
def extended_values(draw: st.DrawFn) -> str:
    """Mostly right lists, so that websites often carry extra hosts; else spoiled or hostile."""
    kind = draw(st.sampled_from(["mixed", "mixed", "entries", "hostile", "empty"]))
    if kind == "mixed":
        return draw(half_right(right_extended))
    if kind == "entries":
        return draw(as_json(mixed_entry_lists))
    if kind == "hostile":
        return draw(marked(hostile_extended()))
    return "[]"


# --- Hostile YAML --------------------------------------------------------------------------

YAML_NOT_PLAIN = (
    "!!python/object/apply:os.system ['echo pwned']",
    "!!python/name:os.system",
    "!!python/tuple [1, 2]",
    "- !!python/object:builtins.dict {a: 1}",
    "!!python/object/new:type ['x', [], {}]",
    "!foo bar",
    "!<tag:example.com,2000:x> 1",
    "? [a, b]\n: c",
    "{[a]: b}",
    "{{a: 1}: b}",
    "1" * 5000,  # an integer past Python's digit limit
)
YAML_BROKEN = (
    "a: b: c",
    "[a, b",
    "{a: 1",
    "key: 'unterminated",
    "a:\n\tb: c",
    "- a\nb: c",
    "%YAML 9.9\n--- a",
    "a\n---\nb",  # two documents
    "*missing",
    "&a",
    "@at",
    '"\\q"',
    "a\x00b",
    "a: \x07",
    "- [a, b]: c",
)
YAML_NULL = ("", "~", "null", "# nothing", "---\n...")
YAML_ODD_BUT_SAFE = (
    "!!set {a, b}",
    "!!binary aGVsbG8=",
    "2001-12-14t21:59:43.10-05:00",
    "a: &a {x: 1}\nb: {<<: *a, y: 2}",
    "{1: a, 2: b}",
    ".nan",
    "- .inf\n- -.inf",
    "a: 1\na: 2",  # a repeated key
    "\ufeffa: b",  # a byte-order mark
    "'a'",
    "[[[[[[[[[[x]]]]]]]]]]",
)


def _tokened_yaml(token: str) -> tuple[str, ...]:
    """Broken or refused YAML around a token, where PyYAML's message would quote it."""
    return (
        f"a: b: {token}",
        f"[{token}, b",
        f"key: '{token}",
        f"!!python/name:{token}",
        f"!{token} x",
        f"*{token}",
        f"- {token}\n\t- x",
        f"{token}: [1, 2\n",
        f"&{token} [*{token}]",
        f"- &a {token}\n- {{<<: *a}}",
    )


def _alias_bomb(levels: int, width: int) -> str:
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    return "\n".join(lines)


def _merge_bomb(levels: int) -> str:
    keys = ", ".join(f"k{number}: 1" for number in range(10))
    lines = [f"m0: &m0 {{{keys}}}"]
    for level in range(1, levels):
        lines.append(f"m{level}: &m{level} {{<<: [*m{level - 1}, *m{level - 1}, *m{level - 1}]}}")
    return "\n".join(lines)


# Each shape is cheap to parse or refused before it costs: the state machine asks the
# queries in every hook.
_YAML_BOMBS: tuple[Callable[[], str], ...] = (
    lambda: _alias_bomb(9, 9),  # a billion laughs
    lambda: _alias_bomb(4, 14),  # just over the node bound
    lambda: _alias_bomb(3, 30),  # just under it: parsed
    lambda: _merge_bomb(12),
    lambda: "&a [*a]",
    lambda: "&a {x: *a}",
    lambda: "&a [1, [2, {b: *a}]]",
    lambda: "[" * 65 + "]" * 65,
    lambda: "[" * 63 + "]" * 63,  # just under the depth bound: parsed
    lambda: "[" * 100_000,
    lambda: "{a: " * 5_000 + "1" + "}" * 5_000,
    lambda: "- " * 10_000 + "x",
    lambda: "".join("  " * level + "a:\n" for level in range(70)) + "  " * 70 + "x",
    lambda: "x" * 40_000,  # over the length bound
    lambda: "- x\n" * 9_000,
    lambda: "'" + "y" * (YAML_LIMIT - 2) + "'",  # exactly at the bound: parsed
    lambda: "a: " + "b" * MIB,
)
# Parsed within the bounds, but each costs up to half a second: single-databag properties only.
_YAML_SLOW: tuple[Callable[[], str], ...] = (
    lambda: "[" + ",".join(["1"] * 16_000) + "]",
    lambda: "- " + "\n- ".join(["x"] * 8_000),
    lambda: "{" + ",".join(f"k{number}: [a, b]" for number in range(2_000)) + "}",
    lambda: "a: &a x\nb: [" + ", ".join(["*a"] * 6_000) + "]",
)


@st.composite
def yaml_bombs(draw: st.DrawFn, slow: bool = False) -> str:
    """Alias and merge bombs, documents that contain themselves, deep nesting, long texts."""
    shapes = _YAML_BOMBS + _YAML_SLOW if slow else _YAML_BOMBS
    return Unrecorded(draw(st.sampled_from(shapes))())


@st.composite
def tokened_yaml(draw: st.DrawFn) -> str:
    """YAML that is refused, with a token where a parser's message would quote it."""
    return draw(st.sampled_from(_tokened_yaml(draw(tokens()))))


def hostile_yaml(slow: bool = False) -> st.SearchStrategy[str]:
    """What a broken website unit may send as YAML, besides hostile text."""
    return st.one_of(
        st.sampled_from(YAML_NOT_PLAIN + YAML_BROKEN + YAML_NULL + YAML_ODD_BUT_SAFE),
        tokened_yaml(),
        yaml_bombs(slow),
        few_services.map(lambda text: text.replace("service_name", "service_name: &x")),
    )


@st.composite
def yaml_values(
    draw: st.DrawFn, right: st.SearchStrategy[str] = right_services, often: bool = True
) -> str:
    """Right stanzas (also JSON-quoted, as a legacy build sent raw values), mostly or
    now and then; else hostile YAML or hostile text."""
    kinds = ["right", "right", "quoted"] if often else ["right", "quoted"]
    kind = draw(st.sampled_from([*kinds, "hostile", "hostile", "text", "text"]))
    if kind == "right":
        return draw(right)
    if kind == "quoted":
        return json.dumps(draw(right))
    if kind == "hostile":
        return draw(hostile_yaml())
    return draw(marked(hostile_text()))


# `all_services` is left to the properties of one databag: the reader treats it as it treats
# `services`, and each YAML value costs the state machine a parse in every hook.
HTTP_KEYS = {
    "hostname": marked(half_right(hosts)),
    "private-address": half_right(addresses),
    "port": half_right(ports),
    "extended_data": extended_values(),
    "services": yaml_values(few_services, often=False),
    "sitenames": marked(half_right(sitenames)),
    "service_name": mixed_with(st.sampled_from(PROXY_NAMES)),
}

# --- An independent reading of a website unit's databag ------------------------------------
# What the library's docstring promises, written apart from the library: the properties below
# compare the library's answers with it.


Host = tuple[str, str, int]
"""An address of a website as comparable plain values: hostname, private address, port."""
Website = tuple[str, str, str, int, tuple[Host, ...]]
"""A usable unit as comparable plain values: unit name, hostname, private address, port, and
its `extended_data` hosts."""


def entry_of(entry: Any) -> Host | None:
    """One `extended_data` entry as a host, or None when it is malformed.

    Each string is read as a raw value (a JSON-quoted one unquoted); a hostname that is
    absent, or empty, is the private address.
    """
    if not isinstance(entry, dict):
        return None
    fields = {
        key: decoded(item) if isinstance(item, str) else item
        for key, item in cast("dict[str, Any]", entry).items()
    }
    address = host_name(fields.get("private-address"))
    hostname = fields.get("hostname") or fields.get("private-address")
    port = port_number(fields.get("port"))
    if address is None or port is None or host_name(hostname) is None:
        return None
    return (cast("str", hostname), address, port)


def extended_of(value: str | None) -> tuple[list[Host], bool]:
    """The valid hosts of an `extended_data` value, and whether any part of it is malformed."""
    if not value:
        return [], False
    loaded: Any = value
    for _ in range(2):  # JSON text, or (from one legacy build) that text as a JSON string
        if len(loaded) > EXTENDED_LIMIT:
            return [], True
        try:
            loaded = json.loads(loaded)
        except (ValueError, RecursionError):
            return [], True
        if not isinstance(loaded, str):
            break
    if not isinstance(loaded, list):
        return [], True
    found = [entry_of(entry) for entry in cast("list[Any]", loaded)]
    valid = [host for host in found if host is not None]
    return valid, len(valid) < len(found)


def extras_of(databag: Mapping[str, str]) -> dict[str, str]:
    """The extra keys of a databag: every non-empty key but the website's and Juju's."""
    return {
        key: decoded(value) for key, value in databag.items() if key not in RESERVED_KEYS and value
    }


@dataclasses.dataclass(frozen=True)
class Expected:
    """What one unit's databag should count as: its website, malformed fields and extras."""

    website: Website | None
    malformed: frozenset[str]
    extras: dict[str, str]


def expected_unit(unit_name: str, databag: Mapping[str, str]) -> Expected:
    """Read one website unit's databag as the docstring says, apart from the library."""
    values = {key: decoded(databag.get(key) or "") for key in ("hostname", "private-address")}
    port_text = decoded(databag.get("port") or "")
    hostname, address = host_name(values["hostname"]), host_name(values["private-address"])
    port = port_number(port_text)
    malformed = {key for key, value in values.items() if value and host_name(value) is None}
    if port_text and port is None:
        malformed.add("port")
    extended, bad_list = extended_of(databag.get("extended_data"))
    if bad_list:
        malformed.add("extended_data")
    host = hostname or address
    website = None
    if port is not None and host is not None:
        website = (unit_name, host, address or host, port, tuple(extended))
    return Expected(website, frozenset(malformed), extras_of(databag))


def website_as_tuple(website: HttpWebsite) -> Website:
    """A website as comparable plain values."""
    return (
        website.unit_name,
        website.hostname,
        website.private_address,
        website.port,
        tuple((host.hostname, host.private_address, host.port) for host in website.extended),
    )


def same_yaml(found: Any, expected: Any) -> bool:
    """Whether two parsed YAML documents are equal, NaN equal to NaN."""
    if isinstance(found, float) and isinstance(expected, float):
        return found == expected or (math.isnan(found) and math.isnan(expected))
    if isinstance(found, list) and isinstance(expected, list):
        pairs = zip(cast("list[Any]", found), cast("list[Any]", expected), strict=False)
        return len(cast("list[Any]", found)) == len(cast("list[Any]", expected)) and all(
            same_yaml(a, b) for a, b in pairs
        )
    if isinstance(found, dict) and isinstance(expected, dict):
        left, right = cast("dict[Any, Any]", found), cast("dict[Any, Any]", expected)
        return left.keys() == right.keys() and all(same_yaml(left[k], right[k]) for k in left)
    return type(found) is type(expected) and found == expected


def safe_reading(text: str) -> Any:
    """The document as PyYAML's pure-Python safe loader reads it: the library's own parser."""
    return yaml.load(text, Loader=yaml.SafeLoader)


# --- The requirer reads what website units publish -----------------------------------------


def extras_digest(extras: Sequence[tuple[str, Mapping[str, str]]]) -> str:
    """One digest of each unit's name and extra keys, in order, so payloads stay small."""
    digest = hashlib.sha256()
    for name, each in extras:
        for key, value in [("", name), *sorted(each.items())]:
            for text in (key, value):
                encoded = text.encode("utf-8", "surrogatepass")
                digest.update(b"%d:" % len(encoded) + encoded)
        digest.update(b";")
    return digest.hexdigest()


Payload = tuple[tuple[Website, ...], tuple[str, ...], str]
"""What `new_website` announces for a relation: its usable websites, the units that send
extra keys (usable or not: a unit that sends `services` alone counts), and a digest of
those keys."""


def new_website_payload(requires: HttpRequires, event: Any) -> Payload | None:
    """What a `new_website` event announces: its websites, and the extra keys the relation's
    units send, read from the databags; None if the relation offers nothing.

    The units are those `extras()` names for the relation, in the hook's one view. A deferred
    event may name units gone since (its payload is not checked).
    """
    relation: ops.Relation = event.relation
    units = {unit.name: unit for unit in relation.units}
    websites: tuple[HttpWebsite, ...] = event.websites
    names = tuple(requires.extras(relation))
    extras = [
        (name, extras_of(relation.data[units[name]]) if name in units else {}) for name in names
    ]
    if not websites and not names:
        return None
    return tuple(website_as_tuple(w) for w in websites), names, extras_digest(extras)


def current_payloads(requires: HttpRequires) -> dict[int, Payload]:
    """What each relation offers now (usable units, or units sending extra keys), as
    `new_website` would announce it."""
    found: dict[int, Payload] = {}
    for relation in requires.relations:
        websites = requires.read(relation).websites
        extras = requires.extras(relation)
        if not websites and not extras:
            continue
        raw = [(name, each.raw) for name, each in extras.items()]
        found[relation.id] = (
            tuple(website_as_tuple(w) for w in websites),
            tuple(extras),
            extras_digest(raw),
        )
    return found


def yaml_extras(requires: HttpRequires) -> dict[str, Any]:
    """Each unit's extra keys, and its YAML keys parsed, as a charm would ask for them."""
    return {
        name: (dict(extras.raw), extras.services, extras.all_services)
        for name, extras in requires.extras().items()
    }


def every_extra(requires: HttpRequires) -> dict[str, Any]:
    """Each unit's extra keys, its YAML keys parsed, and another key parsed as YAML too."""
    return {
        name: (dict(extras.raw), extras.services, extras.all_services, extras.yaml("sitenames"))
        for name, extras in requires.extras().items()
    }


REQUIRER = RemoteDataTarget(
    name="http-requires",
    endpoint=REQUIRER_ENDPOINT,
    metadata=REQUIRES_META,
    build=HttpRequires,
    pairs=(
        EventPair("connected", "disconnected", "is_connected"),
        EventPair("available", "unavailable", "is_available"),
    ),
    # Of no pair: the machine below checks them. `new_website` announces what a relation
    # offers, usable units or not, which no single end event ends.
    unpaired=("new_website", "website_removed"),
    queries={
        "is_connected": HttpRequires.is_connected,
        "is_available": HttpRequires.is_available,
        "read": HttpRequires.read,
        "websites": HttpRequires.websites,
        "services": HttpRequires.services,
        "extras": yaml_extras,
        "payloads": current_payloads,
        "malformed_units": HttpRequires.malformed_units,
    },
    # The tokens mark host names and YAML, to catch them in logs; none is a secret, and a
    # deferred event keeps what it announced.
    tokens_are_secrets=False,
    # Answers that hold the websites' values by contract: a token there is no leak. The
    # others, the logs and every exception must hold none.
    secret_queries=frozenset({"read", "websites", "services", "extras", "payloads"}),
    databags=databags(HTTP_KEYS),
)


class HttpFuzzCharm(FuzzCharm):
    """The fuzz charm, also recording the events of no pair: `new_website`, `website_removed`."""

    def _payload(self, event: ops.EventBase) -> Any:
        if event.handle.kind == "new_website":
            return new_website_payload(self.library, event)
        if event.handle.kind == "website_removed":
            return getattr(event, "unit_name", ())
        return super()._payload(event)


ORDER = ("website_removed", "unavailable", "disconnected", "connected", "available", "new_website")
"""The order of the requirer's events for one relation within a hook: the ends first."""


class HttpRequiresMachine(RemoteDataMachine):
    """The generic machine, also checking `new_website`, `website_removed` and the order."""

    def __init__(self) -> None:
        super().__init__()
        # Per relation: what its last `new_website` announced, until its offer ended.
        self.offers: dict[int, Payload] = {}
        # Per relation: the units announced by `new_website` that `website_removed` named since.
        self.removed: dict[int, set[str]] = {}

    def _forget_announcements(self) -> None:
        super()._forget_announcements()
        self.offers, self.removed = {}, {}

    def _check_events(self, recording: Recording, reemitted: set[str]) -> None:
        fresh = [seen for seen in recording.events if seen.handle not in reemitted]
        order = [(seen.relation_id, ORDER.index(seen.name)) for seen in fresh]
        if order != sorted(order):
            names = [(seen.relation_id, seen.name) for seen in fresh]
            raise EventQueryDisagreementError(
                self._failure(f"events out of order (relation by relation, ends first): {names}")
            )
        for index, seen in enumerate(fresh):
            relation_id = seen.relation_id
            if seen.name == "website_removed":
                announced_units = self._units_left(relation_id)
                if seen.payload not in announced_units:
                    raise RepeatedEventError(
                        self._failure(
                            f"website_removed of {seen.payload} on relation {relation_id}, "
                            f"which announced {sorted(announced_units)}"
                        )
                    )
                self.removed.setdefault(relation_id, set()).add(seen.payload)
            elif seen.name == "new_website":
                self._check_new_website(seen)
            else:
                if seen.name == "available":
                    following = [
                        s.name for s in fresh[index + 1 :] if s.relation_id == relation_id
                    ]
                    if following[:1] != ["new_website"]:
                        raise EventQueryDisagreementError(
                            self._failure(
                                f"available on relation {relation_id} without new_website"
                            )
                        )
                usable = self._usable_left(relation_id)
                if seen.name == "unavailable" and usable:
                    raise EventQueryDisagreementError(
                        self._failure(
                            f"unavailable on relation {relation_id} before website_removed of "
                            f"{sorted(usable)}"
                        )
                    )
                self._check_event(seen)

    def _check_new_website(self, seen: Seen) -> None:
        """A new offer: never while leaving, never the same again, with websites just when
        the relation is announced `available`."""
        relation_id, payload = seen.relation_id, seen.payload
        if self.leaving:
            raise LeavingUnitError(self._failure("new_website while this unit is leaving"))
        if payload is None:
            raise EventQueryDisagreementError(
                self._failure(f"new_website on relation {relation_id}, which offers nothing")
            )
        if self.offers.get(relation_id) == payload:
            raise RepeatedEventError(self._failure("new_website repeated an unchanged payload"))
        available = relation_id in self.announced["available"]
        if bool(payload[0]) != available:
            raise EventQueryDisagreementError(
                self._failure(
                    f"new_website on relation {relation_id} announces {len(payload[0])} "
                    f"websites, while `available` {'holds' if available else 'does not'}"
                )
            )
        self.offers[relation_id] = payload
        self.removed.pop(relation_id, None)

    def _units_left(self, relation_id: int) -> set[str]:
        """The units the relation's offer announced (usable, or sending extra keys), not
        removed since."""
        payload = self.offers.get(relation_id)
        units = {website[0] for website in payload[0]} | set(payload[1]) if payload else set()
        return units - self.removed.get(relation_id, set())

    def _usable_left(self, relation_id: int) -> set[str]:
        payload = self.offers.get(relation_id)
        units = {website[0] for website in payload[0]} if payload else set[str]()
        return units - self.removed.get(relation_id, set())

    def _check_final_answers(self, recording: Recording) -> None:
        super()._check_final_answers(recording)
        # An offer ends when every unit it announced was removed, with no new_website after.
        for relation_id in [r for r, units in self.removed.items() if units]:
            if not self._units_left(relation_id):
                del self.offers[relation_id], self.removed[relation_id]
        left = {relation_id: units for relation_id, units in self.removed.items() if units}
        if left:
            raise EventQueryDisagreementError(
                self._failure(f"website_removed of {left} with no new_website after it")
            )
        if self.leaving and self.offers:
            raise LeavingUnitError(
                self._failure(
                    f"still announced while leaving: new_website of {sorted(self.offers)}"
                )
            )
        current: dict[int, Payload] = recording.final["payloads"]
        if current != self.offers:
            raise EventQueryDisagreementError(
                self._failure(
                    f"at the end of the hook the relations offer {short(current, 600)}, but "
                    f"new_website announced {short(self.offers, 600)}"
                )
            )


# --- The provider reads nothing, but its proxies' databags may hold anything ---------------

PROVIDER = RemoteDataTarget(
    name="http-provides",
    endpoint=PROVIDER_ENDPOINT,
    metadata=PROVIDES_META,
    build=HttpProvides,
    pairs=(EventPair("connected", "disconnected", "is_connected"),),
    queries={"is_connected": HttpProvides.is_connected, "published": HttpProvides.published},
    databags=databags(HTTP_KEYS),
    reads_remote_data=False,
)

TestRequirerRemoteData = remote_data_test(REQUIRER, HttpRequiresMachine, HttpFuzzCharm)
TestProviderRemoteData = remote_data_test(PROVIDER)

ONE_DATABAG = dataclasses.replace(REQUIRER, unpaired=())
"""The requirer for the properties of one databag, which check no event."""

OTHER_YAML = dataclasses.replace(
    ONE_DATABAG,
    name="http-requires-other-yaml",
    queries={**ONE_DATABAG.queries, "extras": every_extra},
)
"""The requirer asking for `sitenames` as YAML before it asks `malformed_units()`."""

QUARTER = settings(max_examples=max(settings().max_examples // 4, 20))
"""For the properties that run a dozen hooks per example, or one per setter: a quarter of the
profile's examples (at least 20) keeps `make fuzz` for http within its time."""

# --- Charms for the http-specific properties -----------------------------------------------


class ProxyCharm(ops.CharmBase):
    """Records the requirer's answers at the end of the hook."""

    answers: ClassVar[dict[str, Any]] = {}

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.library = HttpRequires(self)
        framework.observe(self.on.collect_unit_status, self._on_collect_status)

    def _on_collect_status(self, _: ops.CollectStatusEvent) -> None:
        library = self.library
        extras = library.extras()
        ProxyCharm.answers = {
            "read": library.read(),
            "per relation": {r.id: library.read(r) for r in library.relations},
            "is_connected": library.is_connected(),
            "is_available": library.is_available(),
            "websites": library.websites(),
            "services": library.services(),
            "extras": extras,
            "yaml": {
                name: {key: (each.yaml(key), key in each.problems()) for key in YAML_KEYS}
                for name, each in extras.items()
            },
            "malformed_units": library.malformed_units(),
        }


class WebsiteCharm(ops.CharmBase):
    """Records the provider's available and unavailable events."""

    events: ClassVar[list[tuple[str, int]]] = []

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.library = HttpProvides(self)
        framework.observe(self.library.on.available, self._on_available)
        framework.observe(self.library.on.unavailable, self._on_unavailable)

    def _on_available(self, event: Any) -> None:
        self.events.append(("available", event.relation.id))

    def _on_unavailable(self, event: Any) -> None:
        self.events.append(("unavailable", event.relation.id))


# --- The endpoint answers with every relation's websites, extras and problems --------------

RIGHT_VALUES = {
    "hostname": hosts,
    "private-address": addresses,
    "port": ports,
    "extended_data": right_extended,
    "services": right_services,
}
MOSTLY_USABLE = databags(
    {key: st.one_of(values, values, HTTP_KEYS[key]) for key, values in RIGHT_VALUES.items()}
)
"""Databags that are usable more often than `REQUIRER.databags`, for the properties below."""

ENDPOINT_TALLY = "http-requires-endpoint"
"""The name under which the tally counts the databags of the endpoint property."""

Relations = list[tuple[str, dict[int, dict[str, str]]]]
"""Each relation's remote application and its units' databags, by unit number."""


@st.composite
def related_units(draw: st.DrawFn) -> Relations:
    """One to three relations, each with some units (numbered sparsely) and their databags.

    Two relations may be to the same application (through two of its endpoints), its units
    numbered apart so that each unit name is one unit's.
    """
    found: Relations = []
    taken: dict[str, set[int]] = {}
    for _ in range(draw(st.integers(1, 3), label="relations")):
        app = draw(st.sampled_from(["website", "blog"]), label="application")
        numbers = draw(st.sets(st.integers(0, 12), max_size=4), label="unit numbers")
        numbers -= taken.setdefault(app, set())
        taken[app] |= numbers
        either = st.one_of(REQUIRER.databags, MOSTLY_USABLE)
        found.append((app, {number: draw(either) for number in sorted(numbers)}))
    TALLY.databags_by_role[ENDPOINT_TALLY] += sum(len(units) for _, units in found)
    return found


def expected_services(websites: list[tuple[str, Website]]) -> list[tuple[str, list[Host]]]:
    """The websites grouped by application, in order of first appearance, each host once,
    sorted by hostname, private address, then port."""
    grouped: dict[str, set[Host]] = {}
    for app, (_, hostname, address, port, extended) in websites:
        grouped.setdefault(app, set()).update([(hostname, address, port), *extended])
    return [(app, sorted(found)) for app, found in grouped.items()]


A_UNIT = {"hostname": "10.0.0.9", "port": "8080"}
"""A usable unit's databag, for the explicit examples below."""
A_LIST = '[{"hostname": "10.0.14.5", "port": 8080, "private-address": "10.0.14.5"}]'


@given(relations=related_units())
@example(
    relations=[
        ("website", {0: {**A_UNIT, "extended_data": A_LIST}, 1: {**A_UNIT, "port": "80"}}),
        ("blog", {2: {"private-address": "10.0.0.8", "port": '"443"', "services": "- a: 1"}}),
        ("website", {3: {**A_UNIT, "extended_data": json.dumps(A_LIST), "services": "[a"}}),
    ]
)
def test_the_endpoint_answers_with_every_relations_websites_and_extras(relations: Relations):
    ctx = fuzz_context(ProxyCharm, REQUIRES_META)
    state = testing.State(
        relations=[
            testing.Relation(
                REQUIRER_ENDPOINT, id=number + 1, remote_app_name=app, remote_units_data=units
            )
            for number, (app, units) in enumerate(relations)
        ]
    )
    ProxyCharm.answers = {}
    run_hook(ctx, ctx.on.update_status(), state, "update-status")
    _check_endpoint(relations, ProxyCharm.answers)


def _check_endpoint(relations: Relations, answers: dict[str, Any]) -> None:
    """Compare the endpoint's answers with the independent reading of every databag."""
    where = f"with the databags {short(relations, 600)}"
    per_relation: dict[int, HttpOffer] = answers["per relation"]
    everyone: list[tuple[str, Website]] = []
    extras: dict[str, dict[str, str]] = {}
    malformed: set[tuple[int, str, frozenset[str]]] = set()
    for number, (app, units) in enumerate(relations):
        relation_id = number + 1
        readings = {
            f"{app}/{unit}": expected_unit(f"{app}/{unit}", bag) for unit, bag in units.items()
        }
        websites = [r.website for r in readings.values() if r.website is not None]
        found = [website_as_tuple(w) for w in per_relation[relation_id].websites]
        if found != websites:
            raise EventQueryDisagreementError(
                f"read(relation {relation_id}) answers {short(found)}, but the usable units are "
                f"{short(websites)}, {where}"
            )
        everyone += [(app, website) for website in websites]
        for name, reading in readings.items():
            if reading.extras:
                extras[name] = reading.extras
            fields = set(reading.malformed)
            for key in YAML_KEYS:
                parsed, refused = answers["yaml"].get(name, {}).get(key, (None, False))
                where_yaml = f"unit {name}, {where}"
                if check_yaml_answer(parsed, refused, key, reading.extras.get(key), where_yaml):
                    fields.add(key)
            if fields:
                malformed.add((relation_id, name, frozenset(fields)))
    whole: HttpOffer = answers["read"]
    if [website_as_tuple(w) for w in whole.websites] != [w for _, w in everyone]:
        raise EventQueryDisagreementError(
            f"read() answers {short(whole.websites)}, not every relation's websites in order, "
            f"{where}"
        )
    services = expected_services(everyone)
    typed = [
        (service.service_name, [(h.hostname, h.private_address, h.port) for h in service.hosts])
        for service in whole.services
    ]
    legacy = {
        "is_connected": any(units for _, units in relations),
        "is_available": bool(everyone),
        "websites": [
            {
                "hostname": hostname,
                "port": str(port),
                "relation_id": relation_id,
                "remote_unit_name": name,
            }
            for relation_id, (name, hostname, _, port, _) in _with_relation_ids(relations)
        ],
        "services": [
            {
                "service_name": app,
                "hosts": [
                    {"hostname": h, "private-address": a, "port": str(p)} for h, a, p in found
                ],
            }
            for app, found in services
        ],
    }
    answered = {name: answers[name] for name in legacy}
    if (answered, typed) != (legacy, services):
        raise EventQueryDisagreementError(
            f"the queries answer {short((answered, typed), 900)}, not "
            f"{short((legacy, services), 900)}, {where}"
        )
    found_extras = {name: dict(each.raw) for name, each in answers["extras"].items()}
    if found_extras != extras or list(found_extras) != list(extras):
        raise EventQueryDisagreementError(
            f"extras() answers {short(found_extras)}, not {short(extras)}, {where}"
        )
    found_malformed = {
        (unit.relation_id, unit.unit_name, frozenset(unit.fields))
        for unit in answers["malformed_units"]
    }
    if found_malformed != malformed:
        raise EventQueryDisagreementError(
            f"malformed_units() answers {short(sorted(found_malformed, key=str))}, not "
            f"{short(sorted(malformed, key=str))}, {where}"
        )


def _with_relation_ids(relations: Relations) -> list[tuple[int, Website]]:
    found: list[tuple[int, Website]] = []
    for number, (app, units) in enumerate(relations):
        for unit, databag in sorted(units.items()):
            website = expected_unit(f"{app}/{unit}", databag).website
            if website is not None:
                found.append((number + 1, website))
    return found


def check_yaml_answer(answer: Any, refused: bool, key: str, text: str | None, where: str) -> bool:
    """Check the answer to `yaml(key)` against the text sent; return whether it was refused.

    An answer must be what PyYAML's safe loader reads, from a text within the bound. None
    means the key is absent, the document is null, or the text is refused (and listed).
    """
    if text is None:
        if answer is not None or refused:
            raise FieldToleranceError(
                f"yaml({key!r}) answers {short(answer)} for no text; {where}"
            )
        return False
    if answer is not None:
        if refused:
            raise FieldToleranceError(f"yaml({key!r}) answers and refuses; {where}")
        if len(text) > YAML_LIMIT:
            raise FieldToleranceError(f"yaml({key!r}) parsed a text over the bound; {where}")
        expected = safe_reading(text)
        if not same_yaml(answer, expected):
            raise FieldToleranceError(
                f"yaml({key!r}) answers {short(answer)}, not {short(expected)}; {where}"
            )
        return False
    if not refused and safe_reading(text) is not None:  # parsed within the bounds: cheap
        raise FieldToleranceError(f"yaml({key!r}) answers None for a document; {where}")
    return refused


# --- Per-field tolerance: a malformed field hides itself, not the unit's other fields -------

PER_FIELD = "http-requires-per-field"
"""The name under which the tally counts the databags of the per-field property."""


ANYTHING = {
    key: st.one_of(marked(hostile_text()), values)
    for key, values in {**HTTP_KEYS, "all_services": yaml_values()}.items()
}


@st.composite
def port_host_and_anything(draw: st.DrawFn) -> dict[str, str]:
    """A databag with a valid port and a valid hostname or `private-address` (or both),
    whose other keys hold anything."""
    databag = draw(databags(ANYTHING))
    databag["port"] = draw(st.one_of(ports, ports.map(json.dumps)))
    valid = draw(
        st.sampled_from([("hostname",), ("private-address",), ("hostname", "private-address")])
    )
    for key in valid:
        databag[key] = draw(st.one_of(hosts, tokens()) if key == "hostname" else addresses)
    return databag


def _check_one_unit(databag: dict[str, str], answers: dict[str, Any], where: str) -> None:
    """Compare one unit's answers with the independent reading of its databag."""
    expected = expected_unit("remote/0", databag)
    offer: HttpOffer = answers["read"]
    found = (answers["is_available"], [website_as_tuple(w) for w in offer.websites])
    wanted = (expected.website is not None, [] if expected.website is None else [expected.website])
    if found != wanted:
        raise FieldToleranceError(
            f"is_available() and read() answer {short(found)}, not {short(wanted)}; {where}"
        )
    extras = answers["extras"].get("remote/0")
    raw = {} if extras is None else extras[0]
    if raw != expected.extras:
        raise FieldToleranceError(
            f"extras() answers {short(raw)}, not {short(expected.extras)}; {where}"
        )
    reported = [frozenset(unit.fields) for unit in answers["malformed_units"]]
    refused = reported[0] if reported else frozenset[str]()
    fields = set(expected.malformed)
    for index, key in enumerate(YAML_KEYS):
        parsed = None if extras is None else extras[1 + index]
        if check_yaml_answer(parsed, key in refused, key, expected.extras.get(key), where):
            fields.add(key)
    if reported != ([frozenset(fields)] if fields else []):
        raise FieldToleranceError(
            f"malformed_units() reports the fields {short(reported)}, not {short(fields)}; {where}"
        )


@given(databag=port_host_and_anything())
@example(databag={**A_UNIT, "private-address": "bad host", "extended_data": "[" * 200_000})
@example(databag={**A_UNIT, "extended_data": "[" * 30_000 + "]" * 30_000, "services": "&a [*a]"})
@example(databag={**A_UNIT, "extended_data": "[" + ", ".join([A_LIST[1:-1]] * 1000) + "]"})
@example(databag={**A_UNIT, "hostname": '"web-0"', "extended_data": '{"hostname": "10.0.0.5"}'})
@example(databag={"private-address": "10.0.0.9", "hostname": "bad host", "port": '"8080"'})
def test_a_valid_port_and_host_count_whatever_the_other_keys_hold(databag: dict[str, str]):
    answers = read_one_databag(ONE_DATABAG, databag, tally_as=PER_FIELD)
    _check_one_unit(databag, answers, f"for a unit publishing {short(databag)}")
    if not answers["is_available"]:
        raise FieldToleranceError(
            f"a unit with a valid port and host is not available: {short(databag)}"
        )


@given(databag=st.fixed_dictionaries({"sitenames": st.one_of(hostile_yaml(), sitenames)}))
def test_malformed_units_lists_no_yaml_key_but_services_and_all_services(
    databag: dict[str, str],
):
    databag = {**A_UNIT, **databag}
    answers = read_one_databag(OTHER_YAML, databag, tally_as=OTHER_YAML.name)
    fields = {field for unit in answers["malformed_units"] for field in unit.fields}
    if fields - {"hostname", "private-address", "port", "extended_data", *YAML_KEYS}:
        raise FieldToleranceError(
            f"malformed_units() reports the fields {sorted(fields)} after yaml('sitenames'), "
            f"for a unit publishing {short(databag)}"
        )


# --- Per-entry tolerance: a malformed entry hides itself, not the list's other entries ------

PER_ENTRY = "http-requires-per-entry"
"""The name under which the tally counts the databags of the per-entry property."""


@st.composite
def good_entries_among_bad(draw: st.DrawFn) -> dict[str, str]:
    """A usable unit whose `extended_data` mixes valid entries with bad ones."""
    entries = draw(st.lists(st.one_of(extended_entries(), bad_entries()), min_size=1, max_size=8))
    if draw(st.booleans()):
        entries += draw(st.lists(st.sampled_from(entries), max_size=2))  # duplicates
    text = json.dumps(entries, separators=draw(st.sampled_from([(", ", ": "), (",", ":")])))
    if draw(st.booleans()):
        text = json.dumps(text)  # encoded twice, as one legacy build did
    return {**A_UNIT, "private-address": draw(addresses), "extended_data": text}


@given(databag=good_entries_among_bad())
@example(
    databag={
        **A_UNIT,
        "extended_data": '[{"hostname": "bad host", "port": 80, "private-address": "10.0.0.5"}, '
        '{"port": "80", "private-address": "10.0.0.6"}, 7, {"private-address": "10.0.0.7"}, '
        '{"hostname": "", "port": 80, "private-address": "\\"10.0.0.8\\""}, '
        '{"hostname": "w", "port": 80.0, "private-address": "10.0.0.9"}]',
    }
)
def test_a_valid_extended_entry_counts_whatever_its_neighbours_hold(databag: dict[str, str]):
    answers = read_one_databag(ONE_DATABAG, databag, tally_as=PER_ENTRY)
    _check_one_unit(databag, answers, f"for a unit publishing {short(databag)}")


# --- YAML: read as the safe loader reads it, or refused whole -------------------------------

YAML_TALLY = "http-requires-yaml"
"""The name under which the tally counts the databags of the YAML property."""


@st.composite
def yaml_databags(draw: st.DrawFn) -> tuple[dict[str, str], Any]:
    """A usable unit whose `services` is right (with the stanzas it holds) or hostile, slow
    shapes included, and whose `all_services` is anything."""
    databag = {
        **A_UNIT,
        "all_services": draw(st.one_of(yaml_values(right_services), hostile_yaml(slow=True))),
    }
    if draw(st.booleans()):
        sent = draw(st.lists(stanzas(), min_size=1, max_size=4))
        text = draw(yaml_texts(st.just(sent)))
        databag["services"] = draw(st.sampled_from([text, json.dumps(text)]))
        return databag, sent
    databag["services"] = draw(st.one_of(hostile_yaml(slow=True), marked(hostile_text())))
    return databag, None


@given(sample=yaml_databags())
@example(sample=({**A_UNIT, "services": _alias_bomb(9, 9), "all_services": "!!set {a}"}, None))
@example(sample=({**A_UNIT, "services": _merge_bomb(12), "all_services": "[a, b"}, None))
@example(sample=({**A_UNIT, "services": _YAML_SLOW[0](), "all_services": "- x"}, None))
@example(
    sample=(
        {**A_UNIT, "services": "- service_name: a\n", "all_services": "&a [*a]"},
        [{"service_name": "a"}],
    )
)
def test_yaml_is_read_as_the_safe_loader_reads_it_or_refused_whole(
    sample: tuple[dict[str, str], Any],
):
    databag, sent = sample
    answers = read_one_databag(ONE_DATABAG, databag, tally_as=YAML_TALLY)
    where = f"for a unit publishing {short(databag)}"
    _check_one_unit(databag, answers, where)
    if sent is not None:
        parsed = answers["extras"]["remote/0"][1]
        if parsed != sent:
            raise FieldToleranceError(
                f"yaml('services') answers {short(parsed)}, not the stanzas sent; {where}"
            )


# --- What the provider writes: an independent model of the docstring ------------------------
# Each setter's effect on one relation's databag, given this unit's ingress address there: a
# key set to a value, a key set to None (removed), or a key left out (untouched). `RefusedError` is
# the input the docstring says raises ValueError.

_EXTRA_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_PROXY_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,128}")

Effect = Callable[[str | None], dict[str, str | None]]
"""A setter's effect on a databag, given this unit's ingress address on its relation."""


class RefusedError(Exception):
    """Input the docstring says the setter refuses with ValueError."""


def port_text(value: object) -> str:
    """The wire text of a port the charm passes."""
    if not isinstance(value, (int, str)):
        raise RefusedError
    number = port_number(value)
    if number is None:
        raise RefusedError
    return str(number)


def given_addresses(value: object) -> tuple[bool, list[str]]:
    """Whether the charm passed a list, and its addresses; None and "" pass none."""
    if value is None or (isinstance(value, str) and not value):
        return False, []
    if isinstance(value, (list, tuple)):
        items = list(cast("list[Any]", value))
        if not all(host_name(item) is not None for item in items):
            raise RefusedError
        return True, items
    if host_name(value) is None:
        raise RefusedError
    return False, [cast("str", value)]


def configure_effect(
    port: object, private_address: object = None, hostname: object = None
) -> Effect:
    """`configure`, as the docstring's table says: lists padded with the ingress address."""
    text = port_text(port)
    listed_addresses, addresses_ = given_addresses(private_address)
    listed_names, names = given_addresses(hostname)
    length = max(len(names), len(addresses_), 1)
    pairs = [
        (names[i] if i < len(names) else None, addresses_[i] if i < len(addresses_) else None)
        for i in range(length)
    ]
    extended = (listed_addresses or listed_names) and bool(names or addresses_)
    port_value: int | str = int(text) if isinstance(port, int) else text

    def effect(ingress: str | None) -> dict[str, str | None]:
        if ingress is None and any(None in pair for pair in pairs):
            return {}  # nothing of the website is written while the address is unknown
        filled = [(name or ingress, address or ingress) for name, address in pairs]
        extra = [{"hostname": n, "port": port_value, "private-address": a} for n, a in filled[1:]]
        return {
            "hostname": filled[0][0],
            "private-address": filled[0][1],
            "port": text,
            "extended_data": json.dumps(extra) if extended else None,
        }

    return effect


def clear_website_effect() -> Effect:
    def effect(ingress: str | None) -> dict[str, str | None]:
        withdrawn: dict[str, str | None] = dict.fromkeys(("hostname", "port", "extended_data"))
        if ingress is not None:
            withdrawn["private-address"] = ingress
        return withdrawn

    return effect


def extra_key(key: object) -> str:
    if not isinstance(key, str) or not _EXTRA_KEY.fullmatch(key) or key in RESERVED_KEYS:
        raise RefusedError
    return key


def text_of(value: object) -> str:
    """Text Juju can carry: valid Unicode, as a plain `str` (an enum member as its value)."""
    if not isinstance(value, str):
        raise RefusedError
    try:
        value.encode()
    except UnicodeEncodeError:
        raise RefusedError from None
    return str.__str__(value)


def extra_value(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise RefusedError
    if isinstance(value, int):
        try:
            return str(int(value))  # an IntEnum member as its number
        except ValueError:  # past Python's digit limit
            raise RefusedError from None
    return text_of(value) or None


def publish_extra_effect(values: object) -> Effect:
    if not isinstance(values, Mapping):
        raise RefusedError
    items = cast("Mapping[Any, Any]", values).items()
    wire = {extra_key(key): extra_value(value) for key, value in items}
    return lambda _: dict(wire)


def clear_extra_effect(databag: Mapping[str, str], *keys: object) -> Effect:
    names = [extra_key(key) for key in keys]
    if not keys:
        names = [key for key in databag if key not in RESERVED_KEYS] + ["services"]
    return lambda _: dict.fromkeys(names)


# publish_services: each stanza as the docstring describes it.


def config_line(value: object) -> str:
    text = text_of(value)
    if len(text) > 1024 or not text.strip() or not text.isprintable():
        raise RefusedError
    return text


def proxy_name(value: object) -> str:
    if not isinstance(value, str) or not _PROXY_NAME.fullmatch(value):
        raise RefusedError
    return str.__str__(value)


def plain_data(value: object, depth: int = 0) -> Any:
    """Plain YAML data (tuples as lists), as the charm may pass it; a subclass of str, int or
    float (an enum member) as its plain value."""
    if depth > 32:
        raise RefusedError
    if isinstance(value, str):
        return text_of(value)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        try:
            str(value)
        except ValueError:  # past Python's digit limit: YAML cannot write it
            raise RefusedError from None
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [plain_data(item, depth + 1) for item in cast("list[Any]", value)]
    if isinstance(value, Mapping):
        items = cast("Mapping[Any, Any]", value)
        if not all(isinstance(key, str) for key in items):
            raise RefusedError
        return {text_of(key): plain_data(item, depth + 1) for key, item in items.items()}
    raise RefusedError


def server_wire(server: object) -> list[Any]:
    """A server as `[name or None, address or None, port, options]`."""
    if isinstance(server, ProxyServer):
        return [server.name, server.address, server.port, server.options]
    if isinstance(server, (list, tuple)) and 3 <= len(cast("list[Any]", server)) <= 4:
        server = dict(
            zip(("name", "address", "port", "options"), cast("list[Any]", server), strict=False)
        )
    if not isinstance(server, dict):
        raise RefusedError
    fields = cast("dict[Any, Any]", server)
    if set(fields) - {"name", "address", "port", "options"} or "port" not in fields:
        raise RefusedError
    name, address, options = fields.get("name"), fields.get("address"), fields.get("options")
    return [
        None if name is None else proxy_name(name),
        None if address is None else (host_name(address) or _refuse()),
        int(port_text(fields["port"])),
        None if options is None else config_line(options),
    ]


def _refuse() -> str:
    raise RefusedError


def stanza_wire(service: object) -> dict[str, Any]:
    """A stanza's wire form, its servers without an address holding None."""
    if isinstance(service, ProxyService):
        service = {**service.model_dump(exclude_none=True), **(service.model_extra or {})}
    if not isinstance(service, Mapping):
        raise RefusedError
    fields = dict(cast("Mapping[Any, Any]", service))
    stanza: dict[str, Any] = {"service_name": proxy_name(fields.pop("service_name", None))}
    host = fields.pop("service_host", None)
    if host is not None:
        stanza["service_host"] = host_name(host) or _refuse()
    port = fields.pop("service_port", None)
    if port is not None:
        stanza["service_port"] = int(port_text(port))
    options = fields.pop("service_options", None)
    if options is not None:
        if not isinstance(options, (list, tuple)):
            raise RefusedError
        stanza["service_options"] = [config_line(line) for line in cast("list[Any]", options)]
    servers = fields.pop("servers", None)
    if servers is not None:
        if not isinstance(servers, (list, tuple)):
            raise RefusedError
        stanza["servers"] = [server_wire(server) for server in cast("list[Any]", servers)]
    for key, value in fields.items():
        if type(key) is not str:
            raise RefusedError
        stanza[key] = plain_data(value)
    return stanza


def rendered_services(stanzas_: list[dict[str, Any]], ingress: str | None) -> str | None:
    """The `services` YAML on a relation, or None while an address it needs is unknown."""
    rendered: list[dict[str, Any]] = []
    for stanza in stanzas_:
        if "servers" in stanza:
            servers: list[list[Any]] = []
            for name, address, port, options in stanza["servers"]:
                if address is None and ingress is None:
                    return None
                default_name = f"{UNIT_NAME.replace('/', '-')}-{port}"
                servers.append([name or default_name, address or ingress, port, options])
            stanza = {**stanza, "servers": servers}
        rendered.append(stanza)
    return yaml.safe_dump(rendered, default_flow_style=False)


def publish_services_effect(services: object) -> Effect:
    if isinstance(services, (str, bytes, Mapping)) or not isinstance(services, Iterable):
        raise RefusedError
    wire = [stanza_wire(service) for service in cast("Iterable[Any]", services)]
    if not wire:
        raise RefusedError
    longest = rendered_services(wire, "f" * 39)
    if longest is not None and len(longest) > YAML_LIMIT:
        raise RefusedError

    def effect(ingress: str | None) -> dict[str, str | None]:
        text = rendered_services(wire, ingress)
        return {} if text is None else {"services": text}

    return effect


def applied(databag: Mapping[str, str], changes: Mapping[str, str | None]) -> dict[str, str]:
    """The databag after the changes: each key set, or removed for None."""
    result = dict(databag)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def ingress_of(databag: Mapping[str, str], bound: bool) -> str | None:
    """This unit's ingress address on a relation: Juju's binding, else the databag's."""
    return INGRESS if bound else host_name(databag.get("ingress-address"))


# --- The provider writes exactly what the charm set, over a legacy build's databag ----------

VALID_PORTS = st.sampled_from([8080, "8080", 1, 65535, "443"])
VALID_ADDRESSES = st.one_of(
    st.sampled_from([None, ""]),
    hosts,
    st.lists(hosts, max_size=3),
    st.lists(hosts, max_size=3).map(tuple),
)


class Mode(str, enum.Enum):
    """Option lines as a charm may keep them: its members are str."""

    HTTP = "mode http"
    TCP = "mode tcp"


class Weight(enum.IntEnum):
    """Numbers as a charm may keep them: its members are int."""

    LIGHT = 1
    HEAVY = 10


EXTRA_KEYS = ("sitenames", "service_name", "services", "all_services", "x.y-Z_0")
VALID_EXTRAS = st.dictionaries(
    st.sampled_from(EXTRA_KEYS),
    st.one_of(
        st.none(),
        st.just(""),
        st.integers(-5, 10**6),
        sitenames,
        right_services,
        st.sampled_from([*Mode, *Weight]),
    ),
    max_size=3,
)


@st.composite
def valid_servers(draw: st.DrawFn) -> Any:
    """A valid server in one of the shapes the charm may pass it."""
    name = draw(st.sampled_from([None, "web-0", "svc:8080"]))
    address = draw(st.one_of(st.none(), addresses))
    port = draw(st.sampled_from([8080, "8080", 443]))
    options = draw(st.sampled_from([None, "check", "check inter 2000"]))
    shape = draw(st.sampled_from(["model", "list", "short list", "mapping"]))
    if shape == "model":
        return ProxyServer.model_validate(
            {"name": name, "address": address, "port": port, "options": options}
        )
    if shape == "list":
        return [name, address, port, options]
    if shape == "short list":
        return (name, address, port)
    return {"port": port, **({"address": address} if address else {})}


@st.composite
def valid_stanzas(draw: st.DrawFn) -> Any:
    """A valid stanza, a `ProxyService` or a mapping, with further plain keys at times."""
    fields: dict[str, Any] = {"service_name": draw(st.sampled_from(PROXY_NAMES))}
    if draw(st.booleans()):
        fields["service_host"] = draw(st.sampled_from([ANY_ADDRESS, "fd00::5"]))
    if draw(st.booleans()):
        fields["service_port"] = draw(st.sampled_from([80, "443"]))
    if draw(st.booleans()):
        fields["service_options"] = draw(st.lists(st.sampled_from(OPTION_LINES), max_size=2))
    if draw(st.booleans()):
        fields["servers"] = draw(st.lists(valid_servers(), max_size=3))
    if draw(st.booleans()):
        fields["crts"] = draw(
            st.sampled_from(
                [["DEFAULT"], None, {"a": (1, 2.5, True)}, "x", [Mode.HTTP, Weight.HEAVY]]
            )
        )
    if draw(st.booleans()):
        return ProxyService.model_validate(fields)
    return fields


VALID_SERVICES = st.lists(valid_stanzas(), min_size=1, max_size=3)
VALID_CLEAR_KEYS = st.lists(st.sampled_from(EXTRA_KEYS), max_size=2).map(tuple)

PROVIDER_ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("configure"), st.tuples(VALID_PORTS, VALID_ADDRESSES, VALID_ADDRESSES)),
        st.tuples(st.just("publish_info"), st.tuples(VALID_PORTS, VALID_ADDRESSES)),
        st.tuples(st.just("publish_extra"), st.tuples(VALID_EXTRAS)),
        st.tuples(st.just("set_remote"), st.tuples(VALID_EXTRAS)),
        st.tuples(st.just("publish_services"), st.tuples(VALID_SERVICES)),
        st.tuples(st.just("clear_extra"), VALID_CLEAR_KEYS),
        st.tuples(st.just("clear_website"), st.just(())),
        st.tuples(
            st.sampled_from(["join", "depart", "changed", "update", "upgrade", "relate"]),
            st.just(()),
        ),
    ),
    max_size=10,
)

LEGACY_PORTS = st.sampled_from(["8080", '"8080"', "0", "not a port", "08080"])
LEFTOVERS = databags(
    {
        "hostname": marked(mixed_with(hosts)),
        "port": marked(st.one_of(LEGACY_PORTS, ports)),
        "extended_data": extended_values(),
        "services": yaml_values(few_services, often=False),
        "sitenames": marked(mixed_with(sitenames)),
        "ingress-address": marked(mixed_with(addresses)),
    }
).map(lambda databag: {key: value for key, value in databag.items() if value})
"""What a reactive build of the charm left in this unit's databag, Juju's keys too (never an
empty value: Juju removes a key set to one)."""


def setter_effect(action: str, args: tuple[Any, ...], databag: Mapping[str, str]) -> Effect:
    """The effect of a setter call, or `RefusedError`."""
    if action == "configure":
        return configure_effect(*args)
    if action == "publish_info":
        return configure_effect(args[0], None, *args[1:])
    if action in ("publish_extra", "set_remote"):
        return publish_extra_effect(args[0])
    if action == "publish_services":
        return publish_services_effect(args[0])
    if action == "clear_extra":
        return clear_extra_effect(databag, *args)
    return clear_website_effect()


def call_setter(library: HttpProvides, action: str, args: tuple[Any, ...]) -> Any:
    """Call a setter (or `get_ingress_address`) by name with the generated arguments."""
    if action == "set_remote":
        return library.set_remote(**args[0])
    if action == "clear_website":
        return library.clear_website()
    return getattr(library, action)(*args)


@QUARTER
@given(
    leftovers=LEFTOVERS,
    bound=st.booleans(),
    actions=PROVIDER_ACTIONS,
)
@example(
    leftovers={"ingress-address": "10.0.0.9", "port": '"8080"', "sitenames": "a.example"},
    bound=True,
    actions=[
        ("join", ()),  # available: the reactive charm's port is on the relation
        ("publish_extra", ({"service_name": "web"},)),  # the legacy keys stay
        ("configure", (80, ["10.0.0.5", "10.0.0.9"], None)),
        ("relate", ()),  # a new relation gets all of it
        ("clear_extra", ()),  # every extra key, the reactive charm's too
        ("configure", (80, [], [])),  # extended_data withdrawn
        ("clear_website", ()),  # unavailable
    ],
)
@example(
    leftovers={"ingress-address": "bad host", "port": "8080", "hostname": "old"},
    bound=False,  # the ingress address is unknown: what needs it is not written
    actions=[
        ("join", ()),
        ("configure", (8080, None, None)),
        ("publish_services", ([{"service_name": "a", "servers": [[None, None, 80, None]]}],)),
        ("configure", (8080, "10.0.0.5", "web-0")),
        ("relate", ()),
        ("upgrade", ()),
    ],
)
def test_the_provider_writes_exactly_what_the_charm_set_over_a_legacy_databag(
    leftovers: dict[str, str], bound: bool, actions: list[tuple[str, tuple[Any, ...]]]
):
    ctx = fuzz_context(WebsiteCharm, PROVIDES_META)
    relation = testing.Relation(PROVIDER_ENDPOINT, remote_units_data={}, local_unit_data=leftovers)
    networks = set[testing.Network]()
    if not bound:
        networks = {testing.Network(PROVIDER_ENDPOINT, bind_addresses=[], ingress_addresses=[])}
    state = testing.State(relations=[relation], networks=networks)
    expected = {relation.id: dict(leftovers)}
    effects: list[Effect] = []
    was_available = {relation.id: False}
    steps = [f"created, this unit's databag holding {short(leftovers, 500)}"]
    WebsiteCharm.events = []
    ctx.juju_log.clear()
    state = run_hook(ctx, ctx.on.relation_created(relation), state, steps[0])
    next_unit = 0
    for action, args in actions:
        relations = sorted(state.relations, key=lambda r: r.id)
        steps.append(f"{action}{short(args) if args else ''}")
        where = "steps:\n  " + "\n  ".join(steps)
        WebsiteCharm.events = []
        if action in ("join", "depart", "changed"):
            relation = cast("testing.Relation", relations[next_unit % len(relations)])
        if action == "relate":
            relation = testing.Relation(PROVIDER_ENDPOINT, remote_units_data={})
            expected[relation.id] = dict(relation.local_unit_data)
            for effect in effects:
                ingress = ingress_of(expected[relation.id], bound)
                expected[relation.id] = applied(expected[relation.id], effect(ingress))
            was_available[relation.id] = False
            state = dataclasses.replace(state, relations=[*relations, relation])
            state = run_hook(ctx, ctx.on.relation_created(relation), state, where)
        elif action == "join":
            units = {**relation.remote_units_data, next_unit: {"private-address": "10.1.0.9"}}
            state = _with_relation(state, dataclasses.replace(relation, remote_units_data=units))
            for event in (ctx.on.relation_joined, ctx.on.relation_changed):
                relation = relation_in(state, relation.id)
                state = run_hook(ctx, event(relation, remote_unit=next_unit), state, where)
            next_unit += 1
        elif action == "depart" and relation.remote_units_data:
            units = dict(relation.remote_units_data)
            departing = min(units)
            del units[departing]
            relation = dataclasses.replace(relation, remote_units_data=units)
            state = _with_relation(state, relation)
            event = ctx.on.relation_departed(
                relation, remote_unit=departing, departing_unit=departing
            )
            state = run_hook(ctx, event, state, where)
        elif action == "changed" and relation.remote_units_data:
            event = ctx.on.relation_changed(relation, remote_unit=min(relation.remote_units_data))
            state = run_hook(ctx, event, state, where)
        elif action == "upgrade":
            state = run_hook(ctx, ctx.on.upgrade_charm(), state, where)
        elif action not in ("join", "depart", "changed", "update"):
            every_key = {key: value for bag in expected.values() for key, value in bag.items()}
            effect = setter_effect(action, args, every_key)
            effects.append(effect)
            for relation_id, databag in expected.items():
                expected[relation_id] = applied(databag, effect(ingress_of(databag, bound)))
            with ctx(ctx.on.update_status(), state) as manager:
                try:
                    call_setter(manager.charm.library, action, args)
                except Exception as error:
                    raise SetterMisbehavedError(
                        f"{short(error)} for valid input; {where}"
                    ) from error
                state = manager.run()
            release_finished_hooks()
        else:
            state = run_hook(ctx, ctx.on.update_status(), state, where)
        _check_provider_step(state, expected, was_available, ctx, where)


def _with_relation(state: testing.State, relation: testing.Relation) -> testing.State:
    others = [r for r in state.relations if r.id != relation.id]
    return dataclasses.replace(state, relations=[*others, relation])


def _check_provider_step(
    state: testing.State,
    expected: dict[int, dict[str, str]],
    was_available: dict[int, bool],
    ctx: testing.Context[Any],
    where: str,
) -> None:
    """Each databag holds what the model says; available follows a proxy and the port."""
    leaked = SECRETS.leaks(line.message for line in ctx.juju_log)
    if leaked:
        raise SecretLeakError(f"tokens {leaked} of this unit's databag reached a log; {where}")
    wanted_events: list[tuple[str, int]] = []
    for relation_id in sorted(expected):
        current = relation_in(state, relation_id)
        if dict(current.local_unit_data) != expected[relation_id]:
            raise SetterMisbehavedError(
                f"relation {relation_id} holds {short(current.local_unit_data, 900)}, not "
                f"{short(expected[relation_id], 900)}; {where}"
            )
        port = port_number(decoded(current.local_unit_data.get("port", "")))
        now = bool(current.remote_units_data) and port is not None
        if now != was_available[relation_id]:
            wanted_events.append(("available" if now else "unavailable", relation_id))
        was_available[relation_id] = now
    if sorted(WebsiteCharm.events, key=lambda e: e[1]) != wanted_events:
        raise EventQueryDisagreementError(
            f"the events were {short(WebsiteCharm.events)}, not {short(wanted_events)}; {where}"
        )


# --- Setter input: invalid, or anything -----------------------------------------------------

BAD_PORTS: tuple[Any, ...] = (
    0,
    65536,
    -1,
    "0",
    "65536",
    "-1",
    "08080",
    " 8080",
    "8080 ",
    "8080\n",
    "8e3",
    "",
    "\ud800",
    "８０８０",  # fullwidth digits  # noqa: RUF001 - the confusable is the point
    True,
    False,
    None,
    8080.0,
    b"8080",
    [8080],
    ["8080"],
    {"port": 8080},
)
BAD_HOSTS: tuple[Any, ...] = (
    " ",
    "bad host",
    "$(reboot)",
    "`id`",
    "a" * 300,
    "fe80::1%eth0",
    "[fd00::5]",
    "10.0.0.5:8080",
    "-web",
    "web-",
    "a..b",
    "1.2.3",
    "256.0.0.1",
    "web_0",
    "web\n",
    "\x00",
    "\ud800",
    "w\u00e9b",
    b"host",
    3,
    True,
    {"host": "10.0.0.5"},
)


@st.composite
def bad_host_text(draw: st.DrawFn) -> str:
    """An address no check may take, holding a token: a message that quotes it leaks it."""
    token = draw(tokens())
    return draw(
        st.sampled_from([f"{token} x", f"[{token}]", f"{token}:80", f"{token}\n", f"-{token}"])
    )


bad_hosts = st.one_of(st.sampled_from(BAD_HOSTS), bad_host_text())


@st.composite
def bad_address_lists(draw: st.DrawFn) -> Any:
    """A list of addresses with a bad one among good ones (None too: not an address there)."""
    good: list[Any] = draw(st.lists(hosts, max_size=3))
    good.insert(
        draw(st.integers(0, len(good))), draw(st.one_of(bad_hosts, st.sampled_from([None, ""])))
    )
    return draw(st.sampled_from([list, tuple]))(good)


bad_addresses = st.one_of(bad_hosts, bad_address_lists())
bad_ports = st.one_of(st.sampled_from(BAD_PORTS), tokens(), tokens().map(lambda t: "80" + t))
GOOD_PORTS = st.sampled_from([8080, "8080"])

BAD_KEYS: tuple[Any, ...] = (
    "hostname",
    "private-address",
    "port",
    "extended_data",
    "ingress-address",
    "egress-subnets",
    "",
    " x",
    "a b",
    "-x",
    ".x",
    "x" * 129,
    "x\n",
    "w\u00e9b",
    5,
    None,
    b"sitenames",
)
BAD_EXTRA_VALUES: tuple[Any, ...] = (True, False, 1.5, b"x", ["x"], {"a": 1}, "\ud800")


@st.composite
def bad_extras(
    draw: st.DrawFn, string_keys: bool = False, tokened: bool = False
) -> dict[Any, Any]:
    """Extra keys with a bad key or a bad value among good ones.

    With `tokened`, the bad value is text that is not Unicode, holding a token.
    """
    values: dict[Any, Any] = draw(
        st.dictionaries(st.sampled_from(EXTRA_KEYS), st.sampled_from(["x", 1, None]))
    )
    keys = [k for k in BAD_KEYS if isinstance(k, str)] if string_keys else list(BAD_KEYS)
    if tokened:
        bad = draw(tokens()) + draw(st.sampled_from(["\ud800", "\udfff"]))
        values[draw(st.sampled_from(EXTRA_KEYS))] = bad
    elif draw(st.booleans()):
        values[draw(st.sampled_from(keys))] = "x"
    else:
        values[draw(st.sampled_from(EXTRA_KEYS))] = draw(st.sampled_from(BAD_EXTRA_VALUES))
    return values


NOT_MAPPINGS: tuple[Any, ...] = (None, "sitenames=a", b"x", 5, [("sitenames", "a")], ["sitenames"])
NOT_ITERABLE: tuple[Any, ...] = (None, 5, 1.5, True, object())


def _deep(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = [value]
    return value


@st.composite
def bad_servers(draw: st.DrawFn) -> Any:
    token = draw(tokens())
    return draw(
        st.sampled_from(
            [
                None,
                5,
                "web-0 10.0.0.5:80",
                ["web-0", "10.0.0.5"],
                ["web-0", "10.0.0.5", 80, None, "extra"],
                ["bad name", None, 80],
                [f"{token} x", None, 80],
                [None, f"{token} x", 80],
                [None, None, "0"],
                [None, None, token],
                [None, None, 80, f"check\n{token}"],
                [None, None, 80, ""],
                [None, None, 80, "x" * 1025],
                [5, None, 80],
                {"address": "10.0.0.5"},
                {"port": 80, "bogus": 1},
                {"port": 0},
                {"port": 80, "options": ["check"]},
            ]
        )
    )


@st.composite
def bad_stanzas(draw: st.DrawFn) -> Any:
    """A stanza that must be refused: a bad name, address, port, option line or server,
    further keys that are not plain YAML data, or YAML longer than a reader takes."""
    token = draw(tokens())
    good: dict[str, Any] = {"service_name": "web"}
    kind = draw(st.sampled_from(["not a stanza", "field", "options", "servers", "further"]))
    if kind == "not a stanza":
        return draw(st.sampled_from([None, 5, "web", ["service_name"], b"web"]))
    if kind == "field":
        key, value = draw(
            st.sampled_from(
                [
                    ("service_name", None),
                    ("service_name", ""),
                    ("service_name", f"{token} x"),
                    ("service_name", 5),
                    ("service_name", "x" * 129),
                    ("service_host", f"{token} x"),
                    ("service_host", "10.0.0.5:80"),
                    ("service_host", 5),
                    ("service_port", "0"),
                    ("service_port", token),
                    ("service_port", True),
                    ("service_port", 80.0),
                ]
            )
        )
        if key == "service_name" and value is None:
            return {"service_port": 80}
        return {**good, key: value}
    if kind == "options":
        options = draw(
            st.sampled_from(
                [
                    "mode http",
                    f"{token}",
                    [""],
                    ["   "],
                    [f"mode http\n{token}"],
                    ["\x00"],
                    ["x" * 1025],
                    [5],
                    [f"{token}\ud800"],
                ]
            )
        )
        return {**good, "service_options": options}
    if kind == "servers":
        servers = draw(st.sampled_from(["servers", {"port": 80}, None]))
        if servers == "servers":
            servers = [draw(bad_servers())]
        return {**good, "servers": servers} if servers is not None else {**good, "servers": 5}
    further: dict[Any, Any] = draw(
        st.sampled_from(
            [
                {5: "x"},
                {"k": b"x"},
                {"k": {1: 2}},
                {"k": object()},
                {"k": _deep(40)},
                {"k": f"{token}\ud800"},
                {"k": token * (YAML_LIMIT // len(token) + 1)},
            ]
        )
    )
    return {**good, **further}


@st.composite
def bad_service_lists(draw: st.DrawFn) -> Any:
    """A stanza list that is not one, is empty, or holds a bad stanza among good ones."""
    if draw(st.booleans()):
        return draw(st.sampled_from(["web", b"web", {"service_name": "web"}, [], ()]))
    good = draw(st.lists(valid_stanzas(), max_size=2))
    good.insert(draw(st.integers(0, len(good))), draw(bad_stanzas()))
    return draw(st.sampled_from([list, tuple]))(good)


VALID_ARGUMENTS: dict[str, st.SearchStrategy[tuple[Any, ...]]] = {
    "configure": st.tuples(VALID_PORTS, VALID_ADDRESSES, VALID_ADDRESSES),
    "publish_info": st.tuples(VALID_PORTS, VALID_ADDRESSES),
    "publish_extra": st.tuples(VALID_EXTRAS),
    "set_remote": st.tuples(VALID_EXTRAS),
    "publish_services": st.tuples(VALID_SERVICES),
    "clear_extra": VALID_CLEAR_KEYS,
    "get_ingress_address": st.tuples(st.none()),
}
"""Input each setter takes, by method name: the any-input property mixes it in."""

SETTERS = SetterTarget(
    name="http-provides",
    endpoint=PROVIDER_ENDPOINT,
    metadata=PROVIDES_META,
    build=HttpProvides,
    setters=(
        Setter(
            "configure",
            call=lambda provides, args: provides.configure(*args),
            invalid=st.one_of(
                st.tuples(bad_ports, VALID_ADDRESSES, VALID_ADDRESSES),
                st.tuples(GOOD_PORTS, bad_addresses, VALID_ADDRESSES),
                st.tuples(GOOD_PORTS, VALID_ADDRESSES, bad_addresses),
                st.tuples(bad_ports, bad_addresses, bad_addresses),
            ),
            valid=(8080, ["10.0.0.5", "10.0.0.9"]),
        ),
        Setter(
            "publish_info",
            call=lambda provides, args: provides.publish_info(*args),
            invalid=st.one_of(
                st.tuples(bad_ports, VALID_ADDRESSES),
                st.tuples(GOOD_PORTS, bad_addresses),
            ),
            valid=(8080, "web-0.example.com"),
        ),
        Setter(
            "publish_extra",
            call=lambda provides, args: provides.publish_extra(*args),
            invalid=st.tuples(st.one_of(bad_extras(), st.sampled_from(NOT_MAPPINGS))),
            valid=({"sitenames": "a.example b.example", "service_name": "web"},),
        ),
        Setter(
            "publish_extra",
            call=lambda provides, args: provides.publish_extra(*args),
            invalid=st.tuples(bad_extras(tokened=True)),
            valid=({"sitenames": "a.example"},),
        ),
        Setter(
            "set_remote",
            call=lambda provides, args: provides.set_remote(**args[0]),
            invalid=st.tuples(bad_extras(string_keys=True)),
            valid=({"all_services": "- service_name: web\n"},),
        ),
        Setter(
            "set_remote",
            call=lambda provides, args: provides.set_remote(**args[0]),
            invalid=st.tuples(bad_extras(string_keys=True, tokened=True)),
            valid=({"all_services": "- service_name: web\n"},),
        ),
        Setter(
            "publish_services",
            call=lambda provides, args: provides.publish_services(*args),
            invalid=st.tuples(st.one_of(bad_service_lists(), st.sampled_from(NOT_ITERABLE))),
            valid=([{"service_name": "web", "servers": [[None, None, 8080, "check"]]}],),
        ),
        Setter(
            "clear_extra",
            call=lambda provides, args: provides.clear_extra(*args),
            invalid=st.lists(st.sampled_from(BAD_KEYS), min_size=1, max_size=2).flatmap(
                lambda bad: st.permutations([*bad, "sitenames"]).map(tuple)
            ),
            valid=("sitenames",),
        ),
        Setter(
            "get_ingress_address",
            call=lambda provides, args: provides.get_ingress_address(*args),
            invalid=st.tuples(st.sampled_from([0, -1, 10**6, 1.5, (1,)])),
            valid=(None,),
        ),
        Setter(
            "get_ingress_address",
            call=lambda provides, args: provides.get_ingress_address(*args),
            invalid=st.tuples(st.one_of(tokens(), st.sampled_from(["1", [1], b"1"]))),
            valid=(None,),
        ),
    ),
)


test_setters_refuse_invalid_input_with_value_error_and_change_nothing = setter_test(SETTERS)

BASELINE: tuple[tuple[str, tuple[Any, ...]], ...] = (
    ("configure", (8080, ["10.0.0.5", "10.0.0.9"])),
    ("publish_extra", ({"sitenames": "a.example b.example", "service_name": "web"},)),
    ("publish_services", ([{"service_name": "web", "servers": [[None, None, 8080, "check"]]}],)),
)
"""What the charm publishes before the call of the any-input property: there is something
to replace, withdraw or leave alone."""

CLEAR_WEBSITE = Setter(
    "clear_website",
    call=lambda provides, _: provides.clear_website(),
    invalid=st.nothing(),
    valid=(),
)
"""A setter without input, for the any-input property only."""


def check_any_call(setter: Setter, args: tuple[Any, ...]) -> None:
    """Call the setter after a baseline publication; it writes what the model says, or it
    raises ValueError naming no value and changes nothing."""
    ctx = fuzz_context(WebsiteCharm, PROVIDES_META)
    relation = testing.Relation(PROVIDER_ENDPOINT, remote_units_data={0: {}})
    with ctx(ctx.on.update_status(), testing.State(relations={relation})) as manager:
        for action, baseline_args in BASELINE:
            call_setter(manager.charm.library, action, baseline_args)
        before = manager.run()
    release_finished_hooks()
    databag = dict(relation_in(before, relation.id).local_unit_data)
    where = f"http-provides.{setter.name}{short(args)}"
    try:
        if setter.name == "get_ingress_address":
            if args[0] is not None and args[0] != relation.id:
                raise RefusedError
            effect: Effect | None = _no_change
        else:
            effect = setter_effect(setter.name, args, databag)
    except RefusedError:
        effect = None
    answer: Any = None
    error: Exception | None = None
    with ctx(ctx.on.update_status(), before) as manager:
        TALLY.setter_calls += 1
        try:
            answer = setter.call(manager.charm.library, args)
        except Exception as raised:  # any exception but ValueError is the finding
            error = raised
        after = manager.run()
    release_finished_hooks()
    now = dict(relation_in(after, relation.id).local_unit_data)
    if error is not None:
        if not isinstance(error, ValueError):
            raise SetterMisbehavedError(f"{where} raised {short(error)}, not ValueError")
        leaked = SECRETS.leaks(exception_texts(error))
        if leaked:
            raise SecretLeakError(f"{where}: tokens {leaked} are in the error: {short(error)}")
        if now != databag or _stored(before) != _stored(after):
            raise SetterMisbehavedError(f"{where} raised ValueError but changed something")
        if effect is not None:
            raise SetterMisbehavedError(f"{where} refused valid input: {short(error)}")
        return
    if effect is None:
        raise SetterMisbehavedError(f"{where} accepted invalid input, writing {short(now, 600)}")
    expected = applied(databag, effect(INGRESS))
    if now != expected:
        raise SetterMisbehavedError(f"{where} wrote {short(now, 900)}, not {short(expected, 900)}")
    if setter.name == "get_ingress_address" and answer != INGRESS:
        raise SetterMisbehavedError(f"{where} answered {short(answer)}, not {INGRESS}")


def _no_change(_: str | None) -> dict[str, str | None]:
    return {}


def _stored(state: testing.State) -> dict[tuple[str, str], Any]:
    return {(s.owner_path, s.name): s.content for s in state.stored_states if s.owner_path}


@pytest.mark.parametrize("setter", [*SETTERS.setters, CLEAR_WEBSITE], ids=lambda s: s.name)
def test_any_setter_input_writes_exactly_the_legacy_data_or_is_refused_whole(setter: Setter):
    if setter.known_defects and not EXPLORE_KNOWN_DEFECTS:
        pytest.skip(
            f"reaches known defects {', '.join(setter.known_defects)}; `make fuzz` runs it"
        )
    valid = VALID_ARGUMENTS.get(setter.name, st.just(()))

    @QUARTER
    @given(args=st.one_of(valid, setter.invalid))
    def property_(args: tuple[Any, ...]) -> None:
        check_any_call(setter, args)

    property_()


test_the_known_defects_named_by_the_variants_are_those_listed = known_defects_test(
    KNOWN_DEFECTS, globals()
)
