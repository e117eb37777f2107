"""The runtime benchmark's results: the comparisons, their target rows, and section 4 of RESULTS.md."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from design_quality import md_table
from runtime_common import CUSTOMERS, LINES, OPS, ORDERS, RUNTIME_TARGET, Comparison, Meter
from runtime_footprint import Footprint, footprint_table

TITLE = "4. Runtime overhead against raw boto3 and aiobotocore, PynamoDB beside"


@dataclass(frozen=True)
class OverheadResult:
    """The runtime comparisons, or why they could not run."""

    rounds: int
    note: str
    seconds: float
    sync: Comparison | None = None  # dynamodel Table vs raw boto3, same requests
    async_: Comparison | None = None  # dynamodel AsyncTable vs raw aiobotocore, same requests
    lean: Comparison | None = None  # dynamodel Table vs raw boto3, lean requests
    pynamodb: Comparison | None = None  # PynamoDB vs raw boto3, same requests
    versus_pynamodb: Comparison | None = None  # dynamodel Table vs PynamoDB
    same_shapes: bool = False
    footprint: tuple[Footprint, ...] = ()  # Python run per call outside the client (no clock)

    @property
    def requests_ok(self) -> bool:
        """Both dynamodel tables sent exactly ``plan.requests`` per call, and as many as the raw sides."""
        pairs = [c for c in (self.sync, self.async_) if c is not None]
        return bool(pairs) and all(not c.mismatched and c.same_requests for c in pairs)

    def request_summary(self) -> str:
        """Operations whose requests per call differ from the design's, with both figures."""
        return "; ".join(
            f"{c.ours_name} {r.op}: {r.ours_requests:g} per call, design {r.design_requests}"
            for c in (self.sync, self.async_)
            if c is not None
            for r in c.rows
            if r.op in c.mismatched
        )


def _shape(value: object) -> object:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


def shapes_match(ours: Meter, base: Meter) -> bool:
    """Whether the raw side's recorded requests have dynamodel's shape, operation by operation."""
    return all(_shape(ours.shapes.get(op)) == _shape(base.shapes.get(op)) for op, _, _ in OPS)


def target_rows(result: OverheadResult | None) -> list[tuple[str, str, str, bool | None, str]]:
    """The target rows of RESULTS.md: runtime sync, runtime async, requests (name, goal, measured, met, note)."""
    out: list[tuple[str, str, str, bool | None, str]] = []
    for name, c, base in (
        ("runtime", result.sync if result else None, "raw boto3"),
        ("runtime async", result.async_ if result else None, "raw aiobotocore"),
    ):
        goal = f"<= {RUNTIME_TARGET}x {base}'s CPU per call (the same requests)"
        if c is None or c.cpu_ratio is None:
            out.append((name, goal, "not measured", None, result.note if result else "not run"))
            continue
        measured = (
            f"{c.cpu_ratio:.3f}x CPU ({c.ours_cpu_us:.0f} vs {c.base_cpu_us:.0f} µs/call), "
            f"{c.wall_ratio or 0:.2f}x wall"
        )
        met = c.cpu_ratio <= RUNTIME_TARGET
        note = "" if met else f"missed by {c.cpu_ratio - RUNTIME_TARGET:.3f}x; see section 4"
        out.append((name, goal, measured, met, note))
    if result is None or result.sync is None:
        out.append(
            ("requests", "requests per pattern = the design's plan.requests", "not measured", None, "")
        )
    else:
        measured = "all equal, sync and async" if result.requests_ok else result.request_summary()
        out.append(
            (
                "requests",
                "requests per pattern = the design's plan.requests",
                measured,
                result.requests_ok,
                "",
            )
        )
    return out


# ---- rendering ------------------------------------------------------------------------------


def _us(seconds: float, calls: int) -> str:
    return f"{seconds / calls * 1e6:.0f}" if calls else "-"


def _x(ratio: float | None) -> str:
    return f"{ratio:.3f}x" if ratio is not None else "-"


def summary(result: OverheadResult) -> str:
    """One row per comparison: CPU per call both sides, the ratios, the target where there is one."""
    rows: list[list[object]] = []
    for c, target in (
        (result.sync, RUNTIME_TARGET),
        (result.async_, RUNTIME_TARGET),
        (result.lean, None),
        (result.pynamodb, None),
        (result.versus_pynamodb, None),
    ):
        if c is None:
            continue
        met = (
            "-"
            if target is None or c.cpu_ratio is None
            else ("met" if c.cpu_ratio <= target else "**NOT met**")
        )
        rows.append(
            [
                f"{c.ours_name} / {c.base_name}",
                c.calls,
                f"{c.ours_cpu_us:.0f}",
                f"{c.base_cpu_us:.0f}",
                _x(c.cpu_ratio),
                _x(c.wall_ratio),
                f"<= {target}x: {met}" if target else "-",
            ]
        )
    headers = ["comparison", "calls/side", "CPU µs/call", "baseline", "CPU ratio", "wall ratio", "target"]
    return md_table(headers, rows)


def per_operation(result: OverheadResult) -> str:
    """CPU µs per call of every operation on every side, and requests per call."""
    assert result.sync
    assert result.async_
    assert result.lean
    assert result.pynamodb
    rows: list[list[object]] = []
    for s, a, lean, p in zip(
        result.sync.rows, result.async_.rows, result.lean.rows, result.pynamodb.rows, strict=True
    ):
        rows.append(
            [
                s.op,
                s.ours.calls,
                "-" if s.design_requests is None else s.design_requests,
                f"{s.ours_requests:g}/{a.ours_requests:g}/{s.base_requests:g}/{p.ours_requests:g}",
                _us(s.ours.cpu, s.ours.calls),
                _us(s.base.cpu, s.base.calls),
                _x(s.ours.cpu / s.base.cpu if s.base.cpu else None),
                _us(a.ours.cpu, a.ours.calls),
                _us(a.base.cpu, a.base.calls),
                _x(a.ours.cpu / a.base.cpu if a.base.cpu else None),
                _us(lean.base.cpu, lean.base.calls),
                _us(p.ours.cpu, p.ours.calls),
            ]
        )
    headers = [
        "operation",
        "calls/side",
        "requests: design",
        "sent: dynamodel/async/raw/PynamoDB",
        "CPU µs/call dynamodel",
        "raw boto3",
        "sync ratio",
        "dynamodel async",
        "raw aiobotocore",
        "async ratio",
        "raw boto3 lean",
        "PynamoDB",
    ]
    return md_table(headers, rows)


def split_text(result: OverheadResult) -> str:
    """Where the sync gap lies: inside botocore (serialise, sign, send, parse) or in each side's own Python."""
    c, p = result.sync, result.pynamodb
    if c is None or p is None or not c.inside_us(ours=True):
        return ""
    rows: list[list[object]] = []
    for s, q in zip(c.rows, p.rows, strict=True):
        rows.append(
            [
                s.op,
                _us(s.ours.inside, s.ours.calls),
                _us(s.base.inside, s.base.calls),
                _us(s.ours.cpu - s.ours.inside, s.ours.calls),
                _us(s.base.cpu - s.base.inside, s.base.calls),
                _us(q.ours.cpu - q.ours.inside, q.ours.calls),
            ]
        )
    ours_in, base_in = c.inside_us(ours=True), c.inside_us(ours=False)
    ours_out, base_out = c.ours_cpu_us - ours_in, c.base_cpu_us - base_in
    pyn_out = p.ours_cpu_us - p.inside_us(ours=True)
    rows.append(
        ["all", f"{ours_in:.0f}", f"{base_in:.0f}", f"{ours_out:.0f}", f"{base_out:.0f}", f"{pyn_out:.0f}"]
    )
    gap = c.ours_cpu_us - c.base_cpu_us
    headers = [
        "operation (sync)",
        "inside botocore µs/call: dynamodel",
        "raw boto3",
        "outside: dynamodel",
        "raw boto3",
        "PynamoDB",
    ]
    return (
        "Where the sync gap lies: each call's CPU split into the part inside botocore's `_make_api_call` "
        "(serialising, signing, HTTP, parsing; the thread's CPU, shard threads summed) and the rest, the "
        f"caller's own Python. Of the gap of {gap:.0f} µs/call, {ours_in - base_in:.0f} µs is inside botocore "
        f"and {ours_out - base_out:.0f} µs outside it.\n\n{md_table(headers, rows)}\n\n"
    )


def spread_text(result: OverheadResult) -> str:
    """How much the ratio varies from round to round (each round is the same work on each side)."""
    parts = []
    for name, c in (("sync", result.sync), ("async", result.async_)):
        ratios = sorted(c.round_ratios) if c is not None else []
        if ratios:
            parts.append(
                f"{name} median {statistics.median(ratios):.3f}x, from {ratios[0]:.3f}x to {ratios[-1]:.3f}x over {len(ratios)} rounds"
            )
    if not parts:
        return ""
    return f"CPU ratio round by round (each round runs the same work on every side): {'; '.join(parts)}.\n\n"


def footprint_text(result: OverheadResult) -> str:
    """The footprint table and what it means, or nothing when it was not measured."""
    if not result.footprint:
        return ""
    return (
        "Python run per call outside the client, one call of each operation traced on each side "
        "(`benchmarks/runtime_footprint.py`; no clock, so these do not vary from run to run, except "
        "the call counts of `open_orders_by_date`, whose shard threads are not traced, by a few). "
        "They say how much of its own Python dynamodel runs per call; they do not predict the CPU "
        "ratio: when they were cut by about half (2026-12-01, from 57-130 distinct functions per "
        "call; the cuts that copied shared helpers inline were later put back), the ratio moved less "
        "than its spread between rounds.\n\n"
        f"{footprint_table(list(result.footprint))}\n\n"
    )


def report(result: OverheadResult) -> str:
    """The summary, the per-operation table and the setup, as markdown."""
    if result.sync is None or result.async_ is None:
        return f"Not measured: {result.note}."
    sync, async_ = result.sync, result.async_
    verdicts = [
        f"{name} {c.cpu_ratio:.3f}x ({'met' if c.cpu_ratio <= RUNTIME_TARGET else 'NOT met'})"
        for name, c in (("sync", sync), ("async", async_))
        if c.cpu_ratio is not None
    ]
    ops = "\n".join(f"- `{op}`: {what}" for op, _, what in OPS)
    return (
        f"{summary(result)}\n\n{spread_text(result)}{per_operation(result)}\n\n{split_text(result)}"
        f"{footprint_text(result)}"
        f"Target: dynamodel's CPU per call <= {RUNTIME_TARGET}x the raw client's sending the same requests: "
        f"{', '.join(verdicts)}. {result.note[0].upper()}{result.note[1:]}. The raw sides' requests have "
        f"dynamodel's shape (parameters, item attributes): {'yes' if result.same_shapes else 'NO'}.\n\n"
        f"Setup: the `shop` app (`access_patterns/shop.py`); {result.rounds} measured rounds per side after "
        f"a warm-up, per round {CUSTOMERS} customers x {ORDERS} orders x {LINES} lines; sync sides interleaved "
        "customer by customer (the side going first rotating), then the async sides the same way on one "
        "event loop. One moto server (`EmbeddedEngine`, real HTTP on 127.0.0.1) in a child process, so CPU "
        "is the clients' only (`time.process_time()`, all threads of this process, shard threads included); "
        "wall includes moto's time. Sides:\n\n"
        "- **dynamodel** / **dynamodel async**: `shop.connect(...)` / `await shop.connect_async(...)`, "
        "pydantic entities back; it also checks arguments, escapes key values and signs cursors.\n"
        "- **raw boto3** / **raw aiobotocore** (the baseline of the target): the same requests written by hand "
        "(same item attributes including `_born` and `_wid`, same `#name` placeholders, same conditions, "
        "guard item, copy read and shards in threads / gathered), items decoded into dicts by hand.\n"
        "- **raw boto3 lean**: what a hand-written app needing neither `_born`/`_wid` nor placeholders sends; "
        "the gap between it and raw boto3 is what dynamodel's request choices cost inside botocore.\n"
        "- **PynamoDB**: the models `dynamodel emit --format pynamodb` writes (plus the guard item and "
        "`_version`/`_born`/`_wid`), every operation, keys rendered by hand, `TransactWrite` for the writes, "
        "shard queries on threads (see `benchmarks/runtime_pynamodb.py`); PynamoDB creates its botocore "
        "client with `parameter_validation=False`, the boto3 sides keep botocore's validation on.\n\n"
        f"Operations:\n\n{ops}\n\nRun time: {result.seconds:.0f} s."
    )
