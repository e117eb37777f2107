"""Local secondary indexes: when a GSI becomes one, and what a live table cannot do. No engine."""

from __future__ import annotations

from datetime import date

import pytest

from access_patterns.hr import hr
from dynamodel import App, Entity, Get, NonEmptyStr, PatternSpec, Query
from dynamodel.compile import build_item, build_query_requests
from dynamodel.design.explain import design_to_dict
from dynamodel.emit import render_update_steps
from dynamodel.errors import MigrationError, UnsatisfiablePatternError
from dynamodel.migrate.diff import bare_design, diff_designs


class Shelf(Entity, identity=("shelf_id",)):
    shelf_id: NonEmptyStr


class Book(Entity, identity=("shelf_id", "book_id"), parent=Shelf):
    shelf_id: NonEmptyStr
    book_id: NonEmptyStr
    title: str
    author: str
    added_on: date


def _books(*extra: PatternSpec) -> App:
    return App(
        "books",
        [Shelf, Book],
        patterns=[
            Get(Book, by=["shelf_id", "book_id"], name="get_book"),
            Query(Book, by="shelf_id", name="books_of_shelf"),  # the base order: by identity
            Query(Book, by="shelf_id", sort="title", name="books_by_title"),  # a second order
            *extra,
        ],
    )


def test_a_second_sort_order_in_the_base_partition_is_an_lsi_and_costs_no_gsi() -> None:
    design = _books().design
    assert design.indexes == ()
    assert design.plan("books_of_shelf").index == "table"
    (lsi,) = design.local_indexes
    assert (lsi.name, lsi.partition_key, lsi.sort_key, lsi.local) == ("LSI1", "PK", "LSI1SK", True)
    plan = design.plan("books_by_title")
    assert plan.index == "LSI1"
    assert plan.key_condition == "PK = :pk AND begins_with(LSI1SK, :sk)"
    assert "local_secondary_index" in design.techniques


def test_an_lsi_item_carries_only_its_sort_key_and_the_query_reads_its_own_partition() -> None:
    design = _books().design
    values = {
        "shelf_id": "s1",
        "book_id": "b1",
        "title": "Dune",
        "author": "Herbert",
        "added_on": date(2026, 1, 2),
    }
    item, _ = build_item(design, "Book", values, version=1)
    assert "LSI1SK" in item
    assert "LSI1PK" not in item
    (request,) = build_query_requests(design, "books_by_title", {"shelf_id": "s1"}, "t")
    assert request["IndexName"] == "LSI1"
    assert request["ExpressionAttributeValues"][":pk"] == item["PK"]


def test_a_strong_read_in_a_second_order_is_served_by_an_lsi() -> None:
    design = hr.design
    plan = design.plan("staff_hired_between")
    assert design.index(plan.index).local
    assert plan.consistency == "strong"
    args = {"department_id": "d1", "lo": date(2026, 1, 1), "hi": date(2026, 2, 1)}
    (request,) = build_query_requests(design, "staff_hired_between", args, "t")
    assert request["ConsistentRead"] is True


def test_a_strong_read_outside_the_base_partition_is_refused_or_scanned() -> None:
    strong_by_author = Query(Book, by="author", sort="title", consistency="strong", name="by_author")
    with pytest.raises(UnsatisfiablePatternError, match=r"by_author.*not Book.s base partition"):
        _ = _books(strong_by_author).design
    scanned = Query(Book, by="author", consistency="strong", allow_scan=True, name="by_author")
    design = _books(scanned).design
    assert design.plan("by_author").operation == "Scan"
    assert design.indexes == ()  # the scan spends no GSI on it


def test_a_live_table_never_gains_or_loses_an_lsi() -> None:
    without = design_to_dict(
        App("books", [Shelf, Book], patterns=[Get(Book, by=["shelf_id", "book_id"])]).design
    )
    with_lsi = design_to_dict(_books().design)
    with pytest.raises(MigrationError, match="creates an LSI with its table only"):
        diff_designs(without, with_lsi)
    with pytest.raises(MigrationError, match="creates an LSI with its table only"):
        diff_designs(with_lsi, without)
    with pytest.raises(MigrationError, match="cannot do in place"):
        render_update_steps(
            App("books", [Shelf, Book], patterns=[Get(Book, by=["shelf_id", "book_id"])]).design,
            _books().design,
        )
    # A new table is created with them: the first migration finds them there.
    assert not any("LSI" in op.describe() for op in diff_designs(bare_design(with_lsi), with_lsi))


def test_against_a_lock_a_new_lsi_stays_a_gsi_and_an_unused_one_is_kept() -> None:
    deployed = design_to_dict(
        App("books", [Shelf, Book], patterns=[Get(Book, by=["shelf_id", "book_id"])]).design
    )
    later = App("books", [Shelf, Book], patterns=_books().spec.patterns, baseline=deployed).design
    assert later.local_indexes == ()
    assert [ix.name for ix in later.indexes] == ["GSI1"]  # cannot be created in place: a GSI
    assert diff_designs(deployed, design_to_dict(later))  # and it migrates
    with_lsi = design_to_dict(_books().design)
    dropped = App(
        "books", [Shelf, Book], patterns=[Get(Book, by=["shelf_id", "book_id"])], baseline=with_lsi
    ).design
    assert [ix.name for ix in dropped.local_indexes] == ["LSI1"]  # kept, empty: it cannot be dropped
    assert not [k for k in dropped.keys if k.index == "LSI1"]
    diff_designs(with_lsi, design_to_dict(dropped))  # no MigrationError
