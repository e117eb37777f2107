"""``AppMachine``: random writes on a real engine and on the oracle; every declared pattern checked.

A hypothesis ``RuleBasedStateMachine`` built from an app's declarations. Each test case gets a
fresh table, created from the emitted ``create_table`` definition. Rules create, update (full
replace, upsert, stale version) and delete entities, and run every ``write`` pattern; the
same writes go to an :class:`~dynamodel.testing.oracle.Oracle`, and the machine predicts each
outcome (written, refused by a condition, refused before sending). Reads are checked against
the oracle with a random page size (1..5), following cursors to the end:

* after each write, one pattern reading the written entity, with the written values as arguments;
* after each write (``check_all``, the default), every other declared pattern, with arguments
  drawn from the values that exist;
* ``check_pattern``: any pattern with arguments drawn from the values that exist;
* at the end of a test case of at least ``SWEEP_AFTER`` steps, every pattern not read yet.

After writes, the whole table is scanned: every item equals the model (so a refused write
left nothing), every key (base table and GSIs) parses back to the item's attributes, sparse
keys exist exactly while their predicate holds, write shards match, each ``unique`` value
has exactly one guard item owned by its holder, and, when propagation can be drained,
every copy equals its source.

The machine's parts live in their own modules: ``inprocess`` (the default engine),
``mirror`` (the model), ``table_checks`` (checks of returned and stored items) and
``rules`` (the rules generated per app); this module re-exports their public names.

Example:
    >>> from access_patterns.shop import shop
    >>> TestShop = app_machine(shop).TestCase  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import random
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, run_state_machine_as_test

from dynamodel import compile as c
from dynamodel.app import App
from dynamodel.codec import Item, item_to_values
from dynamodel.errors import ConditionFailedError, DynamodelError, RequestError, TransactionCancelledError
from dynamodel.model import Entity
from dynamodel.runtime.table import Table
from dynamodel.spec import PatternSpec, RangeOp
from dynamodel.testing.faults import DynamoRules
from dynamodel.testing.inprocess import InProcessEngine, create_test_table, default_client_factory, new_stage
from dynamodel.testing.mirror import ItemRef, Model
from dynamodel.testing.oracle import Oracle, Values, check_result, interleaves, normalise
from dynamodel.testing.rules import install_rules
from dynamodel.testing.strategies import PoolKey, value_pools
from dynamodel.testing.table_checks import (
    check_blocks,
    check_item_keys,
    entity_values,
    parse_key,
    same_values,
)

__all__ = [
    "FAST_EXAMPLES",
    "FAST_STEPS",
    "SWEEP_AFTER",
    "AppMachine",
    "ClientFactory",
    "Drain",
    "InProcessEngine",
    "ItemRef",
    "MachineConfig",
    "Model",
    "Outcome",
    "app_machine",
    "check_blocks",
    "check_item_keys",
    "default_client_factory",
    "entity_values",
    "machine_settings",
    "new_stage",
    "propagation_driver",
    "run_app_machine",
    "same_values",
]

ClientFactory = Callable[[str], Any]
"""Called with ``"dynamodb"`` (and ``"dynamodbstreams"`` to drain propagation); returns a boto3 client."""
Drain = Callable[[Table], object]
"""``drain(table)`` applies every pending copy update of the table's stream, then returns."""
Outcome = Literal["ok", "condition", "request"]

FAST_EXAMPLES = 15
FAST_STEPS = 30
SWEEP_AFTER = 10
# hypothesis loads "ci" by itself wherever $CI is set: a CI run stays fast unless asked.
_FAST_PROFILES = ("default", "fast", "ci")


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
    check_all: bool = True
    pools: dict[PoolKey, tuple[object, ...]] = field(default_factory=dict)
    rules: DynamoRules = field(default_factory=DynamoRules)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def client(self, service: str) -> Any:
        """One client per service for every test case of the class (boto3 clients are thread-safe).

        DynamoDB clients apply :attr:`rules` (DynamoDB's ClientRequestToken rule, lost
        responses): the default engine's clients, and clients of a server on this machine.
        """
        if service not in self._clients:
            if self.client_factory is default_client_factory:
                client = InProcessEngine(rules=self.rules).client(service)
            else:
                client = self.client_factory(service)
                endpoint = str(getattr(getattr(client, "meta", None), "endpoint_url", ""))
                if service == "dynamodb" and endpoint.startswith(("http://127.0.0.1", "http://localhost")):
                    self.rules.install_http(client)
            self._clients[service] = client
        return self._clients[service]

    def drain_for(self, table: Table) -> Callable[[], object] | None:
        """How to drain ``table``'s propagation after a write, or None (copies filled at write time)."""
        option = self.drain
        if option is None:
            return None
        if option != "auto":
            return lambda: option(table)
        driver = propagation_driver()
        if driver is None or not self.app.design.needs_stream:
            return None
        streams = self.client("dynamodbstreams")
        return lambda: driver(table.design, table.name, table.client, streams)


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
    ``max_items``, ``drain`` (``"auto"``, None, or a ``drain(table)`` callable),
    ``scan_every`` (scan the table after every n-th write step) and ``check_all``
    (read every pattern after every write). Rules, bundles and
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
            check_all=bool(getattr(cls, "check_all", True)),
            pools=value_pools(app.spec),
        )
        install_rules(cls)
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
        self.table = create_test_table(self.app, self.client)
        self.table_name = self.table.name
        self.drainer = cfg.drain_for(self.table)
        self.model = Model(self.app)
        if not cfg.swarm:
            _all_rules_enabled(self)
        self.writes = 0
        self.steps = 0
        self.checked: set[str] = set()
        self.scan_due = False
        self.kept: dict[tuple[str, tuple[object, ...]], Entity] = {}

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

    def wire(
        self, entity: str, values: dict[str, object], pick: int, skip: str | None = None
    ) -> dict[str, object]:
        """Point ``values``' copy references at sources chosen from the model (``pick`` seeds it).

        Each reference (other than ``skip``, the source the rule's parent bundle gave) names
        an existing source item most of the time; an optional one is sometimes left empty
        (None), and sometimes a reference keeps the drawn value, which may name nothing.
        """
        rng = random.Random(pick)
        for ref in self.model.references[entity]:
            if ref.source == skip and not ref.named:
                continue
            roll = rng.random()
            if ref.optional and roll < 0.25:
                for local in ref.local_attrs:
                    if local not in self.model.key_attrs[entity]:
                        values[local] = None
                continue
            sources = self.model.oracle.all(ref.source)
            if roll < 0.35 or not sources:
                continue
            chosen = rng.choice(sorted(sources, key=repr))
            moved = ref.to_local({a: chosen.get(a) for a, _ in ref.keys})
            if any(a in self.model.key_attrs[entity] and values.get(a) != v for a, v in moved.items()):
                continue  # the reference is part of the item's identity: it cannot move
            values.update(moved)
        return values

    def instance(self, entity: str, values: Mapping[str, object]) -> Entity:
        """The Entity instance of ``values`` (copies left for the runtime to fill)."""
        copies = {a for a, _, _ in self.model.copies[entity]}
        clean = {k: v for k, v in values.items() if v is not None and k not in copies}
        obj: Entity = self.app.models[entity].model_validate(clean)
        return obj

    def attempt(self, expected: Outcome, what: str, action: Callable[[], Any], *, lose: bool = False) -> Any:
        """Run a write and check it was written or refused as the model predicts.

        ``lose``: the answer of the write's first request is lost and the request sent
        again (a timeout retried by botocore); the outcome must not change.
        """
        if lose:
            self.cfg.rules.lose_next_response()
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
        finally:
            self.cfg.rules.clear()  # a write refused before sending leaves no loss for the next one
        assert expected == "ok", f"{what}: written, but the model expected it to be refused ({expected})"
        return result

    def after_write(
        self, check: tuple[str, int], focus: Iterable[tuple[str, Mapping[str, object]]] = ()
    ) -> None:
        """Drain propagation, then run the ``check`` pattern on each written item's values."""
        self.writes += 1
        self.steps += 1
        if focus and self.writes % self.cfg.scan_every == 0:
            self.scan_due = True
        if self.drainer is not None and any(self.model.has_copies_of(e, v) for e, v in focus):
            # Only a change of a source with copies has work; other records wait for the next
            # drain. (Draining after every write of a copy holder too would stamp holders before
            # they move to another source, but costs a third of the machine's time and still
            # did not find a reverted issue 11 item 4 in 120 x 40 steps: a replay test does.)
            self.drainer()
            self.model.refresh_copies()
        pattern, limit = check
        entities = self.spec.pattern(pattern).entities
        targets: list[Mapping[str, object] | None] = [v for e, v in focus if e in entities] or [None]
        for values in targets:
            # Arguments follow from the step itself, so a replay (and the shrinker) meets the same ones.
            rng = random.Random(repr((pattern, limit, sorted((values or {}).items(), key=repr))))
            self.check_read(pattern, rng, limit, values)
        if self.cfg.check_all:
            for name in self._reads:
                if name != pattern:
                    # Seeded by the step number, so a replay reads with the same arguments.
                    rng = random.Random(repr((name, self.steps)))
                    self.check_read(name, rng, rng.randint(1, 5))

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
        if op in ("gte", "lte") and "value" not in range_values:
            # a between pattern called with one bound (lo= or hi=)
            oracle_args["value"] = range_values.get("lo", range_values.get("hi"))
        else:
            oracle_args.update(range_values)
        try:
            got = self.read_all(pattern, {**args, **range_values}, limit)
        except DynamodelError as err:
            msg = f"{pattern}({_show({**args, **range_values})}, limit={limit}) raised {type(err).__name__}: {err}"
            raise AssertionError(msg) from err
        check_result(self._oracle_for(pattern, op), pattern, oracle_args, got)
        pat = self.spec.pattern(pattern)
        if len(pat.entities) > 1 and not interleaves(self.spec, pat):
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
            assert same_values(values, want), f"{kind} stored as {values}, expected {want}"
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
            parsed = parse_key(guard.pk, g["PK"]["S"], "guard")
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
            for attr, source, source_attr, source_key in self.model.propagated_copies(entity, values):
                if source_key is None:
                    continue  # an optional reference naming no source
                key = c.base_key(self.app.design, source, source_key)
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


# ---- entry points ---------------------------------------------------------------------------


def machine_settings(
    *, max_examples: int = FAST_EXAMPLES, stateful_step_count: int = FAST_STEPS, **overrides: Any
) -> settings:
    """Settings for a machine: small under the fast, default or ci profile, the profile's otherwise.

    Under ``HYPOTHESIS_PROFILE=thorough`` (or any profile other than ``fast``/``default``/``ci``;
    hypothesis loads ``ci`` by itself where ``$CI`` is set)
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
    check_all: bool = True,
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
        check_all: after every write, read every declared pattern (arguments drawn from
            the values that exist, a random page size) besides the one the step chose
            for the written values. False reads only that one: about 3x faster test
            cases, with every pattern still read in each test case's final sweep.

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
        "check_all": check_all,
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
