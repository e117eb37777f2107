"""Golden snapshots of the definitions the example apps emit, kept in ``tests/golden/<app>/``.

``tests/unit/test_golden.py`` re-emits them and compares byte for byte; ``make golden``
(``tests/golden/regen.py``) rewrites them. A changed snapshot is reviewed in the diff like code.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from example_apps import ExampleApp, example_apps

from dynamodel.emit import emit_files

GOLDEN = Path(__file__).resolve().parent / "golden"
REGENERATE = "make golden  (or: .venv/bin/python tests/golden/regen.py)"

# emit format -> the snapshot's file name
FILES = {
    "cloudformation": "cloudformation.yaml",
    "sam": "sam.yaml",
    "boto3": "boto3.json",
    "pynamodb": "pynamodb.py",
}


def render(example: ExampleApp) -> dict[str, str]:
    """The snapshot files of one app, by file name: every format, SAM (the propagation stack) only where copies need a stream."""
    design = example.app.design
    files: dict[str, str] = {}
    for fmt, name in FILES.items():
        if fmt == "sam" and not design.copy_paths:
            continue
        ((_, text),) = emit_files(design, fmt)
        files[name] = text
    return files


def rendered() -> dict[str, dict[str, str]]:
    """Every example app's snapshot files, by app name."""
    return {e.app.name: render(e) for e in example_apps()}


def stored() -> dict[str, dict[str, str]]:
    """The snapshot files on disk, by app directory."""
    return {
        d.name: {f.name: f.read_bytes().decode("utf-8") for f in sorted(d.iterdir()) if f.is_file()}
        for d in sorted(GOLDEN.iterdir())
        if d.is_dir() and not d.name.startswith(("_", "."))
    }


def short_diff(old: str, new: str, name: str, limit: int = 40) -> str:
    """A unified diff of a snapshot against what is emitted now, cut to ``limit`` lines."""
    lines = list(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), f"golden/{name}", f"emitted/{name}"
        )
    )
    cut = f"... {len(lines) - limit} more diff lines\n" if len(lines) > limit else ""
    return "".join(lines[:limit]) + cut


def regenerate() -> list[str]:
    """Rewrite every snapshot from the emitters and drop the ones no app emits; the changed paths."""
    changed: list[str] = []
    want = rendered()
    for app, files in want.items():
        folder = GOLDEN / app
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            path = folder / name
            if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
                path.write_bytes(text.encode("utf-8"))
                changed.append(f"{app}/{name}")
    for app, files in stored().items():
        for name in files:
            if name not in want.get(app, {}):
                (GOLDEN / app / name).unlink()
                changed.append(f"{app}/{name} (removed)")
        if app not in want and not any((GOLDEN / app).iterdir()):
            (GOLDEN / app).rmdir()
    return changed
