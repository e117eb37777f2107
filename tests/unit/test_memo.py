"""PerObject: one value per object identity, never another object's, whatever the table's state."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from dynamodel import memo
from dynamodel.memo import PerObject


@dataclass(frozen=True)
class Box:
    value: int


def test_equal_objects_get_their_own_value() -> None:
    calls: list[Box] = []

    def build(box: Box) -> int:
        calls.append(box)
        return len(calls)

    per: PerObject[Box, int] = PerObject(build)
    a, b = Box(1), Box(1)
    assert a == b
    assert a is not b
    assert per(a) == 1
    assert per(b) == 2  # equal, not identical: built again
    assert per(a) == 1  # remembered
    assert calls == [a, b]


@given(st.lists(st.integers(0, 50), max_size=200), st.integers(1, 8))
def test_a_value_is_always_the_objects_own(values: list[int], limit: int) -> None:
    original = memo.LIMIT
    memo.LIMIT = limit  # a tiny table: emptied again and again
    try:
        per: PerObject[Box, int] = PerObject(lambda b: b.value * 2)
        boxes = [Box(v) for v in values]
        for box in boxes + boxes[::-1]:
            assert per(box) == box.value * 2
    finally:
        memo.LIMIT = original


def test_an_entry_keeps_its_object_so_its_id_is_not_reused() -> None:
    per: PerObject[Box, int] = PerObject(lambda b: b.value)
    per(Box(7))  # no other reference: only the table keeps it alive
    assert [per(Box(n)) for n in range(100)] == list(range(100))
