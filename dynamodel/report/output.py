"""Writing the report to a file: the one place the report touches the disk."""

from __future__ import annotations

from pathlib import Path

from dynamodel.design.model import Design
from dynamodel.errors import RequestError
from dynamodel.report.page import render_report

__all__ = ["write_report"]


def write_report(design: Design, path: Path) -> Path:
    """Render the design review of ``design`` into ``path`` (its folder created when missing).

    Raises:
        RequestError: ``path`` cannot be written (a directory, no permission, a read-only disk).
    """
    text = render_report(design)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        msg = f"Cannot write the report to {path}: {exc.strerror or exc}."
        raise RequestError(
            msg, hint="give --html a file path you can write to (its folder is created if missing)"
        ) from None
    return path
