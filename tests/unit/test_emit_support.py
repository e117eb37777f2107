"""The designs every emitter test runs on, and the checks that they are all found.

Cases: the shop's spec file and every published case in ``benchmarks/cases/specs``, every ``App`` in the
``access_patterns`` package (imported dynamically, so a new example app is covered without
editing tests), and two specs written here for what the published cases lack: an entity
with a TTL, and an entity using every attribute type and names that clash with PynamoDB.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import yaml
from example_apps import example_apps
from paths import SHOP_YAML
from paths import SPECS as SPEC_FILES

from dynamodel.design import Design, derive
from dynamodel.spec import AppSpec
from dynamodel.spec_file import load_spec_file, parse_spec


def shop_raw() -> dict[str, Any]:
    """The shop spec as a mapping, to build variants from."""
    return yaml.safe_load(SHOP_YAML.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _ttl_spec() -> AppSpec:
    raw = shop_raw()
    raw["app"] = "shop_ttl"
    raw["entities"]["Order"]["attributes"]["expires"] = {"type": "datetime", "optional": True}
    raw["entities"]["Order"]["ttl"] = "expires"
    return parse_spec(raw)


KITCHEN_SINK: dict[str, Any] = {
    "app": "kitchen-sink",
    "entities": {
        "Thing": {
            "identity": ["thing_id"],
            "ttl": "expires_at",
            "attributes": {
                "thing_id": "str",
                "count": "int",  # shadows Model.count
                "query": {"type": "str", "optional": True},  # shadows Model.query
                "class": {"type": "str", "optional": True},  # a Python keyword
                "gsi1": {"type": "str", "optional": True},  # the index's Python name
                "price": "decimal",
                "ratio": {"type": "float", "optional": True},
                "active": "bool",
                "seen_at": "datetime",
                "born_on": "date",
                "blob": {"type": "bytes", "optional": True},
                "tags": {"type": "list", "optional": True},
                "extra": {"type": "map", "optional": True},
                "kind": {"enum": ["A", "B"]},
                "expires_at": "int",
            },
        },
    },
    "patterns": [
        {"name": "get_thing", "get": "Thing", "by": ["thing_id"]},
        {"name": "things_of_kind", "query": "Thing", "by": ["kind"], "sort": "seen_at"},
    ],
}


def _spec_cases() -> dict[str, AppSpec]:
    specs = {"spec/shop": load_spec_file(SHOP_YAML)}
    for path in sorted(SPEC_FILES.glob("*.yaml")):
        specs[f"spec/{path.stem}"] = load_spec_file(path)
    specs["local/shop_ttl"] = _ttl_spec()
    specs["local/kitchen_sink"] = parse_spec(copy.deepcopy(KITCHEN_SINK))
    return specs


def _app_cases() -> dict[str, AppSpec]:
    return {f"access_patterns/{e.module}:{e.attr}": e.app.spec for e in example_apps()}


SPECS: dict[str, AppSpec] = {**_spec_cases(), **_app_cases()}
CASE_IDS = sorted(SPECS)


@functools.cache
def design_of(case: str) -> Design:
    """The derived design of a case (derived once per test session)."""
    return derive(SPECS[case])


def has_copies(design: Design) -> bool:
    """Whether the design has a copy to propagate (and so a stream and a SAM stack)."""
    return any(a.copy_of is not None for e in design.app.entities for a in e.attributes)


COPY_CASE_IDS = [c for c in CASE_IDS if has_copies(design_of(c))]


def test_every_spec_case_and_example_app_is_found() -> None:
    spec_files = [c for c in CASE_IDS if c.startswith("spec/")]
    apps = [c for c in CASE_IDS if c.startswith("access_patterns/")]
    assert len(spec_files) == 1 + len(list(SPEC_FILES.glob("*.yaml"))) >= 10
    assert len(apps) >= 1
    assert "access_patterns/shop:shop" in apps
    # The shop is both a spec file and an example app; both must give one design.
    assert design_of("spec/shop") == design_of("access_patterns/shop:shop")


def test_the_local_cases_exercise_what_the_published_ones_lack() -> None:
    assert design_of("local/shop_ttl").app.entity("Order").ttl == "expires"
    assert COPY_CASE_IDS, "no case has copies, so SAM would never be tested"
    types = {a.type for a in design_of("local/kitchen_sink").app.entities[0].attributes}
    assert types == {
        "str",
        "int",
        "decimal",
        "float",
        "bool",
        "datetime",
        "date",
        "bytes",
        "list",
        "map",
        "enum",
    }
