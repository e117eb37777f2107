"""All benchmarks in one process: prints every table with ratios and regenerates RESULTS.md and the plot.

Parts (issue 7): design quality against the published experts, derivation scale (+ plot), the codec
(``benchmarks/codec_bench.py``, when present, with ``--items``), and the runtime overhead against raw
boto3 on one embedded moto server; (issue 13) the migration runner's fill against a hand-written boto3
loop, its write-unit model, and a billion items on paper (``benchmarks/migrate_fill.py``); the example apps
keyed synthetic, auto and native (``benchmarks/key_style.py``). Targets are reported as met or not, with
the measured figure.

Run: .venv/bin/python benchmarks/run.py   (``make bench``)
     .venv/bin/python benchmarks/run.py --only quality   (section 1 alone, in seconds: rewrites that
     section and its target rows of RESULTS.md, keeps the rest, and says so in the header)
     .venv/bin/python benchmarks/run.py --only key_style   (section 6 alone, in a second, the same way)
     .venv/bin/python benchmarks/run.py --only runtime   (section 4 alone, a few minutes, the same way)
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import platform
import re
import runpy
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import derive_scale
import design_quality
import key_style
import migrate_fill
import plot
import runtime_overhead
from design_quality import md_table

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
CODEC_BENCH = HERE / "codec_bench.py"
CODEC_ITEMS = 100_000
CODEC_TARGET = 0.30  # dynamodel's codec time / boto3's (issue 16; was 0.5)
FILL_TARGET = migrate_fill.FILL_TARGET  # the migration runner's fill time / a hand-written loop's


@dataclass(frozen=True)
class Target:
    """One target of the issue: what was asked, what was measured, met or not, and a note."""

    name: str
    goal: str
    measured: str
    met: bool | None  # None: not measured
    note: str = ""


@dataclass(frozen=True)
class CodecResult:
    """The codec benchmark's printed output and the dynamodel/boto3 time ratio found in it."""

    output: str
    ratio: float | None
    error: str | None = None


def run_codec(items: int) -> CodecResult | None:
    """Run ``codec_bench.py --items N`` in this process, output captured; None when the file is absent.

    Calls its ``main(argv)`` when it has one, else runs the file as ``__main__`` with that argv.
    """
    if not CODEC_BENCH.exists():
        return None
    argv = ["--items", str(items)]
    out = io.StringIO()
    error = None
    saved = sys.argv
    try:
        with contextlib.redirect_stdout(out):
            module = importlib.import_module(CODEC_BENCH.stem)
            entry = getattr(module, "main", None)
            if callable(entry):
                entry(argv)
            else:
                sys.argv = [str(CODEC_BENCH), *argv]
                runpy.run_path(str(CODEC_BENCH), run_name="__main__")
    except SystemExit as exc:  # argparse or an explicit exit
        if exc.code not in (0, None):
            error = f"codec_bench.py exited with {exc.code}"
    except Exception as exc:
        error = f"codec_bench.py failed: {type(exc).__name__}: {exc}"
    finally:
        sys.argv = saved
    text = out.getvalue()
    return CodecResult(text, codec_ratio(text), error)


def codec_ratio(text: str) -> float | None:
    """dynamodel's codec time over boto3's (encode + decode), read from the codec benchmark's output.

    The line ``dynamodel/boto3 total: 0.31x``; failing that, the last line that mentions boto3
    and a total with an ``N.NNx`` figure.
    """
    exact = re.findall(r"dynamodel/boto3 total:\s*(\d+(?:\.\d+)?)\s*x", text)
    if exact:
        return float(exact[-1])
    for line in text.splitlines()[::-1]:
        if "boto3" in line and "total" in line.lower():
            found = re.findall(r"(\d+(?:\.\d+)?)\s*[x×]", line)
            if found:
                return float(found[-1])
    return None


def quality_targets(quality: Sequence[design_quality.CaseResult]) -> list[Target]:
    """Section 1's targets: GSIs and single-request reads (issue 7), read and write units (issue 15)."""
    out: list[Target] = []
    gsi_fail = [r for r in quality if not r.gsis_ok]
    out.append(
        Target(
            "GSIs",
            "<= expert on every case",
            f"{len(quality) - len(gsi_fail)}/{len(quality)} cases; {sum(r.ours_gsis for r in quality)} vs "
            f"{sum(r.expert_gsis for r in quality)} GSIs in total",
            not gsi_fail,
            "; ".join(f"{r.case}: {r.ours_gsis} > {r.expert_gsis}" for r in gsi_fail),
        )
    )
    kept = sum(r.expert_singles_kept for r in quality)
    total = sum(r.expert_single for r in quality)
    beats = sum(len(r.beats) for r in quality)
    out.append(
        Target(
            "single-request reads",
            "every expert single-request read pattern is single-request for us",
            f"{kept}/{total} kept; {beats} patterns beat the expert (filter, scan or 2 requests -> 1)",
            kept == total,
        )
    )
    read_fail = [r for r in quality if r.ours_rcu > r.expert_rcu]
    out.append(
        Target(
            "read units",
            "read units per call (sum over the read patterns) <= the expert's on every case",
            f"{len(quality) - len(read_fail)}/{len(quality)} cases; {sum(r.ours_rcu for r in quality):g} vs "
            f"{sum(r.expert_rcu for r in quality):g} in total (estimate, section 1)",
            not read_fail,
            "; ".join(f"{r.case}: {r.ours_rcu:g} > {r.expert_rcu:g}" for r in read_fail),
        )
    )
    write_fail = [r for r in quality if r.ours_wcu > r.expert_wcu]
    out.append(
        Target(
            "write units",
            "write units per write (one of each entity both store) <= the expert's on every case",
            f"{len(quality) - len(write_fail)}/{len(quality)} cases; {sum(r.ours_wcu for r in quality):g} vs "
            f"{sum(r.expert_wcu for r in quality):g} in total (estimate, section 1)",
            not write_fail,
            "; ".join(f"{r.case}: {r.ours_wcu:g} > {r.expert_wcu:g}" for r in write_fail),
        )
    )
    return out


def targets(
    quality: Sequence[design_quality.CaseResult],
    scale: Sequence[derive_scale.ScaleRow],
    codec: CodecResult | None,
    runtime: runtime_overhead.OverheadResult | None,
    fill: migrate_fill.FillResult | None = None,
) -> list[Target]:
    """The five targets of issue 7, the fill target of issue 13 and the cost targets of issue 15, measured."""
    out = quality_targets(quality)
    at = derive_scale.target_row(scale)
    out.append(
        Target(
            "derivation",
            f"{derive_scale.TARGET_PATTERNS:,} patterns < {derive_scale.TARGET_SECONDS:g} s",
            f"{at.seconds:.3f} s ({at.entities} entities, median of {len(at.runs)})"
            if at
            else "not measured",
            None if at is None else at.seconds < derive_scale.TARGET_SECONDS,
        )
    )
    if codec is None:
        out.append(
            Target(
                "codec",
                f"<= {CODEC_TARGET}x boto3's time",
                "not measured",
                None,
                "codec_bench.py not present",
            )
        )
    else:
        out.append(
            Target(
                "codec",
                f"<= {CODEC_TARGET}x boto3's time ({CODEC_ITEMS:,} items, encode + decode)",
                f"{codec.ratio:.2f}x" if codec.ratio is not None else "ratio not found in output",
                None if codec.ratio is None else codec.ratio <= CODEC_TARGET,
                codec.error or "",
            )
        )
    out += [Target(*row) for row in runtime_overhead.target_rows(runtime)]
    out.append(fill_target(fill))
    return out


def fill_target(fill: migrate_fill.FillResult | None) -> Target:
    """Issue 13: the runner's fill against the hand-written loop, same data, same scan."""
    goal = f"MigrationRunner.up() <= {FILL_TARGET}x a hand-written boto3 scan + UpdateItem loop's time"
    if fill is None or not fill.rounds:
        return Target("migration fill", goal, "not measured", None)
    met = fill.ratio <= FILL_TARGET
    model = fill.model
    agree = "=" if model.predicted_units == model.consumed_units else "!="
    measured = (
        f"{fill.ratio:.2f}x ({fill.runner_wall:.1f} vs {fill.loop_wall:.1f} s, "
        f"median of {len(fill.rounds)}); "
        f"write units predicted {model.predicted_units:,} {agree} consumed {model.consumed_units:,}"
    )
    note = (
        ""
        if met
        else f"per item write the runner spends {fill.client_cpu_ratio:.2f}x the loop's CPU outside moto "
        f"and {fill.engine_cpu_ratio:.2f}x its CPU inside moto; see section 5"
    )
    return Target("migration fill", f"{goal} ({fill.items:,} items)", measured, met, note)


def targets_table(rows: Sequence[Target]) -> str:
    """The targets as a table."""
    return md_table(["target", "goal", "measured", "verdict", "note"], _target_cells(rows))


def _target_cells(rows: Sequence[Target]) -> list[list[str]]:
    verdict = {True: "met", False: "**NOT met**", None: "not measured"}
    return [[t.name, t.goal, t.measured, verdict[t.met], t.note or "-"] for t in rows]


QUALITY_TITLE = "1. Design quality against the published expert designs"


def quality_section(quality: Sequence[design_quality.CaseResult]) -> str:
    """Section 1 of RESULTS.md: every table of ``design_quality`` and its assumptions."""
    assumptions = "\n".join(f"- {a}" for a in design_quality.ASSUMPTIONS)
    write_assumptions = "\n".join(f"- {a}" for a in design_quality.WRITE_ASSUMPTIONS)
    return (
        "Per case (RCU/call: sum over the case's read patterns of the estimated read units of one call "
        "each; see the assumptions below):\n\n"
        + design_quality.summary_table(quality)
        + "\n\n"
        + design_quality.rcu_summary(quality)
        + "\n\nWhat each design costs, expert / ours (issue 15): GSIs; read units per call summed over the "
        "read patterns (the estimate above); write units of one write of each entity both designs store, "
        "summed (assumptions below); GSI projections (INCLUDE n: the attributes the projection lists; "
        "ours counts the identity and _type/_version/_born, the expert's PK/SK; ALL*: not stated by the "
        "source, costed as ALL); GSI key style (plain: a declared attribute is the key; synthetic: a "
        "rendered key attribute):\n\n"
        + design_quality.cost_table(quality)
        + "\n\nWrite units of one write of each entity (expert: `-` and `no item` where the expert's "
        "design stores none):\n\n"
        + design_quality.writes_table(quality)
        + "\n\nPatterns where we beat the expert (one request where the expert needs a filter, a scan "
        "or two requests):\n\n"
        + design_quality.beats_table(quality)
        + "\n\nTechniques each design uses (expert: the case's expect file; ours: `design.techniques`):\n\n"
        + design_quality.techniques_table(quality)
        + "\n\nEvery read pattern, estimated RCU per call (items read: expert/ours):\n\n"
        + design_quality.patterns_table(quality)
        + "\n\nAssumptions of the RCU estimate:\n\n"
        + assumptions
        + "\n\nAssumptions of the write units and key styles:\n\n"
        + write_assumptions
    )


def _row_cells(line: str) -> list[str]:
    """The cells of one markdown table row (as ``md_table`` writes it, ``\\|`` unescaped)."""
    cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [c.strip().replace("\\|", "|") for c in cells]


def replace_section(
    text: str, title: str, section: str, rows: Sequence[Target], note: str, *, old_title: str = ""
) -> str:
    """RESULTS.md with one section and its target rows replaced, the rest kept, and the header saying so.

    The targets table is rebuilt: the section's rows first, then every other row as it was. ``note``
    (a header line) replaces the previous note that starts with the same three words.
    """
    start = text.index(f"## {old_title or title}")
    end = text.index("\n## ", start) + 1
    text = text[:start] + section + "\n" + text[end:]
    t_start = text.index("## Targets\n\n") + len("## Targets\n\n")
    t_end = text.index("\n\n", t_start)
    old = [_row_cells(line) for line in text[t_start:t_end].splitlines()[2:]]
    names = {t.name for t in rows}
    table = md_table(
        ["target", "goal", "measured", "verdict", "note"],
        [*_target_cells(rows), *(c for c in old if c[0] not in names)],
    )
    text = text[:t_start] + table + text[t_end:]
    prefix = " ".join(note.split()[:3])
    lines = [line for line in text.split("\n") if not line.startswith(prefix)]
    at = lines.index("## Targets") - 1
    return "\n".join([*lines[:at], note, *lines[at:]])


def replace_quality(text: str, section: str, rows: Sequence[Target], when: str) -> str:
    """RESULTS.md with section 1 and its target rows replaced (``--only quality``)."""
    note = (
        f"- Section 1 and its target rows (GSIs, single-request reads, read units, write units): "
        f"`.venv/bin/python benchmarks/run.py --only quality`, run on {when}; the other sections are "
        "from the run above"
    )
    return replace_section(text, QUALITY_TITLE, section, rows, note)


def machine() -> str:
    """Platform, CPU count and Python version."""
    return (
        f"{platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()} ({platform.python_implementation()})"
    )


def main() -> None:
    """Run everything, print the tables, write RESULTS.md and the plot."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--codec-items", type=int, default=CODEC_ITEMS)
    parser.add_argument("--rounds", type=int, default=runtime_overhead.ROUNDS, help="runtime rounds per side")
    parser.add_argument(
        "--fill-items", type=int, default=migrate_fill.ITEMS, help="items the migration fills"
    )
    parser.add_argument("--fill-rounds", type=int, default=migrate_fill.ROUNDS, help="fills per side")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md and the PNG")
    parser.add_argument(
        "--only",
        choices=["quality", "key_style", "runtime"],
        help="run one part: 'quality' = section 1 (design quality, seconds), 'key_style' = section 6, "
        "'runtime' = section 4 (runtime overhead, a few minutes); "
        "rewrites only that section (and its target rows) of RESULTS.md and says so in its header",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections: list[str] = []

    def show(title: str, body: str) -> None:
        print(f"\n## {title}\n\n{body}", flush=True)
        sections.append(f"## {title}\n\n{body}\n")

    print(f"dynamodel benchmarks, {when}\n{machine()}", flush=True)

    if args.only == "key_style":
        show(key_style.TITLE, key_style.report(key_style.run()))
        if not args.no_write:
            text = key_style.replace_section(RESULTS.read_text(encoding="utf-8"), sections[0], when)
            RESULTS.write_text(text, encoding="utf-8")
            print(f"rewrote section 6 of {RESULTS.relative_to(HERE.parent)}")
        return

    if args.only == "runtime":
        runtime = runtime_overhead.run(rounds=args.rounds)
        show(runtime_overhead.TITLE, runtime_overhead.report(runtime))
        rows = [Target(*row) for row in runtime_overhead.target_rows(runtime)]
        print(f"\n## Targets (section 4)\n\n{targets_table(rows)}")
        if not args.no_write:
            note = (
                f"- Section 4 and its target rows (runtime sync, runtime async, requests): "
                f"`.venv/bin/python benchmarks/run.py --only runtime`, run on {when} in "
                f"{runtime.seconds:.0f} s; the other sections are from the runs above"
            )
            text = replace_section(
                RESULTS.read_text(encoding="utf-8"),
                runtime_overhead.TITLE,
                sections[0],
                rows,
                note,
                old_title="4. Runtime overhead",  # the title changed with the async and PynamoDB sides
            )
            RESULTS.write_text(text, encoding="utf-8")
            print(f"rewrote section 4 and its target rows of {RESULTS.relative_to(HERE.parent)}")
        return

    quality = design_quality.run()
    show(QUALITY_TITLE, quality_section(quality))
    if args.only == "quality":
        elapsed = time.perf_counter() - started
        rows = quality_targets(quality)
        print(f"\n## Targets (section 1)\n\n{targets_table(rows)}\n\nTotal: {elapsed:.0f} s")
        if not args.no_write:
            text = replace_quality(RESULTS.read_text(encoding="utf-8"), sections[0], rows, when)
            RESULTS.write_text(text, encoding="utf-8")
            print(f"rewrote section 1 and its target rows of {RESULTS.relative_to(HERE.parent)}")
        return

    scale = derive_scale.run()
    k = derive_scale.fitted_exponent(scale)
    png = plot.PNG
    figure = f"![derivation time vs patterns]({png.name})"
    if not args.no_write:
        try:
            plot.plot(scale, png)
        except ModuleNotFoundError as exc:  # matplotlib is the optional `bench` extra
            figure = (
                f"**Plot not regenerated: {exc.name} is not installed** (`.venv/bin/pip install -e '.[bench]'`); "
                f"`{png.name}` is from an earlier run."
            )
    k_text = f"{k:.2f}" if k is not None else "n/a"
    show(
        "2. Derivation scale (synthetic apps)",
        md_table(*derive_scale.table(scale))
        + f"\n\nFitted growth exponent: time ~ patterns^{k_text}. Peak memory is tracemalloc's peak during "
        "one extra derivation (traced runs are slower and never timed). `minimal proven` = no: the "
        "planner's exact search hit its budget and kept its best design (fewest GSIs found).\n\n" + figure,
    )

    codec = run_codec(args.codec_items)
    if codec is None:
        show("3. Codec", "`benchmarks/codec_bench.py` is not present yet: not measured.")
    else:
        body = "Output of `benchmarks/codec_bench.py --items " + f"{args.codec_items}`:\n\n```\n"
        body += codec.output.rstrip() + "\n```"
        if codec.error:
            body += f"\n\n**{codec.error}**"
        show("3. Codec", body)

    runtime = runtime_overhead.run(rounds=args.rounds)
    show(runtime_overhead.TITLE, runtime_overhead.report(runtime))

    fill = migrate_fill.run(args.fill_items, args.fill_rounds)
    show("5. Migration fill: the runner against a hand-written loop (issue 13)", migrate_fill.report(fill))
    show(key_style.TITLE, key_style.report(key_style.run()))

    show(
        "Notes",
        "\n".join(
            [
                "- Timings come from one run; on a shared machine derivation and wall times vary between "
                "runs, and the runtime CPU ratio by a few hundredths (both sides are interleaved customer by "
                "customer, so load changes fall on both). Re-run `make bench` to see the spread.",
                "- The codec figures are printed by `benchmarks/codec_bench.py` (run in this process via its "
                "`main(argv)`); the codec target uses its `dynamodel/boto3 total` line.",
                "- The RCU figures are estimates from an item-size model (section 1), not measurements: moto "
                "does not report GSI read capacity faithfully.",
                "- The plot needs matplotlib, the optional `bench` extra; without it the run keeps the "
                "previous PNG and says so in section 2.",
            ]
        ),
    )

    rows = targets(quality, scale, codec, runtime, fill)
    elapsed = time.perf_counter() - started
    print(f"\n## Targets\n\n{targets_table(rows)}\n\nTotal: {elapsed:.0f} s")

    if args.no_write:
        return
    header = [
        "# Benchmark results",
        "",
        "Regenerated by `make bench` (`.venv/bin/python benchmarks/run.py`); do not edit by hand.",
        "",
        f"- Date: {when}",
        f"- Machine: {machine()}",
        "- Command: `.venv/bin/python benchmarks/run.py`"
        + (f" {' '.join(sys.argv[1:])}" if sys.argv[1:] else ""),
        f"- Wall time of the whole run: {elapsed:.0f} s",
        "",
        "## Targets",
        "",
        targets_table(rows),
        "",
    ]
    RESULTS.write_text("\n".join(header) + "\n" + "\n".join(sections), encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(HERE.parent)} and {png.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
