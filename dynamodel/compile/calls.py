"""The call convention of read patterns: which arguments a pattern takes, checked and split.

Separate from the request builders because the runtime's generated methods, the stubs and
the docs all need the convention (names, required arguments, range parameters) without
building a request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, NoReturn

from dynamodel.design.model import Design, PatternPlan
from dynamodel.design.requirements import predicate_text
from dynamodel.errors import RequestError, UnknownFieldError
from dynamodel.memo import PerObject
from dynamodel.spec import PatternSpec, RangeOp

__all__ = [
    "PatternCall",
    "RangeArg",
    "ReadArgs",
    "call_convention",
    "check_limit",
    "parse_read_args",
    "pattern_plan",
    "pattern_spec",
]


@dataclass(frozen=True)
class PatternCall:
    """What a read pattern takes from the caller.

    Attributes:
        name: the pattern's name.
        kind: ``get`` or ``query``.
        required: the ``by`` attributes, all required, in declaration order.
        range_params: ``("value",)`` for eq/lt/lte/gt/gte/begins_with, ``("lo", "hi")``
            for between, ``()`` when the pattern declares no range. Range arguments are
            optional: leave them out to read the whole sorted list.
        paged: whether the call takes ``limit``/``cursor`` and returns a page.
        entities: the result entities, in declared order.
    """

    name: str
    kind: Literal["get", "query", "write"]
    required: tuple[str, ...]
    range_params: tuple[str, ...]
    paged: bool
    entities: tuple[str, ...]


def call_convention(design: Design, name: str) -> PatternCall:
    """The arguments a read pattern takes; see :class:`PatternCall`."""
    pat = pattern_spec(design, name)
    if pat.range is None:
        params: tuple[str, ...] = ()
    elif pat.range == "between":
        params = ("lo", "hi")
    else:
        params = ("value",)
    return PatternCall(
        name=pat.name,
        kind=pat.kind,
        required=pat.by,
        range_params=params,
        paged=pat.kind == "query",
        entities=pat.entities,
    )


def pattern_spec(design: Design, name: str) -> PatternSpec:
    """The declared pattern ``name``; RequestError naming the known ones when there is none."""
    try:
        return design.app.pattern(name)
    except UnknownFieldError:
        pass
    known = ", ".join(p.name for p in design.app.patterns)
    msg = f"App '{design.app.name}' has no pattern '{name}'."
    raise RequestError(msg, hint=f"use one of: {known}")


def pattern_plan(design: Design, name: str) -> PatternPlan:
    """The design's plan of the declared pattern ``name`` (RequestError for an undeclared one)."""
    pattern_spec(design, name)
    return design.plan(name)


@dataclass(frozen=True)
class RangeArg:
    """A range condition on the sort attribute: the operator and its one or two values."""

    op: RangeOp
    values: tuple[object, ...]


@dataclass(frozen=True)
class ReadArgs:
    """A read pattern's checked arguments: equality values (``by`` and ``where``) and range."""

    values: Mapping[str, object]
    range: RangeArg | None


def parse_read_args(design: Design, name: str, args: Mapping[str, object]) -> ReadArgs:
    """Check a read pattern's keyword arguments and split them into equality and range.

    Args:
        design: the derived design.
        name: the pattern's name.
        args: ``by`` attribute values plus the optional range arguments (``value``, or
            ``lo``/``hi`` for between; ``None`` means "not given").

    Returns:
        The equality values (the pattern's ``where`` values added) and the range.

    Raises:
        RequestError: a ``by`` attribute is missing or None, an argument is unknown, or
            a ``where`` attribute is passed (its value comes from the declaration).
    """
    shape = _shape(design, name)
    where_attrs = shape.where_attrs
    allowed = shape.allowed
    for key in args:
        if key in where_attrs or key not in allowed:
            _refuse_argument(design, name, key)
    required = shape.required
    values: dict[str, object] = {}
    for a in required:
        value = args.get(a)
        if value is None:
            missing = [a for a in required if args.get(a) is None]
            msg = f"Pattern '{name}' needs {', '.join(repr(m) for m in missing)}."
            raise RequestError(msg, hint=f"call it with {', '.join(f'{a}=...' for a in required)}")
        values[a] = value
    # Several allowed values are in no key: the sparse index they select is the whole answer.
    values.update(shape.where_values)
    rng: RangeArg | None = None
    range_op = shape.range
    if range_op == "between":
        lo, hi = args.get("lo"), args.get("hi")
        if lo is not None and hi is not None:
            rng = RangeArg("between", (lo, hi))
        elif lo is not None:
            rng = RangeArg("gte", (lo,))
        elif hi is not None:
            rng = RangeArg("lte", (hi,))
    elif range_op is not None and args.get("value") is not None:
        rng = RangeArg(range_op, (args["value"],))
    return ReadArgs(values, rng)


def _refuse_argument(design: Design, name: str, key: str) -> NoReturn:
    pat = pattern_spec(design, name)
    conv = call_convention(design, name)
    where = dict(pat.where)
    if key in where:
        msg = f"Pattern '{name}': '{key}' is fixed by the declaration (where {predicate_text(key, where[key])})."
        raise RequestError(msg, hint=f"leave '{key}' out of the call")
    shown = ", ".join([*conv.required, *conv.range_params]) or "no arguments"
    msg = f"Pattern '{name}' takes no argument '{key}'."
    raise RequestError(msg, hint=f"it takes {shown}")


@dataclass(frozen=True)
class _CallShape:
    """What :func:`parse_read_args` needs of one pattern, worked out once."""

    required: tuple[str, ...]
    allowed: frozenset[str]
    where_attrs: frozenset[str]
    where_values: dict[str, object]
    range: RangeOp | None


def _shape(design: Design, name: str) -> _CallShape:
    shapes = _SHAPES(design)
    shape = shapes.get(name)
    if shape is None:
        pat = pattern_spec(design, name)
        conv = call_convention(design, name)
        shape = _CallShape(
            required=conv.required,
            allowed=frozenset(conv.required) | frozenset(conv.range_params),
            where_attrs=frozenset(a for a, _ in pat.where),
            where_values={a: m for a, m in pat.where if not isinstance(m, tuple)},
            range=pat.range,
        )
        shapes[name] = shape
    return shape


# Every read call parses its arguments: the pattern's shape is worked out once per design.
_SHAPES: PerObject[Design, dict[str, _CallShape]] = PerObject(lambda _design: {})


def check_limit(limit: object) -> int:
    """A page size: a whole number >= 1 (``True``, ``5.5`` and ``"5"`` are refused)."""
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        msg = f"limit={limit!r} is not a page size."
        raise RequestError(
            msg, hint="pass a whole number >= 1 (items per page), or None for DynamoDB's 1 MB pages"
        )
    return limit
