"""`dynamodel migrate new`: migration files from the lock to the new design (issue 13 item 3)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from paths import SHOP_YAML

from dynamodel.cli import main
from dynamodel.errors import MigrationError
from dynamodel.migrate import LOCK_NAME, diff_designs, parse_lock
from dynamodel.migrate.diff import bare_design, unmappable_changes
from dynamodel.migrate.revisions import load_history

EMAIL_LOOKUP = "  - {name: customer_by_email, get: Customer, by: [email], unique: true}\n"
ORDERS_BY_TOTAL = "  - {name: orders_by_total, query: Order, by: [customer_id], sort: total}\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the shop's spec file and its lock, as deployed."""
    shutil.copy(SHOP_YAML, tmp_path / "shop.yaml")
    monkeypatch.chdir(tmp_path)
    assert main(["lock", "shop.yaml"]) == 0
    return tmp_path


def _edit(project: Path, old: str, new: str) -> None:
    spec = project / "shop.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def test_each_edit_becomes_the_next_revision_and_the_lock_follows(project: Path) -> None:
    first_lock = parse_lock((project / LOCK_NAME).read_text(encoding="utf-8"))
    _edit(project, EMAIL_LOOKUP, EMAIL_LOOKUP + ORDERS_BY_TOTAL)
    assert main(["migrate", "new", "shop.yaml", "-m", "Orders by total"]) == 0
    second_lock = parse_lock((project / LOCK_NAME).read_text(encoding="utf-8"))
    _edit(project, EMAIL_LOOKUP, "")
    assert main(["migrate", "new", "shop.yaml", "-m", "Drop the email lookup"]) == 0
    third_lock = parse_lock((project / LOCK_NAME).read_text(encoding="utf-8"))

    history = load_history(project / "migrations")
    assert [r.path.name for r in history] == ["0001_orders_by_total.py", "0002_drop_the_email_lookup.py"]
    assert [r.parent for r in history] == [None, history[0].revision]
    # What the files hold is what the diff of the locks gives: nothing lost in the rendering.
    assert list(history[0].operations) == diff_designs(first_lock.design, second_lock.design)
    assert list(history[1].operations) == diff_designs(second_lock.design, third_lock.design)
    assert next(op.describe() for op in history[1].operations) == "Customer on GSI2: keys removed"
    assert main(["lock", "shop.yaml", "--check"]) == 0


def test_nothing_to_migrate_writes_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "new", "shop.yaml", "-m", "no change"]) == 0
    assert "nothing to migrate" in capsys.readouterr().out
    assert not (project / "migrations").exists()


def test_without_a_lock_the_first_revision_builds_the_design_on_a_bare_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(SHOP_YAML, tmp_path / "shop.yaml")
    monkeypatch.chdir(tmp_path)
    assert main(["migrate", "new", "shop.yaml", "-m", "first"]) == 0
    (first,) = load_history(tmp_path / "migrations")
    lock = parse_lock((tmp_path / LOCK_NAME).read_text(encoding="utf-8"))
    assert first.parent is None
    assert list(first.operations) == diff_designs(bare_design(lock.design), lock.design)
    kinds = {type(op).__name__ for op in first.operations}
    assert {"CreateIndex", "EnableStream", "FillGuards"} <= kinds
    assert "FillIndexKeys" not in kinds  # no entity had items on the bare table


def test_without_a_lock_after_migrations_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(SHOP_YAML, tmp_path / "shop.yaml")
    monkeypatch.chdir(tmp_path)
    assert main(["migrate", "new", "shop.yaml", "-m", "first"]) == 0
    (tmp_path / LOCK_NAME).unlink()
    capsys.readouterr()
    assert main(["migrate", "new", "shop.yaml", "-m", "second"]) == 2
    assert "restore dynamodel.lock.json" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "migrations").iterdir()] == ["0001_first.py"]
    assert not (tmp_path / LOCK_NAME).exists()


def _two_revisions(project: Path) -> list[Path]:
    _edit(project, EMAIL_LOOKUP, EMAIL_LOOKUP + ORDERS_BY_TOTAL)
    assert main(["migrate", "new", "shop.yaml", "-m", "one"]) == 0
    _edit(project, EMAIL_LOOKUP, "")
    assert main(["migrate", "new", "shop.yaml", "-m", "two"]) == 0
    return sorted((project / "migrations").glob("*.py"))


def test_two_heads_are_refused(project: Path) -> None:
    _first, second = _two_revisions(project)
    text = second.read_text(encoding="utf-8")
    revision = load_history(project / "migrations")[1].revision
    (project / "migrations" / "0003_branch.py").write_text(text.replace(revision, "b" * 12), encoding="utf-8")
    with pytest.raises(MigrationError, match="two heads") as info:
        load_history(project / "migrations")
    assert "set one file's parent" in (info.value.hint or "")


def test_an_unknown_parent_is_refused(project: Path) -> None:
    first, _ = _two_revisions(project)
    first.unlink()
    with pytest.raises(MigrationError, match=r"its parent .* is not in"):
        load_history(project / "migrations")


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (
            "revision = 'x'\nparent = None\noperations = ['CreateIndex']\n",
            "must be a list of dynamodel.migrate.ops",
        ),
        ("parent = None\noperations = []\n", "lacks a str 'revision'"),
        ("raise RuntimeError('boom')\n", "RuntimeError: boom"),
    ],
)
def test_a_broken_migration_file_is_refused(tmp_path: Path, body: str, needle: str) -> None:
    (tmp_path / "0001_bad.py").write_text(body, encoding="utf-8")
    with pytest.raises(MigrationError, match=needle):
        load_history(tmp_path)


def test_design_against_the_lock_says_what_changes(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(project, "  - {name: customer_with_recent_orders", "  - {name: x_unused_removed")
    spec = project / "shop.yaml"
    spec.write_text(
        "".join(
            line
            for line in spec.read_text(encoding="utf-8").splitlines(keepends=True)
            if "x_unused_removed" not in line
        ),
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["design", "shop.yaml", "--baseline", LOCK_NAME]) == 0
    out = capsys.readouterr().out
    assert "index GSI3: created" in out
    assert "keys changed" not in out  # nothing is rewritten in place
    assert main(["design", "shop.yaml", "--baseline", "missing.lock.json"]) == 2
    assert "Cannot read the lock missing.lock.json" in capsys.readouterr().err


def test_a_type_change_needs_a_hand_written_transform(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit(project, "order_count: int", "order_count: decimal")
    assert main(["migrate", "new", "shop.yaml", "-m", "counts as decimals"]) == 2
    assert "Customer.order_count changes type int -> decimal" in capsys.readouterr().err
    assert not (project / "migrations").exists()
    assert main(["migrate", "new", "shop.yaml", "-m", "counts as decimals", "--force"]) == 0
    (written,) = (project / "migrations").glob("*.py")
    text = written.read_text(encoding="utf-8")
    assert "# TO WRITE BY HAND" in text
    assert "# - Customer.order_count changes type int -> decimal" in text
    assert load_history(project / "migrations")[0].operations == ()  # the design did not change


def test_unmappable_changes_name_identities_and_types() -> None:
    from dynamodel.spec_file import load_spec_file

    old = load_spec_file(SHOP_YAML)
    entity = old.entity("OrderLine")
    moved = dataclasses.replace(entity, identity=("order_id", "sku"))
    new = dataclasses.replace(
        old, entities=tuple(moved if e.name == "OrderLine" else e for e in old.entities)
    )
    assert unmappable_changes(old, new) == [
        "OrderLine's identity changes ('order_id', 'line_no') -> ('order_id', 'sku')"
    ]
    assert unmappable_changes(old, old) == []
