"""Derivation time and peak memory against app size (issue 2: 100 entities / 1,000 patterns < 2 s).

Run: .venv/bin/python benchmarks/derive_scale.py
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import synthetic_app

from dynamodel.design import derive

SIZES = [(5, 10), (10, 50), (20, 100), (50, 500), (100, 1000), (200, 2000)]


def measure(n_entities: int, n_patterns: int) -> tuple[float, float, int, bool]:
    """Seconds, peak MiB, GSIs, optimality proven."""
    app = synthetic_app(n_entities, n_patterns)
    tracemalloc.start()
    t0 = time.perf_counter()
    design = derive(app)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak / 2**20, len(design.indexes), design.optimal


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-patterns", type=int, default=2000)
    args = parser.parse_args()
    rows = []
    print(f"{'entities':>8} {'patterns':>8} {'seconds':>8} {'peak MiB':>8} {'GSIs':>5} optimal")
    for n_e, n_p in SIZES:
        if n_p > args.max_patterns:
            continue
        sec, mib, gsis, optimal = measure(n_e, n_p)
        rows.append((n_p, sec))
        print(f"{n_e:>8} {n_p:>8} {sec:>8.3f} {mib:>8.1f} {gsis:>5} {optimal}")
    if len(rows) >= 2:
        xs = [math.log(n) for n, _ in rows]
        ys = [math.log(max(s, 1e-6)) for _, s in rows]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
        print(f"fitted growth exponent (time ~ patterns^k): k = {slope:.2f}")


if __name__ == "__main__":
    main()
