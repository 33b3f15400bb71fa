"""An independent reading of legacy wire values, written apart from the libraries.

The fuzz properties compare what a library answers with what these functions find in the same
databag: what the libraries' docstrings promise of a raw value, a port and a host.
"""

from __future__ import annotations

import ipaddress
import json
import re

PORT_TEXT = re.compile(r"[1-9][0-9]{0,4}")
"""A port as the wire holds it: digits without a leading zero."""
LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
"""One label of a host name."""


def decoded(value: str) -> str:
    """A raw value, or the string a legacy build JSON-quoted."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            loaded = json.loads(value)
        except ValueError:
            return value
        return loaded if isinstance(loaded, str) else value
    return value


def port_number(value: object) -> int | None:
    """The port a value names (an integer, or a string of digits without leading zero)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not PORT_TEXT.fullmatch(value):
            return None
        value = int(value)
    if not isinstance(value, int) or not 1 <= value <= 65535:
        return None
    return value


def host_name(value: object) -> str | None:
    """The value, if it is a host name or an IPv4 or IPv6 address without zone, else None."""
    if not isinstance(value, str) or not value or len(value) > 253:
        return None
    if ":" in value:
        if "%" in value:
            return None
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            return None
        return value
    if set(value) <= set("0123456789."):
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            return None
        return value
    labels = value[:-1] if value.endswith(".") else value
    if all(LABEL.fullmatch(label) for label in labels.split(".")):
        return value
    return None
