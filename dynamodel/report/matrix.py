"""The entity-by-index matrix: which key templates each entity writes on the table and every index.

Rows are the entities (then their index items and unique guards), columns the base table, the
GSIs and the LSIs; a cell holds the partition and sort key templates the entity renders there
(or, on a native index, the attributes it keys on), with markers for sparse and sharded keys.
"""

from __future__ import annotations

from dynamodel.design.model import TABLE, Design, EntityKeys, IndexSpec
from dynamodel.design.requirements import predicate_text
from dynamodel.layout import entity_of_type
from dynamodel.report.markup import badge, esc, marks_block
from dynamodel.spec import EntitySpec

__all__ = [
    "all_indexes",
    "cell_id",
    "column_id",
    "index_caption",
    "index_name",
    "matrix_rows",
    "render_matrix",
]


_EMPTY = '<span aria-hidden="true">–</span><span class="sr-only">not in this index</span>'


def all_indexes(design: Design) -> tuple[IndexSpec, ...]:
    """The base table, the GSIs, then the LSIs: the matrix's columns and the samples' sections."""
    return (design.table, *design.indexes, *design.local_indexes)


def matrix_rows(design: Design) -> list[str]:
    """The matrix's entity rows in order: each entity, then its index items (guards come after)."""
    return [name for ent in design.app.entities for name in (ent.name, *design.index_items_of(ent.name))]


def column_id(design: Design, index: str) -> str:
    """The element id of an index's column header (ids, not names: names are user text)."""
    names = [index_name(design, ix) for ix in all_indexes(design)]
    return f"col-{names.index(index)}" if index in names else ""


def cell_id(design: Design, entity: str, index: str) -> str:
    """The element id of the matrix cell of ``entity`` on ``index``."""
    rows = matrix_rows(design)
    col = column_id(design, index)
    return f"cell-{rows.index(entity)}-{col.removeprefix('col-')}" if entity in rows and col else ""


def index_name(design: Design, ix: IndexSpec) -> str:
    """``table`` for the base table (its plans and keys say so), else the index's own name."""
    return TABLE if ix is design.table else ix.name


def index_caption(design: Design, ix: IndexSpec) -> str:
    """The key attributes of an index: ``PK / SK``, ``(status, placed_at) / (order_id)`` when native."""
    if ix.native:
        pk = ", ".join(n for n, _ in ix.partition_attributes)
        sk = ", ".join(n for n, _ in ix.sort_attributes)
        return f"({pk}) / ({sk})" if sk else f"({pk})"
    if ix.local:
        return f"{design.table.partition_key} / {ix.sort_key}"
    return f"{ix.partition_key} / {ix.sort_key}"


def _column_header(design: Design, ix: IndexSpec) -> str:
    name = index_name(design, ix)
    kind = "base table" if ix is design.table else ("LSI" if ix.local else "GSI")
    marks = []
    if ix.native:
        marks.append(badge("native"))
    if ix.local:
        marks.append(badge("lsi"))
    projection: str = ix.projection
    if ix.projection == "INCLUDE":
        projection += " " + ", ".join(ix.non_key_attributes)
    return (
        f'<th scope="col" id="{column_id(design, name)}" class="{column_id(design, name)}"><span class="ix-name">{esc(name)}</span> '
        f'<span class="ix-kind">{esc(kind)}</span> {"".join(marks)}'
        f' <span class="ix-keys">{esc(index_caption(design, ix))}</span>'
        f' <span class="ix-proj">projection {esc(projection)}</span></th>'
    )


def key_marks(keys: EntityKeys) -> list[str]:
    """The markers of one entity's keys on one index: sparse predicates, optional keys, shards."""
    out = []
    if keys.sparse:
        when = ", ".join(predicate_text(a, v) for a, v in keys.sparse)
        out.append(badge("sparse", f"sparse: {when}", title=f"only items with {when} are in this index"))
    if keys.optional_attrs:
        having = ", ".join(keys.optional_attrs)
        out.append(badge("sparse", f"sparse: has {having}", title=f"only items that have {having}"))
    if keys.shards > 1:
        out.append(badge("sharded", f"{keys.shards} shards"))
    return out


def key_lines(design: Design, ix: IndexSpec, keys: EntityKeys) -> str:
    """The key templates (or native key attributes) ``keys`` writes on ``ix``, one per key part."""
    if ix.native:
        parts = [
            ("partition", ", ".join(n for n, _ in ix.partition_attributes)),
            ("sort", ", ".join(n for n, _ in ix.sort_attributes)),
        ]
        rows = [
            f'<div class="kv"><span class="k">{esc(part)}</span><code class="native-attr">{esc(names)}</code></div>'
            for part, names in parts
            if names
        ]
        return "".join(rows) + badge("native", "native keys")
    pk_name = design.table.partition_key if ix.local else ix.partition_key
    pk_note = ' <span class="same">(the table\'s)</span>' if ix.local else ""
    return (
        f'<div class="kv"><span class="k">{esc(pk_name)}</span><code>{esc(keys.pk.pattern())}</code>{pk_note}</div>'
        f'<div class="kv"><span class="k">{esc(ix.sort_key)}</span><code>{esc(keys.sk.pattern())}</code></div>'
    )


def _cell(design: Design, ix: IndexSpec, entity: str) -> str:
    name = index_name(design, ix)
    column = column_id(design, name)
    keys = design.keys_for(entity, name)
    if keys is None:
        return f'<td class="empty {column}">{_EMPTY}</td>'
    return (
        f'<td class="{column}" id="{cell_id(design, entity, name)}">{key_lines(design, ix, keys)}'
        f"{marks_block(key_marks(keys))}</td>"
    )


def _row_header(design: Design, spec: EntitySpec) -> str:
    notes = []
    if spec.name != entity_of_type(spec.name):
        notes.append(badge("index-item"))
        notes.append(f'<span class="note">copy of every {esc(entity_of_type(spec.name))}</span>')
    else:
        notes.append(f'<span class="note">identity {esc(", ".join(spec.identity))}</span>')
        up = spec.parent or spec.aggregate
        if up is not None:
            how = "parent" if spec.parent else "aggregate"
            notes.append(f'<span class="note">{how} {esc(up)}</span>')
        for attr in spec.attributes:
            if attr.copy_of is not None:
                source = f"{attr.copy_of[0]}.{attr.copy_of[1]}"
                notes.append(badge("copy", f"{attr.name} ← {source}", title=f"a copy of {source}"))
    return f'<th scope="row"><span class="ent-name">{esc(spec.name)}</span>{"".join(notes)}</th>'


def _guard_rows(design: Design, columns: tuple[IndexSpec, ...]) -> list[str]:
    rows = []
    for guard in design.guards:
        attrs = "+".join(guard.attrs)
        head = (
            f'<th scope="row"><span class="ent-name">{esc(guard.entity)}</span>'
            f"{badge('guard', f'unique {attrs}')}</th>"
        )
        cells = [
            (
                f'<td class="{column_id(design, TABLE)}">'
                f'<div class="kv"><span class="k">{esc(design.table.partition_key)}</span><code>{esc(guard.pk.pattern())}</code></div>'
                f'<div class="kv"><span class="k">{esc(design.table.sort_key)}</span><code>{esc(guard.sk.pattern())}</code></div></td>'
            )
            if ix is design.table
            else f'<td class="empty {column_id(design, ix.name)}">{_EMPTY}</td>'
            for ix in columns
        ]
        rows.append(f'<tr class="guard-row">{head}{"".join(cells)}</tr>')
    return rows


def render_matrix(design: Design) -> str:
    """The matrix section: one row per entity, index item and unique guard; one column per index."""
    columns = all_indexes(design)
    head = "".join(_column_header(design, ix) for ix in columns)
    rows = []
    for ent in design.app.entities:
        for name in (ent.name, *design.index_items_of(ent.name)):
            spec = design.entity_spec(name)
            cells = "".join(_cell(design, ix, name) for ix in columns)
            rows.append(f"<tr>{_row_header(design, spec)}{cells}</tr>")
    rows += _guard_rows(design, columns)
    return (
        '<section id="matrix" aria-labelledby="matrix-title">'
        '<h2 id="matrix-title">Entities × indexes</h2>'
        '<p class="lede">The key templates each entity writes on the base table and on every index '
        "(<code>{attr}</code> is the attribute's value, escaped; every component ends with <code>#</code>). "
        "An empty cell: the entity is not in that index.</p>"
        '<div class="scroll" tabindex="0" role="region" aria-label="Entity by index matrix (scrolls sideways)">'
        '<table class="matrix"><caption class="sr-only">Key templates by entity and index</caption>'
        f'<thead><tr><th scope="col">Entity</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )
