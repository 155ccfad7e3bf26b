"""The speed benchmark's numbers: medians and percentiles, ratios, timestamps, the targets and
their verdicts, and how a section's latencies are summarized. Pure functions, unit tested."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

TARGETS = {
    "throughput_ratio": 10.0,  # at least, ours / LexRank articles per second
    "cold_import_ratio": 1.3,  # at most, handler import / bare boto3 import
    "package_mb": 15.0,  # at most, unzipped, without boto3
    "shipped_layer_mb": 40.0,  # at most: the layer `sam build` makes, unzipped (issue 15)
}


def median(values: Iterable[float]) -> float:
    data = list(values)
    if not data:
        raise ValueError("median of no values")
    return float(statistics.median(data))


def percentile(values: Iterable[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between the closest ranks."""
    data = sorted(values)
    if not data:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"q must be between 0 and 100, got {q}")
    position = (len(data) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return data[low] + (data[high] - data[low]) * (position - low)


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def epoch(timestamp: str) -> float:
    """Seconds since the epoch of an ISO-8601 timestamp ('Z' or an offset; naive means UTC)."""
    moment = datetime.fromisoformat(timestamp.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def met(value: float | None, target: float, at_most: bool = False) -> str:
    if value is None:
        return "not measured"
    return "met" if (value <= target if at_most else value >= target) else "not met"


def mb(size: float) -> float:
    return round(size / 1_000_000, 2)


def last_json_line(output: str) -> dict[str, Any]:
    """The last line of a child's stdout that is a JSON object (logs may precede it)."""
    for raw in reversed(output.strip().splitlines()):
        line = raw.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    raise ValueError("no JSON object in the child's output")


def summarize_latencies(seconds: Sequence[float]) -> dict[str, float | int]:
    if not seconds:
        return {"n": 0}
    return {
        "n": len(seconds),
        "median_s": round(median(seconds), 3),
        "p95_s": round(percentile(seconds, 95), 3),
        "max_s": round(max(seconds), 3),
    }
