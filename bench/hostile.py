"""Hostile inputs: time and peak memory of every case of bench/hostile_corpus.py, and the cost
of the per-article child process on healthy articles.

    .venv/bin/python bench/hostile.py            # prints the tables, writes bench/out/hostile.md
    .venv/bin/python bench/hostile.py --update-reliability   # and RELIABILITY.md's table

Each case runs as the deployed IngestFunction runs it: the pipeline the template configures
(extractive, pattern tagger), wrapped in the per-article budget with the template's figures
(20 s, 60% of 512 MB), in one process that has already analysed a warm-up article. Per case:
the outcome and error code, wall time of the analysis, CPU time and peak memory of the article's
child process (its address-space growth over the article, which RLIMIT_AS bounds), and the
parent's resident memory afterwards (what Lambda's memory limit also counts).

The overhead of the child is measured on healthy articles in the same run: the same pipeline
called directly and through the budget, as a ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
START = "<!-- bench/hostile.py: start -->"
END = "<!-- bench/hostile.py: end -->"
TEMPLATE_MEMORY_MB = 512
TEMPLATE_ARTICLE_SECONDS = 20.0


def rss_mb() -> float:
    with open("/proc/self/statm", "rb") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_cases(corpus: Any) -> list[dict[str, Any]]:
    from newswatch.budget import BudgetedAnalyzer
    from newswatch.composition import build_analyzer
    from newswatch.domain.errors import NewswatchError

    analyzer = BudgetedAnalyzer(build_analyzer(), seconds=TEMPLATE_ARTICLE_SECONDS)
    analyzer.start_invocation(None, TEMPLATE_MEMORY_MB)
    analyzer.analyze_bytes("\n\n".join(corpus.ARTICLE).encode(), "warm-up.txt")
    rows = []
    for case in corpus.CASES:
        data = case.build()
        started = time.perf_counter()
        try:
            analysis = analyzer.analyze_bytes(data, case.key.rsplit("/", 1)[-1])
            status, code, note = "processed", None, ", ".join(analysis.flags)
        except NewswatchError as error:
            status, code, note = "failed", error.code, error.message
        seconds = time.perf_counter() - started
        usage = analyzer.last_usage
        expected = (status, code) == (case.status, case.code)
        rows.append(
            {
                "case": case.name,
                "origin": case.origin,
                "bytes": len(data),
                "status": status,
                "code": code,
                "expected": expected,
                "seconds": seconds,
                "cpu": usage.cpu_seconds if usage else 0.0,
                "peak_mb": usage.peak_mb if usage else 0.0,
                "parent_mb": rss_mb(),
                "note": note,
            }
        )
        print(f"{case.key}: {status} {code or ''} {seconds:.2f} s", file=sys.stderr)
    return rows


def overhead(repeats: int) -> dict[str, float]:
    """Per healthy article, direct and through the budget's child, in the same process: wall ms
    and CPU ms (the parent's plus the child's, from its rusage), medians."""
    from newswatch.budget import BudgetedAnalyzer
    from newswatch.composition import build_analyzer

    pipeline = build_analyzer()
    bounded = BudgetedAnalyzer(pipeline, seconds=TEMPLATE_ARTICLE_SECONDS)
    samples = [
        ("seed.txt", (REPO / "seeds" / "jeddah-ceasefire-talks.txt").read_bytes()),
        ("seed.html", (REPO / "seeds" / "flood-aid-displacement.html").read_bytes()),
    ]
    for name, data in samples:  # imports and lazy state, for both
        pipeline.analyze_bytes(data, name)
        bounded.analyze_bytes(data, name)
    walls: dict[str, list[float]] = {"direct": [], "child": []}
    cpus: dict[str, list[float]] = {"direct": [], "child": []}
    for _ in range(repeats):
        for name, data in samples:
            for kind, analyze in (("direct", pipeline), ("child", bounded)):
                wall, cpu = time.perf_counter(), time.process_time()
                analyze.analyze_bytes(data, name)
                walls[kind].append(time.perf_counter() - wall)
                used = time.process_time() - cpu
                if kind == "child" and bounded.last_usage:
                    used += bounded.last_usage.cpu_seconds
                cpus[kind].append(used)
    medians = {
        f"{kind}_{what}": statistics.median(values[kind]) * 1000
        for what, values in (("wall_ms", walls), ("cpu_ms", cpus))
        for kind in ("direct", "child")
    }
    return medians | {"parent_mb": rss_mb()}


def _mb(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def table(rows: list[dict[str, Any]], cost: dict[str, float]) -> str:
    lines = [
        "| input | origin | size | outcome | error code | time (s) | child CPU (s) | "
        "child peak (MB) | parent RSS (MB) |",
        "|---|---|---:|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        outcome = row["status"] + ("" if row["expected"] else " (UNEXPECTED)")
        if row["status"] == "processed" and row["note"]:
            outcome += f" ({row['note']})"
        lines.append(
            f"| {row['case']} | {row['origin']} | {_size(row['bytes'])} | {outcome} | "
            f"{row['code'] or '-'} | {row['seconds']:.2f} | {row['cpu']:.2f} | "
            f"{_mb(row['peak_mb'])} | {row['parent_mb']:.0f} |"
        )
    worst_time = max(rows, key=lambda r: r["seconds"])
    worst_memory = max(rows, key=lambda r: r["peak_mb"])
    lines += [
        "",
        f"Cases: {len(rows)}, as expected: {sum(r['expected'] for r in rows)}. Slowest: "
        f"{worst_time['case']} ({worst_time['seconds']:.2f} s); most memory: "
        f"{worst_memory['case']} ({_mb(worst_memory['peak_mb'])} MB over the parent). Limits: "
        f"{TEMPLATE_ARTICLE_SECONDS:.0f} s and {int(TEMPLATE_MEMORY_MB * 0.6)} MB per article, "
        f"{TEMPLATE_MEMORY_MB} MB and 60 s per function.",
        "",
        f"Cost of the child on healthy articles (the two seeds, medians of {cost['repeats']:.0f} "
        f"runs each, parent RSS {cost['parent_mb']:.0f} MB): CPU {cost['direct_cpu_ms']:.1f} ms "
        f"direct, {cost['child_cpu_ms']:.1f} ms through the budget (parent + child), "
        f"x{cost['child_cpu_ms'] / cost['direct_cpu_ms']:.2f}; wall {cost['direct_wall_ms']:.1f} "
        f"ms and {cost['child_wall_ms']:.1f} ms, "
        f"x{cost['child_wall_ms'] / cost['direct_wall_ms']:.2f} (wall on a shared machine: load "
        f"average {os.getloadavg()[0]:.1f} at the end).",
    ]
    return "\n".join(lines)


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 2**20:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} B"


def update_reliability(text: str) -> None:
    path = REPO / "RELIABILITY.md"
    page = path.read_text(encoding="utf-8")
    start, end = page.index(START) + len(START), page.index(END)
    path.write_text(page[:start] + "\n" + text + "\n" + page[end:], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20, help="runs per seed for the overhead")
    parser.add_argument("--update-reliability", action="store_true")
    args = parser.parse_args(argv)
    import hostile_corpus as corpus  # bench/ is on the path when this script runs

    rows = run_cases(corpus)
    cost = overhead(args.repeats) | {"repeats": float(args.repeats)}
    text = table(rows, cost)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "hostile.md").write_text(text + "\n", encoding="utf-8")
    print(text)
    if args.update_reliability:
        update_reliability(text)
    return 0 if all(r["expected"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
