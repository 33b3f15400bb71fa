# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The JSON Schemas of the interface specs, generated from the libraries' databag models.

`python -m tests.interfaces.schemas` (`make schemas`) rewrites each
`interfaces/<interface>/interface/v0/schemas/<role>.json` that differs from what the models give;
`--check` rewrites nothing and exits non-zero instead. `test_specs.py` fails on the same
difference.

A unit databag maps strings to strings, so every property of a schema is a string:

- a *raw* key holds the value itself, an integer as its decimal string;
- a *JSON* key holds `json.dumps` of the value: its `contentMediaType` is
  `application/json` and its `contentSchema` describes the decoded value. Validators treat
  `contentSchema` as an annotation only, so the text's own shape is constrained as well (a
  list's brackets, a string's quotes, exactly `true` or `false`); `databag_errors()` checks
  the decoded value too.

Which keys are raw the library declares itself, and `SPECS` names the declaration: the
constant of the keys its reader decodes as raw text (`_RAW_KEYS`, or `_WIRE_KEYS` where
every key is raw). Its reader decodes the model's other keys as JSON, and so does the
schema. What each key means comes from the wire table of the library's docstring. The
models give types, not value checks: those are validator functions (a host's grammar, a
port's range, PEM), which JSON Schema cannot see, and each spec's README states them.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import difflib
import importlib
import json
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import jsonschema
import pydantic
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

ROOT = Path(__file__).resolve().parents[2]
DIALECT = "https://json-schema.org/draft/2020-12/schema"
JSON_MEDIA_TYPE = "application/json"
YAML_MEDIA_TYPE = "application/yaml"
# An integer as `str()` writes it: one spelling per number.
DECIMAL = "^(0|-?[1-9][0-9]*)$"

# The keys Juju itself puts in every unit databag, whatever the interface. They are facts of
# Juju, not of any library, which is why they are kept here rather than read from one.
JUJU_KEYS: Mapping[str, str] = {
    "egress-subnets": (
        "Juju's own key: the subnets, comma-separated, that this unit's traffic on the "
        "relation comes from."
    ),
    "ingress-address": "Juju's own key: the address other units reach this unit at.",
    "private-address": (
        "Juju's own key: this unit's address, the older name of its ingress address."
    ),
}


class SchemaError(Exception):
    """A model or a library declaration that the generator cannot turn into a wire schema."""


@dataclasses.dataclass(frozen=True)
class Side:
    """One side of an interface and where its library declares that side's unit databag.

    Attributes:
        role: `provider`, `requirer` or `peer`: the schema's file name.
        model: the library's model of this side's unit databag, as its readers validate
            it; None when this side writes nothing.
        raw_keys: the library constant listing the model keys its reader decodes as raw
            text; None when it decodes every key as JSON.
        yaml_keys: a library constant listing further raw keys that hold YAML documents
            (extra keys outside the model), or None.
        written_keys: a library constant listing keys this side writes, for the Juju keys
            among them that it overwrites, or None.
    """

    role: str
    model: str | None = None
    raw_keys: str | None = None
    yaml_keys: str | None = None
    written_keys: str | None = None


@dataclasses.dataclass(frozen=True)
class Interface:
    """One interface: its name, its library module, and its sides."""

    name: str
    module: str
    sides: tuple[Side, ...]

    @property
    def directory(self) -> Path:
        """`interfaces/<name>/interface/v0`, where the spec lives (the charmlibs layout)."""
        return ROOT / "interfaces" / self.name / "interface" / "v0"

    def schema_path(self, side: Side) -> Path:
        """Where the schema of a side's unit databag is committed."""
        return self.directory / "schemas" / f"{side.role}.json"

    def library(self) -> ModuleType:
        """The library module, imported from `lib/` as a charm would find it."""
        lib = str(ROOT / "lib")
        if lib not in sys.path:
            sys.path.append(lib)
        return importlib.import_module(self.module)


SPECS: tuple[Interface, ...] = (
    # Every etcd and zookeeper key is raw: their readers decode all of `_WIRE_KEYS` as raw.
    Interface(
        "etcd",
        "charms.etcd.v0.etcd",
        (Side("provider", "EtcdProviderData", raw_keys="_WIRE_KEYS"), Side("requirer")),
    ),
    Interface(
        "zookeeper",
        "charms.zookeeper.v0.zookeeper",
        (Side("provider", "ZookeeperProviderData", raw_keys="_WIRE_KEYS"), Side("requirer")),
    ),
    Interface(
        "kafka",
        "charms.kafka.v0.kafka",
        (Side("provider", "KafkaProviderData", raw_keys="_RAW_KEYS"), Side("requirer")),
    ),
    Interface(
        "http",
        "charms.http.v0.http",
        (
            Side(
                "provider",
                "HttpProviderData",
                raw_keys="_RAW_KEYS",
                yaml_keys="_YAML_KEYS",
                written_keys="_WEBSITE_KEYS",
            ),
            Side("requirer"),
        ),
    ),
    # A peer interface: one databag, which every unit writes and every unit reads. Its
    # reader decodes every key of the model as JSON; `_ADDRESS_KEYS` are the Juju keys each
    # unit overwrites with its cluster address.
    Interface(
        "mysql-innodb-cluster",
        "charms.innodb_cluster.v0.innodb_cluster",
        (Side("peer", "ClusterPeerData", written_keys="_ADDRESS_KEYS"),),
    ),
)


class _LaxJsonSchema(GenerateJsonSchema):
    """pydantic's JSON Schema of what a model takes in lax mode, the mode its readers use.

    Lax mode takes an integer's decimal string for an integer, as legacy writers sent ports
    inside JSON (`"2181"`); a strict field takes the integer only.
    """

    def int_schema(self, schema: core_schema.IntSchema) -> JsonSchemaValue:
        integer = super().int_schema(schema)
        if schema.get("strict"):
            return integer
        return {"anyOf": [integer, {"type": "string", "pattern": DECIMAL}]}

    def bool_schema(self, schema: core_schema.BoolSchema) -> JsonSchemaValue:
        # Lax mode takes "yes", "on", 1 and more for a boolean, which no legacy layer wrote;
        # every flag on the wire is a strict field. A lax one needs a decision, not a guess.
        if not schema.get("strict"):
            raise SchemaError("a boolean field must be strict to have a wire schema")
        return super().bool_schema(schema)


def build(
    interface: Interface, side: Side, model: type[pydantic.BaseModel] | None = None
) -> dict[str, Any]:
    """The JSON Schema of one side's unit databag.

    Args:
        interface: the interface.
        side: one of its sides.
        model: a model to use instead of the library's (the tests give a changed one).

    Raises:
        SchemaError: the library's declarations and its model disagree, or a field's type
            has no wire form.
    """
    library = interface.library()
    if interface.name != library.INTERFACE:
        raise SchemaError(f"{interface.module}.INTERFACE is {library.INTERFACE!r}")
    if model is None and side.model is not None:
        model = cast("type[pydantic.BaseModel]", getattr(library, side.model))
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "title": f"`{interface.name}` {side.role} unit databag",
        "type": "object",
        # Readers ignore keys they do not know; a databag holds strings only.
        "additionalProperties": {"type": "string"},
    }
    if model is None:
        schema["$comment"] = (
            f"Generated by `python -m tests.interfaces.schemas` (make schemas) for "
            f"{interface.module}, where this side writes nothing."
        )
        schema["description"] = (
            "This side writes nothing in its unit databag: it holds only the keys Juju puts "
            "there, and the other side reads none of it. Any other key is ignored."
        )
        schema["properties"] = {key: _juju_property(key) for key in JUJU_KEYS}
    else:
        generated = _inline(
            model.model_json_schema(by_alias=True, schema_generator=_LaxJsonSchema)
        )
        schema["$comment"] = (
            f"Generated by `python -m tests.interfaces.schemas` (make schemas) from "
            f"{interface.module}.{model.__name__}: change the model, not this file."
        )
        schema["description"] = " ".join(
            (
                str(generated.get("description", "")).strip(),
                "Every value is a string: a raw key holds the value itself, a JSON key holds "
                "json.dumps of it (its contentSchema describes the decoded value). A value "
                "that is not known is left out, never written empty. Any other key is "
                "ignored by readers.",
            )
        ).strip()
        meanings = {key: row["value"] for row in library_wire_table(library) for key in row.keys}
        schema["properties"] = _model_properties(library, side, model, generated, meanings)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def _model_properties(
    library: ModuleType,
    side: Side,
    model: type[pydantic.BaseModel],
    generated: dict[str, Any],
    meanings: Mapping[str, str],
) -> dict[str, Any]:
    if model.model_config.get("strict"):
        # Its fields would then be strict, which `_LaxJsonSchema` does not see.
        raise SchemaError(f"{model.__name__}: a strict model needs its own treatment")
    fields: dict[str, Any] = generated["properties"]
    raw = _declared(library, side.raw_keys)
    if raw - fields.keys():
        raise SchemaError(
            f"{side.raw_keys} names keys the model lacks: {sorted(raw - fields.keys())}"
        )
    written = _declared(library, side.written_keys) & JUJU_KEYS.keys()
    properties: dict[str, Any] = {}
    for key, field in fields.items():
        value, described = _decoded_value(field)
        if key in raw:
            prop, text = _raw_property(key, value)
        else:
            prop, text = _json_property(key, value)
        notes = [described, _sentence(meanings.get(key, "")), text]
        if key in JUJU_KEYS:
            notes.append("Also one of Juju's own keys.")
        if key in written:
            notes.append("This side overwrites Juju's value.")
        prop["description"] = " ".join(note for note in notes if note)
        properties[key] = prop
    for key in sorted(_declared(library, side.yaml_keys)):
        meaning = _sentence(meanings.get(key, ""))
        properties[key] = {
            "type": "string",
            "minLength": 1,
            "contentMediaType": YAML_MEDIA_TYPE,
            "description": f"{meaning} Raw: a YAML document, an extra key.".strip(),
        }
    for key in sorted(JUJU_KEYS.keys() - properties.keys()):
        properties[key] = _juju_property(key, key in written, meanings.get(key, ""))
    return properties


def _sentence(text: str) -> str:
    """A table cell as a sentence: a capital first, a full stop last."""
    text = text.strip()
    if not text:
        return ""
    return f"{text[0].upper()}{text[1:]}" + ("" if text.endswith(".") else ".")


def _declared(library: ModuleType, constant: str | None) -> set[str]:
    """The keys a library constant lists; none when no constant is named."""
    if constant is None:
        return set()
    keys = getattr(library, constant)
    if not isinstance(keys, (tuple, list, frozenset, set)):
        raise SchemaError(f"{library.__name__}.{constant} is not a collection of keys")
    return {str(key) for key in cast("Sequence[object]", keys)}


def _juju_property(key: str, overwritten: bool = False, meaning: str = "") -> dict[str, Any]:
    notes = [JUJU_KEYS[key], "Raw."]
    if overwritten:
        notes.append(_sentence(f"This side overwrites Juju's value: {meaning}".rstrip(": ")))
    return {"type": "string", "minLength": 1, "description": " ".join(notes)}


def _raw_property(key: str, value: dict[str, Any]) -> tuple[dict[str, Any], str]:
    if value.get("type") == "string":
        prop = {name: item for name, item in value.items() if name != "description"}
        prop["minLength"] = max(1, int(prop.get("minLength", 0)))
        return prop, "Raw: the value itself."
    if _is_integer(value):
        return {"type": "string", "pattern": DECIMAL}, "Raw: the integer as its decimal string."
    raise SchemaError(f"{key}: a raw key needs a string or an integer, not {value}")


def _json_property(key: str, value: dict[str, Any]) -> tuple[dict[str, Any], str]:
    kind = value.get("type")
    # What `json.dumps` of a value of that type looks like.
    if kind == "array":
        shape: dict[str, Any] = {"pattern": r"^\[[\s\S]*\]$"}
    elif kind == "object":
        shape = {"pattern": r"^\{[\s\S]*\}$"}
    elif kind == "string":
        shape = {"pattern": r'^"[\s\S]*"$'}
    elif kind == "boolean":
        shape = {"enum": ["false", "true"]}
    else:
        raise SchemaError(f"{key}: no JSON text shape for {value}")
    prop = {
        "type": "string",
        **shape,
        "contentMediaType": JSON_MEDIA_TYPE,
        "contentSchema": value,
    }
    text = "JSON: json.dumps of the value, with its default separators."
    return prop, text


def _is_integer(value: Mapping[str, Any]) -> bool:
    """An integer, or an integer that lax mode also takes as its decimal string."""
    if value.get("type") == "integer":
        return True
    choices = value.get("anyOf")
    lax = [{"type": "integer"}, {"type": "string", "pattern": DECIMAL}]
    return isinstance(choices, list) and choices == lax


def _decoded_value(field: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A field's schema without pydantic's titles and defaults, and its description.

    Every databag field is optional, and absence is how the wire says None: the null
    alternative of an optional field goes.
    """
    value = _cleaned(field)
    described = str(value.pop("description", ""))
    choices = value.get("anyOf")
    if isinstance(choices, list):
        kept = [choice for choice in cast("list[Any]", choices) if choice != {"type": "null"}]
        rest = {name: item for name, item in value.items() if name != "anyOf"}
        value = {**rest, **kept[0]} if len(kept) == 1 else {**rest, "anyOf": kept}
    return value, described


def _cleaned(schema: Any) -> Any:
    """Drop what pydantic adds for its own use: titles, defaults, `writeOnly`.

    pydantic marks a `SecretStr` `writeOnly` (sent, never returned, as in an HTTP API),
    which means nothing in a databag that the other side reads. Nested `anyOf`s are
    flattened, so an optional lax integer reads as one list of choices.
    """
    if isinstance(schema, list):
        return [_cleaned(item) for item in cast("list[Any]", schema)]
    if not isinstance(schema, dict):
        return schema
    cleaned: dict[str, Any] = {}
    for name, item in cast("dict[str, Any]", schema).items():
        if name in ("title", "default", "writeOnly"):
            continue
        if name == "properties":
            cleaned[name] = {
                key: _cleaned(sub) for key, sub in cast("dict[str, Any]", item).items()
            }
        else:
            cleaned[name] = _cleaned(item)
    choices = cleaned.get("anyOf")
    if isinstance(choices, list):
        flat: list[Any] = []
        for choice in cast("list[Any]", choices):
            if isinstance(choice, dict) and set(cast("dict[str, Any]", choice)) == {"anyOf"}:
                flat.extend(cast("list[Any]", choice["anyOf"]))
            else:
                flat.append(choice)
        cleaned["anyOf"] = flat
    return cleaned


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with each `$ref` to its `$defs` replaced by the definition.

    A `contentSchema` is read on its own by the tools that decode the value, so nothing in
    it may point elsewhere; none of the models is recursive.
    """
    definitions: dict[str, Any] = schema.get("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, list):
            return [resolve(item) for item in cast("list[Any]", node)]
        if not isinstance(node, dict):
            return node
        items = {
            name: resolve(item)
            for name, item in cast("dict[str, Any]", node).items()
            if name not in ("$ref", "$defs")
        }
        reference = cast("dict[str, Any]", node).get("$ref")
        if reference is None:
            return items
        prefix = "#/$defs/"
        if not str(reference).startswith(prefix):
            raise SchemaError(f"cannot inline the reference {reference}")
        return {**resolve(copy.deepcopy(definitions[str(reference)[len(prefix) :]])), **items}

    return resolve(schema)


@dataclasses.dataclass(frozen=True)
class TableRow:
    """One row of a Markdown table: the keys named in its first cell, and its cells."""

    keys: tuple[str, ...]
    cells: Mapping[str, str]

    def __getitem__(self, column: str) -> str:
        return self.cells.get(column, "")


def markdown_table(text: str, heading: str) -> list[TableRow]:
    """The rows of the first Markdown table in the section under `heading` (a `## ` line).

    Columns are named by their header, lowercased. The keys of a row are the backticked
    names of its first cell (`` `client_cert`, `client_ca` `` names two).
    """
    section = text.partition(f"\n{heading}\n")[2].partition("\n## ")[0]
    lines = [line.strip() for line in section.splitlines()]
    start = next((index for index, line in enumerate(lines) if line.startswith("|")), None)
    if start is None:
        return []
    table: list[list[str]] = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append([cell.strip() for cell in line.strip("|").split("|")])
    header = [cell.lower() for cell in table[0]]
    rows: list[TableRow] = []
    for cells in table[2:]:  # the second line is the header's rule
        named = dict(zip(header, cells, strict=False))
        rows.append(TableRow(tuple(re.findall(r"`([^`]+)`", cells[0])), named))
    return rows


def library_wire_table(library: ModuleType) -> list[TableRow]:
    """The wire table in a library's docstring (columns `key`, maybe `encoding`, `value`)."""
    rows = markdown_table(library.__doc__ or "", "## Wire format")
    if not rows:
        raise SchemaError(f"{library.__name__}: no wire table in its docstring")
    return rows


def render(schema: Mapping[str, Any]) -> str:
    """A schema as committed: sorted keys, 2-space indent, a trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def generated() -> dict[Path, str]:
    """Every schema file, by path, as the models give it now."""
    return {
        interface.schema_path(side): render(build(interface, side))
        for interface in SPECS
        for side in interface.sides
    }


def stale(path: Path, expected: str, committed: str | None) -> str | None:
    """Why the committed text of a schema file is not what the models give, or None."""
    if committed == expected:
        return None
    where = path.relative_to(ROOT)
    if committed is None:
        return f"{where} is missing: run `make schemas`, review the result and commit it"
    diff = difflib.unified_diff(
        committed.splitlines(),
        expected.splitlines(),
        "committed",
        "from the models",
        lineterm="",
        n=1,
    )
    shown = list(diff)
    more = f"\n... and {len(shown) - 40} more lines" if len(shown) > 40 else ""
    return (
        f"{where} disagrees with the models: run `make schemas`, review the result and "
        f"commit it\n" + "\n".join(shown[:40]) + more
    )


def databag_errors(schema: Mapping[str, Any], databag: Mapping[str, Any]) -> list[str]:
    """What is wrong with a databag under a schema, the decoded JSON values included.

    JSON Schema validators treat `contentSchema` as an annotation: each JSON value is
    decoded here and checked against it.
    """
    errors = [
        f"{'/'.join(str(part) for part in error.absolute_path) or 'databag'}: {error.message}"
        for error in jsonschema.Draft202012Validator(schema).iter_errors(databag)
    ]
    properties: Mapping[str, Any] = schema.get("properties", {})
    for key, prop in properties.items():
        value = databag.get(key)
        if prop.get("contentMediaType") != JSON_MEDIA_TYPE or not isinstance(value, str):
            continue
        try:
            decoded = json.loads(value)
        except ValueError:
            errors.append(f"{key}: is not JSON")
            continue
        validator = jsonschema.Draft202012Validator(prop["contentSchema"])
        errors.extend(
            f"{key} (decoded)/{'/'.join(str(part) for part in error.absolute_path)}: "
            f"{error.message}"
            for error in validator.iter_errors(decoded)
        )
    return errors


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite the schema files that differ from the models; with `--check`, only report."""
    parser = argparse.ArgumentParser(prog="python -m tests.interfaces.schemas")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file is out of date"
    )
    arguments = parser.parse_args(argv)
    problems: list[str] = []
    for path, text in generated().items():
        committed = path.read_text(encoding="utf-8") if path.exists() else None
        problem = stale(path, text, committed)
        if problem is None:
            continue
        if arguments.check:
            problems.append(problem)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        sys.stdout.write(f"wrote {path.relative_to(ROOT)}\n")
    for problem in problems:
        sys.stderr.write(problem + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
