"""The Lambda event-filter evaluator: documented examples, a property test against an oracle, rejections."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamodel.errors import DefinitionError
from dynamodel.event_filters import MAX_PATTERN_LENGTH, matches, matches_any, parse_pattern


def _record(event_name: str = "MODIFY", **new_image: dict[str, Any]) -> dict[str, Any]:
    return {
        "eventName": event_name,
        "dynamodb": {"Keys": {"Id": {"N": "101"}}, "NewImage": new_image, "StreamViewType": "NEW_IMAGE"},
    }


SHIPPED = _record(_type={"S": "Order"}, status={"S": "SHIPPED"}, total={"N": "42"}, gift={"BOOL": True})


# --- Documented examples --------------------------------------------------------------------------


def test_a_typed_dynamodb_key_matches_its_string_value() -> None:
    # Lambda guide, "Multi-level filtering": the N value of a key is matched as the string "101".
    assert matches(parse_pattern('{"dynamodb": {"Keys": {"Id": {"N": ["101"]}}}}'), SHIPPED)
    assert not matches({"dynamodb": {"Keys": {"Id": {"N": [101]}}}}, SHIPPED)


def test_fields_are_anded_and_array_entries_ored() -> None:
    both = {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {"status": {"S": ["SHIPPED"]}}}}
    assert matches(both, SHIPPED)
    assert not matches({**both, "eventName": ["INSERT"]}, SHIPPED)
    assert not matches({"dynamodb": {"NewImage": {"status": {"S": ["PAID"]}}}}, SHIPPED)


def test_a_field_the_pattern_names_must_be_in_the_record() -> None:
    assert not matches({"dynamodb": {"OldImage": {"status": {"S": ["SHIPPED"]}}}}, SHIPPED)
    assert matches({"dynamodb": {"OldImage": {"status": {"S": [{"exists": False}]}}}}, SHIPPED)


def test_exists_only_works_on_leaves() -> None:
    # DynamoDB filtering guide: test an attribute's presence on its type key, not on the attribute.
    assert matches({"dynamodb": {"NewImage": {"status": {"S": [{"exists": True}]}}}}, SHIPPED)
    assert not matches({"dynamodb": {"NewImage": {"status": [{"exists": True}]}}}, SHIPPED)
    assert not matches({"dynamodb": {"NewImage": {"status": [{"exists": False}]}}}, SHIPPED)
    assert not matches({"dynamodb": {"NewImage": {"note": {"S": [{"exists": True}]}}}}, SHIPPED)


def test_boolean_and_null_and_empty_values() -> None:
    assert matches({"dynamodb": {"NewImage": {"gift": {"BOOL": [True]}}}}, SHIPPED)
    assert not matches({"dynamodb": {"NewImage": {"gift": {"BOOL": ["true"]}}}}, SHIPPED)
    assert matches({"UserID": [None]}, {"UserID": None})
    assert not matches({"UserID": [None]}, {"UserID": ""})
    assert matches({"LastName": [""]}, {"LastName": ""})
    assert not matches({"LastName": [""]}, {"LastName": None})


def test_string_operators() -> None:
    assert matches({"Region": [{"prefix": "us-"}]}, {"Region": "us-east-1"})
    assert not matches({"Region": [{"prefix": "us-"}]}, {"Region": "eu-west-1"})
    assert matches({"FileName": [{"suffix": ".png"}]}, {"FileName": "cat.png"})
    assert not matches({"FileName": [{"suffix": ".png"}]}, {"FileName": "cat.PNG"})
    assert matches({"Name": [{"equals-ignore-case": "alice"}]}, {"Name": "ALICE"})
    assert not matches({"Name": ["alice"]}, {"Name": "Alice"})


def test_anything_but() -> None:
    assert matches({"Weather": [{"anything-but": ["Raining"]}]}, {"Weather": "Sunny"})
    assert not matches({"Weather": [{"anything-but": ["Raining"]}]}, {"Weather": "Raining"})
    assert not matches({"state": [{"anything-but": "initializing"}]}, {"state": "initializing"})
    assert matches({"x-limit": [{"anything-but": 123}]}, {"x-limit": 124})
    assert matches({"Region": [{"anything-but": {"prefix": "us-"}}]}, {"Region": "eu-west-1"})
    assert not matches({"Region": [{"anything-but": {"prefix": "us-"}}]}, {"Region": "us-east-1"})
    assert not matches({"Weather": [{"anything-but": ["Raining"]}]}, {}), "a missing field matches nothing"


def test_numeric_applies_to_json_numbers_only() -> None:
    between = {"Price": [{"numeric": [">", 10, "<=", 20]}]}
    assert matches(between, {"Price": 20})
    assert not matches(between, {"Price": 10})
    assert not matches(between, {"Price": "15"})
    assert matches({"Price": [{"numeric": ["=", 100]}]}, {"Price": 100.0})
    assert not matches({"Price": [{"numeric": ["=", 100]}]}, {"Price": True})


def test_numbers_are_matched_by_representation() -> None:
    assert matches({"a": [300]}, {"a": 300})
    assert not matches({"a": [300]}, {"a": 300.0})
    assert not matches({"a": [1]}, {"a": True})


def test_an_array_in_the_record_matches_when_any_element_does() -> None:
    assert matches({"resources": ["arn:b"]}, {"resources": ["arn:a", "arn:b"]})
    assert not matches({"resources": ["arn:c"]}, {"resources": ["arn:a", "arn:b"]})
    assert matches({"price": [{"anything-but": [100, 500]}]}, {"price": [100, 50]})
    assert matches({"items": {"sku": ["X"]}}, {"items": [{"sku": "Y"}, {"sku": "X"}]})


def test_several_filters_are_ored() -> None:
    paid = {"dynamodb": {"NewImage": {"status": {"S": ["PAID"]}}}}
    shipped = {"dynamodb": {"NewImage": {"status": {"S": ["SHIPPED"]}}}}
    assert matches_any([paid, shipped], SHIPPED)
    assert not matches_any([paid], SHIPPED)
    assert not matches_any([], SHIPPED)


# --- Property: the evaluator agrees with a plain predicate ----------------------------------------

_KEYS = ("a", "b", "c")
_text = st.text(alphabet="abA", max_size=3)
_number = st.one_of(st.integers(-5, 5), st.sampled_from([0.5, -1.5, 2.0, 3.25]))
_value = st.one_of(_text, _number, st.booleans(), st.none())
_items = st.dictionaries(st.sampled_from(_KEYS), _value, max_size=3)


_KINDS = (
    "literal", "prefix", "suffix", "equals-ignore-case", "anything-but", "anything-but-list",
    "anything-but-prefix", "exists", "numeric",
)  # fmt: skip


@st.composite
def _rule_near(draw: st.DrawFn, value: Any) -> Any:
    """A rule of any supported kind, its operands mostly taken from (or next to) the item's value,
    so that matches and near misses both come up."""

    def text() -> str:
        if isinstance(value, str) and draw(st.integers(0, 3)):
            return draw(st.sampled_from([value, value[:1], value[-1:], value[1:], value.swapcase()]))
        return draw(_text)

    def number() -> Any:
        if type(value) in (int, float) and draw(st.integers(0, 3)):
            return draw(st.sampled_from([value, value + 1, value - 1, float(value)]))
        return draw(_number)

    def text_or_number() -> Any:
        return text() if draw(st.booleans()) else number()

    kind = draw(st.sampled_from(_KINDS))
    if kind == "literal":
        return draw(st.sampled_from([text(), number(), True, False, None]))
    if kind in ("prefix", "suffix", "equals-ignore-case"):
        return {kind: text()}
    if kind == "anything-but":
        return {kind: text_or_number()}
    if kind == "anything-but-list":
        make = text if draw(st.booleans()) else number
        return {"anything-but": [make() for _ in range(draw(st.integers(1, 3)))]}
    if kind == "anything-but-prefix":
        return {"anything-but": {"prefix": text()}}
    if kind == "exists":
        return {"exists": draw(st.booleans())}
    if draw(st.booleans()):
        return {"numeric": [draw(st.sampled_from(["=", "<", "<=", ">", ">="])), number()]}
    return {
        "numeric": [
            draw(st.sampled_from([">", ">="])),
            number(),
            draw(st.sampled_from(["<", "<="])),
            number(),
        ]
    }


@st.composite
def _cases(draw: st.DrawFn) -> tuple[dict[str, Any], str, list[Any]]:
    item = dict(draw(_items))  # a copy: hypothesis reports the drawn value, which must not change
    key = draw(st.sampled_from(_KEYS))
    # Mostly present, mostly a non-empty string: that is where the string operators differ.
    family = draw(st.sampled_from(["absent", "text", "text", "text", "number", "number", "other"]))
    if family == "text":
        item[key] = draw(st.text(alphabet="abA", min_size=1, max_size=3))
    elif family == "number":
        item[key] = draw(_number)
    elif family == "other":
        item[key] = draw(_value)
    else:
        item.pop(key, None)
    return item, key, draw(st.lists(_rule_near(item.get(key)), min_size=1, max_size=3))


def _is_num(v: object) -> bool:
    return type(v) in (int, float)


def _oracle_one(rule: Any, present: bool, v: Any) -> bool:
    """What the rule means for one flat field, written out without the module's helpers."""
    if isinstance(rule, dict) and "exists" in rule:
        return present == bool(rule["exists"])
    if not present:
        return False
    if not isinstance(rule, dict):
        return type(v) is type(rule) and v == rule
    [(op, arg)] = rule.items()
    if op == "prefix":
        return isinstance(v, str) and v.startswith(arg)
    if op == "suffix":
        return isinstance(v, str) and v.endswith(arg)
    if op == "equals-ignore-case":
        return isinstance(v, str) and v.lower() == arg.lower()
    if op == "anything-but" and isinstance(arg, dict):
        return isinstance(v, str) and not v.startswith(arg["prefix"])
    if op == "anything-but":
        excluded = arg if isinstance(arg, list) else [arg]
        return all(not (type(v) is type(x) and v == x) for x in excluded)
    assert op == "numeric"
    if not _is_num(v):
        return False
    ok = True
    for i in range(0, len(arg), 2):
        sym, bound = arg[i], arg[i + 1]
        ok = ok and {"=": v == bound, "<": v < bound, "<=": v <= bound, ">": v > bound, ">=": v >= bound}[sym]
    return ok


@settings(max_examples=1000, deadline=None)
@given(case=_cases())
def test_matches_agrees_with_a_plain_predicate(case: tuple[dict[str, Any], str, list[Any]]) -> None:
    item, key, rules = case
    pattern = {key: rules}
    expected = any(_oracle_one(rule, key in item, item.get(key)) for rule in rules)
    assert matches(parse_pattern(json.dumps(pattern)), item) is expected


# --- Rejections ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json", "not valid JSON"),
        ('{"a": [NaN]}', "NaN is not a JSON value"),
        ("[1]", "must be a JSON object"),
        ("{}", "empty object"),
        ('{"a": {}}', "empty object"),
        ('{"a": "x"}', "leaf must be an array"),
        ('{"a": 5}', "leaf must be an array"),
        ('{"a": []}', "empty array"),
        ('{"a": [[1]]}', "a rule is a string"),
        ('{"a": [{"wildcard": "*x"}]}', "unknown or unsupported operator 'wildcard'"),
        ('{"a": [{"cidr": "10.0.0.0/8"}]}', "unsupported operator 'cidr'"),
        ('{"$or": [{"a": [1]}]}', "'$or'"),
        ('{"a": [{"prefix": "x", "suffix": "y"}]}', "exactly one"),
        ('{"a": [{"prefix": 1}]}', "'prefix' needs a string"),
        ('{"a": [{"suffix": ["x"]}]}', "'suffix' needs a string"),
        ('{"a": [{"equals-ignore-case": null}]}', "'equals-ignore-case' needs a string"),
        ('{"a": [{"exists": "yes"}]}', "'exists' needs true or false"),
        ('{"a": [{"anything-but": []}]}', "'anything-but' has an empty array"),
        ('{"a": [{"anything-but": ["x", 1]}]}', "strings only or numbers only"),
        ('{"a": [{"anything-but": [true]}]}', "strings only or numbers only"),
        ('{"a": [{"anything-but": {"suffix": "x"}}]}', "is not supported"),
        ('{"a": [{"numeric": [">"]}]}', "'numeric' needs [op, number]"),
        ('{"a": [{"numeric": 5}]}', "'numeric' needs [op, number]"),
        ('{"a": [{"numeric": ["!=", 5]}]}', "unknown comparison"),
        ('{"a": [{"numeric": [">", "5"]}]}', "not a number"),
        ('{"a": [{"numeric": [">", 1, ">", 2]}]}', "one lower bound"),
        ('{"a": [{"numeric": ["=", 1, "<", 2]}]}', "one lower bound"),
        ('{"dynamodb": {"NewImage": {"n": {"N": [{"numeric": [">", 0]}]}}}}', "numbers as strings"),
        (json.dumps({"a": ["x" * MAX_PATTERN_LENGTH]}), "more than the 4096"),
    ],
)
def test_a_malformed_pattern_is_refused_naming_the_problem(text: str, problem: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_pattern(text)
    assert problem in caught.value.message
    assert caught.value.hint


def test_matches_refuses_an_unchecked_bad_pattern() -> None:
    with pytest.raises(DefinitionError, match="unsupported operator 'regex'"):
        matches({"a": [{"regex": ".*"}]}, {"a": "x"})
