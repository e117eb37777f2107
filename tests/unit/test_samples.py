"""testing.samples: readable sample items, laid out as stored, the same in every process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from example_apps import ExampleApp, example_apps
from paths import REPO, SHOP_YAML

from dynamodel.codec import Item, item_to_values
from dynamodel.compile.items import belongs
from dynamodel.design import derive
from dynamodel.design.model import TABLE, Design
from dynamodel.layout import TYPE_ATTR, entity_of_type
from dynamodel.spec_file import load_spec_file
from dynamodel.testing.samples import sample_items

APPS = {e.app.name: e for e in example_apps()}
READABLE = re.compile(r"^[a-z0-9@.\-]*$")

# Prints the samples of three apps that between them have every layout (sparse and sharded
# keys, copies, LSIs, index items, a native GSI), after importing more or less of dynamodel.
_SCRIPT = """
import json, sys
{imports}
from access_patterns.hr import hr
from access_patterns.shop import shop
from access_patterns.tickets import tickets
from dynamodel.testing.samples import sample_items
print(json.dumps([sample_items(a.design) for a in (shop, hr, tickets)], sort_keys=False))
"""


def _in_subprocess(imports: str, seed: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": seed}
    run = subprocess.run(
        [sys.executable, "-c", _SCRIPT.format(imports=imports)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


def test_the_same_design_gives_the_same_items_in_every_process() -> None:
    # Hypothesis mixes constants of the loaded modules into its draws: a process that imported
    # more of dynamodel (and another hash seed) must still draw the same items.
    first = _in_subprocess("", "1")
    second = _in_subprocess("import dynamodel.report, dynamodel.cli, dynamodel.runtime", "2")
    assert first == second
    here = [sample_items(APPS[name].app.design) for name in ("shop", "hr", "tickets")]
    assert json.loads(first) == here


def test_a_spec_file_without_python_models_gives_the_same_items() -> None:
    from_yaml = sample_items(derive(load_spec_file(SHOP_YAML)))
    assert from_yaml == sample_items(APPS["shop"].app.design)
    assert sample_items(APPS["shop"].app.design, per_entity=0) == {
        "Customer": [],
        "Order": [],
        "OrderLine": [],
    }


def _values(design: Design, item: Item) -> dict[str, object]:
    return item_to_values(design.entity_spec(item[TYPE_ATTR]["S"]), item)


@pytest.mark.parametrize("example", list(APPS.values()), ids=list(APPS))
def test_items_are_valid_readable_and_keyed_as_the_design_says(example: ExampleApp) -> None:
    design = example.app.design
    samples = sample_items(design)
    expected = {n for e in design.app.entities for n in (e.name, *design.index_items_of(e.name))}
    assert set(samples) == expected
    for name, items in samples.items():
        assert len(items) == 2, name
        spec = design.entity_spec(name)
        model = example.app.models[entity_of_type(name)]
        identities = set()
        for item in items:
            assert item[TYPE_ATTR] == {"S": name}
            values = _values(design, item)
            model.model_validate(values)  # every value valid for the declared type
            identities.add(tuple(repr(values.get(a)) for a in spec.identity))
            for attr in spec.attributes:
                if attr.type == "str" and values.get(attr.name) is not None:
                    assert READABLE.match(str(values[attr.name])), (name, attr.name, values[attr.name])
            for keys in design.entity_indexes(name):
                ix = design.index(keys.index)
                if ix.native or not belongs(keys, values):
                    continue
                pk_attr = design.table.partition_key if ix.local or keys.index == TABLE else ix.partition_key
                sk_attr = design.table.sort_key if keys.index == TABLE else ix.sort_key
                # The stored key texts parse back to the item's own values.
                for template, attr_name in ((keys.pk, pk_attr), (keys.sk, sk_attr)):
                    parsed = template.parse(item[attr_name]["S"])
                    assert all(parsed[a] == values[a] for a in parsed if a in values), (name, keys.index)
        assert len(identities) == 2, name


def test_samples_are_related_and_fill_every_index_of_the_shop() -> None:
    samples = sample_items(APPS["shop"].app.design)
    customers = {c["customer_id"]["S"]: c for c in samples["Customer"]}
    orders = {o["order_id"]["S"] for o in samples["Order"]}
    for order in samples["Order"]:
        customer = customers[order["customer_id"]["S"]]  # a child points at a sampled parent
        assert order["customer_name"] == customer["name"]  # the copy holds its source's value
        assert order["GSI2PK"]["S"].startswith("ORDER#OPEN#")  # in the sparse index
    assert {line["order_id"]["S"] for line in samples["OrderLine"]} <= orders


def test_index_items_lsi_and_native_keys_are_laid_out() -> None:
    hr = sample_items(APPS["hr"].app.design)
    assert all("LSI1SK" in e and "LSI2SK" in e for e in hr["Employee"])
    assert all("GSI1PK" in e and e["PK"]["S"].startswith("EMPLOYEE@1#") for e in hr["Employee@1"])
    tickets = APPS["tickets"].app.design
    native = next(ix for ix in tickets.indexes if ix.native)
    on = [k.entity for k in tickets.keys if k.index == native.name]
    for item in sample_items(tickets)[on[0]]:
        assert all(item.get(n) for n, _ in native.key_definitions())
