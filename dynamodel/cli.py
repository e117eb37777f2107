"""The ``dynamodel`` command: design, emit, demo."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from dynamodel.app import App
from dynamodel.design import Design, derive, design_to_json, explain
from dynamodel.errors import DefinitionError, DynamodelError
from dynamodel.spec import AppSpec
from dynamodel.spec_file import load_spec_file


def load_app_spec(target: str) -> AppSpec:
    """A spec file path (.yaml/.yml/.json) or ``package.module:APP`` (an App or AppSpec)."""
    if Path(target).suffix.lower() in (".yaml", ".yml", ".json") or Path(target).is_file():
        return load_spec_file(target)
    if ":" not in target:
        msg = f"{target!r} is neither a spec file nor 'module:APP'."
        raise DefinitionError(msg, hint="give shop.yaml, or access_patterns.shop:shop")
    module_name, attr = target.split(":", 1)
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        msg = f"Cannot import module {module_name!r}: {exc}."
        raise DefinitionError(
            msg, hint="run from the directory that holds the package, or fix the module path"
        ) from exc
    obj = getattr(module, attr, None)
    if isinstance(obj, App):
        return obj.spec
    if isinstance(obj, AppSpec):
        return obj
    msg = f"{target!r} is not an App (found {type(obj).__name__})."
    raise DefinitionError(msg, hint=f"point at the App object defined in {module_name}")


def load_design(target: str) -> Design:
    """Load and derive."""
    return derive(load_app_spec(target))


def _cmd_design(args: argparse.Namespace) -> int:
    design = load_design(args.target)
    sys.stdout.write(design_to_json(design) if args.json else explain(design))
    return 0


def _cmd_emit(args: argparse.Namespace) -> int:
    from dynamodel.emit import emit_files  # noqa: PLC0415 - keeps `design` fast to start

    design = load_design(args.target)
    files = emit_files(design, args.format, as_json=args.json)
    if args.out is None:
        for _, text in files:
            sys.stdout.write(text)
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files:
        (out / name).write_text(text, encoding="utf-8")
        sys.stderr.write(f"wrote {out / name}\n")
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
    load_app_spec(spec_target)  # checks the target and puts the cwd on sys.path
    app = getattr(importlib.import_module(module_name), attr)
    sys.stdout.write(render_protocol(app))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the README's CLI reference test)."""
    parser = argparse.ArgumentParser(
        prog="dynamodel", description="Derive DynamoDB single-table designs from access patterns."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("design", help="derive and explain a design")
    p.add_argument("target", help="spec file (.yaml/.json) or module:APP")
    p.add_argument("--json", action="store_true", help="print the design JSON (SPEC.md §2) only")
    p.set_defaults(func=_cmd_design)
    p = sub.add_parser("emit", help="emit table definitions")
    p.add_argument("target", help="spec file (.yaml/.json) or module:APP")
    p.add_argument(
        "--format", choices=["cloudformation", "sam", "boto3", "pynamodb"], default="cloudformation"
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--yaml", dest="json", action="store_false", help="YAML output (default)")
    group.add_argument("--json", dest="json", action="store_true", help="JSON output")
    p.add_argument("--out", help="directory to write files into (default: stdout)")
    p.set_defaults(func=_cmd_emit, json=False)
    p = sub.add_parser("stubs", help="print a typed Table subclass with one typed method per pattern")
    p.add_argument("target", help="module:APP")
    p.set_defaults(func=_cmd_stubs)
    from dynamodel.propagate.cli import add_commands  # noqa: PLC0415 - propagate/repair subcommands

    add_commands(sub)
    p = sub.add_parser("demo", help="derive, emit and run the shop example on an embedded engine")
    p.add_argument("--out", default="out/demo", help="where to write the emitted templates")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except DynamodelError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
