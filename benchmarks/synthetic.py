"""Synthetic apps for scale benchmarks: N entities, M read patterns, seeded and reproducible."""

from __future__ import annotations

import random

from dynamodel.spec import AppSpec, AttributeSpec, EntitySpec, PatternSpec
from dynamodel.validate import build_app_spec


def synthetic_app(n_entities: int, n_patterns: int, seed: int = 7) -> AppSpec:
    """An app shaped like real ones: parents, item collections, sorted and ranged queries."""
    rng = random.Random(seed)
    entities: list[EntitySpec] = []
    for i in range(n_entities):
        parent = entities[rng.randrange(i)] if i and rng.random() < 0.6 else None
        attrs = [AttributeSpec(f"id{i}", "str")]
        if parent is not None:
            attrs += [a for a in parent.attributes if a.name in parent.identity and a.name != f"id{i}"]
        attrs += [AttributeSpec(f"f{i}_{j}", "str") for j in range(4)]
        attrs += [AttributeSpec(f"t{i}", "datetime"), AttributeSpec(f"s{i}", "enum", enum=("A", "B"))]
        entities.append(
            EntitySpec(f"E{i}", (f"id{i}",), tuple(attrs), parent=parent.name if parent else None)
        )
    patterns: list[PatternSpec] = []
    for k in range(n_patterns):
        ent = entities[rng.randrange(n_entities)]
        i = int(ent.name[1:])
        roll = rng.random()
        if roll < 0.15:
            patterns.append(PatternSpec(f"p{k}", "get", (ent.name,), by=ent.identity))
        elif roll < 0.3 and ent.parent is not None:
            parent = next(e for e in entities if e.name == ent.parent)
            patterns.append(
                PatternSpec(
                    f"p{k}", "query", (parent.name, ent.name), by=parent.identity, sort=f"t{i}", order="desc"
                )
            )
        else:
            by = (f"f{i}_{rng.randrange(4)}",)
            sort = rng.choice([None, f"t{i}"])
            patterns.append(
                PatternSpec(
                    f"p{k}",
                    "query",
                    (ent.name,),
                    by=by,
                    sort=sort,
                    order=rng.choice(["asc", "desc"]) if sort else "asc",
                    range=rng.choice([None, "between"]) if sort else None,
                )
            )
    return build_app_spec(f"synthetic_{n_entities}_{n_patterns}", entities, patterns)
