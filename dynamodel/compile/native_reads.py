"""The key condition of a Query on a native GSI (keyed on the items' own attributes).

DynamoDB's rules for multi-attribute keys: equality on every partition attribute, then the sort
attributes left to right, each with equality, and a range only on the last one used. The plan's
equality values become ``=`` on each attribute, its range the comparison itself, so the same
call reads the same items in the same order as on a synthetic index. Ranges are first checked
by the synthetic key's rules (``keys.range_bounds``), so a bad range fails alike on both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from dynamodel.codec import AttributeValue, encode_attribute
from dynamodel.compile.expressions import Placeholders
from dynamodel.compile.items import entity_keys
from dynamodel.design.model import Design, PatternPlan
from dynamodel.errors import KeyEncodingError, RequestError
from dynamodel.keys import TERMINATOR, Ref, range_bounds
from dynamodel.layout import SHARD_ATTR, TYPE_ATTR
from dynamodel.spec import EntitySpec

if TYPE_CHECKING:
    from dynamodel.compile.calls import RangeArg

__all__ = ["native_condition"]

_COMPARE = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def _value(entity: EntitySpec, name: str, value: object, plan: PatternPlan) -> AttributeValue:
    if name == TYPE_ATTR:
        return {"S": entity.name}
    if name == SHARD_ATTR:
        return {"N": str(value)}
    try:
        return encode_attribute(entity, name, value)
    except RequestError as err:
        msg = f"Pattern '{plan.name}': {err.message}"
        raise RequestError(msg, hint=err.hint) from err


def native_condition(
    design: Design,
    plan: PatternPlan,
    values: Mapping[str, object],
    rng: RangeArg | None,
    ph: Placeholders,
) -> str:
    """``KeyConditionExpression`` of ``plan`` on its native index; names and values go to ``ph``.

    Raises:
        RequestError: a partition attribute has no value, or a range value is wrong.
    """
    ix = design.index(plan.index)
    entity = design.entity_spec(plan.entities[0])
    parts: list[str] = []
    for name, _ in ix.partition_attributes:
        value = entity.name if name == TYPE_ATTR else values.get(name)
        if value is None:
            msg = f"Pattern '{plan.name}' needs '{name}', the partition of index {ix.name}."
            raise RequestError(msg, hint=f"pass {name}=...")
        ref, val = ph.pair("k", name, _value(entity, name, value, plan))
        parts.append(f"{ref} = {val}")
    for name, _ in ix.sort_attributes:
        if rng is not None and name == plan.sort:
            cond = _range(design, plan, entity, name, rng, ph=ph)
            if cond:
                parts.append(cond)
            break
        value = values.get(name)
        if value is None:
            break
        ref, val = ph.pair("k", name, _value(entity, name, value, plan))
        parts.append(f"{ref} = {val}")
    return " AND ".join(parts)


def _range(
    design: Design, plan: PatternPlan, entity: EntitySpec, name: str, rng: RangeArg, *, ph: Placeholders
) -> str:
    ref = next(
        p
        for p in entity_keys(design, entity.name, plan.index).sk.parts
        if isinstance(p, Ref) and p.attr == name
    )
    try:  # the synthetic key's checks: arity, begins_with on text only, low <= high
        range_bounds(TERMINATOR, rng.op, ref.kind, list(rng.values))
    except KeyEncodingError as err:
        msg = f"Pattern '{plan.name}': {rng.op} on '{name}': {err.message}"
        raise RequestError(msg, hint=err.hint) from err
    attr = ph.name(ph.fresh("r"), name)
    if rng.op == "begins_with":
        prefix = rng.values[0]
        text = str(getattr(prefix, "value", prefix))
        # Every value begins with "", and DynamoDB refuses an empty operand: no condition.
        return f"begins_with({attr}, {ph.value(ph.fresh('r'), {'S': text})})" if text else ""
    vals = [ph.value(ph.fresh("r"), _value(entity, name, v, plan)) for v in rng.values]
    if rng.op == "eq":
        return f"{attr} = {vals[0]}"
    if rng.op == "between":
        return f"{attr} BETWEEN {vals[0]} AND {vals[1]}"
    return f"{attr} {_COMPARE[rng.op]} {vals[0]}"
