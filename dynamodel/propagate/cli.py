"""``dynamodel propagate`` and ``dynamodel repair-copies``: wire with ``add_commands(subparsers)``.

dynamodel propagate access_patterns.shop:shop --table shop-dev --endpoint-url http://127.0.0.1:5000
dynamodel propagate access_patterns.shop:shop --table shop-dev --dlq dead.jsonl --checkpoint cp.json
dynamodel propagate access_patterns.shop:shop --table shop-dev --replay dead.jsonl
dynamodel repair-copies access_patterns.shop:shop --table shop-dev [--source Customer --id customer_id=c1]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from dynamodel.attribute_types import PARSE_ERRORS, lookup
from dynamodel.design.model import Design
from dynamodel.errors import RequestError
from dynamodel.progress import progress
from dynamodel.propagate.cli_json import (
    counted,
    drain_document,
    item_count,
    repair_document,
    replay_document,
)
from dynamodel.propagate.driver import DrainReport, StreamCheckpoint, drain, stream_arn
from dynamodel.propagate.handler import (
    DEFAULT_MAX_ATTEMPTS,
    JsonlDeadLetterQueue,
    ListDeadLetterQueue,
    process_records,
)
from dynamodel.propagate.repair import repair_copies, replay_dead_letters
from dynamodel.targets import load_design

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodbstreams.client import DynamoDBStreamsClient

__all__ = ["add_commands", "parse_identity"]

_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_DUMMY = "local"


def _design(target: str) -> Design:
    return load_design(target)


def _endpoint(url: str | None) -> tuple[str | None, bool]:
    """``--endpoint-url`` checked: (the URL, whether it is a local engine)."""
    if url is None:
        return None, False
    bad = RequestError(
        f"--endpoint-url {url!r} is not an http(s) URL with a host and a valid port.",
        hint="e.g. --endpoint-url http://127.0.0.1:8000",
    )
    parts = urlsplit(url)
    try:
        port = parts.port  # out of range or not a number: ValueError
    except ValueError:
        raise bad from None
    if parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
        raise bad
    return url, parts.hostname in _LOCAL_HOSTS


def make_clients(args: argparse.Namespace) -> tuple[DynamoDBClient, DynamoDBStreamsClient]:
    import boto3  # noqa: PLC0415 - only these commands talk to DynamoDB
    from botocore.config import Config  # noqa: PLC0415

    endpoint, local = _endpoint(args.endpoint_url)
    session = boto3.session.Session(region_name=args.region)
    if local and session.get_credentials() is None:
        # A local engine accepts any credentials; these never reach AWS.
        session = boto3.session.Session(
            aws_access_key_id=_DUMMY, aws_secret_access_key=_DUMMY, region_name=args.region or "us-east-1"
        )
    if session.region_name is None:
        session = boto3.session.Session(region_name="us-east-1")
    # An unreachable endpoint fails in seconds, not after botocore's long default waits.
    config = Config(connect_timeout=5, read_timeout=60, retries={"mode": "standard", "max_attempts": 3})
    try:
        client: DynamoDBClient = session.client("dynamodb", endpoint_url=endpoint, config=config)
        streams: DynamoDBStreamsClient = session.client(
            "dynamodbstreams", endpoint_url=endpoint, config=config
        )
    except ValueError as exc:  # botocore's "Invalid endpoint" and region checks
        msg = f"Cannot make a DynamoDB client: {exc}."
        raise RequestError(msg, hint="check --endpoint-url and --region") from None
    return client, streams


def parse_identity(design: Design, source: str, pairs: list[str]) -> dict[str, object]:
    """``["customer_id=c1"]`` → ``{"customer_id": "c1"}``, typed as the attributes are declared.

    Raises:
        RequestError: a pair without ``=``, an attribute that is not part of the identity,
            or a value that does not parse as the attribute's type.
    """
    spec = design.app.entity(source)
    out: dict[str, object] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep:
            msg = f"--id {pair!r} is not attribute=value."
            raise RequestError(msg, hint=f"e.g. --id {spec.identity[0]}=...")
        if name not in spec.identity:
            msg = f"--id {name} is not an identity attribute of {source}."
            raise RequestError(msg, hint=f"{source} is identified by {', '.join(spec.identity)}")
        attr = spec.attribute(name)
        kind = attr.type if attr is not None else "str"
        try:
            value = lookup(kind).parse(text)
        except PARSE_ERRORS:
            msg = f"--id {name}={text!r} is not a valid {kind}."
            raise RequestError(msg, hint=f"write {name} as a {kind} literal") from None
        out[name] = value
    return out


def _file_arg(option: str, value: str | None, *, must_exist: bool = False) -> Path | None:
    """A file option checked before anything is read from the stream: not a directory, in a
    directory that exists (and the file itself, when ``must_exist``)."""
    if value is None:
        return None
    path = Path(value)
    if path.is_dir():
        msg = f"{option} {path} is a directory; it takes a file."
        raise RequestError(msg, hint=f"give a file name, e.g. {path / 'dead-letters.jsonl'}")
    if must_exist and not path.is_file():
        msg = f"{option} {path} does not exist."
        raise RequestError(msg, hint="give the JSON Lines file that --dlq wrote")
    if not path.parent.is_dir():
        msg = f"{option} {path}: the directory {path.parent} does not exist."
        raise RequestError(msg, hint="create it, or give a path in an existing directory")
    return path


def _load_checkpoint(path: Path | None) -> StreamCheckpoint | None:
    if path is None:
        return None
    if not path.exists():
        return StreamCheckpoint()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return StreamCheckpoint(
            positions={str(k): str(v) for k, v in data.get("positions", {}).items()},
            attempts={str(k): int(v) for k, v in data.get("attempts", {}).items()},
            closed={str(s) for s in data.get("closed", [])},
        )
    except OSError as err:
        msg = f"Cannot read the checkpoint {path}: {err.strerror or err}."
        raise RequestError(msg, hint="give a readable file, or a new name to start a checkpoint") from None
    except (ValueError, AttributeError, TypeError) as err:
        msg = f"{path} is not a checkpoint written by dynamodel propagate: {err}"
        raise RequestError(
            msg, hint="delete it to start from the oldest record (propagation is idempotent)"
        ) from None


def _save_checkpoint(path: Path | None, cp: StreamCheckpoint | None, arn: str) -> None:
    if path is None or cp is None:
        return
    data = {
        "stream_arn": arn,
        "positions": cp.positions,
        "attempts": cp.attempts,
        "closed": sorted(cp.closed),
    }
    try:
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    except OSError as err:
        msg = f"Cannot write the checkpoint {path}: {err.strerror or err}; the copies are up to date, the position is not saved."
        raise RequestError(
            msg, hint="give a writable --checkpoint path (the next run re-reads records idempotently)"
        ) from None


def _write(text: str) -> None:
    # Looked up at each call: on a terminal the bar swaps sys.stdout for a proxy that prints above it.
    sys.stdout.write(text)


def _cmd_propagate(args: argparse.Namespace) -> int:
    replay = _file_arg("--replay", args.replay, must_exist=True)
    dlq_path = _file_arg("--dlq", args.dlq)
    cp_path = _file_arg("--checkpoint", args.checkpoint)
    design = _design(args.target)
    client, streams = make_clients(args)
    if replay is not None:
        letters = JsonlDeadLetterQueue(replay).read()
        result = replay_dead_letters(letters, design=design, table_name=args.table, client=client)
        if args.json:
            _write(json.dumps(replay_document(len(letters), result), indent=2) + "\n")
            return 1 if result.failures else 0
        s = result.stats
        _write(
            f"replayed {len(letters)} dead letter(s): {s.updated} copy update(s), {s.current} already current, "
            f"{len(result.failures)} still failing\n"
        )
        for seq, err in result.errors.items():
            _write(f"  {seq}: {err}\n")
        return 1 if result.failures else 0
    dlq = JsonlDeadLetterQueue(dlq_path) if dlq_path else ListDeadLetterQueue()
    checkpoint = _load_checkpoint(cp_path)
    arn = stream_arn(client, args.table)
    dead = 0
    enabled = False if args.json else None
    with progress("stream records", total=None, unit="records", enabled=enabled) as meter:
        try:
            while True:
                report = drain(
                    design,
                    args.table,
                    client,
                    streams,
                    dlq=dlq,
                    max_attempts=args.max_attempts,
                    batch_size=args.batch_size,
                    checkpoint=checkpoint,
                    handler=counted(process_records, meter.advance),
                )
                _save_checkpoint(cp_path, checkpoint, arn)
                dead += len(report.dead_letters)
                if report.deliveries or not args.follow:
                    _print_drain(report, args)
                if not args.follow:
                    break
                time.sleep(args.interval)
        except KeyboardInterrupt:  # --follow ends with Ctrl-C
            _save_checkpoint(cp_path, checkpoint, arn)
    return 1 if dead else 0


def _print_drain(report: DrainReport, args: argparse.Namespace) -> None:
    if args.json:
        # One document per drain, on one line under --follow (JSON Lines), else indented.
        _write(json.dumps(drain_document(report), indent=None if args.follow else 2) + "\n")
        return
    _write(report.summary() + "\n")
    for letter in report.dead_letters:
        seq = letter.record.get("dynamodb", {}).get("SequenceNumber")
        where = f" -> {args.dlq}" if args.dlq else ""
        _write(f"  dead letter {seq}{where}: {letter.error}\n")


def _cmd_repair(args: argparse.Namespace) -> int:
    design = _design(args.target)
    client, _ = make_clients(args)
    identity: dict[str, Any] | None = None
    if args.id:
        if not args.source:
            msg = "--id needs --source (the entity the identity belongs to)."
            raise RequestError(msg, hint="e.g. --source Customer --id customer_id=c1")
        identity = parse_identity(design, args.source, args.id)
    with progress("items read", total=None, unit="items", enabled=False if args.json else None) as meter:
        if meter.drawing and identity is None:
            # Each copied source's items are read by a Scan of the table (or a Query of fewer), so
            # the table's estimated item count per source bounds the reads.
            sources = len({p.source for p in design.copy_paths if args.source in (None, p.source)})
            count = item_count(client, args.table)
            meter.update(total=count * sources if count else None, estimate=True)
        elif meter.drawing:
            meter.update(total=1)
        report = repair_copies(
            design,
            args.table,
            client,
            source=args.source,
            identity=identity,
            force=args.force,
            on_progress=meter.advance,
        )
    if args.json:
        _write(json.dumps(repair_document(report), indent=2) + "\n")
        return 0
    _write(report.summary() + "\n")
    if report.ahead and not args.force:
        _write(
            f"  {report.ahead} target(s) hold copies stamped newer than their source "
            "(a source without _born re-created, or a hand-written stamp?): "
            "rerun with --force to overwrite them\n"
        )
    if report.missing_sources:
        _write("  the source item does not exist; its copies were left as they are\n")
    return 0


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        msg = f"{text!r} is not a whole number >= 1"
        raise argparse.ArgumentTypeError(msg)
    return value


def seconds(text: str) -> float:
    """argparse type: a number of seconds >= 0."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        msg = f"{text!r} is not a number of seconds >= 0"
        raise argparse.ArgumentTypeError(msg)
    return value


def common_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", help="spec file (.yaml/.json) or module:APP")
    p.add_argument("--table", required=True, help="the table's name")
    p.add_argument("--endpoint-url", help="DynamoDB endpoint (a local engine); default: AWS")
    p.add_argument("--region", help="AWS region (default: the environment's, else us-east-1)")


def add_commands(subparsers: Any) -> None:
    """Add ``propagate`` and ``repair-copies`` to the ``dynamodel`` command's subparsers.

    Each parser sets ``func`` (``args.func(args) -> int``), like the other subcommands.
    """
    p = subparsers.add_parser(
        "propagate", help="apply the table's stream to the copies (local driver), or replay dead letters"
    )
    common_arguments(p)
    p.add_argument("--dlq", help="JSON Lines file receiving records that keep failing")
    p.add_argument(
        "--max-attempts",
        type=positive_int,
        default=DEFAULT_MAX_ATTEMPTS,
        help="deliveries before a record is dead-lettered",
    )
    p.add_argument("--batch-size", type=positive_int, default=100, help="records per handler call")
    p.add_argument("--checkpoint", help="JSON file remembering the stream position between runs")
    p.add_argument("--follow", action="store_true", help="keep polling until interrupted")
    p.add_argument("--interval", type=seconds, default=1.0, help="seconds between polls with --follow")
    p.add_argument(
        "--replay", help="replay the dead letters in this JSON Lines file instead of reading the stream"
    )
    p.add_argument(
        "--json", action="store_true", help="print JSON (one line per drain with --follow), no progress bar"
    )
    p.set_defaults(func=_cmd_propagate)
    p = subparsers.add_parser(
        "repair-copies", help="recompute copies from their sources and fix those that drifted"
    )
    common_arguments(p)
    p.add_argument("--source", help="repair only the copies of this entity")
    p.add_argument(
        "--id",
        action="append",
        default=[],
        metavar="ATTR=VALUE",
        help="identity of one source item (repeat per attribute)",
    )
    p.add_argument(
        "--force", action="store_true", help="also overwrite copies stamped newer than their source"
    )
    p.add_argument("--json", action="store_true", help="print one JSON document, and no progress bar")
    p.set_defaults(func=_cmd_repair)
