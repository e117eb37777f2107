"""Stream records → the copy updates they call for (pure: no boto3, no I/O).

The shape of a record (its ids, event name and images) is read in
:mod:`dynamodel.propagate.records`; this module decides what a record calls for;
:mod:`dynamodel.propagate.copy_requests` builds the requests that carry it out.

The protocol, shared by the stream handler and the repair command:

* Every target item holding copies of a source stores ``_copyver_<Source>``: the source
  item's *stamp* the copies were taken from, ``_born * 10**12 + _version``. ``_born`` (the
  instant the source item was created, kept by every later write) orders a source deleted
  and re-created after its old self, whose ``_version`` restarted at 1; within one
  incarnation the stamp grows with ``_version``. Items without ``_born`` (written before
  it existed) stamp their ``_version`` alone.
* A copy update for source stamp ``v`` is one UpdateItem per target that SETs the copied
  attributes (REMOVEs those whose source value is absent), SETs or REMOVEs the GSI key
  attributes derived from them, and stamps ``_copyver_<Source> = v``, conditioned on::

      attribute_exists(PK)                                  -- the target still exists
      AND (attribute_not_exists(_copyver_X)                 -- never stamped
           OR _copyver_X < :v                               -- older copies
           OR (_copyver_X = :v AND <a copied value differs>))   -- same version, clobbered

  The last clause is a superset of the plain ``_copyver_X < :v``: a version determines its
  values, so re-writing version ``v``'s values over a target stamped ``v`` whose copy was
  overwritten (an application write that raced a rename) is safe, while a duplicate whose
  values are already there fails the condition and writes nothing. A duplicate, a retry or
  an older record after a newer one therefore changes nothing.
* When a copied attribute is part of a GSI key template (or of a sparse predicate), the
  new keys are rendered from the target's stored values with the new copies, and the
  update is also conditioned on the target's ``_version`` being the one those values came
  from, so a concurrent application write is never overwritten with keys from stale values.
* The target's own ``_version`` is not bumped. A copy is not a change by the target's
  writer: bumping it would fail every optimistic-locking update of an order read before
  the customer was renamed, and the next application write of the target fills its
  copies from the source anyway (``writes.fill_copies``). It also lets the handler tell
  its own writes (``_version`` unchanged) from application writes (``_version`` moved).
* A REMOVE of a source leaves its copies as they are: a copy is a snapshot of the last
  value, which the target may legitimately keep (an order keeps the name its customer had),
  deleting or clearing dependants is the application's decision, and "deleted" has no
  version a later record could be ordered against.

* A write that reads the source of an optional copy and finds it missing (the copy is left
  absent) stores the *absence stamp* ``T * 10**12`` instead, T its clock after the read.
  Every incarnation of the source deleted before that read was born before T, so its
  delayed records carry lower stamps and never fill the copy; one created after the read
  carries a higher stamp and does. A source stored after the read but born before it (a
  race of the two writes) is settled by the write's target check: the source is re-read
  and its values replace the absence while the target's stamp is still the one written.
* A stamp belongs to one source item. Every application write of a target removes its
  stamps (``compile.build_item`` lists them among the attributes to REMOVE; a full-item
  put drops them anyway): the write may have moved the target's reference to another
  source, whose stamps do not compare with the old one's (a source created earlier has a
  lower ``_born``, so a kept stamp would make every later change of it look older and be
  ignored for good). The copy update's condition also requires the target to still name
  the update's source, so a stamp is only ever compared with stamps of its own source.

Target checks: a target item written by the application (INSERT, or MODIFY whose
``_version`` moved) had its copies filled from a source read that may have raced a
source update, and carries no stamp. The handler re-reads the source (strongly
consistent) and applies the same conditioned update to that one target, so copies
converge whatever the interleaving of application writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dynamodel.codec import AttributeValue, Item, item_to_values
from dynamodel.compile import base_key, key_attrs
from dynamodel.copyrefs import COPYVER_PREFIX
from dynamodel.design.model import CopyPath, Design
from dynamodel.errors import RequestError
from dynamodel.layout import BORN_ATTR, STAMP_SHIFT, TYPE_ATTR, VERSION_ATTR
from dynamodel.propagate.records import parse_record

__all__ = [
    "COPYVER_PREFIX",
    "STAMP_SHIFT",
    "CopyUpdate",
    "RecordPlan",
    "TargetCheck",
    "copyver_attr",
    "plan_record",
    "source_stamp",
    "source_update",
]


def copyver_attr(source: str) -> str:
    """The attribute a target stores its ``source`` copies' version in: ``_copyver_<Source>``."""
    return f"{COPYVER_PREFIX}{source}"


# ---- plans ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CopyUpdate:
    """Bring every copy of one source item held by ``path.target`` items to one version.

    Attributes:
        path: the copy path (source, target, attributes, lookup plan).
        identity: the source's identity values: the lookup query's equality values.
        version: the stamp of the source item the values come from (see the module
            docstring: ``_born * 10**12 + _version``).
        copies: (target attribute, new value) for every copied attribute of the path;
            None means the source has no value (the copy is removed).
    """

    path: CopyPath
    identity: Mapping[str, object]
    version: int
    copies: tuple[tuple[str, object], ...]

    def supersedes(self, other: CopyUpdate) -> bool:
        """Whether applying this update makes ``other`` (same source item) a no-op."""
        return (
            self.path == other.path
            and dict(self.identity) == dict(other.identity)
            and self.version > other.version
        )


@dataclass(frozen=True)
class TargetCheck:
    """A target item the application wrote: verify its copies of one source against it.

    Attributes:
        path: the copy path.
        target: the target item as the record shows it (its NewImage).
        source_key: the base-table key of the source item the copies follow.
    """

    path: CopyPath
    target: Item
    source_key: Item


@dataclass(frozen=True)
class RecordPlan:
    """What one stream record calls for.

    Attributes:
        event_id: the record's ``eventID``.
        sequence_number: its ``dynamodb.SequenceNumber`` (the batch item identifier).
        event_name: INSERT, MODIFY or REMOVE.
        entity: the item's ``_type`` when it is an entity of the app, else None.
        updates: copy updates of the targets of a changed source.
        checks: target checks of an item the application wrote.
        reason: why the record needs no work (empty when it needs some).
    """

    event_id: str
    sequence_number: str
    event_name: str
    entity: str | None
    updates: tuple[CopyUpdate, ...] = ()
    checks: tuple[TargetCheck, ...] = ()
    reason: str = ""

    @property
    def needs_work(self) -> bool:
        """Whether the record calls for any request."""
        return bool(self.updates or self.checks)


# ---- planning ------------------------------------------------------------------------------


# ``_version`` values below STAMP_SHIFT fit in a stamp (a trillion writes of one item).


def _stamp(image: Mapping[str, AttributeValue], what: str) -> int:
    """The stamp of a source item: ``_born * STAMP_SHIFT + _version``."""
    av = image.get(VERSION_ATTR)
    text = av.get("N") if av else None
    try:
        version = int(str(text))
    except ValueError:
        msg = f"{what} has no numeric {VERSION_ATTR} ({av!r}); copies are ordered by it"
        raise RequestError(
            msg, hint="write sources through dynamodel (every write stores _version), or migrate the item"
        ) from None
    born_av = image.get(BORN_ATTR)
    born_text = born_av.get("N") if born_av else None
    try:
        born = int(str(born_text)) if born_text is not None else 0
    except ValueError:
        born = 0  # a damaged _born orders like an item written before _born existed
    return born * STAMP_SHIFT + version


def source_stamp(image: Mapping[str, AttributeValue]) -> int:
    """The stamp a source item's copies are taken at: ``_born * 10**12 + _version``.

    Raises:
        RequestError: the item has no numeric ``_version``.
    """
    return _stamp(image, "the source item")


def source_update(design: Design, path: CopyPath, image: Mapping[str, AttributeValue]) -> CopyUpdate:
    """The copy update that brings ``path``'s copies to a source item's stored state.

    Args:
        design: the derived design.
        path: a copy path whose source is the item's entity.
        image: the source item (a stream NewImage, or an item read from the table).

    Raises:
        RequestError: the item lacks ``_version`` or an identity attribute, or a value does
            not decode as its declared type.
    """
    spec = design.app.entity(path.source)
    needed = {*spec.identity, *(s for _, s in path.attributes)}
    values = item_to_values(spec, {k: v for k, v in image.items() if k in needed})
    missing = [a for a in spec.identity if values.get(a) is None]
    if missing:
        msg = f"{path.source} item lacks its identity attribute(s) {missing}"
        raise RequestError(msg, hint="the item was not written by dynamodel; repair or delete it")
    version = _stamp(image, f"{path.source}({', '.join(f'{a}={values[a]!r}' for a in spec.identity)})")
    copies = tuple((target_attr, values.get(source_attr)) for target_attr, source_attr in path.attributes)
    return CopyUpdate(path, {a: values[a] for a in spec.identity}, version, copies)


def _changed(path: CopyPath, old: Mapping[str, AttributeValue], new: Mapping[str, AttributeValue]) -> bool:
    return any(old.get(s) != new.get(s) for _, s in path.attributes)


def plan_record(design: Design, record: Mapping[str, Any], *, verify_targets: bool = True) -> RecordPlan:
    """What one DynamoDB Streams record calls for.

    Work comes from two kinds of records:

    * a source item (by ``_type``) whose copied attributes changed between OldImage and
      NewImage (an INSERT counts as a change): one :class:`CopyUpdate` per copy path;
    * with ``verify_targets``, a target item the application wrote (INSERT, or MODIFY whose
      ``_version`` moved): one :class:`TargetCheck` per copy path.

    Everything else (other attributes changed, REMOVE, guard items, foreign items, and the
    handler's own copy writes, which leave ``_version`` alone) needs no work.

    Raises:
        RequestError: the record is malformed (no eventID/SequenceNumber, an unknown
            eventName, a view type without both images, an undecodable image): a poison
            record that retrying cannot fix.
    """
    shape = parse_record(record)
    eid, seq, name = shape.event_id, shape.sequence_number, shape.event_name
    new, old = shape.new, shape.old
    image = old if name == "REMOVE" else new
    type_av = image.get(TYPE_ATTR, {})
    entity = type_av.get("S") if isinstance(type_av, Mapping) else None
    known = {e.name for e in design.app.entities}
    if not isinstance(entity, str) or entity not in known:
        return RecordPlan(eid, seq, name, None, reason=f"not an entity item (_type {entity!r})")
    if name == "REMOVE":
        return RecordPlan(eid, seq, name, entity, reason="a deleted source leaves its copies as they are")
    updates = tuple(
        source_update(design, p, new)
        for p in design.copy_paths
        if p.source == entity and (name == "INSERT" or _changed(p, old, new))
    )
    checks: tuple[TargetCheck, ...] = ()
    app_write = name == "INSERT" or old.get(VERSION_ATTR) != new.get(VERSION_ATTR)
    if verify_targets and app_write:
        found = (_target_check(design, p, new) for p in design.copy_paths if p.target == entity)
        checks = tuple(ch for ch in found if ch is not None)
    reason = ""
    if not updates and not checks:
        if any(p.source == entity for p in design.copy_paths):
            reason = "no copied attribute changed"
        elif any(p.target == entity for p in design.copy_paths):
            reason = "a copy write (the target's _version did not move)"
        else:
            reason = f"{entity} neither holds nor is the source of copies"
    return RecordPlan(eid, seq, name, entity, updates, checks, reason)


def _target_check(design: Design, path: CopyPath, image: Item) -> TargetCheck | None:
    spec = design.app.entity(path.target)
    needed = {a: path.local(a) for a in key_attrs(design, path.source)}
    values = item_to_values(spec, {k: v for k, v in image.items() if k in needed.values()})
    if any(values.get(local) is None for local in needed.values()):
        return None  # the target names no source item (an optional reference); nothing to verify
    source_key = {a: values[local] for a, local in needed.items()}
    return TargetCheck(path, image, base_key(design, path.source, source_key))
