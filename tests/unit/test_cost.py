"""The bill per pattern: sizes and fields declared, units per call, dollars per month."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

import pytest
from example_apps import discover_apps
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamodel import App, DefinitionError, Entity, Get, NonEmptyStr, Query, Write
from dynamodel.cli import main
from dynamodel.design.cost import (
    Prices,
    cost_to_dict,
    estimate,
    explain_cost,
    item_size,
    projected_size,
)
from dynamodel.spec import KeyStyle
from dynamodel.spec_file import dump_spec, parse_spec


def _app(note_size: int = 4500, *, consistency: str = "eventual", user_count: int | None = 1000) -> App:
    class User(Entity, identity=("user_id",), size=200, count=user_count):
        user_id: str
        name: str

    class Note(
        Entity, identity=("user_id", "note_id"), parent=User, size=note_size, count=5, sizes={"body": 4000}
    ):
        user_id: str
        note_id: str
        body: str

    return App(
        "notes",
        [User, Note],
        [
            Get(User, by="user_id", name="get_user"),
            Get(Note, by=("user_id", "note_id"), name="get_note", consistency=consistency, reads_per_s=100),  # type: ignore[arg-type]
            Query(Note, by="user_id", sort="note_id", name="notes_of_user", fields=["note_id"]),
            Write(Note, name="add_note", writes_per_s=10),
        ],
    )


def _pattern(report: Any, name: str) -> Any:
    return next(p for p in report.patterns if p.name == name)


def test_units_per_call_follow_the_declared_sizes() -> None:
    app = _app()
    size = item_size(app.design, "Note")
    assert 4500 < size < 4500 + 400  # the declared attributes plus keys and bookkeeping
    report = estimate(app.design)
    # One 4.6 KB item: 2 read units (4 KB steps), halved when eventually consistent.
    assert _pattern(report, "get_note").read_units == 1.0
    # Five of them in one Query (23 KB): 6 units, halved.
    assert _pattern(report, "notes_of_user").read_units == 3.0
    # A single put of a 4.6 KB item: 5 write units (1 KB steps), on the table only.
    assert _pattern(report, "add_note").write_units == 5


def test_strong_reads_cost_twice_and_money_is_units_times_rate() -> None:
    report = estimate(_app(consistency="strong").design)
    get_note = _pattern(report, "get_note")
    assert get_note.read_units == 2.0
    # 100 reads/s for 730 hours at $0.125 per million units: 100 * 2,628,000 * 2 * 0.125e-6.
    assert get_note.monthly == pytest.approx(65.70)
    doubled = estimate(_app(consistency="strong").design, Prices(read_unit=0.25 / 1e6))
    assert _pattern(doubled, "get_note").monthly == pytest.approx(131.40)


def test_storage_needs_every_count_up_the_chain() -> None:
    report = estimate(_app().design)
    assert report.storage_bytes is not None
    notes = 1000 * 5  # five notes per user, a thousand users
    assert notes * 4500 < report.storage_bytes < notes * 4900 + 1000 * 800
    assert estimate(_app(user_count=None).design).storage_bytes is None
    assert "no count is declared: User" in explain_cost(estimate(_app(user_count=None).design))


@settings(max_examples=40, deadline=None)
@given(small=st.integers(100, 100_000), extra=st.integers(0, 100_000))
def test_a_bigger_item_never_costs_less(small: int, extra: int) -> None:
    big = min(small + extra, 400_000)
    cheap, dear = estimate(_app(max(small, 4001)).design), estimate(_app(max(big, 4001)).design)
    for a, b in zip(cheap.patterns, dear.patterns, strict=True):
        assert a.read_units <= b.read_units
        assert a.write_units <= b.write_units


def test_sizes_counts_and_fields_round_trip_through_a_spec_file() -> None:
    spec = _app().spec
    dumped = dump_spec(spec)
    assert dumped["entities"]["Note"]["size"] == 4500
    assert dumped["entities"]["Note"]["sizes"] == {"body": 4000}
    assert dumped["entities"]["Note"]["count"] == 5
    assert next(p for p in dumped["patterns"] if p["name"] == "notes_of_user")["fields"] == ["note_id"]
    assert parse_spec(dumped) == spec


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"size": 0}, "size=0"),
        ({"size": 500_000}, "size=500000"),
        ({"sizes": {"colour": 3}}, "does not declare"),
        ({"sizes": {"body": 5000}}, "add up to more than its size"),
        ({"count": 0}, "count=0"),
    ],
)
def test_bad_sizes_are_refused(change: dict[str, Any], expected: str) -> None:
    dumped = dump_spec(_app().spec)
    dumped["entities"]["Note"].update(change)
    with pytest.raises(DefinitionError, match=expected):
        parse_spec(dumped)


def test_fields_must_be_attributes_of_a_read() -> None:
    dumped = dump_spec(_app().spec)
    for p in dumped["patterns"]:
        if p["name"] == "notes_of_user":
            p["fields"] = ["colour"]
    with pytest.raises(DefinitionError, match="not attributes of Note"):
        parse_spec(dumped)
    dumped = dump_spec(_app().spec)
    for p in dumped["patterns"]:
        if p["name"] == "add_note":
            p["fields"] = ["body"]
    with pytest.raises(DefinitionError, match="belong to read patterns"):
        parse_spec(dumped)


def test_the_cost_command_prints_the_bill_and_extends_the_design_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["design", "access_patterns.shop:shop", "--cost"]) == 0
    text = capsys.readouterr().out
    assert "open_orders_by_date" in text
    assert "assumptions:" in text
    assert main(["design", "access_patterns.shop:shop", "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["design", "access_patterns.shop:shop", "--cost", "--json", "--price", "read=0.25"]) == 0
    with_cost = json.loads(capsys.readouterr().out)
    assert {k: v for k, v in with_cost.items() if k != "cost"} == plain  # extended, nothing changed
    assert with_cost["cost"] == cost_to_dict(estimate(_shop_design(), Prices(read_unit=0.25 / 1e6)))
    with pytest.raises(SystemExit) as refused:  # argparse's usage error: one line, exit code 2
        main(["design", "access_patterns.shop:shop", "--cost", "--price", "read=cheap"])
    assert refused.value.code == 2
    assert "is not read=USD" in capsys.readouterr().err


def _shop_design() -> Any:
    from access_patterns.shop import shop

    return shop.design


def _orders(*, sharded: bool = False) -> App:
    """One entity, read by customer on an INCLUDE index, and (sharded) OPEN orders by date."""

    class Order(Entity, identity=("order_id",), sizes={"order_id": 10, "customer_id": 12}):
        order_id: NonEmptyStr
        customer_id: NonEmptyStr
        status: Literal["OPEN", "SHIPPED"]
        placed_at: datetime
        note: str

    patterns = [
        Get(Order, by="order_id", name="get_order"),
        Query(Order, by="customer_id", sort="placed_at", name="orders_of_customer", fields=["placed_at"]),
    ]
    if sharded:
        patterns.append(
            Query(Order, where={"status": "OPEN"}, sort="placed_at", name="open_orders", writes_per_s=2500)
        )
    return App("orders", [Order], patterns)


def _styled(app: App, style: KeyStyle) -> Any:
    return app.with_key_style(style).design


# Rendered by the synthetic GSI of orders_of_customer: ORDER#{customer_id}# / ORDER#{placed_at}#{order_id}#,
# at the declared 12 and 10 bytes and a datetime's typical 25.
_CUSTOMER_PK = len("ORDER#") + 12 + len("#")
_PLACED_SK = len("ORDER#") + 25 + len("#") + 10 + len("#")


def test_a_native_index_leaves_its_two_key_strings_off_the_item() -> None:
    synthetic, auto = _styled(_orders(), "synthetic"), _styled(_orders(), "auto")
    (ix,) = auto.indexes
    assert ix.native
    assert not synthetic.indexes[0].native
    keys = len("GSI1PK") + _CUSTOMER_PK + len("GSI1SK") + _PLACED_SK  # 6 + 19 + 6 + 43
    assert keys == 74
    assert item_size(synthetic, "Order") - item_size(auto, "Order") == keys


def test_a_native_include_copy_holds_its_key_attributes_once() -> None:
    synthetic, auto = _styled(_orders(), "synthetic"), _styled(_orders(), "auto")
    (ix,) = auto.indexes
    assert ix.projection == "INCLUDE"
    assert {"order_id", "placed_at"}.isdisjoint(ix.non_key_attributes)  # key attributes, not copied
    bookkeeping = len("_born") + 10 + len("_type") + 12 + len("_version") + 3
    table_key = len("PK") + len("ORDER#") + 10 + len("#") + len("SK") + len("ORDER#")
    attributes = len("customer_id") + 12 + len("placed_at") + 25 + len("order_id") + 10
    assert projected_size(auto, "Order", "GSI1") == bookkeeping + table_key + attributes == 145
    # The synthetic copy holds the projected placed_at and order_id and the two key strings.
    gsi_keys = len("GSI1PK") + _CUSTOMER_PK + len("GSI1SK") + _PLACED_SK
    projected = len("placed_at") + 25 + len("order_id") + 10
    assert projected_size(synthetic, "Order", "GSI1") == bookkeeping + table_key + projected + gsi_keys


def test_a_sharded_native_index_stores_the_shard_on_the_item() -> None:
    synthetic, native = _styled(_orders(sharded=True), "synthetic"), _styled(_orders(sharded=True), "native")
    assert all(ix.native for ix in native.indexes)
    by_status = native.index(native.plan("open_orders").index)
    assert ("_shard", "N") in by_status.partition_attributes
    assert native.keys_for("Order", by_status.name).shards > 1
    # Synthetic: ORDER#{status}#{_shard}# (the longest status, 7; the shard, undeclared: 8) and the
    # same sort key as orders_of_customer's, beside orders_of_customer's two key strings.
    status_pk = len("ORDER#") + len("SHIPPED") + len("#") + 8 + len("#")
    keys = 4 * len("GSI1PK") + status_pk + _PLACED_SK + _CUSTOMER_PK + _PLACED_SK
    shard = len("_shard") + 2  # the number 0, 1 or 2: one digit, stored in two bytes
    assert item_size(synthetic, "Order") - item_size(native, "Order") == keys - shard == 152 - 8
    assert any("_shard" in a for a in estimate(native).assumptions)
    assert not any("_shard" in a for a in estimate(synthetic).assumptions)


@pytest.mark.parametrize("app", discover_apps(), ids=lambda a: a.name)
def test_auto_never_writes_more_than_synthetic(app: App) -> None:
    synthetic, auto = estimate(_styled(app, "synthetic")), estimate(_styled(app, "auto"))
    for (name, ours), (_, theirs) in zip(auto.entity_write_units, synthetic.entity_write_units, strict=True):
        assert ours <= theirs, name
    for (name, ours), (_, theirs) in zip(auto.item_bytes, synthetic.item_bytes, strict=True):
        assert ours <= theirs, name
    for mine, other in zip(auto.patterns, synthetic.patterns, strict=True):
        assert mine.write_units <= other.write_units, mine.name


def _local_notes(*, title_fields: tuple[str, ...] = ()) -> App:
    """Notes read in two more orders within their user's partition: two LSIs, one read strongly."""

    class User(Entity, identity=("user_id",), count=100):
        user_id: str
        name: str

    class Note(Entity, identity=("user_id", "note_id"), parent=User, size=1500, count=5):
        user_id: str
        note_id: str
        title: str
        updated_at: datetime

    return App(
        "notes",
        [User, Note],
        [
            Get(User, by="user_id", name="get_user"),
            Query(Note, by="user_id", sort="note_id", name="notes_by_id"),
            Query(
                Note,
                by="user_id",
                sort="updated_at",
                order="desc",
                consistency="strong",
                name="recent_notes",
                reads_per_s=100,
            ),
            Query(Note, by="user_id", sort="title", name="notes_by_title", fields=list(title_fields)),
            Write(Note, name="add_note", writes_per_s=10),
        ],
    )


# The bookkeeping every item holds: _type, _version, _born and _wid with their typical values.
_BOOKKEEPING_BYTES = len("_type") + 12 + len("_version") + 3 + len("_born") + 10 + len("_wid") + 32
# A Note's rendered keys: PK NOTE#{user_id}#, SK NOTE#{note_id}#, then each LSI's sort key alone.
_NOTE_TABLE_KEYS = 2 * (len("PK") + len("NOTE#") + 24 + len("#"))
_NOTE_LSI_KEYS = (len("LSI1SK") + len("NOTE#") + 24 + len("#") + 24 + len("#")) + (
    len("LSI2SK") + len("NOTE#") + 25 + len("#") + 24 + len("#")
)


def test_an_lsi_copy_is_written_and_stored_like_a_gsi_copy() -> None:
    design = _local_notes().design
    assert [ix.name for ix in design.local_indexes] == ["LSI1", "LSI2"]
    assert not design.indexes
    # The LSIs share the item's PK: only their sort keys are written beside the table's keys.
    note = 1500 + _BOOKKEEPING_BYTES + _NOTE_TABLE_KEYS + _NOTE_LSI_KEYS
    assert note == 1500 + 79 + 64 + 123 == 1766
    assert item_size(design, "Note") == note
    report = estimate(design)
    # ceil(1766 / 1 KB) = 2 units on the table and 2 for each LSI copy.
    assert dict(report.entity_write_units)["Note"] == 2 + 2 + 2
    add_note = _pattern(report, "add_note")
    assert add_note.write_units == 6
    assert add_note.detail == "single writes, 0 GSI(s) and 2 LSI(s) written"
    # 10 writes/s for a month at $0.625 per million units: 2 units on each index.
    per_index = 10 * 730 * 3600 * 2 * 0.625e-6
    by_index = dict(report.by_index)
    assert by_index["LSI1"] == pytest.approx(per_index)
    # LSI2 also serves recent_notes: 100 reads/s, 5 notes of 1766 bytes, strong: ceil(8830 / 4 KB) = 3.
    assert by_index["LSI2"] == pytest.approx(per_index + 100 * 730 * 3600 * 3 * 0.125e-6)
    # 500 notes on the table and on both LSIs, 100 users on the table, 100 bytes of overhead each.
    user = len("user_id") + 24 + len("name") + 24 + _BOOKKEEPING_BYTES + len("PK") + 30 + len("SK") + 5
    assert item_size(design, "User") == user == 177
    assert report.storage_bytes == 500 * 3 * (note + 100) + 100 * (user + 100)
    assert by_index["table"] == pytest.approx(per_index + report.storage_bytes / 1e9 * 0.25)
    assert any(a.startswith("LSIs: ") for a in report.assumptions)
    assert not any(a.startswith("LSIs: ") for a in estimate(_app().design).assumptions)


def test_a_strong_read_on_an_lsi_costs_twice_the_eventual_one() -> None:
    design = _local_notes().design
    recent, by_title = design.plan("recent_notes"), design.plan("notes_by_title")
    assert (recent.index, by_title.index) == ("LSI2", "LSI1")
    assert design.index("LSI1").local
    assert design.index("LSI2").local
    assert (recent.consistency, by_title.consistency) == ("strong", "eventual")
    report = estimate(design)
    strong, eventual = _pattern(report, "recent_notes"), _pattern(report, "notes_by_title")
    # The same five 1766-byte notes (ALL projections): 8830 bytes, ceil(8830 / 4 KB) = 3 units.
    assert strong.detail == eventual.detail == "5 Note, 8830 bytes"
    assert (strong.read_units, eventual.read_units) == (3.0, 1.5)
    assert strong.monthly == pytest.approx(100 * 730 * 3600 * 3 * 0.125e-6)


def test_an_include_lsi_copy_holds_the_table_keys_and_its_sort_key_once() -> None:
    design = _local_notes(title_fields=("title",)).design
    lsi = design.index(design.plan("notes_by_title").index)
    assert (lsi.local, lsi.projection) == (True, "INCLUDE")
    assert set(lsi.non_key_attributes) == {"_born", "_type", "_version", "note_id", "title", "user_id"}
    kept = len("_born") + 10 + len("_type") + 12 + len("_version") + 3
    kept += len("note_id") + 24 + len("title") + 24 + len("user_id") + 24
    lsi1_sk = len("LSI1SK") + len("NOTE#") + 24 + len("#") + 24 + len("#")
    assert projected_size(design, "Note", lsi.name) == kept + _NOTE_TABLE_KEYS + lsi1_sk == 259
