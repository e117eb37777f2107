"""``dynamodel actions``: run the app's actions (and propagation) over a table's stream, locally.

dynamodel actions access_patterns.shop_events:shop_events --table shop-dev --endpoint-url http://127.0.0.1:5000
dynamodel actions access_patterns.shop_events:shop_events --table shop-dev --only notify_shipped --follow

Each action reads the stream from its own position (kept for the life of the process), and
receives the records its stack's event filter passes, as it would in AWS.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from dynamodel.actions.driver import ActionsReport, drain_actions
from dynamodel.app import App
from dynamodel.errors import DefinitionError
from dynamodel.progress import progress
from dynamodel.propagate.cli import common_arguments, make_clients, seconds
from dynamodel.propagate.cli_json import drain_document
from dynamodel.propagate.dead_letters import DeadLetterQueue, JsonlDeadLetterQueue
from dynamodel.targets import import_target

__all__ = ["add_command"]


def _app(target: str) -> App:
    found = import_target(target)
    if not isinstance(found, App):
        msg = f"{target!r} is not an App; actions need the app's entity classes and handlers."
        raise DefinitionError(msg, hint="give 'package.module:APP'")
    return found


def _write(text: str) -> None:
    # Looked up at each call: on a terminal the bar swaps sys.stdout for a proxy that prints above it.
    sys.stdout.write(text)


def _document(report: ActionsReport) -> dict[str, Any]:
    """``--json``: per action, the records its filter passed, its handler's calls and its drain."""
    actions: dict[str, Any] = {}
    for name, drained in report.drains.items():
        runner = report.runners.get(name)
        actions[name] = {
            "passed_filter": report.delivered.get(name, 0),
            "handler_calls": runner.calls if runner is not None else None,
            "drain": drain_document(drained),
        }
    return {"actions": actions}


def _cmd_actions(args: argparse.Namespace) -> int:
    app = _app(args.target)
    client, streams = make_clients(args)
    dlq: DeadLetterQueue | None = JsonlDeadLetterQueue(args.dlq) if args.dlq else None
    dead = 0
    with progress(
        "stream records", total=None, unit="records", enabled=False if args.json else None
    ) as meter:
        try:
            while True:
                report = drain_actions(
                    app.design,
                    app.models,
                    args.table,
                    client,
                    streams,
                    actions=args.only or None,
                    dlq=dlq,
                    on_progress=meter.advance,
                )
                busy = any(d.deliveries for d in report.drains.values())
                dead += sum(len(d.dead_letters) for d in report.drains.values())
                if args.json and (busy or not args.follow):
                    # One document per drain, on one line under --follow (JSON Lines), else indented.
                    _write(json.dumps(_document(report), indent=None if args.follow else 2) + "\n")
                elif busy or not args.follow:
                    _write(report.summary() + "\n")
                    for name, drained in report.drains.items():
                        for letter in drained.dead_letters:
                            seq = letter.record.get("dynamodb", {}).get("SequenceNumber")
                            _write(f"  {name}: dead letter {seq} -> {args.dlq}: {letter.error}\n")
                if not args.follow:
                    break
                time.sleep(args.interval)
        except KeyboardInterrupt:  # --follow ends with Ctrl-C
            pass
    return 1 if dead else 0


def add_command(subparsers: Any) -> None:
    """Add ``actions`` to the ``dynamodel`` command's subparsers."""
    p = subparsers.add_parser("actions", help="run the app's actions over the table's stream (local driver)")
    common_arguments(p)
    p.add_argument("--only", action="append", metavar="ACTION", help="run this action (repeat); default all")
    p.add_argument(
        "--dlq",
        help="JSON Lines file receiving records given up on; without it a record that keeps failing stops the run",
    )
    p.add_argument("--follow", action="store_true", help="keep polling until interrupted")
    p.add_argument("--interval", type=seconds, default=1.0, help="seconds between polls with --follow")
    p.add_argument(
        "--json", action="store_true", help="print JSON (one line per drain with --follow), no progress bar"
    )
    p.set_defaults(func=_cmd_actions)
