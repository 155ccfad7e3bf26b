"""Speed, cold start: importing functions/ingest/app.py as Lambda does (``import app`` with the
function folder on sys.path and the template's environment) in a fresh interpreter, next to a
bare ``import boto3`` in a fresh interpreter, alternating; medians; plus the heavy modules the
import leaves unloaded and where its time goes (``-X importtime``). Then, when the functions are
built (`make sam-local`) and Docker answers, the three handlers as Lambda runs them: whole
processes in the Lambda-like container, from the built layer (bench/cold_layer.py); that is the
figure the target is judged on, since it has neither the venv's editable finder nor its sources."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from typing import Any

from speed_env import REPO, lambda_env, run_child
from speed_stats import TARGETS, median, met

# Imported only when a format or engine needs them; the handler's import must not load them.
HEAVY_MODULES = ("trafilatura", "pypdf", "docx", "torch", "transformers", "langdetect")

# The handler imports boto3 only when its first invocation builds its clients, so boto3 is added
# back: every cold start pays both (without it the handler would look cheaper than boto3 alone).
_COLD_HANDLER = """
import importlib, json, sys, time
sys.path.insert(0, {folder!r})
started = time.perf_counter()
importlib.import_module("app")
import boto3
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "loaded": [m for m in {heavy!r} if m in sys.modules],
                   "modules": len(sys.modules)}}))
"""
_COLD_BOTO3 = """
import json, sys, time
started = time.perf_counter()
import boto3
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "loaded": [], "modules": len(sys.modules)}))
"""


def import_profile(env: Mapping[str, str], top: int = 12) -> list[dict[str, Any]]:
    """Where the handler import's time goes: self time summed per top-level package, from one
    ``python -X importtime`` run (indicative: one run, and -X importtime adds overhead)."""
    code = _COLD_HANDLER.format(folder=str(REPO / "functions" / "ingest"), heavy=HEAVY_MODULES)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        env=dict(env),
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    return importtime_by_package(done.stderr)[:top]


def importtime_by_package(stderr: str) -> list[dict[str, Any]]:
    """``-X importtime`` lines summed per top-level package (self time), biggest first."""
    totals: dict[str, int] = {}
    counts: dict[str, int] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) != 3 or not parts[0].isdigit():
            continue  # the header line
        package = parts[2].split(".")[0]
        totals[package] = totals.get(package, 0) + int(parts[0])
        counts[package] = counts.get(package, 0) + 1
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])
    return [
        {"package": name, "self_ms": round(us / 1000, 1), "modules": counts[name]}
        for name, us in ranked
    ]


def bench_cold_layer(runs: int) -> dict[str, Any]:
    """bench/cold_layer.py's measurement, or why it could not run."""
    import cold_layer

    try:
        return cold_layer.measure(runs)
    except cold_layer.NotMeasurableError as error:
        return {"skipped": str(error)}


def bench_cold(runs: int) -> dict[str, Any]:
    env = lambda_env()
    handler_code = _COLD_HANDLER.format(
        folder=str(REPO / "functions" / "ingest"), heavy=HEAVY_MODULES
    )
    # The same import with tracing off: how much of the cost is the X-Ray SDK's.
    untraced_env = {**env, "POWERTOOLS_TRACE_DISABLED": "true"}
    handler: list[float] = []
    baseline: list[float] = []
    untraced: list[float] = []
    handler_wall: list[float] = []
    baseline_wall: list[float] = []
    loaded: set[str] = set()
    modules = 0
    run_child(_COLD_BOTO3, env)  # one untimed round warms the OS file cache for both
    run_child(handler_code, env)
    for _ in range(runs):
        result, wall = run_child(_COLD_BOTO3, env)
        baseline.append(result["seconds"])
        baseline_wall.append(wall)
        result, wall = run_child(handler_code, env)
        handler.append(result["seconds"])
        handler_wall.append(wall)
        loaded.update(result["loaded"])
        modules = int(result["modules"])
        untraced.append(run_child(handler_code, untraced_env)[0]["seconds"])
    value = median(handler) / median(baseline)
    return {
        "runs": runs,
        "handler_import_ms": [round(1000 * s, 1) for s in handler],
        "boto3_import_ms": [round(1000 * s, 1) for s in baseline],
        "handler_median_ms": round(1000 * median(handler), 1),
        "boto3_median_ms": round(1000 * median(baseline), 1),
        "ratio": round(value, 2),
        "process_wall_ratio": round(median(handler_wall) / median(baseline_wall), 2),
        "untraced_median_ms": round(1000 * median(untraced), 1),
        "untraced_ratio": round(median(untraced) / median(baseline), 2),
        "handler_process_median_ms": round(1000 * median(handler_wall), 1),
        "boto3_process_median_ms": round(1000 * median(baseline_wall), 1),
        "heavy_loaded": sorted(loaded),
        "heavy_not_loaded": [m for m in HEAVY_MODULES if m not in loaded],
        "modules_after_import": modules,
        "top_imports": import_profile(env),
        # Fresh processes in the Lambda-like container: more runs, since each is cheap.
        "layer": bench_cold_layer(max(runs, 15)),
        "target": TARGETS["cold_import_ratio"],
        "verdict": met(value, TARGETS["cold_import_ratio"], at_most=True),
    }
