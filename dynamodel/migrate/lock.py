"""The lock: the deployed design, recorded beside the app (``dynamodel.lock.json``).

A lock holds what a later migration needs to know of the design the live table has: the
declarations it was derived from (the spec-file mapping, so the old design can be derived
again) and the design JSON as it was derived then (key templates per entity and index, the
indexes and their projections, shards, unique guards, copy paths). The design JSON is kept
as written, not re-derived, because a later dynamodel may derive the same declarations
differently: the table has what was derived *then*.

A SHA-256 over the canonical JSON of both parts tells a lock edited by hand (or merged
badly) from one dynamodel wrote. Everything here is pure: text in, text out; the CLI reads
and writes the file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dynamodel.design import Design, design_to_dict
from dynamodel.errors import DefinitionError, MigrationError
from dynamodel.migrate.diff import diff_designs
from dynamodel.spec import AppSpec
from dynamodel.spec_file import dump_spec, parse_spec

LOCK_NAME = "dynamodel.lock.json"
"""The lock's file name, beside the app."""

LOCK_FORMAT = 1
"""The version of the lock's own layout (not of the design JSON inside it)."""

_REGENERATE = "delete it and run `dynamodel lock TARGET` on the declarations the table was deployed with"


@dataclass(frozen=True)
class Lock:
    """A parsed lock.

    Attributes:
        app: the declarations the locked design was derived from.
        design: the design JSON (docs/spec-format.md §2) as it was locked.
        digest: the SHA-256 of the spec and design parts (hex).
    """

    app: AppSpec
    design: dict[str, Any]
    digest: str

    @property
    def name(self) -> str:
        """The app's name."""
        return self.app.name


def _canonical(value: object) -> object:
    """``value`` with whole floats as ints: ``rate: 50`` in a spec file and ``50.0`` from Python
    declare the same table, so they must lock the same bytes."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def _digest(spec: object, design: object) -> str:
    canonical = json.dumps({"design": design, "spec": spec}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def build_lock(design: Design) -> tuple[Lock, str]:
    """The lock of ``design`` and its text: the same declarations always give the same bytes."""
    spec, locked = _canonical(dump_spec(design.app)), design_document(design)
    digest = _digest(spec, locked)
    doc = {
        "lock_format": LOCK_FORMAT,
        "app": design.app.name,
        "sha256": digest,
        "spec": spec,
        "design": locked,
    }
    text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return Lock(app=design.app, design=locked, digest=digest), text


def render_lock(design: Design) -> str:
    """The lock text of ``design`` (see :func:`build_lock`)."""
    return build_lock(design)[1]


def parse_lock(text: str, *, source: str = LOCK_NAME) -> Lock:
    """Read a lock's text.

    Raises:
        MigrationError: the text is not a lock dynamodel wrote: not JSON, an unknown
            ``lock_format``, a missing part, declarations that no longer parse, or content
            that does not match its SHA-256 (edited by hand, or a bad merge).
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{source} is not JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}."
        raise MigrationError(msg, hint=f"restore it from version control, or {_REGENERATE}") from None
    if not isinstance(doc, dict) or "lock_format" not in doc:
        msg = f"{source} is not a dynamodel lock (no 'lock_format')."
        raise MigrationError(msg, hint=f"point at the dynamodel.lock.json beside the app, or {_REGENERATE}")
    if doc["lock_format"] != LOCK_FORMAT:
        msg = f"{source} has lock_format {doc['lock_format']!r}; this dynamodel reads format {LOCK_FORMAT}."
        raise MigrationError(msg, hint="use the dynamodel version that wrote it, or upgrade dynamodel")
    missing = [k for k in ("app", "sha256", "spec", "design") if k not in doc]
    if missing:
        msg = f"{source} lacks {', '.join(missing)}."
        raise MigrationError(msg, hint=f"restore it from version control, or {_REGENERATE}")
    spec, locked = doc["spec"], doc["design"]
    if not isinstance(spec, dict) or not isinstance(locked, dict):
        msg = f"{source}: 'spec' and 'design' must be objects."
        raise MigrationError(msg, hint=f"restore it from version control, or {_REGENERATE}")
    if _digest(spec, locked) != doc["sha256"]:
        msg = f"{source} was changed after dynamodel wrote it: its content does not match its sha256."
        raise MigrationError(
            msg,
            hint="a lock records what the live table has: restore it from version control (never edit it), "
            f"or {_REGENERATE}",
        )
    try:
        app = parse_spec(spec, source=f"{source} (spec)")
    except DefinitionError as exc:
        msg = f"{source}: its declarations no longer parse: {exc.message}"
        raise MigrationError(msg, hint=exc.hint) from None
    if app.name != doc["app"]:
        msg = f"{source} names app {doc['app']!r} but its declarations are app {app.name!r}."
        raise MigrationError(msg, hint=f"restore it from version control, or {_REGENERATE}")
    return Lock(app=app, design=locked, digest=doc["sha256"])


def read_lock(path: Path) -> Lock:
    """The lock in the file ``path``.

    Raises:
        MigrationError: the file is missing or unreadable, or is not a lock (see :func:`parse_lock`).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        msg = f"Cannot read the lock {path}: {exc.strerror or exc}."
        raise MigrationError(msg, hint="give the dynamodel.lock.json that `dynamodel lock` wrote") from None
    return parse_lock(text, source=str(path))


def existing_lock(path: Path, app: str, *, option: str) -> Lock | None:
    """The lock at ``path``, or None when there is none.

    Raises:
        MigrationError: the file is unreadable or not a lock, or it is the lock of another
            app (``option`` names the command-line option that points at a lock, for the hint).
    """
    if not path.exists():
        return None
    lock = read_lock(path)
    if lock.name != app:
        msg = f"{path} is the lock of app {lock.name!r}, not of {app!r}."
        raise MigrationError(msg, hint=f"give each app its own lock: {option} <dir or file>")
    return lock


def design_document(design: Design) -> dict[str, Any]:
    """The design JSON of ``design`` as a lock records it (what :func:`diff_designs` compares)."""
    doc = _canonical(design_to_dict(design))
    assert isinstance(doc, dict)
    return doc


def lock_changes(lock: Lock, design: Design) -> list[str]:
    """What ``design`` changes in the locked table, one line per migration operation.

    Empty when nothing needs migrating: patterns that only change which existing index
    serves them, or techniques and explanations, change nothing in the table.

    Raises:
        MigrationError: the table's own key attributes change (a new table).
    """
    return [op.describe() for op in diff_designs(lock.design, design_document(design))]
