"""Name the modelling techniques a design uses (for explain, the report and benchmarks)."""

from __future__ import annotations

from dynamodel.design.model import TABLE, Design


def derive_techniques(design: Design) -> tuple[str, ...]:
    """Technique names, sorted."""
    app = design.app
    found: set[str] = set()
    for plan in design.plans:
        if plan.operation == "Query" and len(plan.entities) > 1:
            found.add("item_collection_join")
        if plan.shards > 1:
            found.add("write_sharding")
        if plan.uses_filter:
            found.add("filter_expression")
        if plan.uses_scan:
            found.add("scan")
    if design.local_indexes:
        found.add("local_secondary_index")
    if design.index_items:
        found.add("adjacency_index_items")
    for ix in design.indexes:
        if ix.native:
            found.add("native_multi_attribute_keys")
        if len({k.entity for k in design.keys if k.index == ix.name}) > 1:
            found.add("gsi_overloading")
    for k in design.keys:
        if k.index != TABLE and (k.sparse or k.optional_attrs):
            found.add("sparse_index")
        refs = [p for p in k.sk.parts if hasattr(p, "attr")]
        if len(refs) >= 2:
            found.add("composite_sort_key")
        base = design.keys_for(k.entity)
        if k.index != TABLE and base is not None:
            base_pk = {getattr(p, "attr", None) for p in base.pk.parts} - {None}
            base_sk = {getattr(p, "attr", None) for p in base.sk.parts} - {None}
            gsi_pk = {getattr(p, "attr", None) for p in k.pk.parts} - {None}
            if base_sk and gsi_pk == base_sk and base_pk <= {getattr(p, "attr", None) for p in k.sk.parts}:
                found.add("inverted_index")
    if design.guards:
        found.add("transactional_uniqueness")
    for p in app.patterns:
        if p.kind == "write" and p.increments:
            found.add("counter_in_transaction")
        if p.kind == "write" and len(p.entities) > 1:
            found.add("transactional_aggregate")
    if any(a.copy_of is not None for e in app.entities for a in e.attributes):
        found.add("denormalised_copy")
    return tuple(sorted(found))
