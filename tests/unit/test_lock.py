"""The lock (issue 13 item 1): the deployed design recorded beside the app, and read back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from paths import SHOP_YAML

from access_patterns.shop import shop
from dynamodel.cli import main
from dynamodel.design import derive, design_to_dict
from dynamodel.errors import MigrationError
from dynamodel.migrate import LOCK_NAME, lock_changes, parse_lock, render_lock
from dynamodel.spec_file import load_spec_file, parse_spec, parse_spec_text


def test_a_lock_reads_back_as_the_declarations_and_design_it_records() -> None:
    lock = parse_lock(render_lock(shop.design))
    # The lock keeps declarations in a canonical order (attributes sorted by name): the same table.
    assert {e.name: set(e.attributes) for e in lock.app.entities} == {
        e.name: set(e.attributes) for e in shop.spec.entities
    }
    assert set(lock.app.patterns) == set(shop.spec.patterns)
    assert lock.design == design_to_dict(shop.design)
    assert design_to_dict(derive(lock.app)) == design_to_dict(shop.design)
    assert lock_changes(lock, shop.design) == []


def test_the_python_app_and_its_spec_file_lock_the_same_bytes() -> None:
    # Two ways of declaring the shop; the table they describe is one, and so is the lock.
    assert render_lock(derive(load_spec_file(SHOP_YAML))) == render_lock(shop.design)


def test_declaration_order_does_not_change_the_lock() -> None:
    doc = yaml.safe_load(SHOP_YAML.read_text(encoding="utf-8"))
    doc["patterns"].reverse()
    doc["entities"] = {
        name: {**entity, "attributes": dict(reversed(entity["attributes"].items()))}
        for name, entity in reversed(doc["entities"].items())
    }
    assert render_lock(derive(parse_spec(doc))) == render_lock(shop.design)


def _edited(text: str, change: str) -> str:
    doc = json.loads(text)
    if change == "template":
        doc["design"]["entities"]["Order"]["table"]["pk"] = "ORDERS#{order_id}#"
    elif change == "spec":
        del doc["spec"]["patterns"][0]
    elif change == "digest":
        doc["sha256"] = "0" * 64
    return json.dumps(doc)


@pytest.mark.parametrize("change", ["template", "spec", "digest"])
def test_a_lock_edited_by_hand_is_refused(change: str) -> None:
    with pytest.raises(MigrationError, match="does not match its sha256") as info:
        parse_lock(_edited(render_lock(shop.design), change))
    assert "restore it from version control" in (info.value.hint or "")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("{not json", "is not JSON"),
        ("[]", "is not a dynamodel lock"),
        ('{"lock_format": 99}', "lock_format 99"),
        ('{"lock_format": 1, "app": "shop"}', "lacks sha256, spec, design"),
    ],
)
def test_text_that_is_not_a_lock_is_refused(text: str, needle: str) -> None:
    with pytest.raises(MigrationError, match=needle):
        parse_lock(text, source="x.lock.json")


EMAIL_LOOKUP = "  - {name: customer_by_email, get: Customer, by: [email], unique: true}\n"


def test_lock_changes_name_what_a_migration_must_do() -> None:
    lock = parse_lock(render_lock(shop.design))
    text = SHOP_YAML.read_text(encoding="utf-8")
    # Without the email lookup the Customer leaves GSI2 (its only use), and the guard stays.
    fewer = derive(
        parse_spec_text(
            text.replace("  - {name: customer_by_email, get: Customer, by: [email], unique: true}\n", "")
        )
    )
    changes = lock_changes(lock, fewer)
    assert "Customer on GSI2: keys removed" in changes, changes
    assert not any("Order" in c for c in changes), changes  # the orders' keys stay where they are


def test_the_cli_writes_the_lock_beside_a_spec_file_and_checks_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "shop.yaml"
    shutil.copy(SHOP_YAML, spec)
    assert main(["lock", str(spec)]) == 0
    written = (tmp_path / LOCK_NAME).read_text(encoding="utf-8")
    assert written == render_lock(shop.design)
    assert main(["lock", str(spec), "--check"]) == 0
    assert main(["lock", str(spec)]) == 0
    assert "is up to date" in capsys.readouterr().out
    spec.write_text(spec.read_text(encoding="utf-8").replace(EMAIL_LOOKUP, ""))
    assert main(["lock", str(spec), "--check"]) == 2
    err = capsys.readouterr().err
    assert "is not the design of" in err
    assert "Customer on GSI2: keys removed" in err
    assert (tmp_path / LOCK_NAME).read_text(encoding="utf-8") == written  # --check writes nothing


def test_the_cli_refuses_to_overwrite_another_apps_lock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / LOCK_NAME
    other.write_text(
        render_lock(
            derive(
                parse_spec_text(
                    "app: other\nentities:\n  A: {identity: [a], attributes: {a: str}}\npatterns:\n  - {name: get_a, get: A, by: [a]}\n"
                )
            )
        )
    )
    before = other.read_text(encoding="utf-8")
    assert main(["lock", "access_patterns.shop:shop", "--out", str(tmp_path)]) == 2
    assert "is the lock of app 'other'" in capsys.readouterr().err
    assert other.read_text(encoding="utf-8") == before


def test_the_cli_check_without_a_lock_says_how_to_write_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lock", "access_patterns.shop:shop", "--out", str(tmp_path), "--check"]) == 2
    assert "dynamodel lock access_patterns.shop:shop" in capsys.readouterr().err
    assert not (tmp_path / LOCK_NAME).exists()
