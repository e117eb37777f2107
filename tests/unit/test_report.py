"""dynamodel report: one self-contained, deterministic, escaped HTML page of a design."""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from paths import SHOP_YAML

from access_patterns.hr import hr
from access_patterns.shop import shop
from access_patterns.tickets import tickets
from dynamodel.cli import main
from dynamodel.design import derive
from dynamodel.design.cost import estimate
from dynamodel.report import render_report
from dynamodel.spec_file import load_spec_file

# Every kind of user text in one app: an enum value and a where value with markup and quotes.
HOSTILE = """
app: shop
entities:
  Customer:
    identity: [customer_id]
    attributes: {customer_id: str, name: str}
  Order:
    identity: [order_id]
    parent: Customer
    attributes:
      order_id: str
      customer_id: str
      status: {enum: ["<script>alert(1)</script>", "a&b", "x\\"y'z"]}
      placed_at: datetime
patterns:
  - {name: get_customer, get: Customer, by: [customer_id]}
  - {name: scripted_orders, query: Order, where: {status: "<script>alert(1)</script>"}, sort: placed_at}
"""


@cache
def _page(name: str) -> str:
    return render_report({"shop": shop, "hr": hr, "tickets": tickets}[name].design)


class _Texts(HTMLParser):
    """The text of the elements a reviewer reads, by role: row and column headers, pattern buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, list[str]] = {"row": [], "col": [], "button": [], "samples": []}
        self._open: list[tuple[str, str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "th" and a.get("scope") in ("row", "col"):
            self._open.append((tag, str(a["scope"]), []))
        elif tag == "button" and "pattern" in (a.get("class") or ""):
            self._open.append((tag, "button", []))
        elif tag == "h3" and self.getpos() and self._in_samples:
            self._open.append((tag, "samples", []))
        if tag == "section" and a.get("id") == "samples":
            self._in_samples = True

    _in_samples = False

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            _, kind, parts = self._open.pop()
            self.found[kind].append(" ".join("".join(parts).split()))

    def handle_data(self, data: str) -> None:
        for _, _, parts in self._open:
            parts.append(data)


def _texts(page: str) -> dict[str, list[str]]:
    parser = _Texts()
    parser.feed(page)
    return parser.found


def test_the_same_app_gives_the_same_bytes_in_either_form() -> None:
    assert render_report(shop.design) == _page("shop")
    # The spec file declares the same app: the page does not depend on how it was loaded.
    assert render_report(derive(load_spec_file(SHOP_YAML))) == _page("shop")
    assert not re.search(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(?!\.000000Z)", _page("shop"))  # no timestamp


def test_every_entity_index_and_pattern_of_the_shop_is_on_the_page() -> None:
    found = _texts(_page("shop"))
    rows = " | ".join(found["row"])
    for entity in ("Customer", "Order", "OrderLine"):
        assert entity in rows
    assert [c.split()[0] for c in found["col"][:5]] == ["Entity", "table", "GSI1", "GSI2", "Pattern"]
    assert [s.split()[0] for s in found["samples"]] == ["table", "GSI1", "GSI2"]
    assert sorted(found["button"]) == sorted(p.name for p in shop.spec.patterns)


def test_each_pattern_shows_its_request_and_cost() -> None:
    page = _page("shop")
    costs = {c.name: c for c in estimate(shop.design).patterns}
    rows = re.findall(r'<tr id="row-\d+".*?</tr>', page)
    assert len(rows) == len(shop.design.plans)
    for row, plan in zip(rows, shop.design.plans, strict=True):
        assert f">{plan.name}</button>" in row
        assert f">{plan.operation}<" in row
        assert f">{plan.index}<" in row
        assert (plan.key_condition or "–") in row.replace("&lt;", "<")
        assert f'<td class="num">{plan.requests}</td>' in row
    # open_orders_by_date declares 50 reads/s: 1.5 read units per call (3 shards, eventual),
    # 50 * 730 h * 3600 s * 1.5 * $0.125 per million = $24.64 a month, as `design --cost` prints.
    assert costs["open_orders_by_date"].read_units == 1.5
    open_row = next(r for r in rows if ">open_orders_by_date<" in r)
    assert "$24.64" in open_row
    assert ">3<" in open_row


def test_sparse_sharded_copied_native_lsi_and_index_items_are_marked() -> None:
    shop_page, hr_page, tickets_page = _page("shop"), _page("hr"), _page("tickets")
    assert "sparse: status=OPEN" in shop_page
    assert "3 shards" in shop_page
    assert "customer_name ← Customer.name" in shop_page
    assert 'class="mark m-guard"' in shop_page  # the unique email's guard row and items
    matrix = {
        name: page.split('id="matrix"', 1)[1].split("</section>", 1)[0]
        for name, page in (("shop", shop_page), ("tickets", tickets_page))
    }
    assert 'class="mark m-native"' in matrix["tickets"]
    assert 'class="mark m-native"' not in matrix["shop"]
    assert 'class="mark m-lsi"' in hr_page
    assert "LSI1SK" in hr_page
    assert "Employee@1" in hr_page
    assert 'class="mark m-item"' in hr_page
    legend = shop_page.split('id="legend"', 1)[1].split("</section>", 1)[0]
    for label in ("sparse", "sharded", "copy", "native", "LSI", "index item", "unique"):
        assert f">{label}</span>" in legend


def test_the_page_is_self_contained() -> None:
    for name in ("shop", "hr", "tickets"):
        page = _page(name)
        for outside in ("http://", "https://", "src=", "<link", "@import", "url(", "//cdn"):
            assert outside not in page, (name, outside)
        assert "default-src 'none'" in page  # the browser is told to fetch nothing at all


def test_user_text_is_escaped(tmp_path: Path) -> None:
    spec = tmp_path / "hostile.yaml"
    spec.write_text(HOSTILE, encoding="utf-8")
    page = render_report(derive(load_spec_file(spec)))
    assert page.count("<script") == 1  # the page's own script, nothing declared
    assert "alert(1)</" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as text, in the matrix and samples
    assert (
        'title="only items with status=&lt;script&gt;alert(1)&lt;/script&gt; are' in page
    )  # in attributes too


def test_cli_writes_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "review" / "shop.html"
    assert main(["report", str(SHOP_YAML), "--html", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == _page("shop")
    assert str(out) in capsys.readouterr().err


def test_cli_refuses_a_path_it_cannot_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(SHOP_YAML), "--html", str(tmp_path)]) == 2  # a directory
    err = capsys.readouterr().err
    assert err.startswith("error: Cannot write the report to")
    assert err.count("\n") == 1
    assert "give --html a file path" in err
