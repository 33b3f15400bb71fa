"""Fuzzing `charms.etcd.v0.etcd`: hostile databags for both roles, invalid input for setters.

This module registers etcd with the generic properties (`remote_data.py`, `setters.py`): the
value strategies of its keys, its event pairs and queries, and its setters. It adds one
property of its own, per-field tolerance: a valid connection string (and valid credentials)
count whatever the unit's other keys hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from charms.etcd.v0.etcd import EtcdProvides, EtcdRequires
from tests.fuzz.harness import (
    EventPair,
    FieldToleranceError,
    RemoteDataTarget,
    Setter,
    SetterTarget,
    known_defects_test,
    short,
)
from tests.fuzz.hostile import (
    CONTROL,
    LONE_SURROGATES,
    base64_body,
    databags,
    garbage_text,
    hostile_text,
    mixed_with,
    pem,
    secret_pems,
    secret_text,
)
from tests.fuzz.remote_data import read_one_databag, remote_data_test
from tests.fuzz.setters import setter_test

KNOWN_DEFECTS: dict[str, str] = {}
"""Defects of the current LIBPATCH, left to the next one, by name: what goes wrong.

A variant below that reaches one names it in `known_defects` and runs only in `make fuzz`,
which fails on it; a variant that steers around one names it in `steers_around`, so that
`make test` guards everything else. LIBPATCH 3 fixed the three that LIBPATCH 2 had here:
"listed-departure", "relations-merged" and "url-beyond-scheme-host-port", and the one the
properties then found, "pem-body-undecodable" (a body of base64's characters that does not
decode)."""

# --- Right values of each key --------------------------------------------------------------

HOSTS = ("10.0.0.5", "etcd-0.example.com", "[fd00::5]", "fd00::5", "localhost")
"""Hosts as they appear in URLs; a bare IPv6 host is what the legacy etcd charm writes."""

urls = st.builds(
    "{}://{}:{}".format,
    st.sampled_from(["https", "http"]),
    st.sampled_from(HOSTS),
    st.integers(1, 65535),
)
connection_strings = st.lists(urls, min_size=1, max_size=4).map(",".join)
versions = st.builds(
    "{}{}.{}.{}".format,
    st.sampled_from(["", "v"]),
    st.integers(2, 3),
    st.integers(0, 6),
    st.integers(0, 30),
)
certificates = st.builds(pem, st.just("CERTIFICATE"), st.integers(1, 2000).map(base64_body))

ETCD_KEYS = {
    "connection_string": mixed_with(connection_strings),
    "version": mixed_with(versions),
    "client_key": st.one_of(mixed_with(secret_pems()), secret_text()),
    "client_cert": mixed_with(certificates),
    "client_ca": mixed_with(certificates),
}

# --- The requirer reads what etcd units publish --------------------------------------------


def credentials(requires: EtcdRequires) -> tuple[str, str, str] | None:
    """The three PEMs the getter answers, in the order of the event's payload."""
    found = requires.get_client_credentials()
    return (
        None if found is None else (found["client_key"], found["client_cert"], found["client_ca"])
    )


def answers_as(announced: Mapping[str, Mapping[int, Any]]) -> int | None:
    """The relation `read()` answers as: the oldest TLS-available one, or the oldest available."""
    tls, available = announced["tls_available"], announced["available"]
    return min(tls) if tls else min(available, default=None)


REQUIRER = RemoteDataTarget(
    name="etcd-requires",
    endpoint="etcd",
    metadata={"requires": {"etcd": {"interface": "etcd"}}},
    build=EtcdRequires,
    pairs=(
        EventPair("connected", "disconnected", "is_connected"),
        EventPair(
            "available",
            "unavailable",
            "is_available",
            payload=lambda event: (event.connection_string, event.version),
            current=lambda requires: (requires.get_connection_string(), requires.get_version()),
        ),
        EventPair(
            "tls_available",
            "tls_unavailable",
            "is_tls_available",
            payload=lambda event: (event.client_key, event.client_cert, event.client_ca),
            current=credentials,
        ),
    ),
    queries={
        "is_connected": EtcdRequires.is_connected,
        "is_available": EtcdRequires.is_available,
        "is_tls_available": EtcdRequires.is_tls_available,
        "get_connection_string": EtcdRequires.get_connection_string,
        "get_version": EtcdRequires.get_version,
        "get_client_credentials": EtcdRequires.get_client_credentials,
        "malformed_units": EtcdRequires.malformed_units,
        "read": EtcdRequires.read,  # its repr, scanned like the others', hides the key
    },
    secret_queries=frozenset({"get_client_credentials"}),
    databags=databags(ETCD_KEYS),
    answers_as=answers_as,
)

# --- The provider reads nothing, but its clients' databags may hold anything ---------------

PROVIDER = RemoteDataTarget(
    name="etcd-provides",
    endpoint="db",
    metadata={"provides": {"db": {"interface": "etcd"}}},
    build=EtcdProvides,
    pairs=(EventPair("connected", "disconnected", "is_connected"),),
    queries={"is_connected": EtcdProvides.is_connected},
    databags=databags(ETCD_KEYS),
    reads_remote_data=False,
)

TestRequirerRemoteData = remote_data_test(REQUIRER)
TestProviderRemoteData = remote_data_test(PROVIDER)

# --- Per-field tolerance: a malformed field hides itself, not the unit's other fields -------

PER_FIELD = "etcd-requires-per-field"
"""The name under which the tally counts the databags of the per-field properties."""

CREDENTIAL_KEYS = ("client_key", "client_cert", "client_ca")


def bracketed(connection_string: str) -> str:
    """A valid connection string as the requirer hands it on: bare IPv6 hosts in brackets."""
    urls: list[str] = []
    for url in connection_string.split(","):
        scheme, _, authority = url.partition("://")
        host, _, port = authority.rpartition(":")
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        urls.append(f"{scheme}://{host}:{port}")
    return ",".join(urls)


def anything(key: str) -> st.SearchStrategy[str]:
    """Any value of the key, more often hostile than right."""
    return st.one_of(hostile_text(), ETCD_KEYS[key])


@st.composite
def connection_and_anything(draw: st.DrawFn) -> dict[str, str]:
    """A databag whose connection string is valid, and whose other etcd keys hold anything."""
    others = {key: anything(key) for key in ETCD_KEYS if key != "connection_string"}
    return {**draw(databags(others)), "connection_string": draw(connection_strings)}


@st.composite
def credentials_and_any_version(draw: st.DrawFn) -> dict[str, str]:
    """A databag with a valid connection string and credentials, and any version."""
    return {
        **draw(databags({})),
        "connection_string": draw(connection_strings),
        "version": draw(anything("version")),
        "client_key": draw(secret_pems()),
        "client_cert": draw(certificates),
        "client_ca": draw(certificates),
    }


@given(databag=connection_and_anything())
def test_a_valid_connection_string_counts_whatever_the_other_keys_hold(databag: dict[str, str]):
    answers = read_one_databag(REQUIRER, databag, tally_as=PER_FIELD)
    expected = (True, bracketed(databag["connection_string"]))
    found = (answers["is_available"], answers["get_connection_string"])
    if found != expected:
        raise FieldToleranceError(
            f"is_available() and get_connection_string() answer {short(found)}, not "
            f"{short(expected)}, for a unit publishing {short(databag)}"
        )


@given(databag=credentials_and_any_version())
def test_valid_credentials_count_whatever_the_version_holds(databag: dict[str, str]):
    answers = read_one_databag(REQUIRER, databag, tally_as=PER_FIELD)
    expected = (True, {key: databag[key] for key in CREDENTIAL_KEYS})
    found = (answers["is_tls_available"], answers["get_client_credentials"])
    if found != expected:
        # The credentials are not shown: the key is a secret, and the version is the point.
        raise FieldToleranceError(
            f"is_tls_available() answers {found[0]}, and get_client_credentials() "
            f"{'the published ones' if found[1] == expected[1] else 'others'}, for a unit "
            f"publishing the version {short(databag['version'])}"
        )


# --- Invalid input to the provider's setters -----------------------------------------------

WRONG_TYPES: tuple[Any, ...] = (None, 2379, 3.5, b"https://10.0.0.5:2379", ["a"], {"a": 1})
BAD_CONNECTION_STRINGS = (
    "",
    " ",
    ",",
    "https://10.0.0.5:2379,",
    "https://10.0.0.5:2379 ,https://10.0.0.6:2379",
    "https://10.0.0.5:2379\n",
    "https://10.0.0.5:2379" * 1000,
)
BAD_URLS = (
    "10.0.0.5:2379",
    "https://:2379",
    "https://10.0.0.5:99999",
    "https://10.0.0.5:0",
    "https://[fd00::5]:0",
    "https://10.0.0.5:port",
    "https://fd00::5:2379",  # IPv6 without brackets: readers take it, writers must not
    "https://\ud800:2379",
    # Anything beyond a scheme, a host and a port.
    "https://10.0.0.5:2379/path",
    "https://10.0.0.5:2379?query",
    "https://10.0.0.5:2379#fragment",
    "https://user@10.0.0.5:2379",
    "https://user:pass@10.0.0.5:2379",
    "https://user:pass@[fd00::5]:2379",
    "ftp://10.0.0.5:2379",
    "https://10.0.0.5",
    "https://$(reboot):2379",
    "https://`reboot`:2379",
    "https://10.0.0.5;reboot:2379",
    # A zone index, percent-encoded as RFC 6874 writes it, and raw.
    "https://[fe80::1%25eth0]:2379",
    "https://[fe80::1%eth0]:2379",
    # Control characters: NUL and ESC in the host, after the port, before the scheme.
    *(
        url
        for char in ("\x00", "\x1b")
        for url in (
            f"https://10.0.{char}0.5:2379",
            f"https://10.0.0.5:2379{char}",
            f"{char}https://10.0.0.5:2379",
            f"https://{char}[31m10.0.0.5:2379",
        )
    ),
    *(f"https://10.0.0.5{char}:2379" for char in CONTROL),
)
BAD_VERSIONS = (
    "",
    "None",
    "null",
    "abc",
    "3.5 .16",
    "3.5.16\n",
    " 3.5.16",
    "3.5.\udc00",
    "9" * 65,
)

bad_connection_strings = st.one_of(
    st.sampled_from(BAD_CONNECTION_STRINGS + BAD_URLS + WRONG_TYPES + LONE_SURROGATES),
    # A bad URL among good ones.
    st.builds(
        lambda good, bad: ",".join([*good, bad]),
        st.lists(urls.filter(lambda url: "fd00::5:" not in url), max_size=2),
        st.sampled_from(BAD_URLS),
    ),
)
bad_versions = st.sampled_from(BAD_VERSIONS + WRONG_TYPES[1:])
good_version_or_none = st.one_of(st.none(), versions)

KEY = pem("PRIVATE KEY", base64_body(120, b"a valid key"))
CERT = pem("CERTIFICATE", base64_body(300, b"a valid cert"))
CONNECTION = "https://10.0.0.5:2379"

NOT_BASE64 = ("!", "*", "#", ".", "-", "_", "\x00", "\x1b", "\u00e9")
"""Characters that no base64 body holds: punctuation, base64url's two, control, non-ASCII.

Not whitespace, which decoders skip, nor ":", which makes a line an RFC 1421 header."""


@st.composite
def not_base64(draw: st.DrawFn, pems: st.SearchStrategy[str]) -> str:
    """A PEM block with a character that base64 does not use put in one of its body lines."""
    lines = draw(pems).split("\n")  # BEGIN, the body lines, END, ""
    index = draw(st.integers(1, len(lines) - 3))
    at = draw(st.integers(0, len(lines[index])))
    lines[index] = lines[index][:at] + draw(st.sampled_from(NOT_BASE64)) + lines[index][at:]
    return "\n".join(lines)


@st.composite
def undecodable(draw: st.DrawFn, pems: st.SearchStrategy[str]) -> str:
    """A PEM block whose body uses only base64's characters, but does not decode.

    Either the last body line loses 1 to 3 characters (a body of base64 is a multiple of 4
    long), or the first of several body lines ends in padding.
    """
    lines = draw(pems).split("\n")  # BEGIN, the body lines, END, ""
    last = len(lines) - 3
    if last > 1 and draw(st.booleans()):
        lines[1] += "=="
    else:
        lines[last] = lines[last][: -draw(st.integers(1, 3))]
    return "\n".join(lines)


def two_blocks(
    first: st.SearchStrategy[str], second: st.SearchStrategy[str]
) -> st.SearchStrategy[str]:
    """Two PEM blocks in one value."""
    return st.tuples(first, second).map("".join)


def bad_keys() -> st.SearchStrategy[Any]:
    """A private key argument that must be refused; secret-shaped ones carry a token."""
    return st.one_of(
        secret_text(),
        secret_pems("CERTIFICATE"),
        secret_pems("PUBLIC KEY"),
        secret_pems().map(lambda key: CERT + key),  # a check of the last label passes it
        secret_pems().map(lambda key: key + CERT),
        two_blocks(secret_pems(), secret_pems()),
        two_blocks(secret_pems(), secret_pems("RSA PRIVATE KEY")),
        not_base64(secret_pems()),
        undecodable(secret_pems()),
        st.sampled_from((*WRONG_TYPES, "\ud800")),
        garbage_text(),
    )


def bad_certificates() -> st.SearchStrategy[Any]:
    """A certificate argument that must be refused; a key in it is a secret."""
    return st.one_of(
        secret_pems("PRIVATE KEY"),
        secret_pems("PRIVATE KEY").map(lambda key: key + CERT),
        secret_pems("PRIVATE KEY").map(lambda key: CERT + key),
        st.just(pem("CERTIFICATE", base64_body(300 * 1024))),
        not_base64(st.just(CERT)),
        undecodable(st.just(CERT)),
        st.sampled_from([pem("CERTIFICATE", body) for body in ("A", "ABC", "AAAAA")]),
        st.just(pem("CERTIFICATE", "this is not base64")),
        st.sampled_from((*WRONG_TYPES, "\ud800")),
        garbage_text(),
    )


@st.composite
def bad_credentials(
    draw: st.DrawFn, keys: st.SearchStrategy[Any], certificates: st.SearchStrategy[Any]
) -> tuple[Any, Any, Any]:
    """Key, cert and CA of which at least one is bad: drawn from `keys` or `certificates`."""
    bad = draw(st.sets(st.sampled_from(["key", "cert", "ca"]), min_size=1))
    return (
        draw(keys) if "key" in bad else KEY,
        draw(certificates) if "cert" in bad else CERT,
        draw(certificates) if "ca" in bad else CERT,
    )


SETTERS = SetterTarget(
    name="etcd-provides",
    endpoint="db",
    metadata={"provides": {"db": {"interface": "etcd"}}},
    build=EtcdProvides,
    setters=(
        Setter(
            "set_connection_string",
            call=lambda provides, args: provides.set_connection_string(*args),
            invalid=st.one_of(
                st.tuples(bad_connection_strings, good_version_or_none),
                st.tuples(st.just(CONNECTION), bad_versions),
            ),
            valid=(CONNECTION, "3.5.16"),
        ),
        Setter(
            "set_client_credentials",
            call=lambda provides, args: provides.set_client_credentials(*args),
            invalid=bad_credentials(bad_keys(), bad_certificates()),
            valid=(KEY, CERT, CERT),
        ),
    ),
)


test_setters_refuse_invalid_input_with_value_error_and_change_nothing = setter_test(SETTERS)
test_the_known_defects_named_by_the_variants_are_those_listed = known_defects_test(
    KNOWN_DEFECTS, globals()
)
