"""``dynamodel migrate up|down|status|verify|check``: wire with ``add_commands(migrate_subparsers)``.

dynamodel migrate status access_patterns.shop:shop --table shop-dev --endpoint-url http://127.0.0.1:8000
dynamodel migrate up access_patterns.shop:shop --table shop-dev [--to REV] [--dry-run] [--max-wcu 1000] [--json]
dynamodel migrate down access_patterns.shop:shop --table shop-dev [--to REV|base]
dynamodel migrate verify access_patterns.shop:shop --table shop-dev
dynamodel migrate check access_patterns.shop:shop --table shop-dev
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from dynamodel.design import Design
from dynamodel.errors import DriftDetectedError, MigrationError
from dynamodel.migrate.lock import existing_lock
from dynamodel.migrate.ops import Operation
from dynamodel.migrate.revisions import load_history
from dynamodel.migrator.checks import drift, verify
from dynamodel.migrator.runner import MigrationRunner, RevisionReport
from dynamodel.migrator.table_ops import is_table_op
from dynamodel.progress import progress
from dynamodel.propagate.cli import common_arguments, make_clients, positive_int
from dynamodel.propagate.cli_json import item_count
from dynamodel.targets import load_app_spec, load_design, lock_path

__all__ = ["add_commands"]


def _design(args: argparse.Namespace) -> Design:
    """The target's design, derived against its lock (the design the table has) when there is one,
    else as the target declares it (an App's own baseline)."""
    spec = load_app_spec(args.target)
    lock = existing_lock(lock_path(args.target, args.lock), spec.name, option="--lock")
    return load_design(args.target, baseline=lock.design if lock is not None else None)


def _runner(args: argparse.Namespace) -> MigrationRunner:
    design = _design(args)
    client, _ = make_clients(args)
    return MigrationRunner(
        client,
        args.table,
        design,
        load_history(Path(args.dir)),
        segments=args.segments,
        workers=args.workers,
        max_wcu=args.max_wcu,
    )


def _print(reports: list[RevisionReport], budget: float | None, *, dry_run: bool) -> None:
    if not reports:
        sys.stdout.write("nothing to do: the table is at the requested revision\n")
    for r in reports:
        verb = "would apply" if dry_run else "applied"
        if r.direction == "down":
            verb = "would undo" if dry_run else "undid"
        sys.stdout.write(f"{verb} {r.revision} {r.message!r}\n")
        for op in r.ops:
            sys.stdout.write(f"  {op.line(budget)}\n")
    if dry_run:
        units = sum(o.units + o.index_units for r in reports for o in r.ops)
        sys.stdout.write(f"dry run: nothing was written ({units} write units predicted, indexes included)\n")


def _document(reports: list[RevisionReport], *, dry_run: bool) -> dict[str, Any]:
    """``--json``: what each revision did, operation by operation."""
    ops = ("seen", "written", "units", "index_units", "conflicts", "note")
    return {
        "dry_run": dry_run,
        "revisions": [
            {
                "revision": r.revision,
                "direction": r.direction,
                "message": r.message,
                "operations": [
                    {"operation": o.operation.describe(), **{k: getattr(o, k) for k in ops}} for o in r.ops
                ],
            }
            for r in reports
        ],
    }


def _cmd_move(args: argparse.Namespace) -> int:
    """``migrate up`` and ``migrate down``: the same runner, in either direction."""
    runner = _runner(args)
    show = not (args.dry_run or args.json)
    with progress("migrating", total=None, unit="items", enabled=None if show else False) as meter:
        if meter.drawing:
            # DescribeTable's ItemCount bounds each operation's scan: an estimate, shown as ~N.
            count = item_count(runner.client, args.table)

            def on_page(seen: int, units: int) -> None:
                del units
                meter.advance(seen)

            def on_op(op: Operation) -> None:
                items = None if is_table_op(op) else count
                meter.restart(op.describe(), total=items, estimate=items is not None)

            runner.on_page, runner.on_op = on_page, on_op
        move = runner.up if args.direction == "up" else runner.down
        reports = move(args.to, dry_run=args.dry_run)
    if args.json:
        sys.stdout.write(json.dumps(_document(reports, dry_run=args.dry_run), indent=2) + "\n")
    else:
        _print(reports, args.max_wcu, dry_run=args.dry_run)
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    status = _runner(args).status()
    for a in status.applied:
        sys.stdout.write(f"applied  {a.revision}  {a.message}\n")
    if status.running is not None:
        r = status.running
        filling = f", filling {', '.join(r.filling)}" if r.filling else ""
        sys.stdout.write(f"running  {r.revision}  ({r.direction}, {r.segments} segments{filling})\n")
    for p in status.pending:
        sys.stdout.write(f"pending  {p.revision}  {p.message}\n")
    if not status.applied and not status.pending:
        sys.stdout.write("no migrations\n")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    design = _design(args)
    client, _ = make_clients(args)
    report = verify(client, args.table, design)
    for problem in report.problems:
        sys.stdout.write(f"  {problem}\n")
    if report.problems:
        msg = f"{len(report.problems)} problem(s) in {report.items} item(s) of {args.table}."
        raise DriftDetectedError(
            msg, hint="run `migrate status` (is a migration unfinished?), then `migrate up`"
        )
    sys.stdout.write(f"{report.items} item(s) and {report.guards} guard(s) match the design\n")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    spec = load_app_spec(args.target)
    path = lock_path(args.target, args.lock)
    lock = existing_lock(path, spec.name, option="--lock")
    if lock is None:
        msg = f"No lock at {path}: `check` compares the table with the locked design."
        raise MigrationError(msg, hint=f"write it with: dynamodel lock {args.target}")
    client, _ = make_clients(args)
    found = drift(client, args.table, lock.design, lock.app)
    if found:
        msg = f"table {args.table} differs from {path}: {'; '.join(found)}."
        raise DriftDetectedError(msg, hint="run `migrate up`, or deploy the table stack of the locked design")
    sys.stdout.write(f"table {args.table} matches {path}\n")
    return 0


def _units(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        msg = f"{text!r} is not a number of write units per second > 0"
        raise argparse.ArgumentTypeError(msg)
    return value


def _common(p: argparse.ArgumentParser) -> None:
    common_arguments(p)
    p.add_argument("--dir", default="migrations", help="the migrations folder (default: migrations)")
    p.add_argument("--lock", help="the lock file, or its directory (default: as `dynamodel lock`)")
    p.add_argument("--segments", type=positive_int, default=4, help="parallel scan segments per operation")
    p.add_argument("--workers", type=positive_int, default=4, help="threads working on segments")
    p.add_argument(
        "--max-wcu", type=_units, help="write units per second for the whole run (default: no limit)"
    )


def add_commands(steps: Any) -> None:
    """Add up, down, status, verify and check to ``dynamodel migrate``'s subparsers."""
    for name, help_text in (
        ("up", "apply the pending migrations to the table (online, resumable)"),
        ("down", "undo applied migrations (default: the last one)"),
    ):
        p = steps.add_parser(name, help=help_text)
        _common(p)
        p.add_argument("--to", help="the revision to stop at (a prefix is enough; 'base' before the first)")
        p.add_argument("--dry-run", action="store_true", help="write nothing; print the work and its cost")
        p.add_argument("--json", action="store_true", help="print one JSON document, and no progress bar")
        p.set_defaults(func=_cmd_move, direction=name)
    for name, func, help_text in (
        ("status", _cmd_status, "the table's applied migrations next to the files"),
        ("verify", _cmd_verify, "check every item of the table against the design"),
        ("check", _cmd_check, "compare the table's definition (indexes, stream, TTL) with the lock"),
    ):
        p = steps.add_parser(name, help=help_text)
        _common(p)
        p.set_defaults(func=func)
