"""The shop's design review in a real browser (Debian's Chromium through Playwright): what a person sees."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest

from access_patterns.shop import shop
from dynamodel.report import render_report
from dynamodel.report.screenshot import NO_CHROMIUM, find_chromium, launch_chromium

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, sync_playwright


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if find_chromium() is None:
        pytest.skip(f"no Chromium found: {NO_CHROMIUM}")
    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "shop.html"
    path.write_text(render_report(shop.design), encoding="utf-8")
    return path


class Opened:
    """A page showing the report, with every request and console or page error it caused."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.requests.append(_url(r)))
        page.on("console", lambda m: self.errors.extend(_errors(m)))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.goto(url)


def _url(request: Request) -> str:
    return request.url


def _errors(message: ConsoleMessage) -> list[str]:
    return [message.text] if message.type in ("error", "warning") else []


@pytest.fixture
def opened(browser: Browser, report_file: Path) -> Iterator[Opened]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield Opened(context.new_page(), report_file.as_uri())
    finally:
        context.close()


def test_the_matrix_shows_the_shops_entities_and_indexes(opened: Opened, report_file: Path) -> None:
    page = opened.page
    matrix = page.get_by_role("table", name="Key templates by entity and index")
    assert matrix.is_visible()
    headers = [t.split()[0] for t in matrix.locator("thead th").all_inner_texts()]
    assert headers == ["Entity", "table", "GSI1", "GSI2"]
    rows = matrix.locator("tbody th[scope=row]").all_inner_texts()
    assert [r.split()[0] for r in rows] == ["Customer", "Order", "OrderLine", "Customer"]
    assert "CUSTOMER#{customer_id}#" in matrix.inner_text()
    assert opened.requests == [report_file.as_uri()]  # nothing but the file itself
    assert opened.errors == []


def _detail_title(page: Page) -> str:
    return page.locator("#pattern-detail .detail:not([hidden]) h3").inner_text()


def test_a_pattern_is_selected_by_keyboard(opened: Opened) -> None:
    page = opened.page
    assert _detail_title(page).endswith(shop.design.plans[0].name)
    # From the top of the page, Tab reaches every pattern button in turn; Enter and Space select.
    names = [p.name for p in shop.design.plans]
    reached: list[str] = []
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "document.activeElement.classList.contains('pattern') ? document.activeElement.textContent : ''"
        )
        if focused:
            reached.append(focused)
        if focused == "orders_of_customer":
            break
    assert reached == names[: names.index("orders_of_customer") + 1]
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"  # focus visible
    page.keyboard.press("Enter")
    assert _detail_title(page).endswith("orders_of_customer")
    page.keyboard.press("ArrowDown")
    page.keyboard.press(" ")
    assert _detail_title(page).endswith("place_order")
    assert page.get_by_role("button", name="place_order").get_attribute("aria-pressed") == "true"
    assert opened.errors == []


def test_a_pattern_is_selected_by_click(opened: Opened) -> None:
    page = opened.page
    page.get_by_role("button", name="open_orders_by_date").click()
    assert _detail_title(page).endswith("open_orders_by_date")
    detail = page.locator("#pattern-detail .detail:not([hidden])").inner_text()
    assert "GSI2PK = :pk AND GSI2SK BETWEEN :lo AND :hi" in detail
    assert "$24.64" in detail
    assert page.get_by_role("button", name="open_orders_by_date").get_attribute("aria-pressed") == "true"
    assert page.locator(".detail:not([hidden])").count() == 1
    assert page.locator(".matrix td.hit").count() == 1  # Order's cell on GSI2 lights up
    assert opened.errors == []


def _luminance(css: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", css)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_is_readable_in_both_colour_schemes(opened: Opened, scheme: Literal["light", "dark"]) -> None:
    page = opened.page
    page.emulate_media(color_scheme=scheme)
    body = page.evaluate(
        "[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]"
    )
    assert (_luminance(body[0]) < 0.1) == (scheme == "dark")
    # The text a reviewer reads most, each on the background it sits on.
    for selector in ("body", ".matrix code", "button.pattern", ".lede", ".mark.m-sparse", ".mark.m-copy"):
        colours = page.evaluate(
            """(selector) => {
                const el = document.querySelector(selector);
                let bg = el, colour = getComputedStyle(el).backgroundColor;
                while (colour === 'rgba(0, 0, 0, 0)' && bg.parentElement) {
                    bg = bg.parentElement; colour = getComputedStyle(bg).backgroundColor;
                }
                return [getComputedStyle(el).color, colour];
            }""",
            selector,
        )
        assert _contrast(*colours) >= 4.5, (scheme, selector, colours)
