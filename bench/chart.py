"""Quality vs speed per summarization engine on cnndm-dev, as one PNG.

Quality: ROUGE-1, ROUGE-2 and ROUGE-Lsum F1 x 100 from bench/out/quality.json (bench/quality.py)
and, when bench/ml.py has run, the transformers engine from bench/out/ml.json. Speed: articles per
second on one core from bench/out/speed.json (bench/speed.py's throughput section: each
summarizer alone, segmentation or parsing included; our whole pipeline as a second, hollow mark).
An engine missing either figure is left out, and the figure says so.

    .venv/bin/python bench/chart.py [--out bench/out] [--png bench/quality-vs-speed.png]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "bench" / "out"
DEFAULT_PNG = REPO / "bench" / "quality-vs-speed.png"
METRICS = (("rouge1", "ROUGE-1"), ("rouge2", "ROUGE-2"), ("rougeLsum", "ROUGE-Lsum"))
DATASET = "cnndm-dev.jsonl"
# quality.json key -> (label, speed.json throughput key)
ENGINES = (
    ("engine", "newswatch extractive", "extractive"),
    ("lead3", "Lead-3", "lead3"),
    ("lexrank", "sumy LexRank", "lexrank"),
    ("textrank", "sumy TextRank", "textrank"),
)


@dataclass(frozen=True)
class Point:
    label: str
    articles_per_s: float
    rouge: dict[str, float]
    hollow: bool = False

    @property
    def speed_only(self) -> bool:
        return not self.rouge


def _load(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else None


def cnndm_summary(quality: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for summary in quality.get("summaries") or ():
        if summary.get("file") == DATASET:
            return summary  # type: ignore[no-any-return]
    return None


def _rouge_dicts(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every dict holding the three ROUGE keys in a JSON tree, with its path of keys."""
    if isinstance(value, Mapping):
        if all(key in value for key, _ in METRICS):
            yield path, value
        for key, child in value.items():
            yield from _rouge_dicts(child, (*path, str(key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            hint = child.get("file") or child.get("dataset") if isinstance(child, Mapping) else None
            yield from _rouge_dicts(child, (*path, str(hint or index)))


def ml_points(ml: Mapping[str, Any]) -> list[Point]:
    """The transformers engine's cnndm-dev scores with a speed, wherever bench/ml.py put them
    (a dict with rouge1/rouge2/rougeLsum and articles_per_s under a path naming cnndm)."""
    points = []
    for path, scores in _rouge_dicts(ml):
        joined = "/".join(path).lower()
        speed = scores.get("articles_per_s")
        if "cnndm" not in joined or not isinstance(speed, int | float) or speed <= 0:
            continue
        if any(name in joined for name in ("lead3", "lexrank", "textrank")):
            continue  # peers ml.py may repeat; the quality benchmark's figures are used
        label = str(scores.get("engine") or scores.get("name") or "transformers")
        points.append(
            Point(
                label if "transformers" in label else f"transformers ({label})",
                float(speed),
                {k: float(scores[k]) for k, _ in METRICS},
            )
        )
    return points[:1]


def ml_speed_only(ml: Mapping[str, Any]) -> list[Point]:
    """bench/ml.py's full-size transformers runs (per-article latency on CPU), which have no
    ROUGE: without a downloadable checkpoint they run random weights of the real architecture."""
    found = []
    for run in (ml.get("latency") or {}).get("runs") or ():
        label = str(run.get("label") or "")
        median_s = run.get("median_s")
        if run.get("kind") != "transformers" or "tiny" in label or not median_s:
            continue
        found.append(Point(f"{label} (speed only)", 1.0 / float(median_s), {}))
    return found


def points(
    quality: Mapping[str, Any] | None,
    speed: Mapping[str, Any] | None,
    ml: Mapping[str, Any] | None = None,
) -> tuple[list[Point], list[str]]:
    """The engines with both a ROUGE score and a speed, and notes on those left out."""
    notes: list[str] = []
    summary = cnndm_summary(quality) if quality else None
    medians: Mapping[str, float] = ((speed or {}).get("throughput") or {}).get("medians") or {}
    if summary is None:
        notes.append("no cnndm-dev ROUGE scores (bench/out/quality.json)")
    if not medians:
        notes.append("no one-core throughput (bench/out/speed.json)")
    found: list[Point] = []
    if summary is not None and medians:
        for key, label, speed_key in ENGINES:
            scores = summary.get(key)
            if scores and medians.get(speed_key):
                rouge = {k: float(scores[k]) for k, _ in METRICS}
                found.append(Point(label, float(medians[speed_key]), rouge))
            else:
                notes.append(f"{label}: no score or speed")
        if summary.get("engine") and medians.get("pipeline"):
            rouge = {k: float(summary["engine"][k]) for k, _ in METRICS}
            found.append(
                Point("newswatch whole pipeline", float(medians["pipeline"]), rouge, hollow=True)
            )
    if ml is not None:
        extra = ml_points(ml)
        found.extend(extra)
        if not extra:
            speed_only = ml_speed_only(ml)
            found.extend(speed_only)
            notes.append(
                "transformers: no ROUGE (no checkpoint can be downloaded here; bench/ml.py times "
                "random weights of the real architecture)"
                + (", its speed is the dashed line" if speed_only else "")
            )
    else:
        notes.append("transformers: bench/ml.py has not run")
    return found, notes


COLORS = {
    "newswatch extractive": "#d62728",
    "newswatch whole pipeline": "#d62728",
    "Lead-3": "#7f7f7f",
    "sumy LexRank": "#1f77b4",
    "sumy TextRank": "#2ca02c",
}


# Labels written under their mark, so neighbours' labels do not overlap.
LABEL_BELOW = frozenset({"sumy TextRank"})


def draw(found: Sequence[Point], notes: Sequence[str], png: Path, rows: int | None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(METRICS), figsize=(15, 5.2), sharex=True)
    for axis, (key, title) in zip(axes, METRICS, strict=True):
        for point in found:
            color = COLORS.get(point.label, "#9467bd")
            if point.speed_only:
                axis.axvline(point.articles_per_s, color=color, linestyle="--", linewidth=1.4)
                axis.annotate(
                    point.label,
                    (point.articles_per_s, 0.02),
                    xycoords=("data", "axes fraction"),
                    rotation=90,
                    xytext=(4, 0),
                    textcoords="offset points",
                    fontsize=8,
                    color=color,
                    va="bottom",
                )
                continue
            axis.scatter(
                point.articles_per_s,
                point.rouge[key],
                s=90,
                marker="o" if not point.hollow else "D",
                facecolors="none" if point.hollow else color,
                edgecolors=color,
                linewidths=1.8,
                zorder=3,
            )
            below = point.hollow or point.label in LABEL_BELOW
            axis.annotate(
                point.label,
                (point.articles_per_s, point.rouge[key]),
                textcoords="offset points",
                xytext=(-8 if point.hollow else 7, -14 if below else 6),
                ha="right" if point.hollow else "left",
                fontsize=8.5,
            )
        axis.set_xscale("log")
        axis.set_title(title)
        axis.set_xlabel("articles per second, one core (log scale)")
        axis.grid(True, which="both", alpha=0.3)
        values = [p.rouge[key] for p in found if not p.speed_only]
        if values:
            axis.set_ylim(min(values) - 2.5, max(values) + 2.5)
    if found:
        speeds = [p.articles_per_s for p in found]
        axes[0].set_xlim(min(speeds) / 2, max(speeds) * 6)
    axes[0].set_ylabel("F1 x 100 (higher is better)")
    subject = f"CNN/DailyMail dev ({rows} articles, 3-sentence summaries)" if rows else "cnndm-dev"
    figure.suptitle(f"Summary quality vs speed: {subject}; right and up is better")
    if notes:
        figure.text(0.01, 0.01, "Not shown: " + "; ".join(notes), fontsize=8, color="#555555")
    figure.tight_layout(rect=(0, 0.04, 1, 0.95))
    png.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(png, dpi=110)
    plt.close(figure)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="benchmark JSON folder")
    parser.add_argument("--png", type=Path, default=DEFAULT_PNG)
    args = parser.parse_args(argv)
    quality = _load(args.out / "quality.json")
    speed = _load(args.out / "speed.json")
    found, notes = points(quality, speed, _load(args.out / "ml.json"))
    summary = cnndm_summary(quality) if quality else None
    draw(found, notes, args.png, int(summary["rows"]) if summary else None)
    shown = args.png.resolve()
    name = shown.relative_to(REPO) if shown.is_relative_to(REPO) else shown
    print(f"{name}: {len(found)} engines" + (f"; not shown: {'; '.join(notes)}" if notes else ""))
    return 0 if found else 1


if __name__ == "__main__":
    sys.exit(main())
