"""Sample items per index, as DynamoDB holds them: the base table, then every GSI and LSI.

The items are :func:`dynamodel.testing.samples.sample_items` (readable values, laid out by the
runtime's own ``build_item``) plus the unique guard items they claim. Each index shows the items
it holds (a sparse index only those that belong), its key values first and grouped by
partition, then what the index projects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dynamodel.codec import Item, item_to_values
from dynamodel.compile.items import guard_item
from dynamodel.design.model import Design, IndexSpec
from dynamodel.layout import TYPE_ATTR, entity_of_type
from dynamodel.report.markup import badge, esc, shown_value
from dynamodel.report.matrix import all_indexes, index_caption, index_name

__all__ = ["render_samples", "stored_items"]


def stored_items(design: Design, samples: Mapping[str, Sequence[Item]]) -> list[Item]:
    """Every sample item and the unique guard items they hold, as the base table stores them."""
    items = [item for group in samples.values() for item in group]
    for guard in design.guards:
        for item in samples.get(guard.entity, ()):
            values = item_to_values(design.entity_spec(guard.entity), item)
            claimed = guard_item(guard, values, item)
            if claimed is not None:
                items.append(claimed)
    return items


def _key_names(design: Design, ix: IndexSpec) -> tuple[str, ...]:
    if ix.native:
        return tuple(n for n, _ in (*ix.partition_attributes, *ix.sort_attributes))
    if ix.local:
        return (design.table.partition_key, ix.sort_key)
    return (ix.partition_key, ix.sort_key)


def _holds(design: Design, ix: IndexSpec, item: Item) -> bool:
    if ix is design.table:
        return True
    if not ix.native:
        return ix.sort_key in item and (ix.local or ix.partition_key in item)
    kind = item.get(TYPE_ATTR, {}).get("S", "")
    return design.keys_for(kind, ix.name) is not None and all(n in item for n in _key_names(design, ix))


def _projected(design: Design, ix: IndexSpec, name: str) -> bool:
    if ix.projection == "ALL" or name in (design.table.partition_key, design.table.sort_key):
        return True
    return ix.projection == "INCLUDE" and name in ix.non_key_attributes


def _key_value(item: Item, names: Sequence[str]) -> str:
    return " · ".join(shown_value(item[n]) for n in names)


def _parts(design: Design, ix: IndexSpec) -> tuple[tuple[str, ...], tuple[str, ...]]:
    names = _key_names(design, ix)
    if ix.native:
        return tuple(n for n, _ in ix.partition_attributes), tuple(n for n, _ in ix.sort_attributes)
    return (names[0],), (names[1],)


def _copies(design: Design, kind: str) -> set[str]:
    if kind not in {*(e.name for e in design.app.entities), *(i.name for i in design.index_items)}:
        return set()
    return {a.name for a in design.entity_spec(kind).attributes if a.copy_of is not None}


def _native_keyed(design: Design, kind: str) -> set[str]:
    names: set[str] = set()
    for keys in design.entity_indexes(kind):
        ix = design.index(keys.index)
        if ix.native:
            names.update(n for n, _ in ix.key_definitions())
    return names


def _attributes(design: Design, ix: IndexSpec, item: Item, shown_keys: set[str]) -> str:
    kind = item.get(TYPE_ATTR, {}).get("S", "")
    copies, native = _copies(design, kind), _native_keyed(design, kind)
    system = set(design.key_attribute_names())
    out = []
    for name, value in item.items():
        if name in shown_keys or name == TYPE_ATTR or not _projected(design, ix, name):
            continue
        css = "attr"
        marks = ""
        if name in copies:
            css += " is-copy"
            marks = badge("copy")
        elif name in native:
            css += " is-native"
            marks = badge("native", "native key")
        elif name.startswith("_") or name in system:
            if ix is not design.table:
                continue  # the base table shows everything stored; an index view, the entity
            css += " is-system"
        out.append(
            f'<span class="{css}"><span class="an">{esc(name)}</span> '
            f'<span class="av">{esc(shown_value(value))}</span>{marks}</span>'
        )
    return "".join(out)


def _type_cell(kind: str) -> str:
    if kind == "_UNIQUE":
        return f"<td>{badge('guard')}</td>"
    if entity_of_type(kind) != kind:
        return f'<td><span class="ent-name">{esc(kind)}</span>{badge("index-item")}</td>'
    return f'<td><span class="ent-name">{esc(kind)}</span></td>'


def _index_table(design: Design, ix: IndexSpec, items: list[Item]) -> str:
    name = index_name(design, ix)
    pk_names, sk_names = _parts(design, ix)
    held = [i for i in items if _holds(design, ix, i)]
    held.sort(key=lambda i: (_key_value(i, pk_names), _key_value(i, sk_names) if sk_names else ""))
    shown = set(pk_names) | set(sk_names)
    rows = []
    for n, item in enumerate(held):
        pk = _key_value(item, pk_names)
        first = n == 0 or _key_value(held[n - 1], pk_names) != pk
        span = sum(1 for other in held if _key_value(other, pk_names) == pk)
        pk_cell = f'<th scope="rowgroup" rowspan="{span}" class="mono pk">{esc(pk)}</th>' if first else ""
        sk = esc(_key_value(item, sk_names)) if sk_names else "–"
        kind = item.get(TYPE_ATTR, {}).get("S", "")
        rows.append(
            f'<tr{" class=first" if first else ""}>{pk_cell}<td class="mono">{sk}</td>'
            f'{_type_cell(kind)}<td class="attrs">{_attributes(design, ix, item, shown)}</td></tr>'
        )
    kind = "base table" if ix is design.table else ("LSI" if ix.local else "GSI")
    pk_head = ", ".join(pk_names)
    sk_head = ", ".join(sk_names) or "–"
    body = (
        "".join(rows)
        if rows
        else '<tr><td colspan="4" class="none">No sample item belongs in this index.</td></tr>'
    )
    projection = ix.projection + (f" ({', '.join(ix.non_key_attributes)})" if ix.non_key_attributes else "")
    return (
        f'<div class="index-samples" data-index="{esc(name)}">'
        f'<h3>{esc(name)} <span class="ix-kind">{esc(kind)}</span> '
        f'<span class="ix-keys">{esc(index_caption(design, ix))}</span>'
        f'<span class="count">{len(held)} item{"" if len(held) == 1 else "s"}, projection {esc(projection)}</span></h3>'
        f'<div class="scroll" tabindex="0" role="region" aria-label="Sample items in {esc(name)}">'
        f'<table class="items"><thead><tr><th scope="col">{esc(pk_head)}</th><th scope="col">{esc(sk_head)}</th>'
        f'<th scope="col">Type</th><th scope="col">Attributes</th></tr></thead>'
        f"<tbody>{body}</tbody></table></div></div>"
    )


def render_samples(design: Design, samples: Mapping[str, Sequence[Item]]) -> str:
    """The sample items section: one table per index, base table first."""
    items = stored_items(design, samples)
    tables = "".join(_index_table(design, ix, items) for ix in all_indexes(design))
    return (
        '<section id="samples" aria-labelledby="samples-title">'
        '<h2 id="samples-title">Sample items per index</h2>'
        '<p class="lede">Generated items (the same on every run), with their keys rendered as the runtime '
        "writes them, grouped by partition and ordered by sort key. In the base table, grey attributes are "
        "what dynamodel stores beside yours (the keys of the indexes, <code>_version</code>, <code>_born</code>); "
        "the index views show the entity's attributes that the index projects.</p>"
        f"{tables}</section>"
    )
