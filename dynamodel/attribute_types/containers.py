"""The container types: list (also tuples and sets) and map. Neither can be part of a key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel

from dynamodel.attribute_types.base import AttributeType, AttributeValue, WireEncoder
from dynamodel.attribute_types.wire import de_map, deserialize, ser_list, ser_map, ser_set

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy


def _enc_list(v: object) -> AttributeValue | None:
    if type(v) is list or isinstance(v, list | tuple):
        return ser_list(v)
    if isinstance(v, set | frozenset):
        # DynamoDB has no empty set; an empty list reads back as an empty collection.
        return ser_set(v) if v else {"L": []}
    return None


_COLLECTION_TAGS = frozenset({"L", "SS", "NS", "BS", "NULL"})


def _de_list(av: AttributeValue) -> object:
    if len(av) == 1 and "L" in av:
        # de_list's loop, written here: one call less per list attribute.
        return [de_map(x["M"]) if "M" in x else deserialize(x) for x in av["L"]]
    if not _COLLECTION_TAGS.issuperset(av):
        raise TypeError(av)
    return deserialize(av)


class ListType(AttributeType):
    """Lists and tuples (L) and, as declared with ``set[...]``, non-empty sets (SS, NS or BS)."""

    name: ClassVar[str] = "list"
    python_types: ClassVar[tuple[type, ...]] = (list, tuple, set, frozenset)
    dynamodb_type: ClassVar[str] = "L"
    expected: ClassVar[str] = "a list, tuple or set"
    nested = True

    to_wire = staticmethod(_enc_list)
    from_wire = staticmethod(_de_list)

    def wire_encoders(self) -> Mapping[type, WireEncoder]:
        return {list: ser_list, tuple: ser_list, set: ser_set, frozenset: ser_set}

    def wire_fallback(self, value: object) -> AttributeValue | None:
        if isinstance(value, list | tuple):
            return ser_list(value)
        if isinstance(value, set | frozenset):
            return ser_set(value)
        return None

    def strategy(self, values: tuple[str, ...], tags: Sequence[str]) -> SearchStrategy[Any]:
        from hypothesis import strategies as st  # noqa: PLC0415 - test-only dependency

        return st.lists(st.text(max_size=5) | st.integers(-1000, 1000), max_size=4)


def _enc_map(v: object) -> AttributeValue | None:
    if type(v) is dict or isinstance(v, Mapping):
        return ser_map(v)
    if isinstance(v, BaseModel):
        return ser_map(v.model_dump(mode="python"))
    return None


def _de_map(av: AttributeValue) -> object:
    return de_map(av["M"])


class MapType(AttributeType):
    """Dicts with str keys, and pydantic models (stored as their ``model_dump()``)."""

    name: ClassVar[str] = "map"
    python_types: ClassVar[tuple[type, ...]] = (dict,)
    dynamodb_type: ClassVar[str] = "M"
    expected: ClassVar[str] = "a dict with str keys (or a pydantic model)"
    nested = True

    to_wire = staticmethod(_enc_map)
    from_wire = staticmethod(_de_map)

    def wire_encoders(self) -> Mapping[type, WireEncoder]:
        return {dict: ser_map}

    def wire_fallback(self, value: object) -> AttributeValue | None:
        if isinstance(value, BaseModel):
            return ser_map(value.model_dump(mode="python"))
        if isinstance(value, Mapping):
            return ser_map(value)
        return None

    def strategy(self, values: tuple[str, ...], tags: Sequence[str]) -> SearchStrategy[Any]:
        from hypothesis import strategies as st  # noqa: PLC0415 - test-only dependency

        return st.dictionaries(
            st.text(min_size=1, max_size=5), st.text(max_size=5) | st.integers(-99, 99), max_size=3
        )
