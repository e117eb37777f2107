"""Derivation time and peak memory against app size (issue 7 §2; target: 1,000 patterns under 1 s).

Synthetic apps (``synthetic.py``) from 10 to 2,000 read patterns over 5 to 200 entities. Time is the
median of ``repeats`` runs without tracing; peak memory comes from one extra run under ``tracemalloc``
(which slows Python down, so it is never timed). The growth exponent k is the least-squares slope of
log(time) against log(patterns).

Run: .venv/bin/python benchmarks/derive_scale.py [--max-patterns N] [--repeats R]
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import synthetic_app

from dynamodel.design import derive

SIZES: tuple[tuple[int, int], ...] = (
    (5, 10),
    (10, 50),
    (20, 100),
    (30, 200),
    (50, 500),
    (100, 1000),
    (150, 1500),
    (200, 2000),
)
TARGET_PATTERNS = 1000
TARGET_SECONDS = 1.0


@dataclass(frozen=True)
class ScaleRow:
    """One size: entities, patterns, median seconds, peak MiB, GSIs, minimality proven."""

    entities: int
    patterns: int
    seconds: float
    runs: tuple[float, ...]
    peak_mib: float
    gsis: int
    optimal: bool


def measure(n_entities: int, n_patterns: int, repeats: int = 3) -> ScaleRow:
    """Derive a synthetic app ``repeats`` times (median time) and once more under tracemalloc (peak)."""
    app = synthetic_app(n_entities, n_patterns)
    runs = []
    design = derive(app)
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        design = derive(app)
        runs.append(time.perf_counter() - t0)
    gc.collect()
    tracemalloc.start()
    derive(app)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return ScaleRow(
        entities=n_entities,
        patterns=n_patterns,
        seconds=statistics.median(runs),
        runs=tuple(runs),
        peak_mib=peak / 2**20,
        gsis=len(design.indexes),
        optimal=design.optimal,
    )


def run(sizes: Sequence[tuple[int, int]] = SIZES, repeats: int = 3) -> list[ScaleRow]:
    """Measure every (entities, patterns) size."""
    return [measure(n_e, n_p, repeats) for n_e, n_p in sizes]


def fitted_exponent(rows: Sequence[ScaleRow]) -> float | None:
    """k in time ~ patterns^k (least squares on logs); None with fewer than two sizes."""
    if len(rows) < 2:
        return None
    xs = [math.log(r.patterns) for r in rows]
    ys = [math.log(max(r.seconds, 1e-9)) for r in rows]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else None


def target_row(rows: Sequence[ScaleRow]) -> ScaleRow | None:
    """The row at the target size (1,000 patterns), if measured."""
    return next((r for r in rows if r.patterns == TARGET_PATTERNS), None)


def table(rows: Sequence[ScaleRow]) -> tuple[list[str], list[list[object]]]:
    """Headers and rows for printing."""
    headers = ["entities", "patterns", "median s (3 runs)", "runs s", "peak MiB", "GSIs", "minimal proven"]
    body: list[list[object]] = [
        [
            r.entities,
            r.patterns,
            f"{r.seconds:.3f}",
            " / ".join(f"{s:.3f}" for s in r.runs),
            f"{r.peak_mib:.1f}",
            r.gsis,
            "yes" if r.optimal else "no (search budget)",
        ]
        for r in rows
    ]
    return headers, body


def main() -> None:
    """Print the table and the fitted exponent."""
    from design_quality import md_table  # noqa: PLC0415 - standalone entry point only

    parser = argparse.ArgumentParser()
    parser.add_argument("--max-patterns", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = run([s for s in SIZES if s[1] <= args.max_patterns], args.repeats)
    print(md_table(*table(rows)))
    k = fitted_exponent(rows)
    if k is not None:
        print(f"fitted growth exponent (time ~ patterns^k): k = {k:.2f}")
    at = target_row(rows)
    if at is not None:
        verdict = "met" if at.seconds < TARGET_SECONDS else "NOT met"
        print(f"target {TARGET_PATTERNS} patterns < {TARGET_SECONDS:g} s: {at.seconds:.3f} s, {verdict}")


if __name__ == "__main__":
    main()
