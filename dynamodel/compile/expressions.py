"""Expression placeholders and the small expression nodes every request builder shares.

A DynamoDB expression names attributes and values through placeholders (``#n``, ``:v``)
that the request lists in ``ExpressionAttributeNames``/``ExpressionAttributeValues``.
The builders of reads, writes and copy updates (``dynamodel.propagate``) allocate them
with :class:`Placeholders`, so how a placeholder is spelled and numbered is decided in one
place, and an update and the condition sent with it fill the same two maps.

The spellings are part of the requests tests compare byte for byte: a builder chooses the
stem (``pk``, ``ver``, or a numbered ``a0``, ``a1``, ... from :meth:`Placeholders.fresh`),
and a name and a value may share one stem (``#a0 = :a0``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from dynamodel.codec import AttributeValue
from dynamodel.layout import BORN_ATTR, OWNER_PK, OWNER_SK, PK, VERSION_ATTR, WRITE_ID_ATTR

__all__ = ["Condition", "Placeholders", "Update"]


class Placeholders:
    """The expression attribute names and values of one request, as they are allocated.

    A plain class with slots, not a dataclass: every request the runtime sends builds one,
    so it must cost no more than the two dicts it fills.

    Attributes:
        names: placeholder (``#stem``) → attribute name, in allocation order.
        values: placeholder (``:stem``) → attribute value, in allocation order.
    """

    __slots__ = ("_counts", "names", "values")

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, AttributeValue] = {}
        self._counts: dict[str, int] = {}

    def fresh(self, prefix: str) -> str:
        """The next stem numbered after ``prefix``: ``a0``, ``a1``, ... on successive calls.

        Each prefix counts on its own, so ``fresh("w0_")`` numbers the values of ``#w0``
        (``:w0_0``, ``:w0_1``) without disturbing ``fresh("w")``.
        """
        n = self._counts.get(prefix, 0)
        self._counts[prefix] = n + 1
        return f"{prefix}{n}"

    def name(self, stem: str, attr: str) -> str:
        """``#stem``, standing for the attribute ``attr`` in the expression."""
        ref = "#" + stem
        self.names[ref] = attr
        return ref

    def value(self, stem: str, av: AttributeValue) -> str:
        """``:stem``, standing for the value ``av`` in the expression."""
        ref = ":" + stem
        self.values[ref] = av
        return ref

    def pair(self, prefix: str, attr: str, av: AttributeValue) -> tuple[str, str]:
        """A fresh stem for ``attr`` and its value ``av``: ``("#a0", ":a0")``."""
        # fresh + name + value inlined: this runs once per attribute of every write.
        n = self._counts.get(prefix, 0)
        self._counts[prefix] = n + 1
        ref, val = f"#{prefix}{n}", f":{prefix}{n}"
        self.names[ref] = attr
        self.values[val] = av
        return ref, val

    def condition(self, cond: Condition) -> str:
        """Take in a condition's placeholders; its expression, to send with them."""
        self.names.update(cond.names)
        self.values.update(cond.values)
        return cond.expression

    def into(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """``kwargs`` with the names and values added (each only when there is one)."""
        if self.names:
            kwargs["ExpressionAttributeNames"] = self.names
        if self.values:
            kwargs["ExpressionAttributeValues"] = self.values
        return kwargs


class Update:
    """An UpdateExpression being built: its SET, REMOVE and ADD clauses.

    The clauses render in that order, each only when it has an action, so a builder adds
    actions in the order its request should list them.
    """

    __slots__ = ("adds", "removes", "sets")

    def __init__(self) -> None:
        self.sets: list[str] = []
        self.removes: list[str] = []
        self.adds: list[str] = []

    def set(self, name: str, value: str) -> None:
        """``SET name = value`` (``value`` may be an expression such as ``if_not_exists(...)``)."""
        self.sets.append(f"{name} = {value}")

    def remove(self, name: str) -> None:
        """``REMOVE name``."""
        self.removes.append(name)

    def add(self, name: str, value: str) -> None:
        """``ADD name value`` (a number is added to, a set gains the elements)."""
        self.adds.append(f"{name} {value}")

    def expression(self) -> str:
        """The UpdateExpression text."""
        clauses = []
        if self.sets:
            clauses.append("SET " + ", ".join(self.sets))
        if self.removes:
            clauses.append("REMOVE " + ", ".join(self.removes))
        if self.adds:
            clauses.append("ADD " + ", ".join(self.adds))
        return " ".join(clauses)


@dataclass(frozen=True)
class Condition:
    """A ConditionExpression with its placeholders."""

    expression: str
    names: Mapping[str, str]
    values: Mapping[str, AttributeValue]

    def and_(self, other: Condition | None) -> Condition:
        """Both conditions hold (``other=None``: this one alone)."""
        if other is None:
            return self
        return Condition(
            f"({self.expression}) AND ({other.expression})",
            {**self.names, **other.names},
            {**self.values, **other.values},
        )

    def or_(self, other: Condition | None) -> Condition:
        """Either condition holds (``other=None``: this one alone).

        The left side needs no parentheses: OR binds loosest in DynamoDB's expressions.
        """
        if other is None:
            return self
        return Condition(
            f"{self.expression} OR ({other.expression})",
            {**self.names, **other.names},
            {**self.values, **other.values},
        )

    @staticmethod
    def all_equal(prefix: str, expected: Mapping[str, AttributeValue | None]) -> Condition | None:
        """Each attribute is stored with the given value, or absent where it is None.

        Returns:
            None when ``expected`` is empty (there is nothing to check).
        """
        if not expected:
            return None
        ph = Placeholders()
        parts: list[str] = []
        for attr, av in expected.items():
            if av is None:
                parts.append(f"attribute_not_exists({ph.name(ph.fresh(prefix), attr)})")
            else:
                ref, val = ph.pair(prefix, attr, av)
                parts.append(f"{ref} = {val}")
        return Condition(" AND ".join(parts), ph.names, ph.values)

    @staticmethod
    def not_exists() -> Condition:
        """The item does not exist yet."""
        return Condition("attribute_not_exists(#pk)", {"#pk": PK}, {})

    @staticmethod
    def exists() -> Condition:
        """The item exists."""
        return Condition("attribute_exists(#pk)", {"#pk": PK}, {})

    @staticmethod
    def version_is(version: int, born: int | Literal["unknown"] | None = "unknown") -> Condition:
        """The stored ``_version`` is ``version`` and, when known, ``_born`` is ``born``.

        A deleted and re-created item restarts at version 1: only its birth tells a
        stale instance of the old item from the new one. ``born=None`` means the item was
        stored without one (it must still have none); ``"unknown"`` checks the version alone.
        """
        if born == "unknown":
            return Condition("#ver = :expected", {"#ver": VERSION_ATTR}, {":expected": {"N": str(version)}})
        names = {"#ver": VERSION_ATTR, "#born": BORN_ATTR}
        if born is None:
            return Condition(
                "#ver = :expected AND attribute_not_exists(#born)", names, {":expected": {"N": str(version)}}
            )
        values: dict[str, AttributeValue] = {":expected": {"N": str(version)}, ":born": {"N": str(born)}}
        return Condition("#ver = :expected AND #born = :born", names, values)

    @staticmethod
    def not_written_by(write_id: str) -> Condition:
        """The item was not last written by the call ``write_id`` (a retry of it meets its own write)."""
        return Condition(
            "attribute_not_exists(#wid) OR #wid <> :wid", {"#wid": WRITE_ID_ATTR}, {":wid": {"S": write_id}}
        )

    @staticmethod
    def owned_by(owner_pk: str, owner_sk: str) -> Condition:
        """The guard item is held by the item with this key (it is stored, and its owner is that item)."""
        return Condition(
            "#opk = :opk AND #osk = :osk",
            {"#opk": OWNER_PK, "#osk": OWNER_SK},
            {":opk": {"S": owner_pk}, ":osk": {"S": owner_sk}},
        )

    @staticmethod
    def guard_free_or_owned(owner_pk: str, owner_sk: str) -> Condition:
        """The unique value is not taken, or is held by this same item."""
        return Condition(
            "attribute_not_exists(#pk) OR (#opk = :opk AND #osk = :osk)",
            {"#pk": PK, "#opk": OWNER_PK, "#osk": OWNER_SK},
            {":opk": {"S": owner_pk}, ":osk": {"S": owner_sk}},
        )
