"""``migrate check`` (the live table's definition against the lock) and ``migrate verify`` (every item).

:func:`drift` compares DescribeTable and DescribeTimeToLive with the locked design JSON: key
schema, each GSI's keys and projection, the stream, TTL. :func:`verify` scans the whole
table and checks every entity item against the design with the table checks of
:mod:`dynamodel.testing` (keys parse back to the item's values, sparse keys follow their
predicate, shards match, no stray index keys) and every unique value against its guard item.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dynamodel.codec import Item, item_to_values
from dynamodel.compile import guard_key
from dynamodel.design.explain import index_keys_from_json
from dynamodel.design.model import Design
from dynamodel.errors import DynamodelError
from dynamodel.layout import EXPIRES_ATTR, GUARD_TYPE, MIGRATION_TYPE, OWNER_PK, OWNER_SK, PK, SK, TYPE_ATTR
from dynamodel.migrator.table_ops import STREAM_VIEW, describe
from dynamodel.runtime.retry import retry_throttled
from dynamodel.spec import AppSpec
from dynamodel.testing.table_checks import check_item_keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

__all__ = ["VerifyReport", "drift", "verify"]


def _key_schema(schema: list[dict[str, str]]) -> tuple[str | None, str | None]:
    kinds = {k["KeyType"]: k["AttributeName"] for k in schema}
    return kinds.get("HASH"), kinds.get("RANGE")


def _index_schema(schema: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in schema]


def drift(client: DynamoDBClient, table: str, design: Mapping[str, Any], app: AppSpec) -> list[str]:
    """How the live table's definition differs from the locked design (empty: no drift)."""
    desc = describe(client, table)
    found: list[str] = []
    want_table = (design["table"]["partition_key"], design["table"]["sort_key"])
    have_table = _key_schema(desc.get("KeySchema", []))
    if have_table != want_table:
        found.append(f"table key is {have_table}, the lock says {want_table}")
    have_local = {
        g["IndexName"]: _index_schema(g["KeySchema"]) for g in desc.get("LocalSecondaryIndexes", [])
    }
    want_local = {
        str(ix["name"]): [(n, kind) for n, kind, _ in index_keys_from_json(ix)]
        for ix in design.get("local_indexes", [])
    }
    if have_local != want_local:
        found.append(f"local indexes are {have_local}, the lock says {want_local}")
    live = {g["IndexName"]: g for g in desc.get("GlobalSecondaryIndexes", [])}
    for ix in design.get("indexes", []):
        g = live.pop(ix["name"], None)
        if g is None:
            found.append(f"index {ix['name']} is missing")
            continue
        want = [(n, kind) for n, kind, _ in index_keys_from_json(ix)]
        if _index_schema(g["KeySchema"]) != want:
            found.append(
                f"index {ix['name']} is keyed on {_index_schema(g['KeySchema'])}, the lock says {want}"
            )
        projection = g.get("Projection", {}).get("ProjectionType")
        if projection != ix.get("projection", "ALL"):
            found.append(
                f"index {ix['name']} projects {projection}, the lock says {ix.get('projection', 'ALL')}"
            )
        included = sorted(g.get("Projection", {}).get("NonKeyAttributes", []))
        if included != sorted(ix.get("non_key_attributes", [])):
            found.append(
                f"index {ix['name']} includes {included}, the lock says {ix.get('non_key_attributes', [])}"
            )
    found += [f"index {name} is not in the lock" for name in sorted(live)]
    stream = desc.get("StreamSpecification", {})
    wants_stream = bool(design.get("copy_paths")) or bool(design.get("actions"))  # both read the stream
    if bool(stream.get("StreamEnabled")) != wants_stream:
        found.append(
            f"the stream is {'on' if stream.get('StreamEnabled') else 'off'}, the lock needs it {'on' if wants_stream else 'off'}"
        )
    elif wants_stream and stream.get("StreamViewType") != STREAM_VIEW:
        found.append(f"the stream shows {stream.get('StreamViewType')}, copies need {STREAM_VIEW}")
    wants_ttl = any(e.ttl is not None for e in app.entities) or bool(app.actions)  # action markers expire
    ttl: Any = retry_throttled(
        lambda: client.describe_time_to_live(TableName=table), operation="DescribeTimeToLive", context=table
    )
    ttl_desc = ttl.get("TimeToLiveDescription", {})
    on = (
        ttl_desc.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
        and ttl_desc.get("AttributeName") == EXPIRES_ATTR
    )
    if on != wants_ttl:
        found.append(
            f"TTL on {EXPIRES_ATTR} is {'on' if on else 'off'}, the lock needs it {'on' if wants_ttl else 'off'}"
        )
    return found


@dataclass
class VerifyReport:
    """What ``verify`` found: items checked and what is wrong with them."""

    items: int = 0
    guards: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, problem: str) -> None:
        """Record a problem (the first thousand are kept)."""
        if len(self.problems) < 1000:
            self.problems.append(problem)


def _scan(client: DynamoDBClient, table: str) -> Iterator[Item]:
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page: Any = retry_throttled(
            lambda: client.scan(**kwargs), operation="Scan", context=f"verifying {table}"
        )
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def verify(client: DynamoDBClient, table: str, design: Design) -> VerifyReport:
    """Check every item of the table against ``design``."""
    report = VerifyReport()
    entities = {e.name for e in design.app.entities}
    holders: dict[tuple[str, str], tuple[str, str]] = {}  # guard key -> owner key, from entity items
    guards: dict[tuple[str, str], tuple[str, str]] = {}  # guard key -> owner key, as stored
    for item in _scan(client, table):
        kind = item.get(TYPE_ATTR, {}).get("S")
        where = f"{kind} {item.get(PK, {}).get('S')!r}/{item.get(SK, {}).get('S')!r}"
        if kind == MIGRATION_TYPE:
            continue
        if kind == GUARD_TYPE:
            report.guards += 1
            guards[(item[PK]["S"], item[SK]["S"])] = (item[OWNER_PK]["S"], item[OWNER_SK]["S"])
            continue
        report.items += 1
        if kind not in entities:
            report.add(f"{where}: no entity of app {design.app.name!r} has this _type")
            continue
        spec = design.app.entity(kind)
        try:
            values = item_to_values(spec, item)
            check_item_keys(design, kind, item, values)
            for guard in design.guards:
                if guard.entity == kind and (claim := guard_key(guard, values)) is not None:
                    holders[(claim[PK]["S"], claim[SK]["S"])] = (item[PK]["S"], item[SK]["S"])
        except (AssertionError, DynamodelError) as err:
            report.add(f"{where}: {err}")
    for key, owner in sorted(holders.items()):
        if guards.get(key) != owner:
            report.add(f"unique value {key[0]!r} of {owner} has no guard item owned by it")
    for key, owner in sorted(guards.items()):
        if key not in holders:
            report.add(f"guard {key[0]!r} (owner {owner}) guards no value any item holds")
    return report
