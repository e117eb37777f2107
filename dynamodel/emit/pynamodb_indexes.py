"""The index classes of the generated PynamoDB models, and the source helpers they share with
:mod:`dynamodel.emit.pynamodb_models`.

A GSI is a ``GlobalSecondaryIndex`` over its two key strings or, when native, over the
entity's own attributes typed as they are stored. An LSI is a ``LocalSecondaryIndex`` whose
hash key is the table's ``PK`` (the partition it shares) and whose range key is its own
``LSInSK`` string; it takes no capacity of its own, as DynamoDB draws its writes from the table's.
"""

from __future__ import annotations

import json
import keyword

from dynamodel.design.model import Design, IndexSpec, ScalarType
from dynamodel.emit._common import projection

__all__ = [
    "MODEL_MEMBERS",
    "attribute",
    "call",
    "expressible",
    "free",
    "index_class",
    "key_text",
    "left_out",
    "left_out_comment",
    "q",
]

# Members of pynamodb.models.Model (6.x) that an attribute must not shadow; a test keeps
# this list in step with the installed PynamoDB, since this pure module cannot import it.
MODEL_MEMBERS = frozenset(
    [
        "DoesNotExist",
        "Meta",
        "attribute_values",
        "batch_get",
        "batch_write",
        "count",
        "create_table",
        "delete",
        "delete_table",
        "describe_table",
        "deserialize",
        "exists",
        "from_dynamodb_dict",
        "from_raw_data",
        "from_simple_dict",
        "get",
        "get_attributes",
        "get_delete_kwargs_from_instance",
        "get_operation_kwargs_from_class",
        "get_save_kwargs_from_instance",
        "get_update_kwargs_from_instance",
        "query",
        "refresh",
        "save",
        "scan",
        "serialize",
        "to_dynamodb_dict",
        "to_simple_dict",
        "update",
        "update_local_version_attribute",
        "update_ttl",
    ]
)

_PROJECTION_CLASS = {
    "ALL": "AllProjection",
    "KEYS_ONLY": "KeysOnlyProjection",
    "INCLUDE": "IncludeProjection",
}

# A native key attribute is declared by how it is stored, whatever the entity's own class for it.
_STORED_CLASS: dict[ScalarType, tuple[str, tuple[str, ...]]] = {
    "S": ("UnicodeAttribute", ()),
    "N": ("NumberAttribute", ()),
    "B": ("BinaryAttribute", ("legacy_encoding=False",)),
}


def q(text: str) -> str:
    """``text`` as a Python string literal."""
    # A JSON string is a valid Python literal, and double quotes match ruff format's style.
    return json.dumps(text, ensure_ascii=False)


def free(name: str, taken: set[str]) -> str:
    """``name``, or it with trailing ``_`` until it shadows nothing in ``taken``, no keyword and
    no PynamoDB member; the result joins ``taken``."""
    while name in taken or keyword.iskeyword(name) or name in MODEL_MEMBERS:
        name += "_"
    taken.add(name)
    return name


def call(class_expr: str, attr_name: str, *flags: str) -> str:
    """An attribute declaration: ``class_expr(*flags, attr_name=...)``."""
    return f"{class_expr}({', '.join([*flags, f'attr_name={q(attr_name)}'])})"


def attribute(cls: str, attr_name: str, *flags: str) -> str:
    """A declaration of a ``pynamodb.attributes`` class (imported as ``_attributes``)."""
    return call(f"_attributes.{cls}", attr_name, *flags)


def expressible(ix: IndexSpec) -> bool:
    """Whether PynamoDB 6 can declare the index: at most one attribute per key part.

    PynamoDB does not refuse several ``hash_key=True`` attributes on an index, but orders them
    by Python name and queries with one hash value, so such an index would be wrong, not absent.
    """
    return len(ix.partition_attributes) <= 1 and len(ix.sort_attributes) <= 1


def left_out(design: Design) -> tuple[IndexSpec, ...]:
    """The GSIs the generated models leave out (see :func:`expressible`)."""
    return tuple(ix for ix in design.indexes if not expressible(ix))


def key_text(ix: IndexSpec) -> str:
    """A native index's key attributes, e.g. ``(tenant_id) / (created_at, ticket_id)``."""
    parts = (ix.partition_attributes, ix.sort_attributes)
    return " / ".join(f"({', '.join(name for name, _ in part)})" for part in parts if part)


def left_out_comment(ix: IndexSpec) -> list[str]:
    """The comment standing where a left-out index's class would be."""
    return [
        f"# {ix.name} is left out: PynamoDB cannot declare a key part of several attributes.",
        f"# Its keys: {key_text(ix)}.",
        f"# Create the table from the CloudFormation or boto3 output; query {ix.name} through dynamodel.",
    ]


def _include_args(ix: IndexSpec) -> str:
    return f"non_attr_keys={list(ix.non_key_attributes)!r}" if ix.projection == "INCLUDE" else ""


def index_class(ix: IndexSpec, base: str, units: dict[str, tuple[int, int]]) -> list[str]:
    """The source of one index's class (a GSI's, or an LSI's on the table's partition key)."""
    kind = projection(ix)["ProjectionType"]
    scope, on = ("Local", ", on the table's partition key") if ix.local else ("Global", "")
    lines = [
        f"class _{ix.name}Index(_indexes.{scope}SecondaryIndex[{q(base)}]):",
        f'    """{scope} secondary index {ix.name} ({kind} projection{on})."""',
        "",
        "    class Meta:",
        f"        index_name = {q(ix.name)}",
        f"        projection = _indexes.{_PROJECTION_CLASS[kind]}({_include_args(ix)})",
    ]
    # An LSI has no throughput of its own: DynamoDB refuses one, and its writes use the table's.
    if units and not ix.local:
        read, write = units[ix.name]
        lines += [f"        read_capacity_units = {read}", f"        write_capacity_units = {write}"]
    lines.append("")
    # The index's own declarations only make its schema and serialize query values; the
    # entity classes declare the same stored names for reading items.
    names: set[str] = set()
    for (name, stored), (_, key_type) in zip(ix.key_definitions(), ix.key_schema(), strict=True):
        cls, flags = _STORED_CLASS[stored]
        role = "hash_key=True" if key_type == "HASH" else "range_key=True"
        lines.append(f"    {free(name, names)} = {attribute(cls, name, *flags, role)}")
    return lines
