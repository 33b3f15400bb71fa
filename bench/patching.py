# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""Replacing class attributes for the length of a measurement, and putting them back."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

_ABSENT = object()


@contextlib.contextmanager
def patched_attributes(owner: type, replacements: Mapping[str, Any]) -> Iterator[None]:
    """Set these attributes on `owner`; on exit restore them, or delete those it inherited.

    Deleting rather than re-setting an inherited attribute leaves the class exactly as it was,
    so that a later measurement, or a subclass, still finds the parent's attribute.
    """
    saved: dict[str, Any] = {}
    try:
        for name, replacement in replacements.items():
            saved[name] = vars(owner).get(name, _ABSENT)
            setattr(owner, name, replacement)
        yield
    finally:
        for name, original in saved.items():
            if original is _ABSENT:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
