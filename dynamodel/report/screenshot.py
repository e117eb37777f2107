"""A screenshot of a report page in headless Chromium (``make report``), and how to launch it.

``python -m dynamodel.report.screenshot PAGE.html OUT.png [--dark] [--width 1440]``. Uses
Playwright for Python with the system's Chromium (Debian's ``chromium`` package; Playwright's
own browser download is never needed), so nothing is fetched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dynamodel.errors import DynamodelError, RequestError

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

__all__ = ["CHROMIUM_ARGS", "find_chromium", "launch_chromium", "main", "take_screenshot"]

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Flags that keep Chromium off the network (no updates, sync or QUIC probes) and running as root."""
NO_CHROMIUM = (
    "install it with `apt-get install chromium` (Debian/Ubuntu) or set DYNAMODEL_CHROMIUM to its path"
)


def find_chromium() -> str | None:
    """The Chromium to run: ``$DYNAMODEL_CHROMIUM``, else ``chromium`` or ``chromium-browser`` on PATH."""
    given = os.environ.get("DYNAMODEL_CHROMIUM")
    if given:
        return given
    return shutil.which("chromium") or shutil.which("chromium-browser")


def launch_chromium(playwright: Playwright) -> Browser:
    """Headless Chromium from :func:`find_chromium` (RequestError with the fix when there is none)."""
    path = find_chromium()
    if path is None:
        msg = "No Chromium found to render the report."
        raise RequestError(msg, hint=NO_CHROMIUM)
    return playwright.chromium.launch(executable_path=path, headless=True, args=list(CHROMIUM_ARGS))


def take_screenshot(page: Path, out: Path, *, width: int = 1440, dark: bool = False) -> None:
    """Render ``page`` (an HTML file) and save a full-page PNG at ``out``.

    Raises:
        RequestError: Playwright or Chromium is missing, or the browser failed.
    """
    try:
        from playwright.sync_api import Error, sync_playwright  # noqa: PLC0415 - a test extra
    except ImportError:
        msg = "Playwright for Python is not installed, so the report cannot be rendered."
        raise RequestError(msg, hint="pip install 'dynamodel[test]' (it brings playwright)") from None
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                view = browser.new_page(
                    viewport={"width": width, "height": 900},
                    color_scheme="dark" if dark else "light",
                    device_scale_factor=1,
                )
                view.goto(page.resolve().as_uri())
                out.parent.mkdir(parents=True, exist_ok=True)
                view.screenshot(path=str(out), full_page=True)
            finally:
                browser.close()
    except Error as exc:
        msg = f"Chromium could not render {page}: {str(exc).splitlines()[0]}"
        raise RequestError(msg, hint=f"check that {find_chromium()} runs: {NO_CHROMIUM}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: errors are one line on stderr and exit code 2, like ``dynamodel``'s."""
    parser = argparse.ArgumentParser(prog="python -m dynamodel.report.screenshot", description=__doc__)
    parser.add_argument("page", type=Path, help="the report's HTML file")
    parser.add_argument("out", type=Path, help="the PNG to write")
    parser.add_argument("--dark", action="store_true", help="render in the dark colour scheme")
    parser.add_argument("--width", type=int, default=1440, help="viewport width in pixels (default 1440)")
    args = parser.parse_args(argv)
    try:
        take_screenshot(args.page, args.out, width=args.width, dark=args.dark)
    except DynamodelError as exc:
        sys.stderr.write(f"error: {' '.join(str(exc).split())}\n")
        return 2
    sys.stderr.write(f"wrote {args.out}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
