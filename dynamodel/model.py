"""Entities declared as pydantic v2 models.

    class Order(Entity, identity=("order_id",), parent=Customer, immutable=("placed_at",)):
        order_id: str
        placed_at: datetime
        customer_name: str = Copy("Customer.name")

The class keywords (identity, parent, aggregate, unique, ttl, immutable; see ``Entity``) are
checked when the class is created; the resulting EntitySpec is ``Order.__entity_spec__``.
"""

from __future__ import annotations

import enum
import types
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Self, Union, cast, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field
from pydantic._internal._model_construction import ModelMetaclass
from pydantic.fields import FieldInfo

from dynamodel import instance_state
from dynamodel.attribute_types import for_annotation
from dynamodel.errors import DefinitionError, PartialItemError, UnknownFieldError
from dynamodel.spec import AttributeSpec, AttrType, EntitySpec

_COPY_KEY = "dynamodel_copy"
_VIA_KEY = "dynamodel_via"


NonEmptyStr = Annotated[str, Field(min_length=1)]
"""A str that is never empty (pydantic refuses ""): ids declared so let a GSI key on them
natively (``key_style``), since DynamoDB refuses an empty string as a key value."""


class FieldRef:
    """``Customer.name`` on an Entity class: a reference to a declared attribute."""

    __slots__ = ("attr", "entity")

    def __init__(self, entity: str, attr: str) -> None:
        self.entity = entity
        self.attr = attr

    def __repr__(self) -> str:
        return f"{self.entity}.{self.attr}"

    def __bool__(self) -> bool:
        # Guards against `if Order.status == ...` at class level, which is never what is meant.
        msg = f"{self!r} is an attribute reference, not a value"
        raise TypeError(msg)


def Copy(  # noqa: N802 - reads as a field specifier
    source: object, *, optional: bool = False, via: Mapping[str, str] | None = None
) -> Any:
    """Declare a denormalised copy of another entity's attribute.

    Args:
        source: ``Customer.name`` (a FieldRef) or the string ``"Customer.name"``.
        optional: whether the copy may be absent. An optional copy is None when its
            reference is absent (a local attribute naming the source is None) or names a
            source item that does not exist; a required copy refuses such a write with a
            RequestError (and a required copy through an optional reference attribute is
            refused at declaration).
        via: a named reference: the source's key attributes → the attributes of this
            entity that hold them (``via={"user_id": "assignee_id"}``), so one entity can
            copy from one source twice (reporter and assignee). Key attributes not listed
            keep their names; without ``via`` the entity names the source by the source's
            own attribute names.

    Returns:
        A pydantic field whose value dynamodel fills from the source on write.
    """
    text = repr(source) if isinstance(source, FieldRef) else source
    if not isinstance(text, str) or text.count(".") != 1:
        msg = f"Copy() needs 'Entity.attribute' or Entity.attribute, got {source!r}."
        raise DefinitionError(msg, hint="write Copy(Customer.name) or Copy('Customer.name')")
    if via is not None and (
        not isinstance(via, Mapping)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in via.items())
    ):
        msg = f"Copy({text}) takes via as a mapping of attribute names, got {via!r}."
        raise DefinitionError(
            msg, hint="write via={'user_id': 'assignee_id'}: the source's key attribute, then yours"
        )
    pairs = sorted((via or {}).items())
    extra: dict[str, Any] = {
        _COPY_KEY: text,
        "dynamodel_optional": optional,
        _VIA_KEY: [list(p) for p in pairs],
    }
    return Field(default=None, json_schema_extra=extra)


class _EntityMeta(ModelMetaclass):
    def __getattr__(cls, name: str) -> Any:  # noqa: N805 - a metaclass method receives the class
        # pydantic hides fields from the class; dynamodel gives them back as references so
        # that Copy(Customer.name) and increments={Customer.order_count: 1} read naturally.
        fields = cls.__dict__.get("__pydantic_fields__")
        if fields is not None and name in fields:
            return FieldRef(cls.__name__, name)
        return super().__getattr__(name)  # type: ignore[misc]


class Entity(BaseModel, metaclass=_EntityMeta):
    """Base class of every dynamodel entity (a pydantic v2 model).

    Declared with class keywords::

        class Comment(Entity, identity=("ticket_id", "comment_id"), parent=Ticket,
                      immutable=("posted_at",)):
            ...

    - ``identity`` (required): the attributes that identify one item, e.g. ``("order_id",)``;
      ``()`` for a singleton. They are required key-able scalars and never change.
    - ``parent``: the entity (class or name) this one belongs to; it carries the parent's
      identity attributes, so a query by them can return parent and children together.
    - ``aggregate``: the root entity this one is written atomically with (order lines of an
      order); like ``parent``, it carries the root's identity. Declare one of the two.
    - ``unique``: attributes whose value no two items share (``("email",)``); enforced by
      guard items written in the same transaction as the item.
    - ``ttl``: a ``datetime`` or ``int`` (epoch seconds) attribute after which DynamoDB may
      expire the item.
    - ``immutable``: attributes that never change after the item is created
      (``("posted_at",)``): an update that changes one is refused, and the planner may put them
      in the base table's sort key. The identity, and the parent's identity a child carries,
      are immutable already and are not listed; a copy cannot be listed (it follows its source).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
    # What the runtime knows of the stored item behind an instance (see instance_state).
    __slots__ = instance_state.SLOTS

    __entity_spec__: ClassVar[EntitySpec]
    __entity_options__: ClassVar[dict[str, Any]]

    # model_copy() goes through these two: a copy is based on the same stored item, so that
    # table.update(c.model_copy(update=...)) locks on the version c was read at.
    def __copy__(self) -> Self:
        copied = super().__copy__()
        instance_state.inherit(self, copied)
        return copied

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        copied = super().__deepcopy__(memo)
        instance_state.inherit(self, copied)
        return copied

    if not TYPE_CHECKING:  # pydantic's own __getattr__ is hidden from type checkers too

        def __getattr__(self, name: str) -> Any:
            present = instance_state.partial_fields(self)
            if present is not None and name in type(self).model_fields:
                msg = f"{type(self).__name__}.{name} was not read: the index this item came from holds only {list(present)}."
                raise PartialItemError(
                    msg, hint=f"add '{name}' to the pattern's fields, or read the whole item by its identity"
                )
            return super().__getattr__(name)

    def __init_subclass__(
        cls,
        *,
        identity: tuple[str, ...] | list[str] | str | None = None,
        parent: type[Entity] | str | None = None,
        aggregate: type[Entity] | str | None = None,
        unique: tuple[str, ...] | list[str] = (),
        ttl: str | None = None,
        immutable: tuple[str, ...] | list[str] | str = (),
        size: int | None = None,
        sizes: Mapping[str, int] | None = None,
        count: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if identity is None:
            msg = f"Entity {cls.__name__} declares no identity."
            raise DefinitionError(
                msg,
                hint=f"write class {cls.__name__}(Entity, identity=('id',)) or identity=() for a singleton",
            )
        cls.__entity_options__ = {
            "identity": (identity,) if isinstance(identity, str) else tuple(identity),
            "parent": parent if parent is None or isinstance(parent, str) else parent.__name__,
            "aggregate": aggregate if aggregate is None or isinstance(aggregate, str) else aggregate.__name__,
            "unique": tuple(unique),
            "ttl": ttl,
            "immutable": (immutable,) if isinstance(immutable, str) else tuple(immutable),
            "size": size,
            "sizes": tuple(sorted(dict(sizes or {}).items())),
            "count": count,
        }

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        opts = cls.__entity_options__
        attrs = tuple(_attribute(cls.__name__, name, info) for name, info in cls.model_fields.items())
        attrs = _mark_immutable(cls.__name__, attrs, opts["immutable"])
        spec = EntitySpec(
            name=cls.__name__,
            identity=opts["identity"],
            attributes=attrs,
            parent=opts["parent"],
            aggregate=opts["aggregate"],
            unique=opts["unique"],
            ttl=opts["ttl"],
            size=opts["size"],
            sizes=opts["sizes"],
            count=opts["count"],
        )
        for ident in spec.identity:
            if not spec.has(ident):
                msg = f"Entity {cls.__name__}: identity attribute '{ident}' is not a field."
                raise UnknownFieldError(msg, hint=f"add '{ident}: str' (or another type) to {cls.__name__}")
        cls.__entity_spec__ = spec


instance_state.bind(Entity)


def _mark_immutable(
    entity: str, attrs: tuple[AttributeSpec, ...], names: tuple[str, ...]
) -> tuple[AttributeSpec, ...]:
    declared = {a.name for a in attrs}
    for n in names:
        if not isinstance(n, str) or n not in declared:
            msg = f"Entity {entity}: immutable attribute {n!r} is not a field."
            raise UnknownFieldError(msg, hint=f"list attributes of {entity}, e.g. immutable=('posted_at',)")
    # validate.check_entity refuses identity and copy attributes listed here, with the reason.
    return tuple(replace(a, immutable=True) if a.name in names else a for a in attrs)


def field_ref(entity: type[Entity], attr: str) -> FieldRef:
    """A checked reference to ``entity.attr`` (what ``Customer.name`` means in Copy and increments)."""
    if attr not in entity.model_fields:
        msg = f"{entity.__name__} has no attribute '{attr}'."
        raise UnknownFieldError(msg, hint=f"declare '{attr}' on {entity.__name__}")
    return FieldRef(entity.__name__, attr)


def _attribute(entity: str, name: str, info: FieldInfo) -> AttributeSpec:
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    if _COPY_KEY in extra:
        src = str(extra[_COPY_KEY])
        ent, attr = src.split(".")
        pairs = extra.get(_VIA_KEY)
        via = (
            tuple((str(p[0]), str(p[1])) for p in pairs if isinstance(p, list))
            if isinstance(pairs, list)
            else ()
        )
        return AttributeSpec(
            name=name,
            type="str",
            optional=bool(extra.get("dynamodel_optional")),
            copy_of=(ent, attr),
            copy_via=via,
        )
    annotation = info.annotation
    optional = False
    origin = get_origin(annotation)
    metadata: list[object] = list(info.metadata)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(args) != len(get_args(annotation))
        if len(args) != 1:
            msg = f"Entity {entity}: field '{name}' has a union type {annotation!r}."
            raise DefinitionError(msg, hint="use one type, optionally with | None")
        annotation = args[0]
        origin = get_origin(annotation)
        if origin is Annotated:  # ``Id | None`` with ``Id = Annotated[str, Field(min_length=1)]``
            annotation, *marks = get_args(annotation)
            metadata += [m for e in marks for m in (e.metadata if isinstance(e, FieldInfo) else [e])]
            origin = get_origin(annotation)
    if origin is Literal:
        values = get_args(annotation)
        if not all(isinstance(v, str) for v in values):
            msg = f"Entity {entity}: Literal field '{name}' must list strings."
            raise DefinitionError(msg, hint="write Literal['OPEN', 'CLOSED']")
        return AttributeSpec(name=name, type="enum", optional=optional, enum=tuple(str(v) for v in values))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        values = tuple(str(m.value) for m in annotation)
        return AttributeSpec(name=name, type="enum", optional=optional, enum=values)
    base = origin if origin is not None else annotation
    attr_type = for_annotation(base)
    if attr_type is None:
        msg = f"Entity {entity}: field '{name}' has type {annotation!r}, which dynamodel cannot store."
        raise DefinitionError(
            msg,
            hint="use str, int, Decimal, float, bool, datetime, date, bytes, list, dict, Literal[...] or an Enum",
        )
    # A registered type's name is an AttrType at run time (see dynamodel.spec.AttrType).
    return AttributeSpec(
        name=name, type=cast("AttrType", attr_type.name), optional=optional, min_length=_min_length(metadata)
    )


def _min_length(metadata: list[object]) -> int | None:
    """``Field(min_length=1)`` or ``Annotated[str, MinLen(1)]``: what pydantic enforces, recorded."""
    found = [n for m in metadata if isinstance(n := getattr(m, "min_length", None), int)]
    return max(found) if found else None
