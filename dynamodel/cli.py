"""The ``dynamodel`` command: design, emit, stacks, demo."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from dynamodel.app import App
from dynamodel.design import design_to_json, explain
from dynamodel.errors import DefinitionError, DynamodelError, RequestError
from dynamodel.migrate.lock import lock_changes, read_lock
from dynamodel.migrator.cli_lock import add_lock_commands
from dynamodel.targets import import_target, load_design


def _cmd_design(args: argparse.Namespace) -> int:
    if args.cost:
        return _cmd_cost(args)
    if args.baseline is None:
        design = load_design(args.target)
        sys.stdout.write(design_to_json(design) if args.json else explain(design))
        return 0
    lock = read_lock(Path(args.baseline))
    design = load_design(args.target, baseline=lock.design)
    if args.json:
        sys.stdout.write(design_to_json(design))
        return 0
    sys.stdout.write(explain(design))
    changes = lock_changes(lock, design)
    sys.stdout.write(
        f"\nAgainst {args.baseline} (indexes keep their deployed names; no key is rewritten in place"
    )
    sys.stdout.write(" where a new index can take it):\n" if changes else "): no change\n")
    for line in changes:
        sys.stdout.write(f"  {line}\n")
    return 0


def _cmd_cost(args: argparse.Namespace) -> int:
    from dynamodel.design import design_to_dict  # noqa: PLC0415
    from dynamodel.design.cost import Prices, cost_to_dict, estimate, explain_cost  # noqa: PLC0415

    lock = read_lock(Path(args.baseline)) if args.baseline else None
    design = load_design(args.target, baseline=lock.design if lock else None)
    prices = Prices(**{k: v / 1e6 if k.endswith("_unit") else v for k, v in (args.price or [])})
    report = estimate(design, prices)
    if args.json:
        document = {**design_to_dict(design), "cost": cost_to_dict(report)}
        sys.stdout.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(explain_cost(report))
    return 0


def _price(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    names = {"read": "read_unit", "write": "write_unit", "storage": "storage_gb_month"}
    try:
        amount = float(value)
    except ValueError:
        amount = -1.0
    if name not in names or not 0 <= amount < float("inf"):
        msg = f"{text!r} is not read=USD, write=USD (per million units) or storage=USD (per GB-month)"
        raise argparse.ArgumentTypeError(msg)
    return names[name], amount


def _cmd_emit(args: argparse.Namespace) -> int:
    from dynamodel.emit import emit_files  # noqa: PLC0415 - keeps `design` fast to start

    if args.stack is not None and args.format not in (None, "sam"):
        msg = f"--stack selects the app's stacks, which --format sam emits, not --format {args.format}."
        raise DefinitionError(msg, hint="drop --format or write --format sam (the table stack comes with it)")
    if args.stack == "all" and args.out is None:
        msg = "--stack all writes several templates and deploy-order.json, so it needs a directory."
        raise DefinitionError(msg, hint="add --out DIR")
    design = load_design(args.target)
    migrate = {"segments": args.segments, "max_wcu": args.max_wcu}
    samples = None
    if args.format == "workbench":  # the model's TableData: the emit layer draws no items itself
        from dynamodel.testing.samples import sample_items  # noqa: PLC0415 - imports hypothesis

        samples = sample_items(design)
    files = emit_files(
        design,
        args.format or ("sam" if args.stack else "cloudformation"),
        as_json=args.json,
        stack=args.stack,
        migrate_options=migrate,
        samples=samples,
    )
    if args.out is None:
        # One stack to stdout: its template only (deploy-order.json describes a directory).
        for _, text in files[:1] if args.stack is not None else files:
            sys.stdout.write(text)
        return 0
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in files:
            (out / name).write_text(text, encoding="utf-8")
            sys.stderr.write(f"wrote {out / name}\n")
    except OSError as exc:
        where = exc.filename or out
        msg = f"Cannot write to --out {out}: {where}: {exc.strerror or exc}."
        raise RequestError(msg, hint="give a directory you can write to (it is created if missing)") from None
    return 0


def _cmd_import_workbench(args: argparse.Namespace) -> int:
    from dynamodel.workbench_import import import_workbench  # noqa: PLC0415

    path = Path(args.file)
    try:
        skeleton = import_workbench(path.read_bytes(), source=str(path), table=args.table)
        for line in skeleton.unmapped:
            sys.stderr.write(f"not mapped: {line}\n")
        if args.out is not None:
            Path(args.out).write_text(skeleton.text, encoding="utf-8")
            sys.stderr.write(f"wrote {args.out}\n")
    except OSError as exc:
        msg = f"Cannot {'write' if path.is_file() else 'read'} {exc.filename or path}: {exc.strerror or exc}."
        raise DefinitionError(msg, hint="give a Workbench model file and an --out you can write") from None
    if args.out is None:
        sys.stdout.write(skeleton.text)
    return 0


def _cmd_stacks(args: argparse.Namespace) -> int:
    import json  # noqa: PLC0415

    from dynamodel.emit.stacks import app_stacks, deploy_plan, migrate_available  # noqa: PLC0415

    stacks = app_stacks(load_design(args.target), include_migrate=migrate_available())
    plan = deploy_plan(stacks)  # raises DefinitionError naming a cycle
    if args.json:
        sys.stdout.write(json.dumps(plan, indent=2, ensure_ascii=False) + "\n")
        return 0
    sys.stdout.write(f"{plan['app']}: {len(plan['stacks'])} stacks, deployed as {plan['stackNames']}\n")
    width = max(len(e["stack"]) for e in plan["stacks"])
    for i, entry in enumerate(plan["stacks"], start=1):
        sources: dict[str, list[str]] = {}
        for imp in entry["imports"]:
            sources.setdefault(imp["from"], []).append(imp["export"].rsplit("-", 1)[-1])
        needs = "; ".join(f"{', '.join(outs)} from {src}" for src, outs in sources.items())
        sys.stdout.write(f"  {i}. {entry['stack']:<{width}}  {entry['stackName']}\n")
        sys.stdout.write(f"     imports {needs or 'nothing'}\n")
        exported = ", ".join(e.rsplit("-", 1)[-1] for e in entry["exports"])
        sys.stdout.write(f"     exports {exported or 'nothing'}\n")
    sys.stdout.write(f"deploy order: {' -> '.join(plan['order'])} (no cycle)\n")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from dynamodel.report.output import write_report  # noqa: PLC0415 - draws samples with hypothesis

    sys.stderr.write(f"wrote {write_report(load_design(args.target), Path(args.html))}\n")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from dynamodel.demo import run_demo  # noqa: PLC0415 - needs moto, only for the demo

    return run_demo(out_dir=Path(args.out))


def _cmd_stubs(args: argparse.Namespace) -> int:
    from dynamodel.runtime.stubs import render_protocol  # noqa: PLC0415 - imports the runtime

    spec_target = args.target
    module_name, _, attr = spec_target.partition(":")
    if not attr:
        msg = f"{spec_target!r} is not 'module:APP'; typed stubs need the Python App (its entity classes)."
        raise DefinitionError(msg, hint="give e.g. access_patterns.shop:shop")
    app = import_target(spec_target)
    if not isinstance(app, App):
        msg = f"{spec_target!r} is not an App (found {type(app).__name__}); typed stubs need its entity classes."
        raise DefinitionError(msg, hint=f"point at the App object defined in {module_name}")
    sys.stdout.write(render_protocol(app, include_async=not args.sync_only))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the README's CLI reference test)."""
    parser = argparse.ArgumentParser(
        prog="dynamodel", description="Derive DynamoDB single-table designs from access patterns."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("design", help="derive and explain a design")
    p.add_argument("target", help="spec file (.yaml/.json) or module:APP")
    p.add_argument("--json", action="store_true", help="print the design JSON (docs/spec-format.md §2) only")
    p.add_argument(
        "--baseline", help="a dynamodel.lock.json: derive against the deployed design, say what changes"
    )
    p.add_argument(
        "--cost",
        action="store_true",
        help="the bill per pattern: units per call, per month at the declared rates (with --json: the design JSON with 'cost')",
    )
    p.add_argument(
        "--price",
        action="append",
        type=_price,
        metavar="read|write|storage=USD",
        help="with --cost: a price instead of the default (per million units; storage per GB-month)",
    )
    p.set_defaults(func=_cmd_design)
    p = sub.add_parser("emit", help="emit table definitions, or the app's stacks")
    p.add_argument("target", help="spec file (.yaml/.json) or module:APP")
    p.add_argument(
        "--format",
        choices=["cloudformation", "sam", "boto3", "pynamodb", "workbench"],
        help="default: cloudformation (sam with --stack); workbench: a NoSQL Workbench data model with sample items",
    )
    p.add_argument(
        "--stack",
        metavar="STACK",
        help="with --format sam: table, action:NAME, migrate or all (one template per stack + deploy-order.json)",
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--yaml", dest="json", action="store_false", help="YAML output (default)")
    group.add_argument("--json", dest="json", action="store_true", help="JSON output")
    p.add_argument("--out", help="directory to write files into (default: stdout)")
    p.add_argument(
        "--segments",
        type=int,
        default=4,
        help="migrate stack: parallel scan segments per operation (default 4)",
    )
    p.add_argument(
        "--max-wcu",
        type=float,
        help="migrate stack: write units per second for the whole run (default: no limit)",
    )
    p.set_defaults(func=_cmd_emit, json=False)
    p = sub.add_parser("import-workbench", help="read a NoSQL Workbench data model into a spec skeleton")
    p.add_argument("file", help="the model's JSON file (Workbench: Data modeler > Export)")
    p.add_argument("--out", help="the spec file to write (default: stdout)")
    p.add_argument("--table", help="the table to read, when the model has several")
    p.set_defaults(func=_cmd_import_workbench)
    p = sub.add_parser(
        "stacks", help="print the app's stacks, what each imports from which, and the deploy order"
    )
    p.add_argument("target", help="spec file (.yaml/.json) or module:APP")
    p.add_argument("--json", action="store_true", help="print deploy-order.json's document instead")
    p.set_defaults(func=_cmd_stacks)
    steps = add_lock_commands(sub)
    from dynamodel.migrator.cli import add_commands as add_migrate_commands  # noqa: PLC0415

    add_migrate_commands(steps)
    p = sub.add_parser(
        "stubs", help="print typed Table and AsyncTable subclasses with one typed method per pattern"
    )
    p.add_argument("target", help="module:APP")
    p.add_argument(
        "--sync-only", action="store_true", help="the Table subclass alone, as before the async table"
    )
    p.set_defaults(func=_cmd_stubs)
    from dynamodel.propagate.cli import add_commands  # noqa: PLC0415 - propagate/repair subcommands

    add_commands(sub)
    from dynamodel.actions.cli import add_command as add_actions_command  # noqa: PLC0415

    add_actions_command(sub)
    p = sub.add_parser(
        "report", help="write a self-contained HTML design review: matrix, patterns, samples, cost"
    )
    p.add_argument("target", help="spec file (.yaml/.json) or module:APP")
    p.add_argument("--html", required=True, metavar="PATH", help="the HTML file to write")
    p.set_defaults(func=_cmd_report)
    p = sub.add_parser("demo", help="derive, emit and run the shop example on an embedded engine")
    p.add_argument("--out", default="out/demo", help="where to write the emitted templates")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script: errors are one line on stderr and exit code 2."""
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except DynamodelError as exc:
        _fail(str(exc))
    except BrokenPipeError:  # `dynamodel emit ... | head`: the reader left, nothing to report
        # Python flushes stdout again at exit; point it at /dev/null so that flush is silent.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130
    except OSError as exc:
        _fail(f"{exc.filename + ': ' if exc.filename else ''}{exc.strerror or exc}")
    except Exception as exc:
        if os.environ.get("DYNAMODEL_TRACEBACK"):
            raise
        _fail(
            f"unexpected {type(exc).__name__}: {exc} (a bug in dynamodel: please report it; "
            "DYNAMODEL_TRACEBACK=1 shows where)"
        )
    return 2


def _fail(message: str) -> None:
    # One line, so that scripts and CI logs show the whole error (YAML errors carry a snippet).
    sys.stderr.write(f"error: {' '.join(message.split())}\n")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
