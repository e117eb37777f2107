"""Declarations are checked when made: where with several values, immutable attributes, options."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dynamodel import App, Collection, Copy, Entity, Get, Query, Write
from dynamodel.design import design_to_json
from dynamodel.errors import DefinitionError, UnknownFieldError
from dynamodel.spec_file import dump_spec, parse_spec

STATUSES = ("CLOSED", "OPEN", "PENDING", "SOLVED")


class Board(Entity, identity=("board_id",)):
    board_id: str
    title: str
    opened_at: datetime


class Card(Entity, identity=("card_id",), parent=Board, immutable=("created_at",)):
    card_id: str
    board_id: str
    status: Literal["CLOSED", "OPEN", "PENDING", "SOLVED"]
    priority: int
    created_at: datetime
    board_title: str = Copy(Board.title)


def _spec(where: object = None, **entity_extra: Any) -> dict[str, Any]:
    card: dict[str, Any] = {
        "identity": ["card_id"],
        "parent": "Board",
        "attributes": {
            "card_id": "str",
            "board_id": "str",
            "status": {"enum": list(STATUSES)},
            "priority": "int",
            "created_at": "datetime",
            "board_title": {"copy": "Board.title"},
        },
        **entity_extra,
    }
    pattern: dict[str, Any] = {"name": "cards", "query": "Card", "by": "board_id", "sort": "priority"}
    if where is not None:
        pattern["where"] = where
    return {
        "app": "cards",
        "entities": {
            "Board": {
                "identity": ["board_id"],
                "attributes": {"board_id": "str", "title": "str", "opened_at": "datetime"},
            },
            "Card": card,
        },
        "patterns": [pattern],
    }


# --- where with several allowed values -------------------------------------------------------


@given(st.lists(st.sampled_from(STATUSES), min_size=1, unique=True))
def test_where_list_is_a_sorted_tuple_in_any_order_and_both_forms(values: list[str]) -> None:
    pat = Query(Card, by="board_id", where={"status": values}, sort="priority", name="cards")
    expected = tuple(sorted(values)) if len(values) > 1 else values[0]
    assert pat.where == (("status", expected),)
    assert pat.where_sets == (("status", tuple(sorted(values))),)
    from_file = parse_spec(_spec({"status": values}))
    assert from_file.pattern("cards") == pat
    assert parse_spec(dump_spec(from_file)) == from_file


def test_single_value_stays_a_bare_value() -> None:
    # Designs declared before lists existed must stay byte-identical.
    pat = Query(Card, by="board_id", where={"status": "OPEN"}, sort="priority")
    assert pat.where == (("status", "OPEN"),)
    assert dump_spec(parse_spec(_spec({"status": "OPEN"})))["patterns"][0]["where"] == {"status": "OPEN"}


@pytest.mark.parametrize(
    ("where", "needle", "py_fix", "file_fix"),
    [
        (
            {"status": ["OPEN", "LOST"]},
            "'LOST'",
            "use one of ['CLOSED', 'OPEN', 'PENDING', 'SOLVED']",
            "use one of ['CLOSED', 'OPEN', 'PENDING', 'SOLVED']",
        ),
        ({"status": []}, "no value", "list the allowed values", "list the allowed values"),
        (
            {"status": ["OPEN", "OPEN"]},
            "twice",
            "list each allowed value once",
            "list each allowed value once",
        ),
        (
            {"status": ["OPEN", 1]},
            "1",
            "use one of ['CLOSED', 'OPEN', 'PENDING', 'SOLVED']",
            "use one of ['CLOSED', 'OPEN', 'PENDING', 'SOLVED']",
        ),
        ({"priority": [1, "2"]}, "'2'", "use an integer", "use an integer"),
        ({"status": [["OPEN"]]}, "constant", "where={'status': 'OPEN'}", "where: {status: OPEN}"),
    ],
)
def test_bad_where_lists_are_refused_in_python_and_in_files(
    where: dict[str, Any], needle: str, py_fix: str, file_fix: str
) -> None:
    with pytest.raises(DefinitionError, match=needle) as py:
        Query(Card, by="board_id", where=where, sort="priority", name="cards")
    assert py_fix in (py.value.hint or ""), py.value.hint
    with pytest.raises(DefinitionError) as file:
        parse_spec(_spec(where))
    assert file_fix in (file.value.hint or ""), file.value.hint


def test_a_hand_built_where_tuple_must_be_normalised() -> None:
    from dataclasses import replace

    pat = Query(Card, by="board_id", where={"status": ["OPEN", "PENDING"]}, sort="priority")
    unsorted = replace(pat, where=(("status", ("PENDING", "OPEN")),))
    with pytest.raises(DefinitionError, match="sorted tuple"):
        App("cards", [Board, Card], patterns=[unsorted])


# --- immutable attributes ---------------------------------------------------------------------


def test_immutable_keyword_marks_only_the_named_attributes() -> None:
    spec = Card.__entity_spec__
    assert [a.name for a in spec.attributes if a.immutable] == ["created_at"]


@pytest.mark.parametrize(
    "extra",
    [
        {"immutable": ["created_at"]},
        {"immutable": "created_at"},
    ],
)
def test_spec_file_forms_equal_the_python_keyword(extra: dict[str, Any]) -> None:
    pat = Query(Card, by="board_id", sort="priority", name="cards")
    python = App("cards", [Board, Card], patterns=[pat]).spec
    assert parse_spec(_spec(**extra)) == python
    assert parse_spec(dump_spec(python)) == python


def test_attribute_level_flag_equals_the_entity_list() -> None:
    data = _spec()
    data["entities"]["Card"]["attributes"]["created_at"] = {"type": "datetime", "immutable": True}
    assert parse_spec(data) == parse_spec(_spec(immutable=["created_at"]))
    data["entities"]["Card"]["attributes"]["created_at"] = {"type": "datetime", "immutable": "yes"}
    with pytest.raises(DefinitionError, match="immutable must be true or false"):
        parse_spec(data)


def test_immutable_without_it_is_unchanged() -> None:
    assert "immutable" not in dump_spec(parse_spec(_spec()))["entities"]["Card"]


def test_unknown_immutable_attribute_is_refused() -> None:
    with pytest.raises(UnknownFieldError, match="created") as exc:

        class Bad(Entity, identity=("bad_id",), immutable=("created",)):
            bad_id: str
            created_at: datetime

    assert "list attributes of Bad" in (exc.value.hint or ""), exc.value.hint
    with pytest.raises(UnknownFieldError, match="creatd"):
        parse_spec(_spec(immutable=["creatd"]))


@pytest.mark.parametrize(
    ("name", "needle", "fix"),
    [
        ("card_id", "identity", "remove 'card_id' from immutable"),
        (
            "board_id",
            "identity",
            "remove 'board_id' from immutable",
        ),  # the parent's identity the card carries
        ("board_title", "copy of Board.title", "mark Board.title immutable on Board"),
    ],
)
def test_identity_and_copies_cannot_be_marked(name: str, needle: str, fix: str) -> None:
    with pytest.raises(DefinitionError, match=needle) as exc:
        parse_spec(_spec(immutable=[name]))
    assert fix in (exc.value.hint or ""), exc.value.hint


# --- order, range and consistency (issue 11 item 5) ------------------------------------------


def _bad(value: object) -> Any:
    return value


@pytest.mark.parametrize(
    ("declare", "needle", "fix"),
    [
        (
            lambda: Query(Card, by="board_id", sort="priority", order=_bad("ascending")),
            "'asc', 'desc'",
            "order='desc'",
        ),
        (
            lambda: Query(Card, by="board_id", sort="priority", range=_bad("betwen")),
            "'between'",
            "range='between'",
        ),
        (
            lambda: Query(Card, by="board_id", sort="priority", consistency=_bad("strongly")),
            "'strong'",
            "consistency='strong'",
        ),
        (
            lambda: Query("Card", by="board_id", sort="priority", order=_bad("DESC")),
            "'asc', 'desc'",
            "order='desc'",
        ),
        (lambda: Collection(Board, Card, by="board_id", order=_bad("down")), "'asc', 'desc'", "order='desc'"),
        (
            lambda: Collection(Board, Card, by="board_id", consistency=_bad(True)),
            "'eventual', 'strong'",
            "consistency='strong'",
        ),
        (
            lambda: Get(Card, by="card_id", consistency=_bad("STRONG")),
            "'eventual', 'strong'",
            "consistency='strong'",
        ),
        (lambda: Get(Card, by="card_id", unique=_bad("yes")), "unique must be True or False", "unique=True"),
        (
            lambda: Query(Card, by="board_id", allow_scan=_bad(1)),
            "allow_scan must be True or False",
            "allow_scan=True",
        ),
        (lambda: Write(Card, writes_per_s=_bad("many")), "writes_per_s must be a number", "writes_per_s=50"),
    ],
)
def test_options_are_checked_when_declared(declare: Any, needle: str, fix: str) -> None:
    with pytest.raises(DefinitionError, match=re.escape(needle)) as exc:
        declare()
    assert fix in (exc.value.hint or ""), exc.value.hint


def test_a_hand_built_pattern_with_a_bad_order_is_refused_by_the_app() -> None:
    from dataclasses import replace

    pat = Query(Card, by="board_id", sort="priority", name="cards")
    with pytest.raises(DefinitionError, match="order"):
        App("cards", [Board, Card], patterns=[replace(pat, order=cast("Any", "ascending"))])


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_planner_and_runtime_read_the_same_direction(order: Literal["asc", "desc"]) -> None:
    from dynamodel.compile import build_query_request

    pat = Query(Card, by="board_id", sort="priority", order=order, range="gte", name="cards")
    design = App("cards", [Board, Card], patterns=[pat]).design
    plan = design.plan("cards")
    params = build_query_request(design, "cards", {"board_id": "b", "value": 1}, "t")
    assert params["ScanIndexForward"] is (not pat.descending)
    assert ("read backwards" in plan.reason) is pat.descending


# --- undeclared entities (issue 11 item 13) ---------------------------------------------------


def _declare_pattern_on_stray() -> object:
    return App("cards", [Board, Card], patterns=[Query("Stray", by="board_id", name="strays")])


def _declare_increment_of_stray() -> object:
    return App("cards", [Board, Card], patterns=[Write(Card, increments={"Stray.count": 1})])


def _declare_child_of_stray() -> object:
    class Orphan(Entity, identity=("orphan_id",), parent="Stray"):
        orphan_id: str
        stray_id: str

    return App("cards", [Board, Card, Orphan], patterns=[])


def _declare_copy_of_stray() -> object:
    class Copier(Entity, identity=("copier_id",)):
        copier_id: str
        stray_id: str
        stray_name: str = Copy("Stray.name")

    return App("cards", [Board, Card, Copier], patterns=[])


def _file_pattern_on_stray() -> object:
    data = _spec()
    data["patterns"].append({"name": "strays", "query": "Stray", "by": "board_id"})
    return parse_spec(data)


def _file_parent_stray() -> object:
    return parse_spec(_spec(parent="Stray"))


def _lookup_stray() -> object:
    return App("cards", [Board, Card], patterns=[]).spec.entity("Stray")


@pytest.mark.parametrize(
    ("declare", "fix"),
    [
        (_declare_pattern_on_stray, "use one of: Board, Card"),
        (_declare_increment_of_stray, "use one of: Board, Card"),
        (_declare_child_of_stray, "use one of: Board, Card, Orphan"),
        (_declare_copy_of_stray, "declare 'Stray' or fix the copy source"),
        (_file_pattern_on_stray, "use one of: Board, Card"),
        (_file_parent_stray, "use one of: Board, Card"),
        (_lookup_stray, "use one of: Board, Card"),
    ],
)
def test_an_undeclared_entity_is_unknown_entity(declare: Callable[[], object], fix: str) -> None:
    with pytest.raises(UnknownFieldError, match="Stray") as exc:  # existing handlers still catch it
        declare()
    assert exc.value.code == "unknown-entity"
    assert fix in (exc.value.hint or ""), exc.value.hint


# --- write patterns that delete (issue 11 item 12) --------------------------------------------


class Tally(Entity, identity=("board_id",)):
    board_id: str
    cards: int


def test_a_delete_pattern_declares_what_it_deletes() -> None:
    pat = Write(deletes=[Card], increments={Tally.cards: -1})
    assert (pat.name, pat.kind, pat.entities, pat.deletes) == ("delete_card", "write", (), ("Card",))
    assert pat.increments == (("Tally", "cards", -1),)
    mixed = Write(Tally, deletes=[Card])
    assert (mixed.name, mixed.entities, mixed.deletes) == ("write_tally_delete_card", ("Tally",), ("Card",))
    assert Query(Card, by="board_id").deletes == ()  # every other pattern is unchanged


def _app_with(extra: dict[str, Any]) -> dict[str, Any]:
    data = _spec(immutable=["created_at"])
    data["entities"]["Tally"] = {"identity": ["board_id"], "attributes": {"board_id": "str", "cards": "int"}}
    data["patterns"].append({"name": "delete_card", **extra})
    return data


@pytest.mark.parametrize(
    "form",
    [
        {"deletes": "Card", "increments": {"Tally.cards": -1}},
        {"deletes": ["Card"], "increments": {"Tally.cards": -1}},
        {"write": [], "deletes": ["Card"], "increments": {"Tally.cards": -1}},
    ],
)
def test_spec_file_deletes_equal_the_python_declaration(form: dict[str, Any]) -> None:
    python = App(
        "cards",
        [Board, Card, Tally],
        patterns=[
            Query(Card, by="board_id", sort="priority", name="cards"),
            Write(deletes=[Card], increments={Tally.cards: -1}, name="delete_card"),
        ],
    ).spec
    from_file = parse_spec(_app_with(form))
    assert from_file == python
    assert parse_spec(dump_spec(from_file)) == from_file
    assert "deletes" not in dump_spec(parse_spec(_spec()))["patterns"][0]


@pytest.mark.parametrize(
    ("extra", "error", "needle", "fix"),
    [
        ({"deletes": ["Stray"]}, UnknownFieldError, "Stray", "use one of: Board, Card, Tally"),
        (
            {"write": "Card", "deletes": ["Card"]},
            DefinitionError,
            "both writes and deletes",
            "another that deletes it",
        ),
        ({"deletes": ["Card", "Card"]}, DefinitionError, "twice", "list each entity once"),
        ({"write": []}, DefinitionError, "names no entity", "deletes: for a write"),
        (
            {"query": "Card", "by": "board_id", "deletes": ["Card"]},
            DefinitionError,
            "only for write",
            "write pattern with deletes",
        ),
        ({"deletes": [3]}, DefinitionError, "deletes", "write [a, b]"),
    ],
)
def test_bad_deletes_are_refused(
    extra: dict[str, Any], error: type[Exception], needle: str, fix: str
) -> None:
    with pytest.raises(error, match=needle) as exc:
        parse_spec(_app_with(extra))
    assert fix in (getattr(exc.value, "hint", None) or ""), str(exc.value)


def test_python_deletes_are_checked() -> None:
    with pytest.raises(DefinitionError, match="both writes and deletes"):
        Write(Card, deletes=[Card])
    with pytest.raises(DefinitionError, match="nothing"):
        Write()
    with pytest.raises(DefinitionError, match="deletes"):
        Write(deletes=cast("Any", Card))  # a class, not a list of them


def test_the_delete_plan_is_one_transaction() -> None:
    design = App(
        "cards",
        [Board, Card, Tally],
        patterns=[Write(deletes=[Card], increments={Tally.cards: -1}, name="delete_card")],
    ).design
    plan = design.plan("delete_card")
    assert (plan.kind, plan.operation, plan.requests) == ("write", "TransactWriteItems", 1)
    assert "delete Card" in plan.reason
    assert "increment Tally.cards by -1" in plan.reason
    (entry,) = json.loads(design_to_json(design))["patterns"]
    assert (entry["entities"], entry["deletes"]) == ([], ["Card"])
    plain = App("cards", [Board, Card], patterns=[Query(Card, by="board_id", sort="priority")]).design
    assert "deletes" not in json.loads(design_to_json(plain))["patterns"][0]
