"""``trusted.build`` gives what ``model_validate`` gives, and skips pydantic only where that is the identity."""

from __future__ import annotations

import enum
import types
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal, Union, get_args, get_origin

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from access_patterns.shop import Customer, Order, OrderLine
from dynamodel.runtime import trusted
from dynamodel.runtime.trusted import build


class Colour(enum.Enum):
    RED = "red"


class Plain(BaseModel):
    model_config = ConfigDict(extra="forbid")

    s: str
    i: int
    f: float
    b: bool
    raw: bytes
    when: datetime
    day: date
    amount: Decimal
    maybe: int | None = None
    status: Literal["OPEN", "SHUT"] = "OPEN"
    flag: Literal[1, True] | None = None
    note: str = "none"


class Constrained(BaseModel):
    s: str = Field(max_length=3)


class Validated(BaseModel):
    s: str

    @field_validator("s")
    @classmethod
    def upper(cls, v: str) -> str:
        return v.upper()


class Stripped(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)
    s: str


class Private(BaseModel):
    s: str
    _seen: int = PrivateAttr(default=0)


class Aliased(BaseModel):
    s: str = Field(alias="S")


class Listed(BaseModel):
    xs: list[int]


class Coloured(BaseModel):
    c: Colour


class Made(BaseModel):
    xs: tuple[int, ...] = ()
    made: str = Field(default_factory=lambda: "x")


MODELS: tuple[type[BaseModel], ...] = (
    Plain,
    Constrained,
    Validated,
    Stripped,
    Private,
    Aliased,
    Listed,
    Coloured,
    Made,
    Customer,
    Order,
    OrderLine,
)

FAST = (Plain, Customer, Order, OrderLine)
"""The models whose well-typed values skip pydantic."""

VALUES = st.one_of(
    st.text(max_size=5),
    st.sampled_from(["OPEN", "SHUT", "CANCELLED", " a ", "abcd", "red"]),
    st.integers(-3, 3),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.binary(max_size=3),
    st.datetimes(timezones=st.sampled_from([None, UTC])),
    st.dates(),
    st.decimals(allow_nan=True, allow_infinity=True, places=2),
    st.none(),
    st.lists(st.integers(0, 3), max_size=2),
    st.just(Colour.RED),
)


RIGHT: dict[Any, st.SearchStrategy[Any]] = {
    str: st.text(max_size=5),
    int: st.integers(-3, 3),
    float: st.floats(allow_nan=False),
    bool: st.booleans(),
    bytes: st.binary(max_size=3),
    datetime: st.datetimes(timezones=st.sampled_from([None, UTC])),
    date: st.dates(),
    Decimal: st.decimals(allow_nan=False, allow_infinity=False, places=2),
}


def _right(annotation: Any) -> st.SearchStrategy[Any]:
    """Values of the field's own type (or members), so that most cases are well typed."""
    if get_origin(annotation) is Literal:
        return st.sampled_from(get_args(annotation))
    if get_origin(annotation) in (Union, types.UnionType):
        return st.one_of(*(_right(a) for a in get_args(annotation)))
    if annotation is type(None):
        return st.none()
    return RIGHT.get(annotation, VALUES)


NEAR_LITERAL = st.one_of(st.text(max_size=6), st.integers(-2, 2), st.booleans())
NEAR = {t: st.sampled_from([t("NaN"), t("Infinity"), t("-Infinity")]) for t in (Decimal, float)}


def _near(annotation: Any) -> st.SearchStrategy[Any]:
    """Values of the field's own type that validation may still refuse or change."""
    if get_origin(annotation) in (Union, types.UnionType):
        return _near(next(a for a in get_args(annotation) if a is not type(None)))
    if get_origin(annotation) is Literal:
        return NEAR_LITERAL
    return NEAR.get(annotation, VALUES)


@st.composite
def cases(
    draw: st.DrawFn, models: tuple[type[BaseModel], ...] = MODELS
) -> tuple[type[BaseModel], dict[str, Any]]:
    """Well-typed values of every field in any order, then at most one change that validation
    may catch: a value of any type, a field left out, or a key the model does not declare."""
    cls = draw(st.sampled_from(models))
    fields = cls.model_fields
    names = draw(st.permutations(list(fields)))
    values = {k: draw(_right(fields[k].annotation)) for k in names}
    change = draw(st.sampled_from(["none", "near", "value", "drop", "extra"]))
    near = [n for n in names if _near(fields[n].annotation) is not VALUES]
    if change == "near" and near:
        name = draw(st.sampled_from(near))
        values[name] = draw(_near(fields[name].annotation))
    elif change == "value" and names:
        values[draw(st.sampled_from(names))] = draw(VALUES)
    elif change == "drop" and names:
        defaulted = [n for n in names if not fields[n].is_required()]
        prefer_defaulted: bool = draw(st.booleans())
        pick = defaulted if defaulted and prefer_defaulted else names
        del values[draw(st.sampled_from(pick))]
    elif change == "extra":
        values[draw(st.sampled_from(["S", "unknown"]))] = draw(VALUES)
    return cls, values


def _nan_in(model: BaseModel) -> bool:
    return any(isinstance(v, float | Decimal) and v != v for v in model.__dict__.values())  # noqa: PLR0124


def _outcome(make: Any) -> Any:
    try:
        return make()
    except ValidationError as err:
        return err


@settings(max_examples=300)
@given(cases())
def test_build_gives_what_model_validate_gives(case: tuple[type[BaseModel], dict[str, Any]]) -> None:
    _same_outcome(*case)


@settings(max_examples=300)
@given(cases(FAST))
def test_build_gives_what_model_validate_gives_where_it_may_skip_pydantic(
    case: tuple[type[BaseModel], dict[str, Any]],
) -> None:
    _same_outcome(*case)


def _same_outcome(cls: type[BaseModel], values: dict[str, Any]) -> None:
    expected = _outcome(lambda: cls.model_validate(dict(values)))
    got = _outcome(lambda: build(cls, values))
    if isinstance(expected, ValidationError):
        assert isinstance(got, ValidationError)
        assert got.errors() == expected.errors()
        return
    assert isinstance(got, cls)
    assert got == expected or _nan_in(expected)  # NaN is unequal to itself; repr is compared below
    assert list(got.__dict__) == list(expected.__dict__)
    assert [type(v) for v in got.__dict__.values()] == [type(v) for v in expected.__dict__.values()]
    assert got.model_fields_set == expected.model_fields_set
    assert got.__pydantic_extra__ == expected.__pydantic_extra__
    assert got.__pydantic_private__ == expected.__pydantic_private__
    assert repr(got) == repr(expected)
    # warnings off: pydantic itself lets an Enum into an int field (Colour.RED becomes "red")
    assert got.model_dump(warnings=False) == expected.model_dump(warnings=False)


def test_only_classes_whose_validation_may_do_more_than_check_types_are_left_to_pydantic() -> None:
    assert {cls for cls in MODELS if trusted._plan(cls) is not None} == set(FAST)


def _refuse(*_: object, **__: object) -> Any:
    raise AssertionError("model_validate ran")


def test_well_typed_values_skip_pydantic(monkeypatch: pytest.MonkeyPatch) -> None:
    when = datetime(2026, 12, 1, tzinfo=UTC)
    values = {
        "order_id": "o1",
        "customer_id": "c1",
        "status": "OPEN",
        "placed_at": when,
        "total": Decimal("9.5"),
    }
    monkeypatch.setattr(Order, "model_validate", _refuse)
    order = build(Order, values)
    assert order.customer_name is None
    assert order.placed_at is when


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "LOST"), ("total", Decimal("NaN")), ("total", 9.5), ("placed_at", "2026-12-01")],
)
def test_a_value_validation_would_change_or_refuse_goes_to_pydantic(field: str, value: object) -> None:
    values: dict[str, object] = {
        "order_id": "o1",
        "customer_id": "c1",
        "status": "OPEN",
        "placed_at": datetime(2026, 12, 1, tzinfo=UTC),
        "total": Decimal("9.5"),
        field: value,
    }
    expected = _outcome(lambda: Order.model_validate(dict(values)))
    got = _outcome(lambda: build(Order, values))
    assert type(got) is type(expected)
    assert repr(got) == repr(expected)
