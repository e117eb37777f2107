"""Reading a NoSQL Workbench data model into a dynamodel spec skeleton (``dynamodel import-workbench``).

A Workbench model describes a table: its keys, attributes with DynamoDB types, GSIs, facets
(item types, whose key aliases say how their keys are made) and sample items. A dynamodel
spec describes entities and the access patterns they serve, and derives the table from
them. So the skeleton keeps what carries over and leaves the rest to the user:

* each facet becomes an entity with the facet's attributes; its identity is the attributes
  its key aliases name when they are dynamodel key templates (``ORDER#{order_id}#``);
  a table without facets is one entity keyed by the table's own key attributes;
* types map from DynamoDB's (S, N, B, BOOL, L, M), refined by the sample items where they
  tell more (S holding ISO timestamps is a ``datetime``, N holding whole numbers an ``int``)
  and an attribute some sample items lack is optional;
* key attributes the table renders (``PK``, ``GSI1PK``) and dynamodel's own (``_type``) are
  left out, the table's indexes and key aliases are recorded as comments, and ``patterns``
  is an empty list with a comment saying what to write;
* whatever does not map (a facet whose aliases are no template, sets, NULL, names dynamodel
  refuses) is listed in :attr:`Skeleton.unmapped` and at the top of the text.

Pure: text in, text out. Whatever the bytes, the only exception is a DefinitionError.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from dynamodel.errors import DefinitionError
from dynamodel.layout import is_key_name
from dynamodel.spec_load import load_document, short

__all__ = ["MAX_BYTES", "Skeleton", "import_workbench"]

MAX_BYTES = 16 * 1024 * 1024
"""The largest model read: Workbench models with sample data are a few hundred KB."""
_HINT = "give the JSON file NoSQL Workbench exports (Data modeler > Export), with ModelName and DataModel"
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_PLACEHOLDER = re.compile(r"\{([^{}#]*)\}")
_SCALARS = {"S": "str", "N": "decimal", "B": "bytes", "BOOL": "bool", "L": "list", "M": "map"}
_SETS = {"SS", "NS", "BS"}
_KEYABLE = {"str", "int", "decimal", "bool", "datetime", "date", "bytes"}
_SAMPLE_LIMIT = 1000  # sample items looked at per facet: enough to tell a type, bounded for any file


@dataclass(frozen=True)
class Skeleton:
    """One table of a Workbench model as a spec skeleton."""

    app: str
    table: str
    text: str
    """The spec file (YAML with comments), loadable once entities have identities."""
    unmapped: tuple[str, ...] = ()
    """What could not be carried over, one sentence each."""


@dataclass
class _Entity:
    name: str
    attrs: dict[str, str] = field(default_factory=dict)  # name -> dynamodel type
    optional: set[str] = field(default_factory=set)
    identity: list[str] | None = None
    notes: list[str] = field(default_factory=list)


def import_workbench(data: str | bytes, *, source: str = "<workbench>", table: str | None = None) -> Skeleton:
    """A spec skeleton from a NoSQL Workbench data model.

    Args:
        data: the model file's content (JSON).
        source: the file name, for messages.
        table: the table to read when the model has several.

    Returns:
        The skeleton of the (chosen) table.

    Raises:
        DefinitionError: not JSON, too big or too deep, not a Workbench model, several tables
            and no ``table``, or no such table; the message names what is wrong.
    """
    if len(data) > MAX_BYTES:
        msg = f"{source}: {len(data):,} bytes; a Workbench model is read up to {MAX_BYTES:,}."
        raise DefinitionError(msg, hint="export the model without most of its sample data")
    model = load_document(data, source=source, fmt="json")
    if (
        not isinstance(model, Mapping)
        or not isinstance(model.get("DataModel"), list)
        or not model["DataModel"]
    ):
        msg = f"{source}: not a NoSQL Workbench data model (no DataModel list of tables)."
        raise DefinitionError(msg, hint=_HINT)
    tables = [_mapping(t, f"{source}: DataModel[{i}]") for i, t in enumerate(model["DataModel"])]
    names = [_text(t.get("TableName"), f"{source}: DataModel[{i}].TableName") for i, t in enumerate(tables)]
    if table is None and len(tables) > 1:
        msg = f"{source}: the model has {len(tables)} tables ({', '.join(names)}); a spec describes one."
        raise DefinitionError(msg, hint="pick one with --table NAME, and import each table you want")
    if table is not None and table not in names:
        msg = f"{source}: no table {table!r} in the model (it has {', '.join(names)})."
        raise DefinitionError(msg, hint="give --table one of the names listed")
    index = names.index(table) if table is not None else 0
    model_name = model.get("ModelName") if len(tables) == 1 else None
    return _Reader(source, tables[index], names[index], model).skeleton(
        model_name if isinstance(model_name, str) else names[index]
    )


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        msg = f"{where} must be an object, got {short(value)}."
        raise DefinitionError(msg, hint=_HINT)
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        msg = f"{where} must be a non-empty string, got {short(value)}."
        raise DefinitionError(msg, hint=_HINT)
    return value


def _list(value: object, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        msg = f"{where} must be a list, got {short(value)}."
        raise DefinitionError(msg, hint=_HINT)
    return value


class _Reader:
    """One table of the model, read into entities."""

    def __init__(self, source: str, raw: Mapping[str, Any], name: str, model: Mapping[str, Any]) -> None:
        self.where = f"{source}: table {name!r}"
        self.name = name
        self.model = model
        self.raw = raw
        self.unmapped: list[str] = []
        keys = _mapping(raw.get("KeyAttributes"), f"{self.where}: KeyAttributes")
        self.pk = self._key(keys.get("PartitionKey"), "PartitionKey")
        self.sk = self._key(keys["SortKey"], "SortKey") if keys.get("SortKey") is not None else None
        self.types: dict[str, str] = dict([self.pk, *([self.sk] if self.sk else [])])
        for i, attr in enumerate(_list(raw.get("NonKeyAttributes"), f"{self.where}: NonKeyAttributes")):
            n, t = self._key(attr, f"NonKeyAttributes[{i}]")
            self.types.setdefault(n, t)
        self.rows = [
            _mapping(r, f"{self.where}: TableData[{i}]")
            for i, r in enumerate(_list(raw.get("TableData"), f"{self.where}: TableData"))
        ]

    def _key(self, raw: object, what: str) -> tuple[str, str]:
        attr = _mapping(raw, f"{self.where}: {what}")
        name = _text(attr.get("AttributeName"), f"{self.where}: {what}.AttributeName")
        return name, _text(attr.get("AttributeType"), f"{self.where}: {what}.AttributeType")

    def skeleton(self, app_name: str) -> Skeleton:
        facets = _list(self.raw.get("TableFacets"), f"{self.where}: TableFacets")
        entities = [e for i, f in enumerate(facets) if (e := self._facet(i, f)) is not None]
        if not facets:
            entities = [self._whole_table()]
        if not entities:
            msg = f"{self.where}: no facet maps to an entity ({'; '.join(self.unmapped)})."
            raise DefinitionError(
                msg, hint="name facets with identifiers, or remove the facets to read the table"
            )
        app = _app_name(app_name)
        if app != app_name:
            self.unmapped.append(f"the model name {app_name!r} is no app name; the app is called {app!r}")
        return Skeleton(app, self.name, self._render(app, entities), tuple(self.unmapped))

    def _facet(self, i: int, raw: object) -> _Entity | None:
        facet = _mapping(raw, f"{self.where}: TableFacets[{i}]")
        name = _text(facet.get("FacetName"), f"{self.where}: TableFacets[{i}].FacetName")
        if not _is_name(name):
            owner, mark, _ = name.partition("@")
            if mark and _is_name(owner):  # dynamodel's index item: written with its entity, derived again
                return None
            self.unmapped.append(
                f"facet {name!r}: its name is no entity name (letters, digits, '_'), left out"
            )
            return None
        alias = _mapping(
            facet.get("KeyAttributeAlias") or {}, f"{self.where}: facet {name!r} KeyAttributeAlias"
        )
        pk_alias = alias.get("PartitionKeyAlias")
        sk_alias = alias.get("SortKeyAlias")
        templates = [a for a in (pk_alias, sk_alias) if isinstance(a, str)]
        rows = [
            _mapping(r, f"{self.where}: facet {name!r} TableData")
            for r in _list(facet.get("TableData"), f"{self.where}: facet {name!r} TableData")
        ]
        rows += [r for r in self.rows if self._belongs(r, name, pk_alias, sk_alias)]
        entity = _Entity(name)
        entity.notes.append(
            f"table key: {self.pk[0]} = {pk_alias!s}" + (f", {self.sk[0]} = {sk_alias!s}" if self.sk else "")
        )
        names = [
            n
            for n in _list(facet.get("NonKeyAttributes"), f"{self.where}: facet {name!r}")
            if isinstance(n, str)
        ]
        placeholders = [p for t in templates for p in _PLACEHOLDER.findall(t) if not p.startswith("_")]
        for attr in dict.fromkeys([*names, *placeholders]):
            self._attribute(entity, attr, rows[:_SAMPLE_LIMIT])
        if placeholders:
            entity.identity = [p for p in dict.fromkeys(placeholders) if p in entity.attrs]
            entity.notes.append("identity: the attributes its key templates name")
        elif templates and all(t.endswith("#") for t in templates):
            entity.identity = []
            entity.notes.append("identity: none (its key templates name no attribute: one item, a singleton)")
        else:
            self.unmapped.append(
                f"facet {name!r}: its key aliases {templates} are no key templates, so its identity is not known"
            )
        self._check_identity(entity)
        return entity

    def _whole_table(self) -> _Entity:
        name = _entity_name(self.name)
        self.unmapped.append(
            f"the table has no facets: it is read as one entity {name}, keyed by its own key"
        )
        entity = _Entity(name)
        for attr in self.types:
            self._attribute(entity, attr, self.rows[:_SAMPLE_LIMIT], keep_keys=True)
        keys = [n for n in (self.pk[0], self.sk[0] if self.sk else "") if n]
        if all(k in entity.attrs for k in keys):
            entity.identity = keys
        else:  # keyed on rendered strings (PK, GSI1PK): what identifies an item is not written down
            self.unmapped.append(f"{name}: the table's key {keys} is rendered, so its identity is not known")
        self._check_identity(entity)
        return entity

    def _belongs(self, row: Mapping[str, Any], name: str, pk_alias: object, sk_alias: object) -> bool:
        kind = row.get("_type")
        if isinstance(kind, Mapping) and "S" in kind:
            return bool(kind["S"] == name)
        return _matches(pk_alias, row.get(self.pk[0])) and (
            self.sk is None or _matches(sk_alias, row.get(self.sk[0]))
        )

    def _attribute(
        self, entity: _Entity, attr: str, rows: Sequence[Mapping[str, Any]], *, keep_keys: bool = False
    ) -> None:
        table_key = attr in (self.pk[0], self.sk[0] if self.sk else None)
        if (table_key and not keep_keys) or (attr.startswith("_") and _is_name(attr[1:])):
            return  # the table's key, or dynamodel's own attributes (_type, _version, ...)
        if is_key_name(attr):
            return  # a rendered key (GSI1PK): dynamodel derives its own from the patterns
        if not _is_name(attr):
            self.unmapped.append(f"{entity.name}.{attr}: no attribute name dynamodel accepts, left out")
            return
        values = [r[attr] for r in rows if isinstance(r.get(attr), Mapping)]
        stored = self.types.get(attr) or next((next(iter(v), None) for v in values), None)
        if stored in _SETS:
            self.unmapped.append(
                f"{entity.name}.{attr} is a set ({stored}); dynamodel has no sets, declared a list"
            )
            entity.attrs[attr] = "list"
        elif stored in _SCALARS:
            entity.attrs[attr] = _refine(_SCALARS[stored], [v.get(stored) for v in values])
        else:
            self.unmapped.append(
                f"{entity.name}.{attr} has type {stored!r}, which dynamodel has not, left out"
            )
            return
        if rows and len(values) < len(rows):
            entity.optional.add(attr)

    def _check_identity(self, entity: _Entity) -> None:
        for attr in entity.identity or ():
            entity.optional.discard(attr)
            if entity.attrs[attr] not in _KEYABLE:
                self.unmapped.append(
                    f"{entity.name}.{attr} identifies the item but is {entity.attrs[attr]}, which no key holds"
                )

    def _render(self, app: str, entities: Sequence[_Entity]) -> str:
        out = [
            f"# Spec skeleton of the NoSQL Workbench table {self.name!r}, written by dynamodel import-workbench."
        ]
        meta = self.model.get("ModelMetadata")
        description = meta.get("Description") if isinstance(meta, Mapping) else None
        if isinstance(description, str) and description.strip():
            out.append("# The model's description:")
            out += [f"#   {_comment(line)}" for line in description.splitlines()[:40] if line.strip()]
        gsis = _list(self.raw.get("GlobalSecondaryIndexes"), f"{self.where}: GlobalSecondaryIndexes")
        if gsis:
            out.append("# The model's GSIs (dynamodel derives its own indexes from the patterns):")
            out += [f"#   {_comment(_gsi(g))}" for g in gsis[:20]]
        if self.unmapped:
            out.append("# Not carried over:")
            out += [f"#   - {_comment(u)}" for u in self.unmapped]
        out += [f"app: {app}", "entities:"]
        for e in entities:
            out.append(f"  {e.name}:")
            out += [f"    # {_comment(n)}" for n in e.notes]
            if e.identity is None:
                out.append("    # identity: [...]  TODO: the attributes whose values identify one item")
            else:
                out.append(f"    identity: [{', '.join(e.identity)}]")
            out.append("    attributes:" + ("" if e.attrs else " {}"))
            for attr, kind in e.attrs.items():
                out.append(
                    f"      {attr}: " + (f"{{type: {kind}, optional: true}}" if attr in e.optional else kind)
                )
        example = next((e for e in entities if e.identity), None)
        out += [
            "patterns: []",
            "# Declare the access patterns here (docs/spec-format.md §1.5); dynamodel derives the keys",
            "# and indexes that serve them. For example:",
        ]
        if example is not None and example.identity:
            out.append(
                f"#   - {{name: get_{example.name.lower()}, get: {example.name}, by: [{', '.join(example.identity)}]}}"
            )
        out.append("#   - {name: NAME, query: ENTITY, by: [ATTRIBUTE], sort: ATTRIBUTE}")
        return "\n".join(out) + "\n"


def _refine(kind: str, values: Sequence[object]) -> str:
    """A closer type than the DynamoDB one, when every sample value says so."""
    texts = [v for v in values if isinstance(v, str)]
    if not texts or len(texts) != len(values):
        return kind
    if kind == "decimal" and all(re.fullmatch(r"-?[0-9]+", t) for t in texts):
        return "int"
    if kind == "str" and all(_is_datetime(t) for t in texts):
        return "datetime"
    if kind == "str" and all(_is_date(t) for t in texts):
        return "date"
    return kind


def _is_datetime(text: str) -> bool:
    try:
        return "T" in text and datetime.fromisoformat(text).utcoffset() is not None
    except ValueError:
        return False


def _is_date(text: str) -> bool:
    try:
        return len(text) == 10 and date.fromisoformat(text) is not None
    except ValueError:
        return False


def _matches(template: object, value: object) -> bool:
    if not isinstance(template, str) or not isinstance(value, Mapping):
        return False
    text = next(iter(value.values()), None)
    pattern = "".join(
        ".+?" if i % 2 else re.escape(part) for i, part in enumerate(_PLACEHOLDER.split(template))
    )
    return isinstance(text, str) and re.fullmatch(pattern, text) is not None


def _gsi(raw: object) -> str:
    if not isinstance(raw, Mapping):
        return short(raw)
    keys = raw.get("KeyAttributes") if isinstance(raw.get("KeyAttributes"), Mapping) else {}
    parts = []
    for part in ("PartitionKey", "SortKey"):
        attr = keys.get(part) if isinstance(keys, Mapping) else None
        if isinstance(attr, Mapping):
            parts.append(f"{part} {attr.get('AttributeName')} ({attr.get('AttributeType')})")
    projection = raw.get("Projection")
    kind = projection.get("ProjectionType") if isinstance(projection, Mapping) else None
    return f"{raw.get('IndexName')}: {', '.join(parts)}, projection {kind}"


def _comment(text: str) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= 240 else line[:240] + " ..."


def _is_name(text: str) -> bool:
    return _NAME.fullmatch(text) is not None and not keyword.iskeyword(text)


def _app_name(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_-")
    return name if name[:1].isalpha() else f"app_{name}".rstrip("_")


def _entity_name(text: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", text)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return name if name[:1].isalpha() else f"Item{name}"
