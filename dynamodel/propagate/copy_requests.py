"""The requests that carry out a copy update (pure: no boto3, no I/O).

Finding a source's targets (:func:`lookup_requests`), comparing a target's copies with an
update (:func:`copy_status`), and the conditioned UpdateItem that brings them up to date
(:func:`build_copy_update`, and :func:`build_forced_copy_update` for repairs). The protocol
the condition follows is described in :mod:`dynamodel.propagate.plan`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from dynamodel.codec import AttributeValue, encode_attribute, item_to_values
from dynamodel.compile import build_plan_query
from dynamodel.compile.expressions import Placeholders, Update
from dynamodel.compile.items import derived_keys
from dynamodel.design.model import TABLE, CopyPath, Design, EntityKeys
from dynamodel.errors import DefinitionError, RequestError
from dynamodel.layout import VERSION_ATTR
from dynamodel.propagate.plan import CopyUpdate

__all__ = [
    "Status",
    "build_copy_update",
    "build_forced_copy_update",
    "copy_state",
    "copy_status",
    "dependent_indexes",
    "lookup_requests",
    "new_copies",
    "refers_to",
]


def lookup_requests(
    design: Design,
    path: CopyPath,
    identity: Mapping[str, object],
    table_name: str,
    *,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The Query kwargs that find every target item of one source item (one per shard).

    Raises:
        DefinitionError: the copy path's plan is not a Query (the planner always makes one).
    """
    plan = path.plan
    if plan.operation != "Query":
        msg = f"Copy path {path.source} -> {path.target} runs as {plan.operation}; propagation needs a Query."
        raise DefinitionError(msg, hint="re-derive the design with this version of dynamodel")
    shards: Sequence[int | None] = list(range(plan.shards)) if plan.shards > 1 else [None]
    local = {path.local(a): v for a, v in identity.items()}  # the lookup is by the target's names
    return [build_plan_query(design, plan, local, table_name, limit=limit, shard=shard) for shard in shards]


def dependent_indexes(design: Design, path: CopyPath) -> tuple[EntityKeys, ...]:
    """The target's GSI layouts whose keys (or sparse predicate) read a copied attribute.

    Raises:
        DefinitionError: a copied attribute is part of the target's base-table key, which
            an update cannot change.
    """
    copied = {t for t, _ in path.attributes}
    out: list[EntityKeys] = []
    for keys in design.entity_indexes(path.target):
        used = {*keys.pk.attrs(), *keys.sk.attrs(), *(a for a, _ in keys.sparse), *keys.optional_attrs}
        if not used & copied:
            continue
        if keys.index == TABLE:
            msg = f"{path.target}'s primary key uses the copied attribute(s) {sorted(used & copied)}."
            raise DefinitionError(
                msg, hint="a copy cannot be part of an item's identity; key on the source's identity instead"
            )
        if design.index(keys.index).native:  # keyed on the copy itself: updating it re-keys the item
            continue
        out.append(keys)
    return tuple(out)


def copy_state(
    path: CopyPath, item: Mapping[str, AttributeValue]
) -> tuple[int | None, dict[str, AttributeValue]]:
    """A target item's copy version (None when never stamped) and stored copied attributes."""
    av = item.get(path.stamp_attr)
    version: int | None = None
    if av is not None and "N" in av:
        try:
            version = int(av["N"])
        except ValueError:
            version = None
    return version, {t: item[t] for t, _ in path.attributes if t in item}


Status = Literal["current", "stale", "ahead"]
"""How a target's copies compare with an update (see :func:`copy_status`)."""


def new_copies(design: Design, update: CopyUpdate) -> dict[str, AttributeValue | None]:
    """The stored form of ``update``'s copies (None: the attribute is removed).

    Raises:
        RequestError: a value does not fit the target attribute's declared type.
    """
    spec = design.app.entity(update.path.target)
    return {
        attr: None if value is None else encode_attribute(spec, attr, value) for attr, value in update.copies
    }


def copy_status(design: Design, update: CopyUpdate, target: Mapping[str, AttributeValue]) -> Status:
    """How a target's copies compare with ``update``.

    Returns:
        ``current``: the same values, stamped with this version or a newer one, or not
        stamped (an application write filled them and removed the stamp; the handler's
        check stamps it);
        ``ahead``: other values stamped with a newer version than ``update``'s (newer
        copies, or a stamp from a previous incarnation of a re-created source);
        ``stale``: anything else (older, or clobbered at this version, or never stamped
        with other values).
    """
    stored_version, stored = copy_state(update.path, target)
    same = all(stored.get(a) == av for a, av in new_copies(design, update).items())
    if stored_version is None and same:
        return "current"
    if stored_version is not None and stored_version >= update.version:
        if same:
            return "current"
        if stored_version > update.version:
            return "ahead"
    return "stale"


def _source_reference(design: Design, update: CopyUpdate) -> dict[str, AttributeValue]:
    """The stored values by which a target names ``update``'s source item (its identity)."""
    path = update.path
    spec = design.app.entity(path.target)
    declared = {a.name for a in spec.attributes}
    return {
        path.local(attr): encode_attribute(spec, path.local(attr), value)
        for attr, value in sorted(update.identity.items())
        if path.local(attr) in declared
    }


def refers_to(design: Design, update: CopyUpdate, target: Mapping[str, AttributeValue]) -> bool:
    """Whether ``target`` still names ``update``'s source item.

    A target found by an eventually consistent index, or named by an old stream record,
    may since have been deleted and re-created for another source at the same base key;
    its copies must then follow that other source, not this one.
    """
    return all(target.get(attr) == av for attr, av in _source_reference(design, update).items())


def build_copy_update(
    design: Design, update: CopyUpdate, target: Mapping[str, AttributeValue], table_name: str
) -> dict[str, Any] | None:
    """The UpdateItem kwargs that bring one target item's copies to ``update``'s version.

    The request follows the protocol of the module docstring: it writes only over older
    copies, or over copies of this version that were clobbered.

    Args:
        design: the derived design.
        update: the source version and values.
        target: the target item as last read (a query result, a GetItem, a NewImage).
        table_name: the table.

    Returns:
        The kwargs, or None when there is nothing to write: ``target`` already holds these
        copies at this version or newer ones, or it no longer names this source item
        (:func:`refers_to`). The request is conditioned on the target still naming it.

    Raises:
        RequestError: the target item does not decode, or a new copy does not fit the
            target attribute's declared type.
    """
    seen = _seen(design, update, target)
    if seen is None:
        return None
    stored_version, new_avs, same = seen
    if stored_version is not None and (
        stored_version > update.version or (stored_version == update.version and same)
    ):
        return None
    request = _CopyRequest.start(design, update, target, new_avs)
    guard = f"attribute_not_exists(#cv) OR #cv < :cv OR (#cv = :cv AND ({' OR '.join(request.differs)}))"
    return request.finish(design, update, target, table_name, guard)


def build_forced_copy_update(
    design: Design, update: CopyUpdate, target: Mapping[str, AttributeValue], table_name: str
) -> dict[str, Any] | None:
    """Like :func:`build_copy_update`, but whatever version the target's copies carry.

    For the repair of a target stamped with a version the source no longer has (e.g. after
    the source was deleted and re-created at version 1): the request is conditioned on the
    target's copy stamp being exactly what ``target`` shows, instead of being older, so
    only a concurrent change makes it fail.

    Returns:
        The kwargs, or None when ``target`` already holds these copies at this very
        version, or no longer names this source item.

    Raises:
        RequestError: as :func:`build_copy_update`.
    """
    seen = _seen(design, update, target)
    if seen is None:
        return None
    stored_version, new_avs, same = seen
    if stored_version == update.version and same:
        return None
    request = _CopyRequest.start(design, update, target, new_avs)
    if stored_version is None:
        guard = "attribute_not_exists(#cv)"
    else:
        guard = f"#cv = {request.ph.value('seen', {'N': str(stored_version)})}"
    return request.finish(design, update, target, table_name, guard)


def _seen(
    design: Design, update: CopyUpdate, target: Mapping[str, AttributeValue]
) -> tuple[int | None, dict[str, AttributeValue | None], bool] | None:
    """The target's copy stamp, ``update``'s stored copies and whether the target holds them
    already; None when the target no longer names ``update``'s source."""
    if not refers_to(design, update, target):
        return None
    stored_version, stored = copy_state(update.path, target)
    new_avs = new_copies(design, update)
    return stored_version, new_avs, all(stored.get(a) == av for a, av in new_avs.items())


@dataclass
class _CopyRequest:
    """A copy UpdateItem being built: both builders share all but the stamp condition."""

    ph: Placeholders
    update: Update
    differs: list[str]
    dependent: tuple[EntityKeys, ...]

    @classmethod
    def start(
        cls,
        design: Design,
        update: CopyUpdate,
        target: Mapping[str, AttributeValue],
        new_avs: Mapping[str, AttributeValue | None],
    ) -> _CopyRequest:
        """The stamp, the copies and the GSI keys derived from them, to SET or REMOVE."""
        path = update.path
        ph = Placeholders()
        ph.name("pk", design.table.partition_key)
        request = cls(ph=ph, update=Update(), differs=[], dependent=dependent_indexes(design, path))
        # The stamp's placeholders are spelled out (#cv, :cv) in the builders' guards.
        request.update.set(ph.name("cv", path.stamp_attr), ph.value("cv", {"N": str(update.version)}))
        for attr, av in new_avs.items():
            stem = ph.fresh("c")
            ref = ph.name(stem, attr)
            if av is None:
                request.update.remove(ref)
                request.differs.append(f"attribute_exists({ref})")
            else:
                val = ph.value(stem, av)
                request.update.set(ref, val)
                request.differs.append(f"attribute_not_exists({ref}) OR {ref} <> {val}")
        if request.dependent:
            request.rekey(design, update, target)
        return request

    def rekey(self, design: Design, update: CopyUpdate, target: Mapping[str, AttributeValue]) -> None:
        """SET or REMOVE the dependent GSI keys, rendered from the target's values and the new copies."""
        current = item_to_values(design.app.entity(update.path.target), target)
        current.update(dict(update.copies))
        keys, gone = derived_keys(design, update.path.target, current)
        for j, ek in enumerate(self.dependent):
            ix = design.index(ek.index)
            for attr in ix.written_keys():
                stem = self.ph.fresh(f"k{j}_")
                ref = self.ph.name(stem, attr)
                if attr in keys:
                    self.update.set(ref, self.ph.value(stem, {"S": keys[attr]}))
                elif attr in gone:
                    self.update.remove(ref)

    def finish(
        self,
        design: Design,
        update: CopyUpdate,
        target: Mapping[str, AttributeValue],
        table_name: str,
        guard: str,
    ) -> dict[str, Any]:
        """The kwargs, conditioned on ``guard`` (the stamp), the target still existing and
        naming the source, and (when keys are re-rendered) its ``_version`` being the one read."""
        expression = self.update.expression()
        condition = f"attribute_exists(#pk) AND ({guard})"
        for attr, av in _source_reference(design, update).items():
            ref, val = self.ph.pair("r", attr, av)
            condition += f" AND {ref} = {val}"
        if self.dependent:
            ver = self.ph.name("ver", VERSION_ATTR)
            stored = target.get(VERSION_ATTR)
            if stored is not None and "N" in stored:
                condition += f" AND {ver} = {self.ph.value('tv', {'N': str(stored['N'])})}"
            else:
                condition += f" AND attribute_not_exists({ver})"
        pk, sk = design.table.partition_key, design.table.sort_key
        if pk not in target or sk not in target:
            msg = f"a {update.path.target} item to update has no {pk}/{sk}"
            raise RequestError(
                msg, hint="pass the item as read from the table (queries return the base keys)"
            )
        return {
            "TableName": table_name,
            "Key": {pk: target[pk], sk: target[sk]},
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": self.ph.names,
            "ExpressionAttributeValues": self.ph.values,
        }
