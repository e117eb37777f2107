"""HTML building blocks of the report: escaping, badges, and stored values shown as text.

Every name and value on the page is user text (entity, attribute and enum names, sample
values), so everything that is not a literal of this package goes through :func:`esc`.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from html import escape

from dynamodel.codec import AttributeValue

__all__ = ["MARKS", "Mark", "badge", "esc", "marks_block", "shown_value"]


def esc(text: object) -> str:
    """``text`` as HTML text or attribute value (quotes escaped too)."""
    return escape(str(text), quote=True)


@dataclass(frozen=True)
class Mark:
    """One kind of marker the legend explains: a short label, its CSS class, what it means."""

    label: str
    css: str
    meaning: str


MARKS: dict[str, Mark] = {
    "sparse": Mark(
        "sparse",
        "m-sparse",
        "only items for which a where predicate holds, or that have an optional attribute, are in the index",
    ),
    "sharded": Mark(
        "sharded",
        "m-sharded",
        "writes spread over N partitions ({_shard}); a query reads every shard in parallel",
    ),
    "copy": Mark(
        "copy", "m-copy", "a denormalised copy of another entity's attribute, kept fresh from the stream"
    ),
    "native": Mark(
        "native", "m-native", "the index keys on the item's own attributes: nothing rendered on write"
    ),
    "lsi": Mark("LSI", "m-lsi", "local secondary index: the table's partition key, a sort key of its own"),
    "index-item": Mark(
        "index item", "m-item", "a copy of an entity written with it, keyed for one more layout (GSI budget)"
    ),
    "guard": Mark(
        "unique", "m-guard", "a guard item that makes a value unique, written in the same transaction"
    ),
}
"""Every marker, in legend order."""


def badge(kind: str, text: str | None = None, *, title: str | None = None) -> str:
    """A small labelled marker (its meaning as a tooltip, and in the legend)."""
    mark = MARKS[kind]
    label = text if text is not None else mark.label
    return f'<span class="mark {mark.css}" title="{esc(title or mark.meaning)}">{esc(label)}</span>'


def marks_block(marks: list[str]) -> str:
    """Badges on a line of their own, or nothing."""
    return f'<div class="marks">{"".join(marks)}</div>' if marks else ""


def shown_value(value: AttributeValue) -> str:
    """A stored attribute value (DynamoDB JSON) as short plain text: the value, not its wire form."""
    if "S" in value:
        return str(value["S"])
    if "N" in value:
        return str(value["N"])
    if "BOOL" in value:
        return "true" if value["BOOL"] else "false"
    if "NULL" in value:
        return "null"
    if "B" in value:
        raw = value["B"]
        return base64.b64encode(raw).decode("ascii") if isinstance(raw, bytes) else str(raw)
    return json.dumps(_plain(value), ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def _plain(value: object) -> object:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, inner),) = value.items()
        if tag in ("S", "N", "BOOL", "NULL", "B"):
            return shown_value(value)
        if tag == "L":
            return [_plain(v) for v in inner]
        if tag == "M":
            return {k: _plain(v) for k, v in inner.items()}
        if tag in ("SS", "NS", "BS"):
            return sorted(str(v) for v in inner)
    return value
