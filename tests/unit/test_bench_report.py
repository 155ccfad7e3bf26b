"""bench/run.py's report assembly and bench/chart.py's choice of points, on small hand-made
benchmark outputs (no benchmark is run)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bench_modules import REPO, load_bench

run = load_bench("run")
chart = load_bench("chart")


def _scores(r1: float, r2: float, rl: float, **extra: Any) -> dict[str, Any]:
    return {"rouge1": r1, "rouge2": r2, "rougeLsum": rl, **extra}


QUALITY: dict[str, Any] = {
    "summaries": [
        {
            "file": "cnndm-dev.jsonl",
            "rows": 100,
            "engine": _scores(41.0, 18.0, 37.0, articles_per_s=500.0),
            "lead3": _scores(40.0, 17.0, 36.7),
            "lexrank": _scores(33.0, 12.0, 29.0, articles_per_s=30.0),
            "textrank": _scores(30.0, 12.5, 27.0, articles_per_s=28.0),
        },
        {
            "file": "summarization-dev.jsonl",
            "rows": 150,
            "engine": _scores(73.0, 64.0, 72.0),
            "lead3": _scores(36.0, 27.0, 35.0),
            "lexrank": _scores(67.0, 65.0, 66.0),
            "textrank": _scores(66.0, 55.0, 65.0),
        },
    ],
    "topics": [
        {
            "file": "topics-dev.jsonl",
            "tagger": {"macro_f1": 0.66, "topics": {}},
            "keywords": {"macro_f1": 0.5},
        },
        {
            "file": "conflict-topics-dev.jsonl",
            "tagger": {
                "macro_f1": 0.7,
                "topics": {
                    "ceasefire": {"f1": 1.0},
                    "negotiations": {"f1": 0.8},
                    "sanctions": {"f1": 0.9},
                    "elections": {"f1": 0.59},
                },
            },
            "keywords": {"macro_f1": 0.5},
        },
    ],
}
SPEED: dict[str, Any] = {
    "throughput": {
        "ratio": 12.0,
        "medians": {
            "pipeline": 360.0,
            "lexrank": 30.0,
            "extractive": 800.0,
            "lead3": 3000.0,
            "textrank": 31.0,
        },
    },
    "cold": {"ratio": 1.31, "handler_median_ms": 655.0, "boto3_median_ms": 500.0, "runs": 7},
    "package": {"total_mb": 14.0, "architecture": "arm64"},
}


def test_targets_compare_each_figure_with_its_threshold() -> None:
    rows = run.targets(QUALITY, SPEED)
    verdicts = {t.what: t.verdict for t in rows}
    cnndm = next(t for t in rows if "cnndm-dev: extractive minus Lead-3" in t.what)
    # R1 +1.0 and R2 +1.0 pass, RLsum +0.3 does not: every one must reach +0.5.
    assert cnndm.verdict == "not met"
    assert "RLsum +0.30" in cnndm.measured
    bbc = next(t for t in rows if "BBC" in t.what)
    assert bbc.verdict == "not met"  # R2 64 < LexRank's 65
    assert verdicts["Topics, topics-dev: macro-F1"] == "met"
    conflict = next(t for t in rows if "conflict-topics-dev" in t.what)
    assert conflict.verdict == "not met"  # elections 0.59
    throughput = next(t for t in rows if t.what.startswith("Throughput"))
    assert throughput.verdict == "met"  # 12x and ROUGE above LexRank
    cold = next(t for t in rows if t.what.startswith("Cold start"))
    assert cold.verdict == "not met"  # 1.31 > 1.3
    package = next(t for t in rows if t.what.startswith("Deployment package"))
    assert package.verdict == "met"


def test_the_package_targets_judge_the_layer_as_shipped_when_it_was_built() -> None:
    package = {
        "total_mb": 86.1,
        "architecture": "arm64",
        "shipped_layer_mb": 38.7,
        "shipped_layer_target_mb": 40.0,
    }
    rows = run.targets(QUALITY, {**SPEED, "package": package})
    small = next(t for t in rows if t.what.startswith("Deployment package"))
    assert small.verdict == "not met" and small.measured.startswith("38.7 MB")
    shipped = next(t for t in rows if t.what.startswith("Layer as shipped"))
    assert (shipped.target, shipped.verdict) == ("<= 40.0 MB", "met")


def _half(p: float, r: float, topics: dict[str, Any]) -> dict[str, Any]:
    return {"micro": {"p": p, "r": r}, "topics": topics}


def test_untouched_half_targets_use_the_untouched_half() -> None:
    quality = {
        "summaries": [
            {
                **QUALITY["summaries"][0],
                "halves": {
                    "fit": {"engine": _scores(40, 17, 36), "lead3": _scores(41, 17, 36)},
                    "untouched": {"engine": _scores(42, 18, 37), "lead3": _scores(41, 18, 36.5)},
                },
            }
        ],
        "topics": [
            {
                "file": "cnndm-topics-dev.jsonl",
                "support": {"security": 24, "casualties": 10, "elections": 5},
                "halves": {
                    # the fit half would meet the target; only the untouched half counts
                    "fit": _half(0.9, 0.8, {"security": {"p": 0.9}, "casualties": {"p": 0.9}}),
                    "untouched": _half(
                        0.86,
                        0.76,
                        {
                            "security": {"p": 0.9},
                            "casualties": {"p": 0.6},
                            "elections": {"p": 0.1},
                        },
                    ),
                },
            },
            {
                "file": "conflict-topics-dev.jsonl",
                "halves": {
                    "fit": _half(0.5, 0.9, {t: {"f1": 1.0} for t in run.FOCUS_TOPICS}),
                    "untouched": _half(
                        0.5,
                        0.9,
                        {t: {"f1": 0.8 if t != "elections" else 0.7} for t in run.FOCUS_TOPICS},
                    ),
                },
            },
        ],
    }
    rows = {t.what: t for t in run.untouched_targets(quality)}
    micro = next(t for what, t in rows.items() if "micro precision and recall" in what)
    assert micro.verdict == "met"
    assert "P 0.860, R 0.760 (fit half: P 0.900, R 0.800)" in micro.measured
    frequent = next(t for what, t in rows.items() if "more than 5 dev articles" in what)
    # casualties (10 articles) is below 0.7; elections has only 5 articles and is not judged
    assert frequent.verdict == "not met"
    assert frequent.measured == "casualties 0.600, security 0.900"
    conflict = next(t for what, t in rows.items() if "conflict-topics-dev untouched" in what)
    assert conflict.verdict == "not met"  # elections 0.7
    summaries = next(t for what, t in rows.items() if "cnndm-dev untouched" in what)
    assert summaries.verdict == "met"  # +1, +0, +0.5 on the untouched half; the fit half is worse


def test_targets_without_figures_say_not_measured() -> None:
    rows = run.targets(None, None)
    assert rows
    assert {t.verdict for t in rows} == {"not measured"}


def test_throughput_needs_better_rouge_too() -> None:
    quality = {
        "summaries": [
            {**QUALITY["summaries"][0], "lexrank": _scores(45.0, 20.0, 40.0, articles_per_s=30.0)}
        ]
    }
    throughput = next(t for t in run.targets(quality, SPEED) if t.what.startswith("Throughput"))
    assert throughput.verdict == "not met"


def test_shift_headings_leaves_code_alone() -> None:
    text = "## A\n\ntext\n\n```\n# not a heading\n```\n\n### B\n"
    assert (
        run.shift_headings(text, top=3) == "### A\n\ntext\n\n```\n# not a heading\n```\n\n#### B\n"
    )
    assert run.shift_headings("no headings\n") == "no headings\n"


def test_render_reports_failures_and_skips(tmp_path: Path) -> None:
    ok = run.Run("quality", [sys.executable, str(REPO / "bench" / "quality.py")])
    ok.returncode, ok.stdout = 0, "# Quality benchmark\n\n## Summaries\n\n| a |\n"
    broken = run.Run("speed", [sys.executable, "bench/speed.py", "--quick"])
    broken.returncode, broken.stderr = 1, "Traceback\nRuntimeError: no stack\n"
    absent = run.Run("ml", [sys.executable, "bench/ml.py"], skipped="the script is absent")
    text = run.render(
        [ok, broken, absent],
        found=run.targets(QUALITY, SPEED),
        host={"CPU": "test cpu", "commit": "abc"},
        out=tmp_path,
        started=0.0,
        invocation="python bench/run.py",
        chart_note="Chart: ok",
    )
    assert "| CPU | test cpu |" in text
    assert ".venv/bin/python bench/quality.py    # ok" in text
    assert "**Failed** (exit 1" in text and "RuntimeError: no stack" in text
    assert "Not run: the script is absent." in text
    assert "### Summaries" in text  # the script's headings sit under its own section
    assert "# Quality benchmark" not in text
    assert "![Quality vs speed on cnndm-dev](quality-vs-speed.png)" in text


def test_chart_points_pair_scores_with_speeds() -> None:
    found, notes = chart.points(QUALITY, SPEED, None)
    by_label = {p.label: p for p in found}
    assert by_label["newswatch extractive"].articles_per_s == 800.0
    assert by_label["newswatch extractive"].rouge == {
        "rouge1": 41.0,
        "rouge2": 18.0,
        "rougeLsum": 37.0,
    }
    assert by_label["newswatch whole pipeline"].hollow
    assert by_label["newswatch whole pipeline"].articles_per_s == 360.0
    assert by_label["sumy LexRank"].articles_per_s == 30.0
    assert any("transformers" in note for note in notes)


def test_chart_finds_the_transformers_engine_in_ml_output() -> None:
    ml = {
        "summaries": [
            {
                "file": "cnndm-dev.jsonl",
                "transformers": _scores(42.0, 19.0, 38.0, articles_per_s=0.5),
                "lead3": _scores(40.0, 17.0, 36.7, articles_per_s=3000.0),
            },
            {"file": "summarization-dev.jsonl", "transformers": _scores(1, 2, 3, articles_per_s=1)},
        ]
    }
    found, notes = chart.points(QUALITY, SPEED, ml)
    transformers = [p for p in found if "transformers" in p.label]
    assert len(transformers) == 1
    assert transformers[0].articles_per_s == 0.5
    assert transformers[0].rouge["rouge1"] == 42.0
    assert not any("transformers" in note for note in notes)


def test_chart_without_inputs_draws_nothing_and_says_why() -> None:
    found, notes = chart.points(None, None, None)
    assert found == []
    assert any("quality.json" in n for n in notes) and any("speed.json" in n for n in notes)


def test_chart_draws_a_png(tmp_path: Path) -> None:
    found, notes = chart.points(QUALITY, SPEED, None)
    png = tmp_path / "chart.png"
    chart.draw(found, notes, png, rows=100)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_chart_shows_random_weight_transformers_as_speed_only() -> None:
    ml = {
        "latency": {
            "runs": [
                {"kind": "extractive", "label": "extractive (default)", "median_s": 0.004},
                {
                    "kind": "transformers",
                    "label": "transformers: tiny-random-bart",
                    "median_s": 0.1,
                },
                {"kind": "transformers", "label": "transformers: distilbart", "median_s": 4.0},
            ]
        }
    }
    found, notes = chart.points(QUALITY, SPEED, ml)
    speed_only = [p for p in found if p.speed_only]
    assert [p.label for p in speed_only] == ["transformers: distilbart (speed only)"]
    assert speed_only[0].articles_per_s == 0.25
    assert any("no ROUGE" in note for note in notes)


def test_a_benchmark_not_run_again_keeps_its_last_tables(tmp_path: Path) -> None:
    done = run.Run("neardup", [sys.executable, str(REPO / "bench" / "neardup.py")])
    done.returncode, done.seconds = 0, 12.0
    done.stdout = "250 articles\n\n| threshold | F1 |\n|---:|---:|\n| 0.5 | 0.99 |\n"
    run.save_section(done, tmp_path, started=0.0)

    again = run.earlier_section("neardup", tmp_path)
    assert again is not None and again.earlier
    assert again.ok and again.section == done.section
    text = run.render(
        [again],
        found=[],
        host={"commit": "abc"},
        out=tmp_path,
        started=0.0,
        invocation="python bench/run.py --only speed",
        chart_note="",
    )
    assert "Not run this time" in text
    assert "| 0.5 | 0.99 |" in text
    assert run.earlier_section("ml", tmp_path) is None


def test_a_benchmark_run_by_hand_is_reported_from_its_markdown(tmp_path: Path) -> None:
    (tmp_path / "ml.md").write_text("# Transformers engine benchmark\n\n## Latency\n\n| x |\n")
    again = run.earlier_section("ml", tmp_path)
    assert again is not None and again.ok
    assert again.earlier is not None and "bench/out/ml.md" in again.earlier
    assert "### Latency" in again.section
    assert "# Transformers engine benchmark" not in again.section
