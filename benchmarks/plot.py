"""Plot derivation time against the number of patterns (log-log) to ``benchmarks/derivation.png``.

matplotlib is an optional dependency (the ``bench`` extra); the Agg backend needs no display.

Run: .venv/bin/python benchmarks/plot.py   (measures with derive_scale first)
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from derive_scale import TARGET_PATTERNS, TARGET_SECONDS, ScaleRow, fitted_exponent, run

PNG = Path(__file__).resolve().parent / "derivation.png"


def plot(rows: Sequence[ScaleRow], path: Path = PNG) -> Path:
    """Write the log-log plot of median derivation time vs patterns, with the fit and the target.

    Raises:
        ModuleNotFoundError: matplotlib is not installed (``pip install -e '.[bench]'``).
    """
    import matplotlib as mpl  # noqa: PLC0415 - optional dependency: only plotting needs it

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    xs = [r.patterns for r in rows]
    ys = [r.seconds for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    ax.plot(xs, ys, "o-", color="tab:blue", label="derive() median of 3 runs")
    for r in rows:
        ax.annotate(
            f"{r.entities} ent.",
            (r.patterns, r.seconds),
            textcoords="offset points",
            xytext=(4, -12),
            fontsize=7,
        )
    k = fitted_exponent(rows)
    if k is not None and len(rows) >= 2:
        # The fitted line passes through the geometric means of the points.
        n = len(rows)
        gx = 10 ** (sum(_log10(x) for x in xs) / n)
        gy = 10 ** (sum(_log10(y) for y in ys) / n)
        fx = [min(xs), max(xs)]
        ax.plot(
            fx,
            [gy * (x / gx) ** k for x in fx],
            "--",
            color="tab:gray",
            label=f"fit: time ~ patterns^{k:.2f}",
        )
    ax.axhline(
        TARGET_SECONDS,
        color="tab:red",
        linestyle=":",
        label=f"target: {TARGET_PATTERNS} patterns < {TARGET_SECONDS:g} s",
    )
    ax.axvline(TARGET_PATTERNS, color="tab:red", linestyle=":", alpha=0.4)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("read patterns (synthetic apps, 5 to 200 entities)")
    ax.set_ylabel("derivation time (s)")
    ax.set_title("dynamodel: derivation time vs app size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    # No timestamp in the PNG metadata, so an unchanged plot is an unchanged file.
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path


def _log10(x: float) -> float:
    return math.log10(max(x, 1e-12))


def main() -> None:
    """Measure and plot."""
    print(f"wrote {plot(run())}")


if __name__ == "__main__":
    main()
