"""What the reads and writes of one connected table share: design, models, client, cursors."""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from dynamodel import instance_state
from dynamodel.codec import Item, item_to_values
from dynamodel.design.model import Design
from dynamodel.errors import ExecutionError, RequestError, UnknownEntityError
from dynamodel.layout import TYPE_ATTR, VERSION_ATTR, entity_of_type
from dynamodel.model import Entity
from dynamodel.runtime.backoff import DEFAULT_BACKOFF, Backoff
from dynamodel.runtime.cursor import CursorCodec
from dynamodel.runtime.migration_gate import MigrationGate
from dynamodel.runtime.steps import Send, Steps, with_retries
from dynamodel.runtime.trusted import IDENTITY_TYPES, build
from dynamodel.runtime.versions import item_born, item_number, remember

T = TypeVar("T")


@dataclass
class Session:
    """One table of one app, reached through one boto3 client.

    Attributes:
        app_name: the app's name (part of every cursor's scope).
        design: the derived design.
        models: entity name → its Entity class.
        table_name: the DynamoDB table.
        client: the client the table's driver sends through: boto3's for ``Table``,
            aiobotocore's for ``AsyncTable`` (the steps themselves never touch it).
        cursors: signs and checks page cursors.
        backoff: retries of throttled requests.
        max_workers: threads for fanned-out (sharded) queries.
        gate: refuses reads of indexes a migration is filling (None: no check).
    """

    app_name: str
    design: Design
    models: Mapping[str, type[Entity]]
    table_name: str
    client: Any
    cursors: CursorCodec
    backoff: Backoff = DEFAULT_BACKOFF
    max_workers: int = 8
    gate: MigrationGate | None = None
    _adapters: dict[tuple[str, str], tuple[TypeAdapter[Any], type | None]] = field(
        default_factory=dict, repr=False
    )
    arg_targets: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict, repr=False)
    """Per read pattern: call argument -> the (entity, attribute) whose type validates it."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @cached_property
    def executor(self) -> ThreadPoolExecutor:
        """Threads for sharded queries, created on first use."""
        return ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="dynamodel-shard")

    def close(self) -> None:
        """Stop the shard threads (if any were started)."""
        if "executor" in self.__dict__:
            self.executor.shutdown(wait=True)
            del self.__dict__["executor"]

    def send(self, operation: str, request: dict[str, Any], context: str = "") -> Steps[Any]:
        """One DynamoDB request, retried while throttled, errors mapped to dynamodel's."""
        where = f"table '{self.table_name}'" + (f", {context}" if context else "")
        return with_retries(Send(operation, request), self.backoff, operation, where)

    def model(self, entity: str) -> type[Entity]:
        """The Entity class of ``entity``."""
        cls = self.models.get(entity)
        if cls is None:
            msg = f"App '{self.app_name}' has no entity '{entity}'."
            raise UnknownEntityError(msg, hint=f"use one of {', '.join(self.models)}")
        return cls

    def entity_name(self, cls: type[Entity]) -> str:
        """The name of an Entity class, checked to belong to this app."""
        name = cls.__name__
        if self.models.get(name) is not cls:
            msg = f"{name} is not an entity of app '{self.app_name}'."
            raise UnknownEntityError(msg, hint=f"use one of {', '.join(self.models)}")
        return name

    def plain_type(self, entity: str, attr: str) -> type | None:
        """The type whose exact instances :meth:`coerce` gives back unchecked, if any: one of
        :data:`~dynamodel.runtime.trusted.IDENTITY_TYPES`, unconstrained."""
        info = self.model(entity).model_fields.get(attr)
        if info is None or info.metadata or info.annotation not in IDENTITY_TYPES:
            return None
        plain: type = info.annotation
        return plain

    def coerce(self, entity: str, attr: str, value: object) -> object:
        """A call argument validated (and converted) by the entity's field type."""
        if value is None:
            return None
        key = (entity, attr)
        found = self._adapters.get(key)
        if found is None:
            cls = self.model(entity)
            info = cls.model_fields.get(attr)
            if info is None:
                return value
            found = (TypeAdapter(info.annotation), self.plain_type(entity, attr))
            with self._lock:
                self._adapters[key] = found
        adapter, plain = found
        if plain is not None and type(value) is plain:
            return value
        try:
            return adapter.validate_python(value)
        except ValidationError as err:
            first = err.errors()[0].get("msg", str(err))
            msg = f"{entity}.{attr} cannot be {value!r}: {first}."
            raise RequestError(msg, hint=f"pass a value of {entity}.{attr}'s declared type") from None

    def decode(self, item: Item, *, holds: Collection[str] | None = None) -> Entity:
        """The entity instance of a stored item (dispatched on ``_type``); its version remembered.

        ``holds``: the item comes from an index that projects these attributes only (INCLUDE).
        An entity with attributes outside them gets a partial instance: it holds what the
        index has, reading another attribute raises PartialItemError (an optional one is not
        read as None), and it cannot be written back (its other attributes would be lost).

        What validates what:

        * call arguments (``by``/range values) are validated by the field's type
          (:meth:`coerce`, one cached TypeAdapter per entity and attribute);
        * instances users build are validated by pydantic when built, and the codec checks
          each value against its declared type when it writes them;
        * items read from the table are typed by the codec (a value of the wrong wire type
          raises) and then validated as pydantic would (:func:`trusted.build`): the table is
          not trusted, since another writer or an older entity version may have stored a
          value of the right wire type that breaks a ``Literal``, a constraint or a
          validator. Where validating the typed values is provably the identity (exact
          types, ``Literal`` members checked, no validators or constraints), the instance is
          built without running pydantic; everywhere else ``model_validate`` runs;
        * items of an INCLUDE index are built with ``model_construct`` (see :func:`_partial`):
          a partial instance cannot be validated against the whole model.
        """
        type_av = item.get(TYPE_ATTR)
        stored = type_av.get("S") if type_av else None
        # An index item (Employee@1) is a copy of its entity: decoded as that entity.
        name = entity_of_type(stored) if isinstance(stored, str) else None
        if not isinstance(name, str) or name not in self.models:
            msg = f"An item in table '{self.table_name}' has _type {name!r}, which is not an entity of app '{self.app_name}'."
            raise ExecutionError(
                msg,
                hint="the item was written by another writer; every dynamodel item carries its entity in _type",
            )
        cls = self.models[name]
        values = item_to_values(cls.__entity_spec__, item)
        left_out = [] if holds is None else [a for a in cls.model_fields if a not in holds]
        if left_out:
            instance = _partial(cls, values, left_out)
        else:
            try:
                instance = build(cls, values)
            except ValidationError as err:
                msg = f"A stored {name} item does not validate: {err.errors()[0].get('msg', err)}."
                raise ExecutionError(
                    msg, hint="the item was written by another writer or an older version of the entity"
                ) from None
        version = item_number(item, VERSION_ATTR)
        if version is not None:
            remember(instance, version, item_born(item))
        return instance


def _partial(cls: type[Entity], values: dict[str, object], left_out: list[str]) -> Entity:
    """An instance holding only what an INCLUDE index projects.

    The codec typed every value it found, so nothing is validated again. Defaults of the
    attributes left out are dropped: reading one then raises PartialItemError instead of
    answering a default the stored item may not have.
    """
    instance = cls.model_construct(None, **values)
    for name in left_out:
        instance.__dict__.pop(name, None)
    instance_state.mark_partial(instance, tuple(a for a in cls.model_fields if a not in left_out))
    return instance
