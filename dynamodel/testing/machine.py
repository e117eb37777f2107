"""``AppMachine``: random writes on a real engine and on the oracle; every declared pattern checked.

A hypothesis ``RuleBasedStateMachine`` built from an app's declarations. Each test case gets a
fresh table, created from the emitted ``create_table`` definition. Rules create, update (full
replace, upsert, stale version) and delete entities, and run every ``write`` pattern; the
same writes go to an :class:`~dynamodel.testing.oracle.Oracle`, and the machine predicts each
outcome (written, refused by a condition, refused before sending). Reads are checked against
the oracle with a random page size (1..5), following cursors to the end:

* after each write, one pattern reading the written entity, with the written values as arguments;
* after each step, the next pattern in round-robin order, so every pattern is checked regularly;
* ``check_pattern``: any pattern with arguments drawn from the values that exist.

After writes, the whole table is scanned: every item equals the model (so a refused write
left nothing), every key (base table and GSIs) parses back to the item's attributes, sparse
keys exist exactly while their predicate holds, write shards match, each ``unique`` value
has exactly one guard item owned by its holder, and, when propagation can be drained,
every copy equals its source.

Example:
    >>> from access_patterns.shop import shop
    >>> TestShop = app_machine(shop).TestCase  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import inspect
import random
import re
import sys
import uuid
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, Literal

import boto3
from botocore.awsrequest import AWSResponse
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from dynamodel import compile as c
from dynamodel.app import App
from dynamodel.design.model import TABLE, EntityKeys
from dynamodel.emit._common import needs_stream
from dynamodel.emit.boto3_kwargs import render_create_table
from dynamodel.engine import DUMMY_KEY, REGION, client_config
from dynamodel.errors import (
    ConditionFailedError,
    DynamodelError,
    ExecutionError,
    KeyEncodingError,
    RequestError,
    TransactionCancelledError,
)
from dynamodel.model import Entity
from dynamodel.runtime.codec import Item, item_to_values
from dynamodel.runtime.table import Table
from dynamodel.spec import AppSpec, PatternSpec, RangeOp
from dynamodel.testing.oracle import Oracle, Values, check_result, identity_of, normalise
from dynamodel.testing.strategies import PoolKey, for_model, value_pools

ClientFactory = Callable[[str], Any]
"""Called with ``"dynamodb"`` (and ``"dynamodbstreams"`` to drain propagation); returns a boto3 client."""
Drain = Callable[[Table], object]
"""``drain(table)`` applies every pending copy update of the table's stream, then returns."""
Outcome = Literal["ok", "condition", "request"]

FAST_EXAMPLES = 15
FAST_STEPS = 30
SWEEP_AFTER = 10
_FAST_PROFILES = ("default", "fast")
_MODES_UPDATE = ("put", "update", "put", "update", "stale")
_MODES_DELETE = ("plain", "versioned", "stale", "twice")


# ---- the in-process engine ------------------------------------------------------------------


class InProcessEngine:
    """moto's DynamoDB (and Streams) served inside this process to the clients it makes.

    Requests go from botocore straight to moto's backend: no socket, no HTTP server, about
    twice as fast as :class:`~dynamodel.engine.EmbeddedEngine` for the same calls. Only the
    clients made here are diverted (unlike ``moto.mock_aws``, nothing global is patched and
    nothing is reset), and a request moto does not serve raises instead of leaving the
    process. State is moto's per-process state, shared with an EmbeddedEngine in the same
    process: use distinct table names.
    """

    def __init__(self, *, region: str = REGION) -> None:
        self._session = boto3.session.Session(
            aws_access_key_id=DUMMY_KEY,
            aws_secret_access_key=DUMMY_KEY,
            aws_session_token=DUMMY_KEY,
            region_name=region,
        )

    def client(self, service: str = "dynamodb") -> Any:
        """A boto3 client for ``service`` whose requests moto answers in process."""
        from moto.core.botocore_stubber import (  # noqa: PLC0415 - moto is a test extra
            BotocoreStubber,
            MockRawResponse,
        )

        stubber = BotocoreStubber()
        # Account-id endpoints (https://{account}.ddb...) are not routed by moto.
        client: Any = self._session.client(  # type: ignore[call-overload]
            service, config=client_config(account_id_endpoint_mode="disabled")
        )

        def send(request: Any, **_: Any) -> AWSResponse:
            answer = stubber.process_request(request)
            if answer is None:
                msg = f"the in-process engine does not serve {request.url}; nothing was sent"
                raise ExecutionError(msg, hint="use a service moto implements, or the EmbeddedEngine")
            status, headers, body = answer
            return AWSResponse(request.url, status, headers, MockRawResponse(body))  # type: ignore[arg-type]

        client.meta.events.register_first("before-send", send)
        return client


_DEFAULT_ENGINE: list[InProcessEngine] = []


def default_client_factory(service: str) -> Any:
    """Clients of a process-wide :class:`InProcessEngine` (the machine's default engine)."""
    if not _DEFAULT_ENGINE:
        _DEFAULT_ENGINE.append(InProcessEngine())
    return _DEFAULT_ENGINE[0].client(service)


def new_stage() -> str:
    """A unique stage name for a test table (``t`` + 10 hex digits)."""
    return f"t{uuid.uuid4().hex[:10]}"


# ---- configuration --------------------------------------------------------------------------


def propagation_driver() -> Callable[..., Any] | None:
    """``dynamodel.propagate.driver.drain`` when propagation is installed, else None (feature test)."""
    try:
        driver = importlib.import_module("dynamodel.propagate.driver")
    except ImportError:
        return None
    found = getattr(driver, "drain", None)
    return found if callable(found) else None


@dataclass
class MachineConfig:
    """What an AppMachine class runs against; built by :func:`app_machine` or a subclass."""

    app: App
    client_factory: ClientFactory = default_client_factory
    max_items: int = 40
    drain: Drain | Literal["auto"] | None = "auto"
    scan_every: int = 1
    swarm: bool = False
    pools: dict[PoolKey, tuple[object, ...]] = field(default_factory=dict)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def client(self, service: str) -> Any:
        """One client per service for every test case of the class (boto3 clients are thread-safe)."""
        if service not in self._clients:
            self._clients[service] = self.client_factory(service)
        return self._clients[service]

    def drain_for(self, table: Table) -> Callable[[], object] | None:
        """How to drain ``table``'s propagation after a write, or None (copies filled at write time)."""
        option = self.drain
        if option is None:
            return None
        if option != "auto":
            return lambda: option(table)
        driver = propagation_driver()
        if driver is None or not needs_stream(self.app.design):
            return None
        streams = self.client("dynamodbstreams")
        return lambda: driver(table.design, table.name, table.client, streams)


# ---- the model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRef:
    """An item the machine created: its entity and base key attribute values."""

    entity: str
    key: tuple[tuple[str, object], ...]

    def values(self) -> dict[str, object]:
        """The key attributes as a dict."""
        return dict(self.key)


def _unique_sets(app: AppSpec) -> dict[str, list[tuple[str, ...]]]:
    """Attribute sets that must be unique per entity, from the declarations (not the design)."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for e in app.entities:
        for u in e.unique:
            out.setdefault(e.name, []).append((u,))
    for p in app.patterns:
        ent = app.entity(p.entities[0])
        if p.kind == "get" and p.unique and set(p.by) != set(ent.identity):
            sets = out.setdefault(ent.name, [])
            if tuple(sorted(p.by)) not in sets:
                sets.append(tuple(sorted(p.by)))
    return out


class Model:
    """The oracle plus what it leaves out: versions, copies, uniqueness, key attributes."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.spec = app.spec
        self.oracle = Oracle(app.spec)
        self.versions: dict[tuple[str, tuple[object, ...]], int] = {}
        self.unique = _unique_sets(app.spec)
        self.key_attrs = {e.name: c.key_attrs(app.design, e.name) for e in app.spec.entities}
        self.copies: dict[str, list[tuple[str, str, str]]] = {
            e.name: [(a.name, *a.copy_of) for a in e.attributes if a.copy_of is not None]
            for e in app.spec.entities
        }
        self.sources = {source for copies in self.copies.values() for _, source, _ in copies}
        # Deleted copy sources (see AppMachine.skip_recreate).
        self.retired: set[tuple[str, tuple[object, ...]]] = set()

    def ident(self, entity: str, values: Mapping[str, object]) -> tuple[object, ...]:
        """The normalised identity of an entity's values."""
        return identity_of(self.spec.entity(entity), values)

    def size(self) -> int:
        """How many entities the model holds."""
        return sum(len(v) for v in self.oracle.items.values())

    def find(self, entity: str, key: Mapping[str, object]) -> Values | None:
        """The stored entity whose base key attributes equal ``key``'s, or None."""
        if any(key.get(a) is None for a in self.key_attrs[entity]):
            return None
        found = self.oracle.get(entity, key)
        if found is None or any(
            normalise(found.get(a)) != normalise(key.get(a)) for a in self.key_attrs[entity]
        ):
            return None
        return found

    def align(self, entity: str, values: dict[str, object]) -> dict[str, object]:
        """Give ``values`` the key attributes of the stored entity with the same identity.

        The base key can hold more than the identity (a parent's key): keeping identity →
        key a function makes identity and item one-to-one, as the oracle assumes.
        """
        found = self.oracle.get(entity, values)
        if found is not None:
            for a in self.key_attrs[entity]:
                values[a] = found.get(a)
        return values

    def fill_copies(
        self, entity: str, values: Mapping[str, object], pending: Sequence[tuple[str, Values]] = ()
    ) -> dict[str, object] | None:
        """``values`` with copies taken from their sources; None when a source cannot be found."""
        out = dict(values)
        for attr, source, source_attr in self.copies[entity]:
            key = {a: out.get(a) for a in self.key_attrs[source]}
            src = next(
                (
                    v
                    for e, v in pending
                    if e == source
                    and all(normalise(v.get(a)) == normalise(key[a]) for a in self.key_attrs[source])
                ),
                None,
            )
            if src is None:
                src = self.find(source, key)
            if src is None or any(v is None for v in key.values()):
                return None
            out[attr] = src.get(source_attr)
        return out

    def unique_taken(self, entity: str, values: Mapping[str, object]) -> bool:
        """Whether another stored entity holds one of ``values``' unique value sets."""
        me = self.ident(entity, values)
        for attrs in self.unique.get(entity, []):
            mine = [normalise(values.get(a)) for a in attrs]
            if any(v is None for v in mine):
                continue
            for other in self.oracle.all(entity):
                if self.ident(entity, other) != me and [normalise(other.get(a)) for a in attrs] == mine:
                    return True
        return False

    def store(self, entity: str, values: Mapping[str, object], version: int) -> None:
        """Put an entity and its version."""
        # normalise() keeps datetime.fold and check_result compares reprs, so an equal
        # datetime with fold=1 (which hypothesis generates) would read back "different".
        self.oracle.put(entity, {k: _unfold(v) for k, v in values.items()})
        self.versions[(entity, self.ident(entity, values))] = version

    def remove(self, entity: str, values: Mapping[str, object]) -> None:
        """Delete an entity."""
        if entity in self.sources:
            self.retired.add((entity, self.ident(entity, values)))
        self.oracle.delete(entity, values)
        self.versions.pop((entity, self.ident(entity, values)), None)

    def version(self, entity: str, values: Mapping[str, object]) -> int:
        """The stored version of an entity (0 when absent)."""
        return self.versions.get((entity, self.ident(entity, values)), 0)

    def has_copies_of(self, source: str, values: Mapping[str, object]) -> bool:
        """Whether a stored entity holds copies of the ``source`` entity with ``values``' key."""
        for entity, copies in self.copies.items():
            keys = self.key_attrs[source]
            if any(s == source for _, s, _ in copies) and any(
                all(normalise(v.get(a)) == normalise(values.get(a)) for a in keys)
                for v in self.oracle.all(entity)
            ):
                return True
        return False

    def refresh_copies(self) -> None:
        """What propagation converges to: each copy equals its source's current value."""
        for entity, copies in self.copies.items():
            for values in self.oracle.all(entity):
                for attr, source, source_attr in copies:
                    src = self.find(source, {a: values.get(a) for a in self.key_attrs[source]})
                    if src is None:
                        continue  # a deleted source leaves its copies as they were
                    if src.get(source_attr) is None:
                        values.pop(attr, None)
                    else:
                        values[attr] = src[source_attr]


# ---- checks ---------------------------------------------------------------------------------


def _unfold(value: object) -> object:
    return value.replace(fold=0) if isinstance(value, dt.datetime) else value


def entity_values(entity: Entity) -> dict[str, object]:
    """The declared attribute values of an instance, absent (None) ones left out."""
    return {k: v for k in type(entity).model_fields if (v := getattr(entity, k)) is not None}


def _same(a: Mapping[str, object], b: Mapping[str, object]) -> bool:
    def canon(v: Mapping[str, object]) -> dict[str, str]:
        return {k: repr(normalise(_unfold(x))) for k, x in v.items() if x is not None}

    return canon(a) == canon(b)


def check_blocks(pattern: str, got: Sequence[tuple[str, object]]) -> None:
    """Each entity of a multi-entity result forms one contiguous block."""
    names = [e for e, _ in got]
    blocks = [n for i, n in enumerate(names) if i == 0 or names[i - 1] != n]
    assert len(blocks) == len(set(blocks)), f"{pattern}: entity blocks are not contiguous: {blocks}"


def _holds(values: Mapping[str, object], keys: EntityKeys) -> bool:
    """Whether the item belongs in a sparse index: predicate true, optional key attributes present."""
    for attr, want in keys.sparse:
        have = normalise(values.get(attr))
        if isinstance(want, bool) or isinstance(have, bool):
            if have is not want:
                return False
        elif have != normalise(want):
            return False
    return all(values.get(a) is not None for a in keys.optional_attrs)


def _parse(template: Any, text: str, where: str) -> dict[str, object]:
    try:
        parsed: dict[str, object] = template.parse(text)
    except KeyEncodingError as err:
        msg = f"{where}: key {text!r} does not parse with {template.pattern()}: {err}"
        raise AssertionError(msg) from err
    return parsed


def check_item_keys(app: App, entity: str, item: Item, values: Mapping[str, object]) -> None:
    """Every key attribute of a stored item parses back to its fields; sparse keys follow the predicate."""
    design = app.design
    pk, sk = design.table.partition_key, design.table.sort_key
    where = f"{entity} {c.base_key(design, entity, values)[pk]['S']!r}"
    written: set[str] = set()
    for keys in design.entity_indexes(entity):
        ix = design.index(keys.index)
        names = (ix.partition_key, ix.sort_key)
        written.update(names)
        present = [n in item for n in names]
        if keys.index != TABLE and not _holds(values, keys):
            assert not any(present), f"{where}: has {keys.index} keys, but its predicate does not hold"
            continue
        assert all(present), f"{where}: lacks its {keys.index} keys {names}"
        parsed = _parse(keys.pk, item[names[0]]["S"], where) | _parse(keys.sk, item[names[1]]["S"], where)
        for attr, value in parsed.items():
            if attr == "_shard":
                crc = zlib.crc32((item[pk]["S"] + item[sk]["S"]).encode("utf-8")) % keys.shards
                assert value == crc, f"{where}: {keys.index} shard {value}, expected {crc}"
                continue
            assert normalise(value) == normalise(values.get(attr)), (
                f"{where}: {keys.index} key says {attr}={value!r}, the item holds {values.get(attr)!r}"
            )
    others = {n for ix in design.indexes for n in (ix.partition_key, ix.sort_key)} - written
    stray = sorted(n for n in others if n in item)
    assert not stray, f"{where}: holds key attributes {stray} of indexes it is not on"


# ---- the machine ----------------------------------------------------------------------------


def _show(args: Mapping[str, object]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in args.items())


def _all_rules_enabled(machine: RuleBasedStateMachine) -> None:
    """Turn off hypothesis's swarm testing (rules disabled at random per test case).

    Its flags are decided lazily, in whichever step first asks about a rule, so the
    shrinker cannot delete those steps: failing replays keep irrelevant steps. With every
    rule enabled they shrink to the steps that matter. (Private hypothesis API: if it
    changes, swarm testing simply stays on.)
    """
    from hypothesis.strategies._internal.featureflags import FeatureFlags  # noqa: PLC0415

    strategy = getattr(machine, "_rules_strategy", None)
    if strategy is not None and hasattr(strategy, "enabled_rules_strategy"):
        strategy.enabled_rules_strategy = st.just(FeatureFlags())


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class _ActiveProfileSettings:
    """``TestCase.settings`` read when the test runs, not when the class is made.

    A test module defines ``TestShop = app_machine(shop).TestCase`` before pytest has
    loaded the profile (``HYPOTHESIS_PROFILE``, or the plugin's ``pytest_configure``).
    """

    def __get__(self, obj: object, owner: type | None = None) -> settings:
        return machine_settings()


class AppMachine(RuleBasedStateMachine):
    """The state machine of one app; subclass with ``app = ...`` or call :func:`app_machine`.

    Class attributes a subclass may set: ``app`` (required), ``client_factory``,
    ``max_items``, ``drain`` (``"auto"``, None, or a ``drain(table)`` callable) and
    ``scan_every`` (scan the table after every n-th write step). Rules, bundles and
    invariants are generated from the app when the subclass is created.

    Example:
        >>> class ShopMachine(AppMachine):  # doctest: +SKIP
        ...     app = shop
        >>> TestShop = ShopMachine.TestCase  # doctest: +SKIP
    """

    _config: ClassVar[MachineConfig]
    _reads: ClassVar[tuple[str, ...]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "app" not in cls.__dict__:
            return
        app = cls.__dict__["app"]
        if not isinstance(app, App):
            msg = f"{cls.__name__}.app must be an App, got {type(app).__name__}."
            raise TypeError(msg)
        factory = inspect.getattr_static(cls, "client_factory", None)
        drain = inspect.getattr_static(cls, "drain", "auto")
        factory = factory.__func__ if isinstance(factory, staticmethod) else factory
        drain = drain.__func__ if isinstance(drain, staticmethod) else drain
        cls._config = MachineConfig(
            app=app,
            client_factory=factory or default_client_factory,
            max_items=int(getattr(cls, "max_items", 40)),
            drain=drain,
            scan_every=int(getattr(cls, "scan_every", 1)),
            swarm=bool(getattr(cls, "swarm", False)),
            pools=value_pools(app.spec),
        )
        _install_rules(cls)
        cls.TestCase.settings = _ActiveProfileSettings()  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        cfg = getattr(type(self), "_config", None)
        if cfg is None:
            msg = f"{type(self).__name__} has no app."
            raise TypeError(msg + " Subclass AppMachine with `app = ...`, or use app_machine(app).")
        self.cfg: MachineConfig = cfg
        self.app = cfg.app
        self.spec = cfg.app.spec
        self.client = cfg.client("dynamodb")
        self.table_name = f"{self.app.name}-{new_stage()}"
        self.client.create_table(**render_create_table(self.app.design, self.table_name))
        self.table = self.app.connect(self.table_name, self.client)
        self.drainer = cfg.drain_for(self.table)
        self.model = Model(self.app)
        if not cfg.swarm:
            _all_rules_enabled(self)
        self.writes = 0
        self.steps = 0
        self.checked: set[str] = set()
        self.scan_due = False

    def teardown(self) -> None:
        """Check the patterns no step checked (in test cases of at least SWEEP_AFTER steps), drop the table.

        Short test cases (most of those the shrinker tries) skip the sweep, so it costs
        little; every full-length test case still checks every declared pattern.
        """
        try:
            if sys.exc_info()[0] is None and self.steps >= SWEEP_AFTER:
                for i, name in enumerate(self._reads):
                    if name not in self.checked:
                        self.check_read(name, random.Random(i), 2)
        finally:
            self.table.close()
            self.client.delete_table(TableName=self.table_name)

    # ---- helpers ---------------------------------------------------------------------------

    def instance(self, entity: str, values: Mapping[str, object]) -> Entity:
        """The Entity instance of ``values`` (copies left for the runtime to fill)."""
        copies = {a for a, _, _ in self.model.copies[entity]}
        clean = {k: v for k, v in values.items() if v is not None and k not in copies}
        obj: Entity = self.app.models[entity].model_validate(clean)
        return obj

    def attempt(self, expected: Outcome, what: str, action: Callable[[], Any]) -> Any:
        """Run a write and check it was written or refused as the model predicts."""
        try:
            result = action()
        except (ConditionFailedError, TransactionCancelledError) as err:
            assert expected == "condition", f"{what}: refused ({err}), but the model expected '{expected}'"
            self.scan_due = True
            return None
        except RequestError as err:
            # Refused before anything was sent (copy source missing, no increment target).
            assert expected == "request", f"{what}: refused ({err}), but the model expected '{expected}'"
            return None
        except AssertionError:
            raise
        except Exception as err:
            msg = f"{what}: raised {type(err).__name__}: {err}"
            raise AssertionError(msg) from err
        assert expected == "ok", f"{what}: written, but the model expected it to be refused ({expected})"
        return result

    def skip_recreate(self, items: Iterable[tuple[str, Mapping[str, object]]]) -> bool:
        """Whether a write would re-create a deleted copy source (skipped while propagation is drained).

        Known propagation issue: a re-created source starts again at ``_version`` 1, so its
        copies (stamped with the old source's versions) ignore its updates, and a late
        record of the old source overwrites copies taken from the new one. Until
        propagation orders incarnations of a source, the machine does not re-create one.
        """
        return self.drainer is not None and any(
            (e, self.model.ident(e, v)) in self.model.retired for e, v in items
        )

    def after_write(
        self, check: tuple[str, int], focus: Iterable[tuple[str, Mapping[str, object]]] = ()
    ) -> None:
        """Drain propagation, then run the ``check`` pattern on each written item's values."""
        self.writes += 1
        self.steps += 1
        if focus and self.writes % self.cfg.scan_every == 0:
            self.scan_due = True
        if self.drainer is not None and any(self.model.has_copies_of(e, v) for e, v in focus):
            # Only a change of a source with copies has work; other records wait for the next drain.
            self.drainer()
            self.model.refresh_copies()
        pattern, limit = check
        entities = self.spec.pattern(pattern).entities
        targets: list[Mapping[str, object] | None] = [v for e, v in focus if e in entities] or [None]
        for values in targets:
            # Arguments follow from the step itself, so a replay (and the shrinker) meets the same ones.
            rng = random.Random(repr((pattern, limit, sorted((values or {}).items(), key=repr))))
            self.check_read(pattern, rng, limit, values)

    # ---- reads -----------------------------------------------------------------------------

    def read_args(
        self, pattern: str, rng: random.Random, focus: Mapping[str, object] | None
    ) -> tuple[dict[str, object], RangeOp | None, dict[str, object]]:
        """Arguments for a pattern from values that exist: (call args, effective range, range values)."""
        pat = self.spec.pattern(pattern)
        args: dict[str, object] = {}
        if pat.by:
            source: Mapping[str, object] | None = None
            if focus is not None and all(focus.get(a) is not None for a in pat.by):
                source = focus
            else:
                cands = [
                    v
                    for e in pat.entities
                    for v in self.model.oracle.all(e)
                    if all(v.get(a) is not None for a in pat.by)
                ]
                if cands and rng.random() < 0.85:
                    source = rng.choice(cands)
            if source is None:
                source = {a: self._pool_pick(pat, a, rng) for a in pat.by}
            args = {a: source[a] for a in pat.by}
        op, rng_values = self._range_args(pat, args, rng)
        return args, op, rng_values

    def _pool_pick(self, pat: PatternSpec, attr: str, rng: random.Random) -> object:
        for e in pat.entities:
            spec = self.spec.entity(e).attribute(attr)
            if spec is not None:
                pool = self.cfg.pools.get((attr, spec.type))
                if pool:
                    return rng.choice(pool)
        msg = f"no value pool for {pat.name}.{attr}"
        raise AssertionError(msg)

    def _range_args(
        self, pat: PatternSpec, args: Mapping[str, object], rng: random.Random
    ) -> tuple[RangeOp | None, dict[str, object]]:
        holders = [e for e in pat.entities if pat.sort and self.spec.entity(e).has(pat.sort)]
        if pat.range is None or pat.sort is None or not holders or rng.random() < 0.15:
            return None, {}
        sort = pat.sort
        same = [
            v[sort]
            for e in holders
            for v in self.model.oracle.all(e)
            if v.get(sort) is not None and all(normalise(v.get(a)) == normalise(x) for a, x in args.items())
        ]
        attr = self.spec.entity(holders[0]).attribute(sort)
        assert attr is not None
        pool = self.cfg.pools.get((sort, attr.type), ())

        def pick() -> object:
            if same and (rng.random() < 0.7 or not pool):
                return rng.choice(same)
            return rng.choice(pool) if pool else None

        if pat.range == "between":
            lo, hi = pick(), pick()
            if lo is None or hi is None:
                return None, {}
            lo, hi = sorted((lo, hi), key=normalise)  # type: ignore[arg-type]
            form = rng.random()
            if form < 0.6:
                return "between", {"lo": lo, "hi": hi}
            return ("gte", {"lo": lo}) if form < 0.8 else ("lte", {"hi": hi})
        value = pick()
        if value is None:
            return None, {}
        if pat.range == "begins_with":
            text = str(value)
            value = text[: rng.randrange(len(text) + 1)]
        return pat.range, {"value": value}

    def _oracle_for(self, pattern: str, op: RangeOp | None) -> Oracle:
        """The oracle, or a view of it where the pattern's range is the one actually asked."""
        pat = self.spec.pattern(pattern)
        if op == pat.range:
            return self.model.oracle
        patterns = tuple(
            dataclasses.replace(p, range=op) if p.name == pattern else p for p in self.spec.patterns
        )
        view = Oracle(dataclasses.replace(self.spec, patterns=patterns))
        view.items = self.model.oracle.items
        return view

    def read_all(self, pattern: str, args: Mapping[str, object], limit: int) -> list[tuple[str, Values]]:
        """Every item a pattern returns, following cursors page by page."""
        pat = self.spec.pattern(pattern)
        if pat.kind == "get":
            found = self.table.run(pattern, **args)
            return [] if found is None else [(type(found).__name__, entity_values(found))]
        total = sum(len(self.model.oracle.all(e)) for e in pat.entities)
        bound = (total + 2) * (self.app.design.plan(pattern).shards + 1)
        out: list[tuple[str, Values]] = []
        cursor: str | None = None
        for _ in range(bound):
            page = self.table.run(pattern, **args, limit=limit, cursor=cursor)
            assert len(page.items) <= limit, f"{pattern}: a page of {len(page.items)} items for limit={limit}"
            out += [(type(x).__name__, entity_values(x)) for x in page.items]
            if page.cursor is None:
                return out
            cursor = page.cursor
        msg = f"{pattern}{dict(args)}: still returning cursors after {bound} pages of {limit}"
        raise AssertionError(msg)

    def check_read(
        self, pattern: str, rng: random.Random, limit: int, focus: Mapping[str, object] | None = None
    ) -> None:
        """Run one pattern with arguments from existing values; compare with the oracle."""
        self.checked.add(pattern)
        args, op, range_values = self.read_args(pattern, rng, focus)
        oracle_args = dict(args)
        if op in ("gte", "lte"):
            oracle_args["value"] = range_values.get("lo", range_values.get("hi"))
        else:
            oracle_args.update(range_values)
        try:
            got = self.read_all(pattern, {**args, **range_values}, limit)
        except DynamodelError as err:
            msg = f"{pattern}({_show({**args, **range_values})}, limit={limit}) raised {type(err).__name__}: {err}"
            raise AssertionError(msg) from err
        check_result(self._oracle_for(pattern, op), pattern, oracle_args, got)
        if len(self.spec.pattern(pattern).entities) > 1:
            check_blocks(pattern, got)

    # ---- the table -------------------------------------------------------------------------

    def scan(self) -> list[Item]:
        """Every item of the table (strongly consistent)."""
        items: list[Item] = []
        kwargs: dict[str, Any] = {"TableName": self.table_name, "ConsistentRead": True}
        while True:
            page = self.client.scan(**kwargs)
            items += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def check_stored(self) -> None:
        """The table holds exactly the model's entities and their guards, with keys that parse back."""
        design = self.app.design
        seen: dict[tuple[str, str], tuple[str, dict[str, object]]] = {}
        guards: list[Item] = []
        count = 0
        for item in self.scan():
            kind = item.get(c.TYPE_ATTR, {}).get("S")
            if kind == c.GUARD_TYPE:
                guards.append(item)
                continue
            assert isinstance(kind, str), f"a stored item has no _type: {item}"
            assert kind in self.app.models, f"a stored item has _type {kind!r}: {item}"
            spec = self.spec.entity(kind)
            values = entity_values(self.app.models[kind].model_validate(item_to_values(spec, item)))
            want = self.model.oracle.get(kind, values)
            assert want is not None, f"{kind} {values} is stored, but was never written or was deleted"
            assert _same(values, want), f"{kind} stored as {values}, expected {want}"
            version = int(item[c.VERSION_ATTR]["N"])
            expected = self.model.version(kind, values)
            assert version == expected, f"{kind} {values}: _version {version}, expected {expected}"
            check_item_keys(self.app, kind, item, values)
            seen[(item["PK"]["S"], item["SK"]["S"])] = (kind, values)
            count += 1
        assert count == self.model.size(), f"the table holds {count} entities, the model {self.model.size()}"
        claimed: set[tuple[str, tuple[str, ...], tuple[str, str]]] = set()
        for g in guards:
            entity = g.get("entity", {}).get("S", "")
            owner = (g[c.OWNER_PK]["S"], g[c.OWNER_SK]["S"])
            assert owner in seen, f"guard {g['PK']['S']!r} is owned by a missing item {owner}"
            holder_entity, holder = seen[owner]
            assert holder_entity == entity, f"guard {g['PK']['S']!r} of {entity} held by a {holder_entity}"
            guard = next(x for x in design.guards if x.entity == entity and x.sk.render({}) == g["SK"]["S"])
            parsed = _parse(guard.pk, g["PK"]["S"], "guard")
            for a, v in parsed.items():
                assert normalise(v) == normalise(holder.get(a)), f"guard {g['PK']['S']!r} claims {a}={v!r}"
            claimed.add((entity, guard.attrs, owner))
        for owner, (entity, values) in seen.items():
            for guard in design.guards:
                if guard.entity == entity and all(values.get(a) is not None for a in guard.attrs):
                    assert (entity, guard.attrs, owner) in claimed, (
                        f"{entity} {values} has no guard for {guard.attrs}"
                    )
        if self.drainer is not None:
            self._check_copies(seen)

    def _check_copies(self, seen: Mapping[tuple[str, str], tuple[str, dict[str, object]]]) -> None:
        for entity, values in seen.values():
            for attr, source, source_attr in self.model.copies[entity]:
                key = c.base_key(self.app.design, source, values)
                src = seen.get((key["PK"]["S"], key["SK"]["S"]))
                if src is not None:
                    assert normalise(values.get(attr)) == normalise(src[1].get(source_attr)), (
                        f"{entity} {values}: copy {attr}={values.get(attr)!r} != {source}.{source_attr}={src[1].get(source_attr)!r} after draining"
                    )

    @invariant()
    def check_table(self) -> None:
        """After writes, scan the table and compare it with the model."""
        if self.scan_due:
            self.scan_due = False
            self.check_stored()


# ---- rules, generated per app ---------------------------------------------------------------


def _values_strategy(cls: type[AppMachine], entity: str, only: frozenset[str] | None = None) -> Any:
    cfg = cls._config
    return for_model(cfg.app.models[entity], cfg.app.spec, pools=cfg.pools, only=only, fresh_weight=0)


def _reference(app: App, entity: str) -> str | None:
    """The entity whose key ``entity``'s items most need to exist: copy source, parent, or another key."""
    spec = app.spec.entity(entity)
    own = set(c.key_attrs(app.design, entity))
    refs = [
        e.name
        for e in app.spec.entities
        if e.name != entity
        and all(spec.has(a) for a in c.key_attrs(app.design, e.name))
        and set(c.key_attrs(app.design, e.name)) != own
    ]
    preferred = [a.copy_of[0] for a in spec.attributes if a.copy_of] + [
        x for x in (spec.parent, spec.aggregate) if x
    ]
    return next((r for r in preferred if r in refs), refs[0] if refs else None)


def _install_rules(cls: type[AppMachine]) -> None:
    app = cls._config.app
    spec = app.spec
    cls._reads = tuple(p.name for p in spec.patterns if p.kind != "write")
    bundles = {e.name: Bundle(_snake(e.name)) for e in spec.entities}
    room = precondition(lambda self: self.model.size() < self.cfg.max_items)
    rules: list[Callable[..., Any]] = []

    def check_of(*entities: str) -> Any:
        reading = [p for p in cls._reads if set(entities) & set(spec.pattern(p).entities)]
        return st.sampled_from([(p, limit) for p in reading or cls._reads for limit in range(1, 6)])

    for e in spec.entities:
        name, bundle = e.name, bundles[e.name]
        keys = set(c.key_attrs(app.design, name))
        ref = _reference(app, name)
        # Attributes pointing at the reference change only through update_<E>_in_<ref>, to
        # a reference that exists; otherwise most updates would point nowhere and be refused.
        moving = {a for a in c.key_attrs(app.design, ref) if e.has(a)} - keys if ref else set()
        changeable = frozenset(
            a.name for a in e.attributes if a.name not in keys | moving and a.copy_of is None
        )
        values = st.fixed_dictionaries(_values_strategy(cls, name))
        check = check_of(name)
        if ref is None:
            # An entity that references another is created under an existing one: items
            # with missing sources (copies) are reached by deleting the source instead.
            rules.append(rule(target=bundle, values=values, check=check)(room(_create_rule(name, None))))
        if ref is not None:
            fn = _create_rule(name, ref)
            rules.append(rule(target=bundle, values=values, check=check, parent=bundles[ref])(room(fn)))
        # Attributes that decide sparse index membership, and attributes other entities copy,
        # change on every update: items keep entering and leaving sparse indexes, and
        # propagation always has work.
        copied = {
            a.copy_of[1] for x in spec.entities for a in x.attributes if a.copy_of and a.copy_of[0] == name
        }
        sparse = {
            a for k in app.design.entity_indexes(name) for a in (*(w for w, _ in k.sparse), *k.optional_attrs)
        }
        toggles = frozenset(copied | sparse) & changeable
        changes = st.fixed_dictionaries(
            _values_strategy(cls, name, toggles), optional=_values_strategy(cls, name, changeable - toggles)
        )
        modes = st.sampled_from(_MODES_UPDATE)
        update = rule(ref=bundle, changes=changes, mode=modes, check=check)(_update_rule(name, None))
        if ref is not None and moving:
            rules.append(
                rule(ref=bundle, changes=changes, mode=modes, check=check, parent=bundles[ref])(
                    _update_rule(name, ref)
                )
            )
        delete = rule(target=bundle, ref=consumes(bundle), mode=st.sampled_from(_MODES_DELETE), check=check)(
            _delete_rule(name)
        )
        rules += [update, delete]
    for p in spec.patterns:
        if p.kind == "write":
            under = p.increments[0][0] if p.increments else _reference(app, p.entities[0])
            check = check_of(*p.entities, *(t for t, _, _ in p.increments))
            root_copies = {a.copy_of[0] for a in spec.entity(p.entities[0]).attributes if a.copy_of}
            if under is None or under not in root_copies:
                rules.append(room(_write_rule(cls, p, bundles[p.entities[0]], None, check)))
            if under is not None:
                rules.append(
                    room(_write_rule(cls, p, bundles[p.entities[0]], (under, bundles[under]), check))
                )
    rules.append(
        rule(pattern=st.sampled_from(cls._reads), seed=st.integers(0, 2**16 - 1), limit=st.integers(1, 5))(
            _check_rule()
        )
    )
    for fn in rules:
        setattr(cls, fn.__name__, fn)


def _named(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    fn.__name__ = fn.__qualname__ = name
    return fn


def _adopt(values: dict[str, object], entity: str, app: App, parent: ItemRef | None) -> dict[str, object]:
    """``values`` with the attributes it shares with ``parent``'s key taken from the parent."""
    if parent is not None:
        spec = app.spec.entity(entity)
        values.update({a: v for a, v in parent.key if spec.has(a)})
    return values


def _create_rule(entity: str, ref: str | None) -> Callable[..., Any]:
    def create(
        self: AppMachine, values: dict[str, object], check: tuple[str, int], parent: ItemRef | None = None
    ) -> Any:
        m = self.model
        values = m.align(entity, _adopt(dict(values), entity, self.app, parent))
        if self.skip_recreate([(entity, values)]):
            return multiple()
        filled = m.fill_copies(entity, values)
        expected: Outcome = (
            "request"
            if filled is None
            else "condition"
            if m.oracle.get(entity, values) is not None or m.unique_taken(entity, filled)
            else "ok"
        )
        obj = self.instance(entity, values)
        done = self.attempt(expected, f"create {entity}", lambda: self.table.create(obj))
        if expected != "ok" or filled is None:
            self.after_write(check)
            return multiple()
        assert _same(entity_values(done), filled), f"create returned {done}, expected {filled}"
        m.store(entity, filled, 1)
        self.after_write(check, [(entity, filled)])
        return ItemRef(entity, tuple((a, filled[a]) for a in m.key_attrs[entity]))

    return _named(create, f"create_{entity}" + (f"_in_{ref}" if ref else ""))


def _update_rule(entity: str, moved_to: str | None) -> Callable[..., Any]:
    def update(
        self: AppMachine,
        ref: ItemRef,
        changes: dict[str, object],
        mode: str,
        check: tuple[str, int],
        parent: ItemRef | None = None,
    ) -> None:
        m = self.model
        current = m.find(entity, ref.values())
        assert current is not None, f"{ref} is in the bundle but not in the model"
        keys = m.key_attrs[entity]
        moved = {a: v for a, v in _adopt({}, entity, self.app, parent).items() if a not in keys}
        new = {**current, **changes, **moved}
        filled = m.fill_copies(entity, new)
        version = m.version(entity, current)
        obj = self.instance(entity, new)
        expected: Outcome = "request" if filled is None else "ok"
        if mode == "stale":
            expected = "request" if filled is None else "condition"
            action: Callable[[], Any] = lambda: self.table.update(obj, expected_version=version + 1)  # noqa: E731
        elif mode == "update":
            action = lambda: self.table.update(obj, expected_version=version)  # noqa: E731
        else:
            action = lambda: self.table.put(obj)  # noqa: E731
        if expected == "ok" and filled is not None and m.unique_taken(entity, filled):
            expected = "condition"
        done = self.attempt(expected, f"{mode} {entity}", action)
        if expected != "ok" or filled is None:
            self.after_write(check)
            return
        assert _same(entity_values(done), filled), f"{mode} returned {done}, expected {filled}"
        m.store(entity, filled, version + 1)
        self.after_write(check, [(entity, current), (entity, filled)])

    return _named(update, f"update_{entity}" + (f"_in_{moved_to}" if moved_to else ""))


def _delete_rule(entity: str) -> Callable[..., Any]:
    def delete(self: AppMachine, ref: ItemRef, mode: str, check: tuple[str, int]) -> Any:
        m = self.model
        current = m.find(entity, ref.values())
        assert current is not None, f"{ref} is in the bundle but not in the model"
        key = {a: current[a] for a in m.key_attrs[entity]}
        cls = self.app.models[entity]
        version = m.version(entity, current)
        if mode == "stale":
            self.attempt(
                "condition",
                f"delete {entity} at a stale version",
                lambda: self.table.delete(cls, expected_version=version + 1, **key),
            )
            self.after_write(check)
            return ref
        given = version if mode == "versioned" else None
        deleted = self.attempt(
            "ok", f"delete {entity}", lambda: self.table.delete(cls, expected_version=given, **key)
        )
        assert deleted is True, f"delete {entity} {key} returned {deleted}, but it exists"
        m.remove(entity, current)
        if mode == "twice":
            again = self.attempt("ok", f"delete {entity} again", lambda: self.table.delete(cls, **key))
            assert again is False, f"a second delete of {entity} {key} returned {again}"
        self.after_write(check, [(entity, current)])
        return multiple()

    return _named(delete, f"delete_{entity}")


def _write_rule(
    cls: type[AppMachine],
    pat: PatternSpec,
    bundle: Bundle[Any],
    under: tuple[str, Bundle[Any]] | None,
    check: Any,
) -> Callable[..., Any]:
    app = cls._config.app
    root = pat.entities[0]
    root_spec = app.spec.entity(root)
    explicit = [
        t for t, _, _ in pat.increments if not all(root_spec.has(a) for a in c.key_attrs(app.design, t))
    ]
    members_st = st.fixed_dictionaries(
        {e: st.lists(st.fixed_dictionaries(_values_strategy(cls, e)), max_size=2) for e in pat.entities[1:]}
    )
    targets_st = st.fixed_dictionaries(
        {
            t: st.fixed_dictionaries(_values_strategy(cls, t, frozenset(c.key_attrs(app.design, t))))
            for t in explicit
        }
    )

    def write(
        self: AppMachine,
        values: dict[str, object],
        members: dict[str, list[dict[str, object]]],
        target_keys: dict[str, dict[str, object]],
        check: tuple[str, int],
        parent: ItemRef | None = None,
    ) -> Any:
        m = self.model
        root_values = m.align(root, _adopt(dict(values), root, self.app, parent))
        if parent is not None and parent.entity in target_keys:
            target_keys = {**target_keys, parent.entity: parent.values()}
        staged: list[tuple[str, dict[str, object]]] = [(root, root_values)]
        for entity, rows in members.items():
            for row in rows:
                v = dict(row)
                v.update({a: root_values[a] for a in m.key_attrs[root] if self.spec.entity(entity).has(a)})
                m.align(entity, v)
                staged.append((entity, v))
        staged = _dedupe(m, staged)
        if self.skip_recreate(staged):
            return multiple()
        filled = [m.fill_copies(e, v, staged) for e, v in staged]
        expected: Outcome = "ok"
        targets: list[tuple[str, str, int, dict[str, object]]] = []
        for t, attr, n in pat.increments:
            keys = [target_keys[t]] if t in target_keys else [v for _, v in staged]
            found = {
                m.ident(t, k): {a: k[a] for a in m.key_attrs[t]}
                for k in keys
                if all(k.get(a) is not None for a in m.key_attrs[t])
            }
            if not found:
                expected = "request"
            targets += [(t, attr, n, k) for k in found.values()]
        written = {(e, m.ident(e, v)) for e, v in staged}
        if any(f is None for f in filled) or any((t, m.ident(t, k)) in written for t, _, _, k in targets):
            expected = "request"
        elif expected == "ok" and (
            any(m.oracle.get(e, v) is not None for e, v in staged)
            or any(m.unique_taken(e, f) for (e, _), f in zip(staged, filled, strict=True) if f is not None)
            or any(m.find(t, k) is None for t, _, _, k in targets)
        ):
            expected = "condition"
        objs = [self.instance(e, v) for e, v in staged]
        from dynamodel.runtime.writes import target_keyword  # noqa: PLC0415 - the runtime's keyword

        kwargs = {target_keyword(t): k for t, k in target_keys.items()}
        done = self.attempt(
            expected, f"write pattern {pat.name}", lambda: self.table.write(pat.name, *objs, **kwargs)
        )
        if expected != "ok":
            self.after_write(check)
            return multiple()
        for (e, _), f, got in zip(staged, filled, done, strict=True):
            assert f is not None
            assert _same(entity_values(got), f), f"{pat.name} returned {got}, expected {f}"
            m.store(e, f, 1)
        bumped: list[tuple[str, Mapping[str, object]]] = []
        for t, attr, n, k in targets:
            target = m.find(t, k)
            assert target is not None
            count = target.get(attr)
            new = {**target, attr: (count if isinstance(count, int | Decimal) else 0) + n}
            m.store(t, new, m.version(t, target) + 1)
            bumped.append((t, new))
        self.after_write(
            check, [*[(e, f) for (e, _), f in zip(staged, filled, strict=True) if f is not None], *bumped]
        )
        return ItemRef(root, tuple((a, root_values[a]) for a in m.key_attrs[root]))

    extra: dict[str, Any] = {"parent": under[1]} if under else {}
    rule_fn: Callable[[Callable[..., Any]], Callable[..., Any]] = rule(
        target=bundle,
        values=st.fixed_dictionaries(_values_strategy(cls, root)),
        members=members_st,
        target_keys=targets_st,
        check=check,
        **extra,
    )
    return rule_fn(_named(write, f"write_{pat.name}" + (f"_in_{under[0]}" if under else "")))


def _dedupe(m: Model, staged: list[tuple[str, dict[str, object]]]) -> list[tuple[str, dict[str, object]]]:
    """One item per identity and per unique value in a write (DynamoDB refuses two actions on one item)."""
    out: list[tuple[str, dict[str, object]]] = []
    seen: set[tuple[object, ...]] = set()
    for e, v in staged:
        marks: list[tuple[object, ...]] = [(e, "id", m.ident(e, v))]
        marks += [
            (e, attrs, tuple(normalise(v.get(a)) for a in attrs))
            for attrs in m.unique.get(e, [])
            if all(v.get(a) is not None for a in attrs)
        ]
        if any(mark in seen for mark in marks):
            continue
        seen.update(marks)
        out.append((e, v))
    return out


def _check_rule() -> Callable[..., Any]:
    def check_pattern(self: AppMachine, pattern: str, seed: int, limit: int) -> None:
        self.steps += 1
        self.check_read(pattern, random.Random(seed), limit)

    return check_pattern


# ---- entry points ---------------------------------------------------------------------------


def machine_settings(
    *, max_examples: int = FAST_EXAMPLES, stateful_step_count: int = FAST_STEPS, **overrides: Any
) -> settings:
    """Settings for a machine: small under the fast (or default) profile, the profile's otherwise.

    Under ``HYPOTHESIS_PROFILE=thorough`` (or any profile other than ``fast``/``default``)
    the active profile decides examples and steps; otherwise at most ``max_examples``
    test cases of ``stateful_step_count`` steps run, so ``make test`` stays fast.
    """
    base = settings.default
    assert base is not None
    quiet = {
        "deadline": None,
        "suppress_health_check": [*base.suppress_health_check, HealthCheck.too_slow],
        # Every replay runs on a real engine (milliseconds per request): the explain phase
        # re-runs the failure dozens of times, and shrinking a second distinct failure
        # doubles the wait, for little more than the first minimal replay tells.
        "phases": [p for p in base.phases if p != Phase.explain],
        "report_multiple_bugs": False,
    }
    if settings.get_current_profile_name() not in _FAST_PROFILES:
        return settings(base, **{**quiet, **overrides})
    return settings(
        base,
        **{
            **quiet,
            "max_examples": min(max_examples, base.max_examples),
            "stateful_step_count": stateful_step_count,
            **overrides,
        },
    )


def app_machine(
    app: App,
    *,
    client_factory: ClientFactory | None = None,
    max_items: int = 40,
    drain: Drain | Literal["auto"] | None = "auto",
    scan_every: int = 1,
    swarm: bool = False,
) -> type[AppMachine]:
    """A RuleBasedStateMachine class for ``app``; its ``.TestCase`` is a ready unittest/pytest test.

    Args:
        app: the application.
        client_factory: ``factory(service)`` → boto3 client; default: :class:`InProcessEngine`.
            ``EmbeddedEngine().start().client`` runs over HTTP instead.
        max_items: stop creating entities once the table holds this many.
        drain: how to apply pending copy updates after each write: ``"auto"`` uses
            ``dynamodel.propagate.driver.drain`` when it exists (else copies are only filled
            at write time and the copy invariant is off), None never drains.
        scan_every: scan and check the whole table after every n-th write.
        swarm: hypothesis's swarm testing (a random subset of rules per test case): more
            varied runs, but failing replays keep irrelevant steps. Off by default.

    Example:
        >>> TestShop = app_machine(shop).TestCase  # doctest: +SKIP
    """
    namespace: dict[str, Any] = {
        "app": app,
        "client_factory": staticmethod(client_factory) if client_factory else None,
        "max_items": max_items,
        "drain": staticmethod(drain) if callable(drain) else drain,
        "scan_every": scan_every,
        "swarm": swarm,
        "__module__": __name__,
    }
    name = "".join(part.title() for part in app.name.split("_")) + "Machine"
    return type(name, (AppMachine,), namespace)


def run_app_machine(app: App, *, settings: settings | None = None, **options: Any) -> None:
    """Run the machine of ``app`` now (in a test): ``run_app_machine(shop)``.

    Args:
        app: the application.
        settings: hypothesis settings; default :func:`machine_settings`.
        options: passed to :func:`app_machine`.
    """
    run_state_machine_as_test(app_machine(app, **options), settings=settings or machine_settings())
