"""Speed benchmark: throughput on one core, cold import, peak memory, package size, end to end.

Every figure is a ratio against a baseline measured in the same run, or a median of several runs:

- throughput: ``Analyzer.analyze_bytes`` (extract + segment + language + summarize + tag, built
  by ``newswatch.composition.build_analyzer()``) on every cnndm-dev article as .txt bytes, next to
  sumy LexRank (3 sentences, bench/quality.py's NLTK-free tokenizer) on the same texts,
  alternating, in one child process pinned to one CPU; articles/s are medians over the repetitions;
- cold start: importing functions/ingest/app.py as Lambda does (``import app`` with the function
  folder on sys.path and the template's environment) in a fresh interpreter, next to a bare
  ``import boto3`` in a fresh interpreter, alternating; medians; plus the heavy modules the import
  leaves unloaded; and, when `make sam-local` has built the functions and the Lambda-like image,
  all three handlers as Lambda runs them, whole processes in that container (bench/cold_layer.py);
- peak memory: ru_maxrss of a fresh process that imports the handler and runs one SQS-shaped
  ingest of the seed article against a moto server (in this process, so the emulator's memory is
  not counted), next to a fresh interpreter that only imports boto3;
- package size: the layer built like ``sam build`` (pip for the template's architecture and
  Python 3.12, binary wheels only, no bytecode; cached under bench/out/package/) plus
  layers/core/newswatch and functions/ingest, unzipped, per distribution, without the AWS SDK the
  Lambda runtime already has;
- end to end: N uploads to the local stack (newswatch_tools.local), articles per minute from the
  first upload to the last stored item, and per-article upload -> stored and upload -> alert
  latencies (median, p95) from the items' processed_at/alerted_at and the subscriber's delivery
  timestamps.

Each section is a module beside this one (speed_throughput, speed_cold, speed_memory,
speed_package, speed_e2e; their numbers in speed_stats, their child processes in speed_env);
this script runs the chosen sections, one failure not hiding the others, and writes
bench/out/speed.json and bench/out/speed.md (speed_report).

    .venv/bin/python bench/speed.py [--quick] [--only throughput,cold,memory,package,e2e]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from speed_cold import bench_cold
from speed_e2e import bench_e2e
from speed_env import REPO
from speed_memory import bench_memory
from speed_package import bench_package
from speed_report import markdown
from speed_throughput import bench_throughput

DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "bench" / "out"
SECTIONS = ("throughput", "cold", "memory", "package", "e2e")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--quick", action="store_true", help="fewer runs and uploads (smoke test)")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--repeats", type=int, default=None, help="throughput repetitions")
    parser.add_argument("--cold-runs", type=int, default=None)
    parser.add_argument("--count", type=int, default=None, help="end-to-end uploads")
    parser.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    quick = args.quick
    command = "python bench/speed.py" + (" " + " ".join(argv or sys.argv[1:])).rstrip()
    report: dict[str, Any] = {"command": command, "quick": quick, "errors": {}}
    runners: dict[str, Callable[[], dict[str, Any]]] = {
        "throughput": lambda: bench_throughput(
            args.data_dir,
            args.repeats or (2 if quick else 5),
            args.limit or (20 if quick else None),
        ),
        "cold": lambda: bench_cold(args.cold_runs or (3 if quick else 7)),
        "memory": lambda: bench_memory(1 if quick else 3),
        "package": lambda: bench_package(args.out),
        "e2e": lambda: bench_e2e(
            args.count or (20 if quick else 200),
            args.data_dir,
            120.0 if quick else 900.0,
            paced=5 if quick else 30,
            interval=1.0,
        ),
    }
    for section in SECTIONS:
        if section not in chosen:
            continue
        print(f"speed: {section} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            report[section] = runners[section]()
        except Exception as error:  # one failed section must not hide the others
            report["errors"][section] = traceback.format_exc()
            print(f"speed: {section} failed: {error}", file=sys.stderr, flush=True)
        else:
            report[section]["bench_seconds"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "speed.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    text = markdown(report)
    (args.out / "speed.md").write_text(text, encoding="utf-8")
    print(text)
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
