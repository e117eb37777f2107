"""What the sync and the async table share: pattern lookup, checks, and the steps of every call.

``Table`` (:mod:`dynamodel.runtime.table`, whose docstring gives the call convention) drives
the steps with boto3; ``AsyncTable`` (:mod:`dynamodel.runtime.async_table`) with aiobotocore.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from dynamodel.compile import (
    PatternCall,
    build_get_request,
    build_query_requests,
    build_scan_request,
    call_convention,
)
from dynamodel.design.model import Design
from dynamodel.design.projections import holds_only
from dynamodel.errors import RequestError
from dynamodel.model import Entity
from dynamodel.runtime import bulk, reads, write_patterns, writes
from dynamodel.runtime.backoff import DEFAULT_BACKOFF, Backoff
from dynamodel.runtime.cursor import CursorCodec
from dynamodel.runtime.migration_gate import MigrationGate, WhileFilling
from dynamodel.runtime.pattern_deletes import delete_keyword
from dynamodel.runtime.reads import CollectionPage, Page
from dynamodel.runtime.sending import new_write_id
from dynamodel.runtime.session import Session
from dynamodel.runtime.steps import Steps
from dynamodel.runtime.unit_of_work import Work
from dynamodel.runtime.versions import version_of

E = TypeVar("E", bound=Entity)
M = TypeVar("M")


def _read_signature(conv: PatternCall) -> inspect.Signature:
    kw = inspect.Parameter.KEYWORD_ONLY
    params = [inspect.Parameter(a, kw) for a in conv.required]
    params += [inspect.Parameter(r, kw, default=None) for r in conv.range_params]
    if conv.paged:
        params += [
            inspect.Parameter("limit", kw, default=None, annotation="int | None"),
            inspect.Parameter("cursor", kw, default=None, annotation="str | None"),
        ]
    if conv.kind == "get":
        ret = f"{conv.entities[0]} | None"
    elif len(conv.entities) > 1:
        ret = "CollectionPage"
    else:
        ret = f"Page[{conv.entities[0]}]"
    return inspect.Signature(params, return_annotation=ret)


def _doc(design: Design, name: str) -> str:
    plan = design.plan(name)
    pat = design.app.pattern(name)
    if pat.kind == "write":
        targets = [f"{write_patterns.target_keyword(e)}=" for e, _, _ in pat.increments]
        lines = [f"Write pattern '{name}': {plan.reason}.", ""]
        if pat.entities:
            lines += [
                f"Pass {', '.join(pat.entities)} instances, positionally or by keyword, single or in lists.",
                "Every item is created (conditional on not existing) in one TransactWriteItems.",
            ]
        if pat.deletes:
            keys = ", ".join(f"{delete_keyword(e)}={{key attributes}}" for e in pat.deletes)
            lines += [
                f"Pass the {', '.join(pat.deletes)} to delete as instances, or their keys as {keys}"
                + (" or positionally." if len(pat.deletes) == 1 else "."),
                "Each must exist (at the version an instance was read at), or nothing is written.",
            ]
        if targets:
            lines.append(
                f"Increment targets are found from the items' attributes, or given as {', '.join(targets)}{{key attributes}}."
            )
        lines.append("Returns the written entities as stored.")
        return "\n".join(lines)
    conv = call_convention(design, name)
    args = [f"{a}=..." for a in conv.required] + [f"{r}=None" for r in conv.range_params]
    if conv.paged:
        args.append("limit=None, cursor=None")
    lines = [
        f"Pattern '{name}' ({pat.kind} {', '.join(pat.entities)}) -> {_read_signature(conv).return_annotation}.",
        "",
    ]
    lines.append(f"Call: {name}({', '.join(args)})")
    if pat.where:
        lines.append(f"Fixed by the declaration: {', '.join(f'{a}={v!r}' for a, v in pat.where)}.")
    if conv.range_params == ("value",):
        lines.append(
            f"Range: value= selects {pat.sort} {_OPS[pat.range or 'eq']} value; leave it out for all."
        )
    elif conv.range_params:
        lines.append(
            f"Range: lo <= {pat.sort} <= hi (inclusive); lo alone means >=, hi alone <=; leave both out for all."
        )
    if conv.paged:
        lines.append(
            "Pages: limit= is the page size; pass page.cursor back as cursor= (None after the last page)."
        )
    lines.append(f"Runs: {plan.operation} on {plan.index}: {plan.key_condition or '-'}")
    lines.append(f"Why: {plan.reason}")
    held = holds_only(design, name)
    if held is not None:
        lines.append(
            f"Items hold only {', '.join(held)} (the index projects what the pattern's fields name); "
            "another attribute raises PartialItemError, and such an item cannot be written back."
        )
    return "\n".join(lines)


_OPS = {"eq": "==", "lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "begins_with": "begins with"}


class UnknownPatternError(RequestError, AttributeError):
    """``table.<name>`` names no declared pattern (also an AttributeError, so ``hasattr`` works)."""


TB = TypeVar("TB", bound="TableBase")


class PatternMethodBase(Generic[TB]):
    """A declared pattern bound to a table: its name, help and signature; ``.params`` sends
    nothing. The sync and async methods add how the call, ``.iterate`` and ``.pages`` run."""

    owner = "Table"  # the class name shown in the method's __qualname__

    def __init__(self, table: TB, name: str) -> None:
        self._table = table
        self.__name__ = name
        self.__qualname__ = f"{self.owner}.{name}"
        self.__doc__ = _doc(table.design, name)
        pat = table.design.app.pattern(name)
        self.kind = pat.kind
        if pat.kind != "write":
            self.__signature__ = _read_signature(call_convention(table.design, name))

    def params(self, **args: Any) -> dict[str, Any]:
        """The request kwargs the call would send (nothing is sent)."""
        return self._table.params(self.__name__, **args)


class TableBase:
    """A DynamoDB table holding one app's entities: everything but the sending.

    Each call is checked here and turned into steps (:mod:`dynamodel.runtime.steps`); the
    subclass runs them (``Table`` with boto3, ``AsyncTable`` with aiobotocore).
    """

    def __init__(
        self,
        design: Design,
        models: Mapping[str, type[Entity]],
        table_name: str,
        client: Any,
        *,
        cursor_secret: bytes | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
        max_workers: int = 8,
        while_filling: WhileFilling | None = None,
    ) -> None:
        if not table_name or not isinstance(table_name, str):
            msg = f"table name {table_name!r} is not valid."
            raise RequestError(msg, hint="pass the DynamoDB table's name, e.g. 'shop-dev'")
        self.name = table_name
        self.design: Design = design
        self.app_name = design.app.name
        self._session = Session(
            app_name=self.app_name,
            design=design,
            models=dict(models),
            table_name=table_name,
            client=client,
            cursors=CursorCodec.for_table(self.app_name, table_name, cursor_secret),
            backoff=backoff,
            max_workers=max_workers,
            gate=MigrationGate(while_filling) if while_filling is not None else None,
        )
        self._methods: dict[str, Any] = {}
        self._patterns = tuple(p.name for p in design.app.patterns)
        # Every call checks its pattern's kind: one dict lookup instead of a scan of the patterns.
        self._kinds = {p.name: p.kind for p in design.app.patterns}

    @property
    def patterns(self) -> tuple[str, ...]:
        """The names of the declared patterns."""
        return self._patterns

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.name!r} of app {self.app_name!r}: {len(self.patterns)} patterns>"
        )

    def __dir__(self) -> Iterable[str]:
        return [*super().__dir__(), *self.patterns]

    def _method(self, name: str, make: type[M]) -> M:
        method = self._methods.get(name)
        if method is None:
            if name not in self.patterns:
                msg = f"App '{self.app_name}' has no pattern '{name}'."
                raise UnknownPatternError(msg, hint=f"use one of: {', '.join(self.patterns)}")
            method = make(self, name)  # type: ignore[call-arg]
            self._methods[name] = method
        found: M = method
        return found

    # ---- checks and steps shared by both tables ------------------------------------------

    def _kind(self, name: str) -> str:
        kind = self._kinds.get(name)
        if kind is None:
            known = ", ".join(self.patterns)
            msg = f"App '{self.app_name}' has no pattern '{name}'."
            raise RequestError(msg, hint=f"use one of: {known}")
        return kind

    def _run_steps(self, name: str, args: Sequence[Any], kwargs: dict[str, Any]) -> Steps[Any]:
        kind = self._kind(name)
        if kind == "write":
            return write_patterns.run_write_pattern(self._session, name, args, kwargs)
        if args:
            msg = f"Pattern '{name}' takes keyword arguments only."
            raise RequestError(msg, hint=f"see help(table.{name})")
        if kind == "get":
            return reads.get(self._session, name, kwargs)
        limit = kwargs.pop("limit", None)
        cursor = kwargs.pop("cursor", None)
        return reads.query_page(self._session, name, kwargs, limit=limit, cursor=cursor)

    def _get_steps(self, entity: type[E], name: str, args: Mapping[str, Any]) -> Steps[E | None]:
        self._expect(entity, name, "get")
        found = yield from reads.get(self._session, name, args)
        assert found is None or isinstance(found, entity)
        return found

    def _query_steps(
        self, entity: type[E], name: str, args: Mapping[str, Any], limit: int | None, cursor: str | None
    ) -> Steps[Page[E]]:
        self._expect(entity, name, "query")
        page = yield from reads.query_page(self._session, name, args, limit=limit, cursor=cursor)
        return Page([x for x in page.items if isinstance(x, entity)], page.cursor, page.requests)

    def _collection_steps(
        self, name: str, args: Mapping[str, Any], limit: int | None, cursor: str | None
    ) -> Steps[CollectionPage]:
        if self._kind(name) != "query" or len(self.design.app.pattern(name).entities) < 2:
            msg = f"Pattern '{name}' is not a multi-entity query."
            raise RequestError(msg, hint="use table.query(Entity, name, ...) or table.get(...)")
        page = yield from reads.query_page(self._session, name, args, limit=limit, cursor=cursor)
        assert isinstance(page, CollectionPage)
        return page

    def _paging(self, name: str, args: Mapping[str, Any]) -> dict[str, object]:
        """The checked arguments of a query pattern whose pages are about to be followed."""
        if self._kind(name) != "query":
            msg = f"Pattern '{name}' is not a query."
            raise RequestError(msg, hint=f"call table.{name}(...)")
        return reads.coerce_args(self._session, self.design.plan(name), args)

    def _page_steps(
        self, name: str, checked: Mapping[str, object], limit: int | None, cursor: str | None
    ) -> Steps[Page[Entity]]:
        return reads.query_page(self._session, name, checked, limit=limit, cursor=cursor, _checked=True)

    def _expect(self, entity: type[Entity], name: str, kind: str) -> None:
        if self._kind(name) != kind:
            msg = f"Pattern '{name}' is a {self.design.app.pattern(name).kind}, not a {kind}."
            raise RequestError(msg, hint="use the method that matches the pattern's kind")
        ents = self.design.app.pattern(name).entities
        if ents != (entity.__name__,):
            msg = f"Pattern '{name}' returns {', '.join(ents)}, not {entity.__name__}."
            raise RequestError(
                msg, hint="pass the pattern's entity class, or use table.collection for several"
            )

    def _write_steps(self, name: str, entities: Sequence[Any], kwargs: dict[str, Any]) -> Steps[list[Entity]]:
        if self._kind(name) != "write":
            msg = f"Pattern '{name}' is not a write pattern."
            raise RequestError(msg, hint=f"call table.{name}(...) to read")
        return write_patterns.run_write_pattern(self._session, name, entities, kwargs)

    def _create_steps(self, entity: E) -> Steps[E]:
        return writes.create(self._session, entity)

    def _put_steps(self, entity: E, expected_version: int | None) -> Steps[E]:
        return writes.put(self._session, entity, expected_version=expected_version)

    def _update_steps(self, entity: E, expected_version: int | None) -> Steps[E]:
        return writes.update(self._session, entity, expected_version=expected_version)

    def _delete_steps(
        self, target: type[Entity] | Entity, key: Mapping[str, Any], expected_version: int | None
    ) -> Steps[bool]:
        return writes.delete(self._session, target, key, expected_version=expected_version)

    def _batch_put_steps(self, entities: Iterable[Entity]) -> Steps[int]:
        return bulk.batch_put(self._session, entities)

    def _batch_get_steps(self, entity: type[E], keys: Sequence[Mapping[str, Any]]) -> Steps[list[E | None]]:
        return bulk.batch_get(self._session, entity, keys)

    def _work(self) -> Work:
        return Work(self._session, new_write_id())

    # ---- nothing sent --------------------------------------------------------------------

    def requests(self, name: str, /, *, limit: int | None = None, **args: Any) -> list[dict[str, Any]]:
        """Every request kwargs a read pattern sends for one page (one per shard)."""
        kind = self._kind(name)
        plan = self.design.plan(name)
        checked = reads.coerce_args(self._session, plan, args)
        if kind == "write":
            msg = f"Pattern '{name}' is a write; its requests depend on the entities."
            raise RequestError(msg, hint="see dynamodel.compile.build_transaction")
        if plan.operation == "GetItem":
            return [build_get_request(self.design, name, checked, self.name)]
        if plan.operation == "Scan":
            return [build_scan_request(self.design, name, checked, self.name, limit=limit)]
        return build_query_requests(self.design, name, checked, self.name, limit=limit)

    def params(self, name: str, /, *, limit: int | None = None, **args: Any) -> dict[str, Any]:
        """The kwargs of the request a read pattern sends (ElectroDB's ``.params()``).

        A fanned-out (sharded) pattern sends one request per shard: use ``requests()``.
        """
        found = self.requests(name, limit=limit, **args)
        if len(found) > 1:
            msg = f"Pattern '{name}' sends {len(found)} requests (one per shard)."
            raise RequestError(msg, hint=f"use table.requests('{name}', ...) to see them all")
        return found[0]

    def decode(self, item: Mapping[str, Any]) -> Entity:
        """The entity instance of a stored item (low-level form), its version remembered."""
        return self._session.decode(dict(item))

    @staticmethod
    def version_of(entity: Entity) -> int | None:
        """The stored version of an instance read or written through a table, else None."""
        return version_of(entity)
