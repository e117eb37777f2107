"""The design review: one self-contained HTML page of a design (``dynamodel report TARGET --html F``).

:func:`render_report` is pure (a Design in, the page's text out, the same bytes every time);
``python -m dynamodel.report.screenshot`` renders a page in headless Chromium.
"""

from __future__ import annotations

from dynamodel.report.page import render_report

__all__ = ["render_report"]
