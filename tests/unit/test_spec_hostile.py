"""Hostile spec files: every one is a clear DefinitionError, fast, never a traceback or a blow-up."""

from __future__ import annotations

import contextlib
import json
import string
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paths import SHOP_YAML

from dynamodel.app import App
from dynamodel.errors import DefinitionError, DynamodelError
from dynamodel.spec_file import dump_spec, load_spec_file, parse_spec_text

SHOP_TEXT = SHOP_YAML.read_text(encoding="utf-8")
MAX_DEPTH = 64  # dynamodel.spec_load.MAX_DEPTH, checked below

ONE = """app: t
entities:
  Thing:
    identity: [id]
    attributes: {id: str, code: {enum: [%s]}}
patterns: []
"""


def _enum(values: str) -> tuple[str, ...]:
    attr = parse_spec_text(ONE % values).entity("Thing").attribute("code")
    assert attr is not None
    return attr.enum


def _refused(text: str, needle: str, fix: str) -> DefinitionError:
    """The error parsing ``text`` raises: its message holds ``needle``, its hint ``fix``."""
    with pytest.raises(DefinitionError) as info:
        parse_spec_text(text)
    assert needle in str(info.value), str(info.value)
    assert fix in (info.value.hint or ""), f"every spec error says how to fix it: {info.value.hint!r}"
    return info.value


def _laughs(levels: int) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


# ---- alias bombs and deep nesting ------------------------------------------------------------


def test_billion_laughs_is_refused_quickly() -> None:
    # 9 levels of 9 aliases: 9**9 (387 million) strings once expanded, in under 1 KB; before
    # the alias budget, the message that printed the identity reached MemoryError.
    levels = ['&a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"&a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    bomb = f"identity: [{', '.join(levels)}]"
    text = SHOP_TEXT.replace("identity: [customer_id]", bomb, 1)
    assert len(bomb) < 1900
    start = time.perf_counter()
    error = _refused(text, "alias", "alias fewer and smaller nodes")
    assert time.perf_counter() - start < 2
    assert len(str(error)) < 600


def test_aliases_within_the_budget_are_fine() -> None:
    text = """app: t
entities:
  A: {identity: [id], attributes: &attrs {id: str, code: {enum: &codes [X, Y]}}}
  B: {identity: [id], attributes: *attrs}
patterns:
  - {name: a_by_code, query: A, where: {code: X}}
"""
    app = parse_spec_text(text)
    assert app.entity("B").attributes == app.entity("A").attributes


def test_alias_budget_counts_expanded_nodes() -> None:
    from dynamodel.spec_load import ALIAS_BUDGET

    # 6 levels of 9: 9**6 = 531,441 nodes, far beyond the budget, never built as a tree.
    assert ALIAS_BUDGET < 9**6
    _refused("app: t\n" + _laughs(6) + "entities: {A: {identity: [*a5]}}\n", "alias", "alias fewer")


def test_recursive_alias_is_refused() -> None:
    _refused("app: t\nentities: &e {A: *e}\n", "contains itself", "remove the recursive alias")
    _refused("app: &x [*x]\n", "contains itself", "remove the recursive alias")


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 10_000])
def test_deep_nesting_is_refused(depth: int) -> None:
    from dynamodel.spec_load import MAX_DEPTH as LIMIT

    assert LIMIT == MAX_DEPTH
    _refused("app: " + "[" * depth + "]" * depth + "\n", f"deeper than {MAX_DEPTH}", "flatten it")
    _refused("app: " + "{a: " * depth + "x" + "}" * depth + "\n", f"deeper than {MAX_DEPTH}", "flatten it")


def test_deep_nesting_through_aliases_is_refused() -> None:
    chain = "\n".join(f"a{i}: &a{i} [{f'*a{i - 1}' if i else 'x'}]" for i in range(MAX_DEPTH + 2))
    _refused(f"{chain}\napp: *a{MAX_DEPTH + 1}\n", f"deeper than {MAX_DEPTH}", "flatten it")


def test_deep_json_is_refused(tmp_path: Path) -> None:
    spec = tmp_path / "deep.json"
    spec.write_text('{"app": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    with pytest.raises(DefinitionError, match=f"deeper than {MAX_DEPTH}"):
        load_spec_file(spec)


# ---- keys, encodings, names ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("app: {[a, b]: 1}\n", "a list"),
        ("? {a: 1}\n: x\n", "a mapping"),
        ("entities:\n  ? [A, B]\n  : {identity: []}\n", "line 2"),
    ],
)
def test_mapping_keys_must_be_names(text: str, needle: str) -> None:
    _refused(text, needle, "write 'name: value'")


def test_merge_keys_are_refused_clearly() -> None:
    _refused("base: &b {identity: [id]}\nentities: {A: {<<: *b}}\n", "merge key", "write the keys out")


def test_invalid_utf8_names_the_byte_offset(tmp_path: Path) -> None:
    spec = tmp_path / "latin1.yaml"
    spec.write_bytes("app: café\n".encode("latin-1"))
    with pytest.raises(DefinitionError) as info:
        load_spec_file(spec)
    assert "UTF-8" in str(info.value)
    assert "offset 8" in str(info.value)
    assert "line 1" in str(info.value)
    assert "0xe9" in str(info.value)


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    for suffix in ("yaml", "json"):
        spec = tmp_path / f"bom.{suffix}"
        body = SHOP_TEXT if suffix == "yaml" else json.dumps(dump_spec(load_spec_file(SHOP_YAML)))
        spec.write_bytes(b"\xef\xbb\xbf" + body.encode())
        assert load_spec_file(spec) == load_spec_file(SHOP_YAML)


@pytest.mark.parametrize(
    ("old", "new", "fix"),
    [
        ("app: shop", 'app: "shop\\n"', "e.g. 'shop'"),
        ("  Customer:\n", '  "Customer\\n":\n', "use letters, digits and '_'"),
        ("      email: str", '      "email\\n": str', "use letters, digits and '_'"),
        ("{name: get_customer,", '{name: "get_customer\\n",', "use letters, digits and '_'"),
    ],
)
def test_names_with_a_trailing_newline_are_refused(old: str, new: str, fix: str) -> None:
    assert old in SHOP_TEXT
    _refused(SHOP_TEXT.replace(old, new, 1), "valid", fix)


def test_python_app_name_with_a_trailing_newline_is_refused() -> None:
    from access_patterns.shop import shop

    entities = list(shop.models.values())
    with pytest.raises(DefinitionError, match="not valid"):
        App("shop\n", entities, patterns=list(shop.spec.patterns))


# ---- JSON is read as JSON ---------------------------------------------------------------------


def _shop_json(**rate: object) -> str:
    data = dump_spec(load_spec_file(SHOP_YAML))
    for p in data["patterns"]:
        if p["name"] == "open_orders_by_date":
            p["rate"] = rate
    return json.dumps(data, indent="\t")  # tabs: valid JSON, refused by YAML


def test_json_file_with_tabs_and_exponents_loads(tmp_path: Path) -> None:
    spec = tmp_path / "shop.json"
    spec.write_text(_shop_json(reads_per_s=5e1, writes_per_s=2.5e3).replace("2500.0", "2.5e3"), "utf-8")
    assert "\t" in spec.read_text("utf-8")
    assert "2.5e3" in spec.read_text("utf-8")
    app = load_spec_file(spec)
    assert app == load_spec_file(SHOP_YAML)
    assert app.pattern("open_orders_by_date").rate.writes_per_s == 2500.0
    assert parse_spec_text(spec.read_text("utf-8")) == app  # JSON text without a file name too


def test_bad_json_names_line_and_column(tmp_path: Path) -> None:
    spec = tmp_path / "bad.json"
    spec.write_text('{\n  "app": "shop",\n  "entities": {,}\n}\n', encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_spec_file(spec)
    assert "line 3 column 16" in str(info.value)
    assert "trailing commas" in (info.value.hint or ""), info.value.hint


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('{"app": "a", "app": "b"}', "twice"),
        ('{"app": NaN}', "NaN"),
        ('{"app": 1' + "0" * 5000 + "}", "digits"),
    ],
)
def test_json_oddities_are_refused(tmp_path: Path, text: str, needle: str) -> None:
    spec = tmp_path / "odd.json"
    spec.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError, match=needle):
        load_spec_file(spec)


# ---- scalars keep the text the user wrote ------------------------------------------------------


def test_yaml_1_1_number_forms_stay_text() -> None:
    # YAML 1.1 read these as 90, 1000, 5 and a date; they are text in YAML 1.2.
    assert _enum("1:30, 1_000, 0b101, 2024-01-01") == ("1:30", "1_000", "0b101", "2024-01-01")
    assert _enum("'010', '0x1F'") == ("010", "0x1F")
    assert _enum("7, -3") == ("7", "-3")


@pytest.mark.parametrize("value", ["010", "0x1F", "0o17", "+5", "1e3", "007"])
def test_ambiguous_numbers_in_enums_are_refused(value: str) -> None:
    _refused(ONE % value, f"{value} reads as the number", f"quote it: '{value}'")


def test_ambiguous_numbers_in_where_are_refused() -> None:
    text = SHOP_TEXT.replace("status: {enum: [OPEN, SHIPPED, CANCELLED]}", "status: {enum: ['010', X]}")
    text = text.replace("where: {status: OPEN}", "where: {status: 010}")
    _refused(text, "010 reads as the number", "quote it: '010'")
    assert parse_spec_text(text.replace("status: 010", "status: '010'")).pattern(
        "open_orders_by_date"
    ).where == (("status", "010"),)


def test_names_keep_their_text() -> None:
    # YAML 1.1 read these keys as None and True: attributes 'None' and 'True'.
    text = ONE.replace("code: {enum: [%s]}", "NULL: str, TRUE: int, ~: str")
    with pytest.raises(DefinitionError, match="'~'"):  # a name starts with a letter
        parse_spec_text(text)
    thing = parse_spec_text(text.replace(", ~: str", "")).entity("Thing")
    assert [a.name for a in thing.attributes] == ["id", "NULL", "TRUE"]


def test_numbers_still_read_as_numbers_where_numbers_belong() -> None:
    text = SHOP_TEXT.replace("writes_per_s: 2500", "writes_per_s: 2.5e3").replace(
        "reads_per_s: 50", "reads_per_s: 0x32"
    )
    rate = parse_spec_text(text).pattern("open_orders_by_date").rate
    assert (rate.reads_per_s, rate.writes_per_s) == (50.0, 2500.0)


# ---- what messages print is bounded ------------------------------------------------------------


def test_messages_print_a_bounded_value() -> None:
    from dynamodel.spec_load import short

    huge = "[" + ", ".join(f"v{i}" * 50 for i in range(5000)) + "]"
    error = _refused(
        SHOP_TEXT.replace("parent: Customer", f"parent: {huge}", 1), "parent", "write the entity"
    )
    assert len(str(error)) < 600
    assert len(short("x" * 10_000)) < 100
    assert len(short([[["x" * 100] * 100] * 100] * 100)) < 300


# ---- nothing but DefinitionError, whatever the bytes -----------------------------------------

_FRAGMENTS = [
    "app: ",
    "shop",
    "entities:",
    "patterns:",
    "\n",
    "  ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    ": ",
    "? ",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "!!int ",
    "!!float ",
    "!!binary ",
    "!!timestamp ",
    "!!python/object ",
    "!!set ",
    "!!omap ",
    "<<: ",
    "010",
    "0x1F",
    "1:30",
    "2.5e3",
    ".nan",
    "~",
    "'q'",
    '"\\x00"',
    "\t",
    "#c",
    "---",
    "...",
    "%YAML 1.1\n",
    "|\n",
    ">",
    "identity: [id]",
    "attributes: {id: str}",
    "{enum: [A]}",
    "{name: p, get: A, by: [id]}",
    "9" * 5000,
    "\ufeff",
    "\x85",
]


def _check(data: bytes | str, fmt: str | None = None) -> None:
    from dynamodel.spec_load import load_document

    with contextlib.suppress(DynamodelError):
        parse_spec_text(data.decode("utf-8", "replace") if isinstance(data, bytes) else data)
    with contextlib.suppress(DynamodelError):
        load_document(data, source="<hypothesis>", fmt=fmt)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=40))
def test_yamlish_documents_raise_only_dynamodel_errors(parts: list[str]) -> None:
    _check("".join(parts))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200), st.sampled_from([None, "yaml", "json"]))
def test_random_bytes_raise_only_dynamodel_errors(data: bytes, fmt: str | None) -> None:
    _check(data, fmt)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=string.printable + "\u00e9\u2028\x00\x85", max_size=120))
def test_random_text_raises_only_dynamodel_errors(text: str) -> None:
    _check(text)
    _check(text, "json")
