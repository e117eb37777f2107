"""``dynamodel lock`` and ``dynamodel migrate new``: recording the deployed design and writing
the next migration file (pure: nothing here talks to DynamoDB)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from dynamodel.design import derive
from dynamodel.errors import MigrationError
from dynamodel.migrate.lock import build_lock, design_document, existing_lock, lock_changes
from dynamodel.targets import load_app_spec, lock_path


def add_lock_commands(sub: Any) -> Any:
    """Add ``lock`` and ``migrate new`` to the command's subparsers; return ``migrate``'s steps."""
    p = sub.add_parser("lock", help="record the deployed design in dynamodel.lock.json")
    p.add_argument("target", help="spec file (.yaml/.json) or module:APP")
    p.add_argument("--out", help="the lock file, or a directory for it (default: beside a spec file, else .)")
    p.add_argument("--check", action="store_true", help="fail unless the lock already records this design")
    p.set_defaults(func=_cmd_lock)
    p = sub.add_parser("migrate", help="migrations between locked designs")
    steps = p.add_subparsers(dest="step", required=True)
    p = steps.add_parser("new", help="write the next migration file from the lock to TARGET's design")
    p.add_argument("target", help="spec file (.yaml/.json) or module:APP")
    p.add_argument("-m", "--message", required=True, help="what the migration is for")
    p.add_argument("--dir", default="migrations", help="the migrations folder (default: migrations)")
    p.add_argument("--lock", help="the lock file, or its directory (default: as `dynamodel lock`)")
    p.add_argument(
        "--force",
        action="store_true",
        help="write the file even when an identity or a type changes (then add a Transform to it)",
    )
    p.set_defaults(func=_cmd_migrate_new)
    return steps


def _cmd_lock(args: argparse.Namespace) -> int:
    spec = load_app_spec(args.target)
    path = lock_path(args.target, args.out)
    old = existing_lock(path, spec.name, option="--out")
    design = derive(spec, baseline=old.design if old is not None else None)
    changes = lock_changes(old, design) if old is not None else []
    if args.check:
        if old is None:
            msg = f"No lock at {path}."
            raise MigrationError(msg, hint=f"write one with: dynamodel lock {args.target}")
        if changes:
            listed = "; ".join(changes)
            msg = f"{path} is not the design of {args.target}: {listed}."
            raise MigrationError(msg, hint="migrate the table to the new design, then write the lock again")
        sys.stdout.write(f"{path} matches {args.target}\n")
        return 0
    for line in changes:
        sys.stdout.write(f"  {line}\n")
    new, text = build_lock(design)
    if old is not None and old.digest == new.digest:
        sys.stdout.write(f"{path} is up to date\n")
        return 0
    _write(path, text, hint="give --out a directory or file you can write to")
    sys.stdout.write(f"wrote {path}\n")
    return 0


def _cmd_migrate_new(args: argparse.Namespace) -> int:
    from dynamodel.migrate.diff import (  # noqa: PLC0415
        bare_design,
        diff_designs,
        spec_operations,
        unmappable_changes,
    )
    from dynamodel.migrate.revisions import (  # noqa: PLC0415
        load_history,
        render_revision,
        revision_file_name,
        revision_id,
    )

    spec = load_app_spec(args.target)
    path = lock_path(args.target, args.lock)
    lock = existing_lock(path, spec.name, option="--lock")
    folder = Path(args.dir)
    history = load_history(folder)
    if lock is None and history:
        msg = f"No lock at {path}, but {folder} has migrations: they lead to a design it should record."
        raise MigrationError(msg, hint="restore dynamodel.lock.json from version control, or give --lock")
    unmapped = unmappable_changes(lock.app, spec) if lock is not None else []
    if unmapped and not args.force:
        msg = f"{'; '.join(unmapped)}: no generated operation carries the stored items through."
        raise MigrationError(
            msg,
            hint="run again with --force, then add a Transform(entity, 'module:function') to the file (see README)",
        )
    design = derive(spec, baseline=lock.design if lock is not None else None)
    after = design_document(design)
    # Without a lock and migrations, the first revision builds the design on a bare table.
    operations = diff_designs(lock.design if lock is not None else bare_design(after), after)
    operations += spec_operations(lock.app if lock is not None else None, spec)
    operations.sort(key=lambda op: not op.expands)  # stable: expanding steps first
    if not operations and not unmapped:
        sys.stdout.write("nothing to migrate: the table already has this design\n")
        return 0
    new, text = build_lock(design)
    parent = history[-1].revision if history else None
    revision = revision_id(parent, new.digest)
    target = folder / revision_file_name(len(history) + 1, args.message)
    hint = "give --dir and --lock places you can write to"
    _write(target, render_revision(revision, parent, args.message, operations, todo=unmapped), hint=hint)
    _write(path, text, hint=hint)
    for op in operations:
        sys.stdout.write(f"  {op.describe()}\n")
    sys.stdout.write(f"wrote {target} (revision {revision}, parent {parent}) and updated {path}\n")
    return 0


def _write(path: Path, text: str, *, hint: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        msg = f"Cannot write {path}: {exc.strerror or exc}."
        raise MigrationError(msg, hint=hint) from None
