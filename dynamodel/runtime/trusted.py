"""Entity instances built from typed values without running pydantic, where that gives the same instance.

The runtime builds instances from values the codec has already typed: items it reads, and the
values of an instance it has just written. For most entities pydantic's validation of such
values is the identity: a ``str`` field given a ``str`` keeps it, a ``datetime`` field a
``datetime``. Skipping it where that is provable is small but free: with the instance state
in slots, a read of an order and its three lines went from 38.4 to 36.3 µs of dynamodel's own
CPU (replayed responses, warm, median of 1,000; 2026-12-01).

:func:`build` checks, per value, what makes validation the identity (its exact type, a
``Literal``'s members, a finite ``Decimal``) and builds the instance as pydantic's own
``model_construct`` does. Anything else goes through ``model_validate``, which gives the
instance or the error it always gave:

* a value of another type (an int where a float is declared, a str for an Enum, a list);
* an entity with validators, ``model_post_init``, private attributes, aliases, field
  constraints (``Field(max_length=...)``), ``extra="allow"``, a default factory or a mutable
  default: what validation would do there is not the identity;
* a missing attribute without a default, or one the entity does not declare.

``tests/unit/test_trusted_build.py`` checks, with Hypothesis, that both ways give equal
instances with the same fields set, and refuse the same values.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel

__all__ = ["IDENTITY_TYPES", "build"]

E = TypeVar("E", bound=BaseModel)

IDENTITY_TYPES = frozenset({str, int, float, bool, bytes, datetime, date})
"""Field types whose validation gives a value of exactly that type back unchanged (checked for
each). ``Decimal`` is one only when the value is finite: pydantic refuses NaN and infinities."""
_PLAIN = IDENTITY_TYPES | {Decimal}
# Defaults shared by every instance unchanged (pydantic copies others).
_IMMUTABLE_DEFAULTS = (*_PLAIN, type(None))
_set = object.__setattr__
# Model options under which validating a value of its field's exact type may change or refuse it.
_VALUE_OPTIONS = (
    "strict",
    "str_strip_whitespace",
    "str_to_lower",
    "str_to_upper",
    "str_min_length",
    "str_max_length",
)


class _Plan:
    """What makes validation the identity for one entity class."""

    __slots__ = ("decimals", "defaults", "literals", "order", "types")

    def __init__(
        self,
        types_: dict[str, frozenset[type]],
        literals: tuple[tuple[str, frozenset[tuple[type, object]]], ...],
        decimals: tuple[str, ...],
        defaults: dict[str, object],
    ) -> None:
        self.types = types_
        self.literals = literals
        self.decimals = decimals
        self.defaults = defaults
        self.order = tuple(types_)


_PLANS: dict[type, _Plan | None] = {}


def build(cls: type[E], values: Mapping[str, object]) -> E:
    """``cls.model_validate(dict(values))``, without pydantic when that gives the same instance.

    Raises:
        pydantic.ValidationError: as ``model_validate`` does.
    """
    if cls in _PLANS:
        plan = _PLANS[cls]
    else:
        plan = _PLANS[cls] = _plan(cls)
    if plan is None or not _identity(plan, values):
        return cls.model_validate(dict(values))
    # In declaration order, as pydantic fills __dict__ (repr and iteration follow it).
    if len(values) == len(plan.order):
        fields = {n: values[n] for n in plan.order}
    else:
        fields = {n: values[n] if n in values else plan.defaults[n] for n in plan.order}
    instance = cls.__new__(cls)
    _set(instance, "__dict__", fields)
    _set(instance, "__pydantic_fields_set__", set(values))
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance


def _identity(plan: _Plan, values: Mapping[str, object]) -> bool:
    types_ = plan.types
    for name, value in values.items():
        allowed = types_.get(name)
        if allowed is None or type(value) not in allowed:
            return False
    if len(values) != len(types_) and any(n not in values and n not in plan.defaults for n in types_):
        return False
    for name, members in plan.literals:
        value = values.get(name, plan.defaults.get(name))
        if value is not None and (type(value), value) not in members:
            return False
    for name in plan.decimals:
        value = values.get(name)
        if isinstance(value, Decimal) and not value.is_finite():
            return False
    return True


def _plan(cls: type[BaseModel]) -> _Plan | None:
    """The plan of ``cls``, or None where validation may do more than check types."""
    decorators = cls.__pydantic_decorators__
    if (
        decorators.validators
        or decorators.field_validators
        or decorators.root_validators
        or decorators.model_validators
        or cls.__pydantic_post_init__ is not None
        or cls.__private_attributes__
        or cls.__pydantic_root_model__
        or any(cls.model_config.get(k) for k in _VALUE_OPTIONS)
        or cls.model_config.get("extra") == "allow"
        or cls.model_config.get("allow_inf_nan") is False
    ):
        return None
    types_: dict[str, frozenset[type]] = {}
    literals: list[tuple[str, frozenset[tuple[type, object]]]] = []
    decimals: list[str] = []
    defaults: dict[str, object] = {}
    for name, info in cls.model_fields.items():
        if info.metadata or info.alias not in (None, name) or info.validation_alias is not None:
            return None
        if info.default_factory is not None or info.validate_default:
            return None
        if not info.is_required():
            if not isinstance(info.default, _IMMUTABLE_DEFAULTS):
                return None
            defaults[name] = info.default
        shape = _shape(info.annotation)
        if shape is None:
            return None
        allowed, members = shape
        types_[name] = allowed
        if members is not None:
            literals.append((name, members))
        if Decimal in allowed:
            decimals.append(name)
    return _Plan(types_, tuple(literals), tuple(decimals), defaults)


def _shape(annotation: Any) -> tuple[frozenset[type], frozenset[tuple[type, object]] | None] | None:
    """The exact types (and Literal members) a value may have for validation to keep it as is."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = get_args(annotation)
        if type(None) not in args or len(args) != 2:
            return None
        inner = _shape(next(a for a in args if a is not type(None)))
        if inner is None:
            return None
        return inner[0] | {type(None)}, inner[1]
    if origin is Literal:
        members = get_args(annotation)
        if not all(type(m) in (str, int, bool) for m in members):
            return None
        return frozenset(type(m) for m in members), frozenset((type(m), m) for m in members)
    if annotation in _PLAIN:
        return frozenset({annotation}), None
    return None
