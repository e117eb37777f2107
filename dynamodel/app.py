"""App: the entities and patterns of one application, and the gateway to its design."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload

from dynamodel.declare_actions import Action
from dynamodel.design import Design, derive, design_to_dict, design_to_json, explain
from dynamodel.design.explain import report
from dynamodel.errors import DefinitionError
from dynamodel.model import Entity
from dynamodel.spec import EVENT_NAMES, ActionSpec, AppSpec, EventName, KeyStyle, PatternSpec
from dynamodel.validate import build_app_spec

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from dynamodel.runtime.async_table import AsyncTable
    from dynamodel.runtime.migration_gate import WhileFilling
    from dynamodel.runtime.table import Table

F = TypeVar("F", bound=Callable[..., Any])


class App:
    """An application: entity classes plus access patterns.

    Args:
        name: the application's name.
        entities: its Entity classes.
        patterns: its access patterns.
        actions: what runs when items change (:func:`dynamodel.Action`); more can be added
            with :meth:`action`.
        max_gsis: the most GSIs the design may use; a design that needs more is refused with
            the patterns that force each index (TooManyIndexesError).
        key_style: how GSIs are keyed: ``auto`` (the default) keys each GSI on the entity's own
            attributes where it can (DynamoDB's multi-attribute keys: nothing rendered on write,
            no backfill when the index is added) and on ``GSInPK``/``GSInSK`` strings elsewhere;
            ``synthetic`` always renders strings; ``native`` refuses a design where some GSI
            cannot be keyed natively, saying why (:mod:`dynamodel.design.native`).
        baseline: the deployed design the table has, when it exists: a ``dynamodel.lock.json``
            path, its design JSON, or the App it was deployed with. The design is then derived
            against it (:func:`dynamodel.design.derive`), so the running code uses the same
            index names and key templates as the table and its migrations.

    Example:
        >>> shop = App("shop", [Customer, Order], patterns=[Get(Customer, by="customer_id")])  # doctest: +SKIP
        >>> print(shop.explain())  # doctest: +SKIP
    """

    def __init__(
        self,
        name: str,
        entities: Sequence[type[Entity]],
        patterns: Sequence[PatternSpec],
        *,
        actions: Sequence[ActionSpec] = (),
        max_gsis: int | None = None,
        key_style: KeyStyle = "auto",
        baseline: str | Path | Mapping[str, Any] | App | None = None,
    ) -> None:
        self._baseline = baseline
        self.models: dict[str, type[Entity]] = {}
        for cls in entities:
            if not (isinstance(cls, type) and issubclass(cls, Entity)):
                msg = f"App '{name}': {cls!r} is not an Entity class."
                raise DefinitionError(msg, hint="list the classes that subclass dynamodel.Entity")
            self.models[cls.__name__] = cls
        self._entities = [c.__entity_spec__ for c in entities]
        self._patterns = list(patterns)
        self._max_gsis = max_gsis
        self._key_style: KeyStyle = key_style
        self.spec: AppSpec = build_app_spec(
            name, self._entities, self._patterns, list(actions), max_gsis, key_style=key_style
        )

    def with_key_style(self, key_style: KeyStyle) -> App:
        """The same app (entities, patterns, actions, GSI budget, baseline) keyed another way.

        Example:
            >>> print(shop.with_key_style("native").explain())  # doctest: +SKIP
        """
        return App(
            self.name,
            list(self.models.values()),
            self._patterns,
            actions=self.spec.actions,
            max_gsis=self._max_gsis,
            key_style=key_style,
            baseline=self._baseline,
        )

    @overload
    def action(
        self,
        name: str | None = None,
        *,
        on: type[Entity],
        handler: str | Callable[..., Any],
        events: Sequence[EventName] = EVENT_NAMES,
        when: Mapping[str, object] | None = None,
        batch_size: int = 100,
        max_retries: int = 3,
        max_record_age_s: int = 86_400,
    ) -> ActionSpec: ...

    @overload
    def action(
        self,
        name: str | None = None,
        *,
        on: type[Entity],
        handler: None = None,
        events: Sequence[EventName] = EVENT_NAMES,
        when: Mapping[str, object] | None = None,
        batch_size: int = 100,
        max_retries: int = 3,
        max_record_age_s: int = 86_400,
    ) -> Callable[[F], F]: ...

    def action(
        self,
        name: str | None = None,
        *,
        on: type[Entity],
        handler: str | Callable[..., Any] | None = None,
        events: Sequence[EventName] = EVENT_NAMES,
        when: Mapping[str, object] | None = None,
        batch_size: int = 100,
        max_retries: int = 3,
        max_record_age_s: int = 86_400,
    ) -> ActionSpec | Callable[[F], F]:
        """Declare an action: ``handler`` runs once per matching change of an ``on`` item.

        With ``handler`` it is registered at once (and returned); without, it is a decorator
        of the handler (the name defaults to the function's). Arguments as :func:`dynamodel.Action`.
        Declare actions before the design is used: adding one derives it again.

        Example:
            >>> @shop.action(on=Order, events=("MODIFY",), when={"status": "SHIPPED"})  # doctest: +SKIP
            ... def notify_shipped(event: ActionEvent[Order]) -> None: ...
        """

        def declare(action_name: str, fn: str | Callable[..., Any]) -> ActionSpec:
            act = Action(
                action_name,
                on=on,
                handler=fn,
                events=events,
                when=when,
                batch_size=batch_size,
                max_retries=max_retries,
                max_record_age_s=max_record_age_s,
            )
            self.spec = build_app_spec(
                self.name,
                self._entities,
                self._patterns,
                [*self.spec.actions, act],
                self._max_gsis,
                key_style=self._key_style,
            )
            self.__dict__.pop("design", None)  # derived again, with the action
            return act

        if handler is not None:
            if name is None:
                msg = f"App {self.name!r}: action(handler=...) needs the action's name."
                raise DefinitionError(msg, hint="write app.action('notify_shipped', on=Order, handler=...)")
            return declare(name, handler)

        def register(fn: F) -> F:
            declare(name or fn.__name__, fn)
            return fn

        return register

    @property
    def name(self) -> str:
        """The application's name."""
        return self.spec.name

    @cached_property
    def design(self) -> Design:
        """The derived design (computed once; against the baseline when one was given)."""
        return derive(self.spec, baseline=self.baseline_design)

    @property
    def baseline_design(self) -> dict[str, Any] | None:
        """The deployed design JSON the design is derived against (None: a fresh derivation)."""
        given = self._baseline
        if given is None:
            return None
        if isinstance(given, App):
            return design_to_dict(given.design)
        if isinstance(given, str | Path):
            from dynamodel.migrate.lock import read_lock  # noqa: PLC0415 - only apps with a lock read one

            lock = read_lock(Path(given))
            if lock.name != self.name:
                msg = f"App {self.name!r}: {given} is the lock of app {lock.name!r}."
                raise DefinitionError(msg, hint="pass the lock written for this app")
            return lock.design
        return dict(given)

    def connect(
        self,
        table_name: str,
        client: DynamoDBClient,
        *,
        cursor_secret: bytes | None = None,
        while_filling: WhileFilling | None = "refuse",
    ) -> Table:
        """The table ``table_name`` with one method per declared pattern.

        Args:
            table_name: an existing table laid out by this app's design.
            client: ``boto3.client("dynamodb", ...)`` for any endpoint.
            cursor_secret: HMAC key (bytes) for page cursors, the same on every instance;
                None reads ``$DYNAMODEL_CURSOR_SECRET``. Without either, the default
                (derived from the app and table names) detects mistakes but not forgery,
                and a ``DynamodelWarning`` says so once per app and table.
            while_filling: for an app with a ``baseline`` (deployed with migrations), a read
                of an index that ``migrate up`` is still filling raises IndexFillingError
                (``"refuse"``, the default) or reads what is there (``"partial"``). Apps
                without a baseline do not look.

        Raises:
            RequestError: ``cursor_secret`` is a str, empty, or not bytes.

        Example:
            >>> table = shop.connect("shop-dev", boto3.client("dynamodb"))  # doctest: +SKIP
            >>> table.get_customer(customer_id="c1")  # doctest: +SKIP
        """
        from dynamodel.runtime.connect import connect  # noqa: PLC0415 - keeps boto3 out of `import dynamodel`

        return connect(
            self.design,
            self.models,
            table_name,
            client,
            cursor_secret=cursor_secret,
            while_filling=while_filling if self._baseline is not None else None,
        )

    async def connect_async(
        self,
        table_name: str,
        client: Any,
        *,
        cursor_secret: bytes | None = None,
        while_filling: WhileFilling | None = "refuse",
    ) -> AsyncTable:
        """The table ``table_name`` for asyncio: every pattern an ``async`` method.

        The same options, results and errors as :meth:`connect`; ``client`` is an
        aiobotocore DynamoDB client (``async with get_session().create_client("dynamodb")``,
        or ``engine.async_client()`` of the embedded engine).

        Example:
            >>> table = await shop.connect_async("shop-dev", client)  # doctest: +SKIP
            >>> await table.get_customer(customer_id="c1")  # doctest: +SKIP
        """
        from dynamodel.runtime.connect import connect_async  # noqa: PLC0415 - keeps boto3 out of `import dynamodel`

        return connect_async(
            self.design,
            self.models,
            table_name,
            client,
            cursor_secret=cursor_secret,
            while_filling=while_filling if self._baseline is not None else None,
        )

    # The design is plain data; what is made from it (text, templates, code) is asked of the App.

    def explain(self) -> str:
        """Each pattern's request and reason, then the key templates."""
        return explain(self.design)

    def report(self) -> str:
        """The table as users will see it: key templates per entity and index, with sample items."""
        return report(self.design)

    def to_json(self) -> str:
        """The design JSON of docs/spec-format.md §2."""
        return design_to_json(self.design)

    def to_cloudformation(self, *, as_json: bool = False) -> str:
        """The CloudFormation template of the table (YAML, or JSON)."""
        from dynamodel.emit import render_cloudformation_text  # noqa: PLC0415 - emitters load on demand

        return render_cloudformation_text(self.design, as_json=as_json)

    def to_sam(self, *, as_json: bool = False) -> str:
        """The SAM template of the propagation function (one stack per event source and action)."""
        from dynamodel.emit import render_sam_text  # noqa: PLC0415

        return render_sam_text(self.design, as_json=as_json)

    def to_create_table(self, table_name: str | None = None) -> dict[str, object]:
        """boto3 ``create_table`` keyword arguments."""
        from dynamodel.emit import render_create_table  # noqa: PLC0415

        return dict(render_create_table(self.design, table_name))

    def to_pynamodb(self) -> str:
        """Importable PynamoDB models for the same table and item layout."""
        from dynamodel.emit import render_pynamodb  # noqa: PLC0415

        return render_pynamodb(self.design)
