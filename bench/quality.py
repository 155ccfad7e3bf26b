"""Quality benchmark: summaries (ROUGE) and topics (P/R/F1) on ../shared/data, with peers.

Summaries, in one run per dataset: the extractive engine and Lead-3 exactly as
``newswatch eval summaries`` computes them, plus sumy's LexRank and TextRank given a tokenizer that
needs no NLTK download (our sentence splitter and a regex word splitter).

- cnndm-dev.jsonl (CNN/DailyMail highlights, ~3.6 sentences): every summarizer gives 3 sentences.
- summarization-dev.jsonl (BBC; references are extractive and about 40% of the article's
  sentences, 44% of its words): a budget relative to the article, ``--ratio`` (default 0.4): the
  engine gets that share of the article's words, LexRank and TextRank that share of its sentences
  (sumy's percentage count). The mean summary length in words is reported next to every score.

Topics: the configured tagger as ``newswatch eval topics`` runs it (default taxonomy, the tags
that would alert at each topic's alert threshold) next to a plain keyword list (one word list per
topic, any match tags), on topics-dev.jsonl, conflict-topics-dev.jsonl and the article-level
cnndm-topics-dev.jsonl (``judged_topics`` honoured), and our own article-level labels of the BBC
summarization articles (bench/labels/bbc-topics.jsonl, texts joined from summarization-dev.jsonl).

Both halves: every dev file is also cut by ``newswatch_tools.evaluation.split_half`` (fixed seed)
into a fit half (the only one tuning may look at) and an untouched half (the one quoted against
the targets); the summarizer and the tagger are reported on each. The article-level set gets a table
per topic for both halves and a chart of each topic's precision and recall across thresholds
(bench/topics-pr.png).

Writes bench/out/quality.md (tables), bench/out/quality.json and bench/topics-pr.png.

    .venv/bin/python bench/quality.py [--data-dir ../shared/data] [--out bench/out] [--ratio 0.4]
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from newswatch.analyzer import Analyzer
from newswatch.composition import build_analyzer
from newswatch.domain.models import SummaryLength
from newswatch.domain.sentences import split_sentences
from newswatch.domain.summarize import words
from newswatch.domain.taxonomy import load_taxonomy
from newswatch.settings import Settings
from newswatch_tools.evaluation import (
    HALVES,
    SPLIT_SEED,
    TopicOutcome,
    alert_thresholds,
    evaluate_summaries,
    evaluate_topics,
    read_jsonl,
    rouge,
    score_outcomes,
    split_half,
    topic_outcome,
    with_texts,
)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
PR_CHART = REPO / "bench" / "topics-pr.png"
TOPIC_FILES = ("topics-dev.jsonl", "conflict-topics-dev.jsonl", "cnndm-topics-dev.jsonl")
ARTICLE_LEVEL = "cnndm-topics-dev.jsonl"
# Our own article-level labels of the BBC summarization articles (bench/labels/README.md): the
# labels live in the repo, the texts stay in the data folder and are joined by id.
BBC_LABELS = REPO / "bench" / "labels" / "bbc-topics.jsonl"
BBC_TEXTS = "summarization-dev.jsonl"
FOCUS_TOPICS = ("ceasefire", "negotiations", "sanctions", "elections")
# Thresholds shown in the precision/recall table (the chart has every 0.05).
TABLE_THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
# Score bands of the calibration check: the share of a band's tags that are right should be the
# same on every topic if one threshold is to mean the same on each.
BANDS = ((0.3, 0.5), (0.5, 0.7), (0.7, None))
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

# The keyword baseline: the obvious words a newsroom would list per topic, matched as whole words.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "aid": ("aid", "food", "water", "shelter", "medical", "medicine", "supplies", "relief"),
    "displacement": ("refugee", "refugees", "displaced", "evacuated", "evacuation", "fled"),
    "casualties": ("dead", "killed", "death", "deaths", "died", "injured", "wounded", "casualties"),
    "military": ("military", "army", "troops", "soldiers", "attack", "attacks", "fighting"),
    "security": ("security", "police", "looting", "violence"),
    "rescue": ("rescue", "rescued", "rescuers", "trapped", "survivors"),
    "ceasefire": ("ceasefire", "cease-fire", "truce"),
    "negotiations": ("talks", "negotiations", "negotiate", "mediation"),
    "sanctions": ("sanction", "sanctions", "embargo"),
    "elections": ("election", "elections", "vote", "voting", "ballot"),
    "prisoners": ("prisoner", "prisoners", "hostage", "hostages", "detainees"),
    "humanitarian_access": ("corridor", "corridors", "blockade", "access"),
    "protests": ("protest", "protests", "protesters", "demonstrators"),
}


class RegexTokenizer:
    """A sumy tokenizer without NLTK data: our sentence splitter and a regex word splitter."""

    language = "english"

    def to_sentences(self, text: str) -> tuple[str, ...]:
        return tuple(split_sentences(text))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(_WORD.findall(sentence))


def sumy_summarizer(kind: str) -> Callable[[str, int | str], list[str]]:
    from sumy.nlp.stemmers import Stemmer
    from sumy.parsers.plaintext import PlaintextParser
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer

    summarizer = (LexRankSummarizer if kind == "lexrank" else TextRankSummarizer)(
        Stemmer("english")
    )
    tokenizer = RegexTokenizer()

    def summarize(text: str, count: int | str) -> list[str]:
        document = PlaintextParser.from_string(text, tokenizer).document
        return [str(sentence) for sentence in summarizer(document, count)]

    return summarize


def mean_words(summaries: Sequence[Sequence[str]]) -> float:
    return round(sum(len(words(" ".join(s))) for s in summaries) / max(len(summaries), 1), 1)


def bench_summaries(path: Path, length: SummaryLength, peer_count: int | str) -> dict[str, Any]:
    rows = read_jsonl(path, ("text", "summary"))
    references = [str(row["summary"]) for row in rows]
    pipeline = build_analyzer(length=length)
    result: dict[str, Any] = {"file": path.name, "rows": len(rows)}

    started = time.perf_counter()
    scores = evaluate_summaries(rows, pipeline)
    result["eval_seconds"] = round(time.perf_counter() - started, 2)
    # Length of what each summarizer produced, and the engine's own time (segment + summarize).
    engine_out: list[list[str]] = []
    started = time.perf_counter()
    for row in rows:
        sentences = split_sentences(str(row["text"]))
        title = str(row["title"]) if row.get("title") else None
        engine_out.append(list(pipeline.summarizer.summarize(sentences, length, title).sentences))
    engine_seconds = time.perf_counter() - started
    lead = [split_sentences(str(row["text"]))[:3] for row in rows]
    result["engine"] = {
        **scores.engine,
        "words": mean_words(engine_out),
        "articles_per_s": round(len(rows) / engine_seconds, 1),
    }
    result["lead3"] = {**scores.lead3, "words": mean_words(lead)}
    for kind in ("lexrank", "textrank"):
        summarize = sumy_summarizer(kind)
        started = time.perf_counter()
        out = [summarize(str(row["text"]), peer_count) for row in rows]
        seconds = time.perf_counter() - started
        result[kind] = {
            **rouge(references, out),
            "words": mean_words(out),
            "articles_per_s": round(len(rows) / seconds, 1),
        }
    result["reference_words"] = mean_words([[r] for r in references])
    result["halves"] = {
        half: {"rows": len(part), **evaluate_summaries(part, pipeline).as_json()}
        for half, part in zip(HALVES, split_half(rows), strict=True)
    }
    return result


def keyword_tags(text: str) -> set[str]:
    tokens = set(re.findall(r"[a-z]+(?:-[a-z]+)*", text.lower()))
    return {label for label, keys in KEYWORDS.items() if tokens.intersection(keys)}


def deployed() -> tuple[Analyzer, dict[str, float]]:
    """The pipeline and each topic's alert threshold as the service runs them by default."""
    settings = Settings.from_env({})
    pipeline = build_analyzer(min_score=settings.min_topic_score)
    return pipeline, alert_thresholds(load_taxonomy(), settings.min_topic_score)


def keyword_scores(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The keyword list scored like the tagger (same judged topics)."""
    outcomes = []
    for row in rows:
        judged = row.get("judged_topics")
        outcomes.append(
            TopicOutcome(
                gold=frozenset(row["project_topics"]),
                judged=frozenset(judged) if isinstance(judged, list) else None,
                scores={},
                alerted=frozenset(keyword_tags(str(row["text"]))),
            )
        )
    return score_outcomes(outcomes).as_json()


def bench_topics(path: Path, texts: Path | None = None) -> dict[str, Any]:
    if texts is None:
        rows = read_jsonl(path, ("text", "project_topics"))
    else:
        rows = with_texts(
            read_jsonl(path, ("id", "project_topics")), read_jsonl(texts, ("id", "text"))
        )
    pipeline, thresholds = deployed()
    started = time.perf_counter()
    tagger = evaluate_topics(rows, pipeline, thresholds).as_json()
    seconds = time.perf_counter() - started
    halves = {
        half: evaluate_topics(part, pipeline, thresholds).as_json()
        for half, part in zip(HALVES, split_half(rows), strict=True)
    }
    return {
        "file": path.name,
        "rows": len(rows),
        "tagger": tagger,
        "tagger_seconds": round(seconds, 2),
        "keywords": keyword_scores(rows),
        "halves": halves,
        "support": {label: t["support"] for label, t in tagger["topics"].items()},
    }


# The calibration trial (issue 12, point 2): a per-topic monotone map from score to the share of
# right tags, fitted on the fit halves, judged on the untouched halves at one threshold.
CALIBRATION_FILES = ("cnndm-topics-dev.jsonl", "conflict-topics-dev.jsonl")
CALIBRATION_THRESHOLDS = (0.3, 0.4, 0.5)
# A topic with fewer right (or wrong) fit-half rows than this gets the map pooled over topics.
CALIBRATION_MIN_ROWS = 3


def isotonic(points: Sequence[tuple[float, bool]]) -> list[tuple[float, float]]:
    """Pool-adjacent-violators: (lowest score of each block, share right in it), non-decreasing."""
    blocks: list[list[float]] = []  # [lowest score, right, rows]
    for score, right in sorted(points):
        blocks.append([score, float(right), 1.0])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            _, hits, rows = blocks.pop()
            blocks[-1][1] += hits
            blocks[-1][2] += rows
    return [(low, hits / rows) for low, hits, rows in blocks]


def calibrated(steps: Sequence[tuple[float, float]], score: float) -> float:
    value = steps[0][1] if steps else 0.0
    for low, share in steps:
        if score < low:
            break
        value = share
    return value


def calibration_trial(data_dir: Path) -> dict[str, Any]:
    """Fit each topic's isotonic map on the fit halves of the article-level and conflict-topics
    sets pooled; compare the untouched halves at one threshold with the deployed scores."""
    pipeline, thresholds = deployed()
    outcomes: dict[tuple[str, str], list[TopicOutcome]] = {}
    for name in CALIBRATION_FILES:
        if not (data_dir / name).exists():
            return {}
        rows = read_jsonl(data_dir / name, ("text", "project_topics"))
        for half, part in zip(HALVES, split_half(rows), strict=True):
            outcomes[name, half] = [topic_outcome(row, pipeline, thresholds) for row in part]
    points: dict[str, list[tuple[float, bool]]] = {}
    for name in CALIBRATION_FILES:
        fit = outcomes[name, HALVES[0]]
        used = frozenset().union(*(o.gold | (o.judged or frozenset()) for o in fit))
        for o in fit:
            for label in o.judged if o.judged is not None else used:
                points.setdefault(label, []).append((o.scores.get(label, 0.0), label in o.gold))
    pooled = isotonic([p for rows in points.values() for p in rows])
    maps = {
        label: isotonic(rows)
        for label, rows in points.items()
        if CALIBRATION_MIN_ROWS <= sum(r for _, r in rows) <= len(rows) - CALIBRATION_MIN_ROWS
    }

    def rescored(name: str, half: str, threshold: float | None) -> dict[str, Any]:
        result = []
        for o in outcomes[name, half]:
            alerted = o.alerted
            if threshold is not None:
                alerted = frozenset(
                    label
                    for label in o.alerted
                    if calibrated(maps.get(label, pooled), o.scores.get(label, 0.0)) >= threshold
                )
            result.append(TopicOutcome(o.gold, o.judged, o.scores, alerted))
        return score_outcomes(result).as_json()

    trial: dict[str, Any] = {"per_topic_maps": sorted(maps), "rows": []}
    for threshold in (None, *CALIBRATION_THRESHOLDS):
        trial["rows"].append(
            {
                "threshold": threshold,
                **{
                    f"{name}:{half}": rescored(name, half, threshold)
                    for name in CALIBRATION_FILES
                    for half in HALVES
                },
            }
        )
    return trial


def calibration_lines(trial: dict[str, Any]) -> list[str]:
    if not trial:
        return []
    article, conflict = CALIBRATION_FILES
    lines = [
        "",
        "### Calibration trial: one threshold on per-topic isotonic maps",
        "",
        "Each topic's score mapped to the share of right tags at that score (pool-adjacent-"
        "violators, fitted on the fit halves of both sets pooled; topics with fewer than "
        f"{CALIBRATION_MIN_ROWS} right or wrong fit rows use the map pooled over topics; "
        f"per-topic maps: {', '.join(trial['per_topic_maps'])}). A stored tag alerts when its "
        "mapped score reaches the threshold. Not deployed: see the README.",
        "",
        "| alert rule | half | article-level micro P / R / F1 | conflict-topics "
        + " / ".join(FOCUS_TOPICS)
        + " F1 |",
        "|---|---|---|---|",
    ]
    for row in trial["rows"]:
        rule = "deployed scores" if row["threshold"] is None else f"mapped >= {row['threshold']}"
        for half in HALVES:
            a, c = row[f"{article}:{half}"], row[f"{conflict}:{half}"]
            focus = " / ".join(
                f"{c['topics'][t]['f1']:.2f}" if t in c["topics"] else "-" for t in FOCUS_TOPICS
            )
            lines.append(
                f"| {rule} | {half} | {a['micro']['p']:.3f} / {a['micro']['r']:.3f} / "
                f"{a['micro']['f1']:.3f} | {focus} |"
            )
    return lines


def draw_pr_chart(topics: Sequence[dict[str, Any]], png: Path) -> str:
    """Precision and recall across thresholds per topic: one panel per (file, half)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        (entry, half)
        for entry in topics
        if entry["file"] in (ARTICLE_LEVEL, "conflict-topics-dev.jsonl")
        for half in HALVES
    ]
    if not panels:
        return "no article-level or conflict-topics data: chart not drawn"
    figure, axes = plt.subplots(
        len(panels) // 2, 2, figsize=(12, 4.5 * (len(panels) // 2)), squeeze=False
    )
    colours = plt.get_cmap("tab10")
    for axis, (entry, half) in zip(axes.flat, panels, strict=True):
        scores = entry["halves"][half]
        # topics with at least two gold rows in the half (one row draws a step, not a curve)
        labels = [
            label
            for label in scores["curves"]
            if (entry["file"] == ARTICLE_LEVEL or label in FOCUS_TOPICS)
            and scores["topics"][label]["support"] >= 2
        ]
        lines = [
            (label, scores["curves"][label], scores["topics"][label]["support"]) for label in labels
        ]
        if entry["file"] == ARTICLE_LEVEL:
            micro = scores["micro"]
            lines.append(("micro, all topics", scores["micro_curve"], micro["tp"] + micro["fn"]))
        for index, (label, curve, support) in enumerate(lines):
            x = [point["threshold"] for point in curve]
            colour = "black" if label.startswith("micro") else colours(index % 10)
            # precision is undefined where nothing alerts: a gap, not a zero
            precision = [p["p"] if p["tp"] + p["fp"] else float("nan") for p in curve]
            axis.plot(x, precision, "-", color=colour, label=f"{label} ({support})")
            axis.plot(x, [p["r"] for p in curve], "--", color=colour)
        # the deployed alert thresholds of the topics drawn
        for threshold in {scores["topics"][label].get("alert_threshold") for label in labels}:
            if threshold is not None:
                axis.axvline(threshold, color="grey", linewidth=0.8)
        axis.set_title(f"{entry['file']}, {half} half ({scores['rows']} rows)", fontsize=10)
        axis.set_xlabel("threshold (score >= x alerts)")
        axis.set_ylim(-0.02, 1.02)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7, title="precision -, recall --", title_fontsize=7, loc="lower left")
    figure.suptitle("Precision (solid) and recall (dashed) of each topic across thresholds")
    figure.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(png, dpi=90)
    plt.close(figure)
    return f"wrote {png}"


def markdown(report: dict[str, Any]) -> str:
    lines = ["# Quality benchmark", "", f"Command: `{report['command']}`", ""]
    lines.append(f"Machine: {report['machine']}")
    for summary in report["summaries"]:
        lines += [
            "",
            f"## Summaries: {summary['file']} ({summary['rows']} rows, {summary['budget']})",
            "",
            f"Reference summaries: {summary['reference_words']} words on average. "
            "ROUGE F1 x 100, stemming on, Lsum over newline-separated sentences.",
            "",
            "| summarizer | ROUGE-1 | ROUGE-2 | ROUGE-Lsum | words | articles/s |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for key, name in (
            ("engine", "extractive (ours)"),
            ("lead3", "Lead-3"),
            ("lexrank", "sumy LexRank"),
            ("textrank", "sumy TextRank"),
        ):
            s = summary[key]
            speed = s.get("articles_per_s", "")
            lines.append(
                f"| {name} | {s['rouge1']:.2f} | {s['rouge2']:.2f} | {s['rougeLsum']:.2f} "
                f"| {s['words']} | {speed} |"
            )
        engine, lead = summary["engine"], summary["lead3"]
        delta = ", ".join(
            f"{k} {engine[k] - lead[k]:+.2f}" for k in ("rouge1", "rouge2", "rougeLsum")
        )
        lines.append("")
        lines.append(f"Engine minus Lead-3: {delta}.")
    lines += summary_halves(report)
    for topics in report["topics"]:
        if topics["file"] in (ARTICLE_LEVEL, BBC_LABELS.name):
            continue
        lines += [
            "",
            f"## Topics: {topics['file']} ({topics['rows']} rows)",
            "",
            "| topic | support | tagger P | tagger R | tagger F1 | keywords P | keywords R "
            "| keywords F1 |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        tagger, keywords = topics["tagger"], topics["keywords"]
        for label, t in tagger["topics"].items():
            k = keywords["topics"][label]
            lines.append(
                f"| {label} | {t['support']} | {t['p']:.3f} | {t['r']:.3f} | {t['f1']:.3f} "
                f"| {k['p']:.3f} | {k['r']:.3f} | {k['f1']:.3f} |"
            )
        lines.append(
            f"| **macro-F1** | | | | **{tagger['macro_f1']:.3f}** | | | "
            f"**{keywords['macro_f1']:.3f}** |"
        )
        lines += topic_halves(topics)
    article = next((t for t in report["topics"] if t["file"] == ARTICLE_LEVEL), None)
    if article is not None:
        lines += article_level(article, report.get("pr_chart", ""))
    bbc = next((t for t in report["topics"] if t["file"] == BBC_LABELS.name), None)
    if bbc is not None:
        lines += article_level(bbc, None)
    lines += calibration_lines(report.get("calibration_trial", {}))
    return "\n".join(lines) + "\n"


def _prf(scores: dict[str, Any]) -> str:
    return f"{scores['p']:.3f} | {scores['r']:.3f} | {scores['f1']:.3f}"


def _curve_cell(point: dict[str, Any] | None) -> str:
    if point is None:
        return "-"
    precision = f"{point['p']:.2f}" if point["tp"] + point["fp"] else "n/a"
    return f"{precision}/{point['r']:.2f}"


def summary_halves(report: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"## Summaries on both halves (split_half, seed `{SPLIT_SEED}`)",
        "",
        "Tune on the fit half only; the untouched half is the one quoted against the targets.",
        "",
        "| file | half | rows | ours R1 / R2 / RLsum | Lead-3 R1 / R2 / RLsum | ours - Lead-3 |",
        "|---|---|---:|---|---|---|",
    ]
    keys = ("rouge1", "rouge2", "rougeLsum")
    for summary in report["summaries"]:
        for half in HALVES:
            h = summary["halves"][half]
            engine, lead = h["engine"], h["lead3"]
            lines.append(
                f"| {summary['file']} | {half} | {h['rows']} "
                f"| {' / '.join(f'{engine[k]:.2f}' for k in keys)} "
                f"| {' / '.join(f'{lead[k]:.2f}' for k in keys)} "
                f"| {' / '.join(f'{engine[k] - lead[k]:+.2f}' for k in keys)} |"
            )
    return lines


def topic_halves(topics: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"Both halves (alerting tags; seed `{SPLIT_SEED}`):",
        "",
        "| half | rows | micro P | micro R | micro F1 | macro-F1 | "
        + " | ".join(f"{t} F1" for t in FOCUS_TOPICS)
        + " |",
        "|---|---:|---:|---:|---:|---:|" + "---:|" * len(FOCUS_TOPICS),
    ]
    for half in HALVES:
        h = topics["halves"][half]
        focus = [h["topics"].get(t) for t in FOCUS_TOPICS]
        lines.append(
            f"| {half} | {h['rows']} | {_prf(h['micro'])} | {h['macro_f1']:.3f} | "
            + " | ".join("-" if f is None else f"{f['f1']:.3f}" for f in focus)
            + " |"
        )
    return lines


def article_level(topics: dict[str, Any], chart: str | None) -> list[str]:
    """Both halves per topic; with ``chart`` (the CNN/DM set) also the curves and the check of
    how one score reads across topics."""
    halves = topics["halves"]
    ours = (
        []
        if chart is not None
        else [
            f"Our labels of the BBC summarization articles (bench/labels/README.md: two "
            f"independent annotators, the CNN/DM set's rule; texts from `{BBC_TEXTS}`). "
            "Labelled after issue 12's first four passes; rules are written from fit-half rows "
            "only, the untouched half is measured, never read row by row.",
            "",
        ]
    )
    lines = [
        "",
        f"## Topics, article level: {topics['file']} ({topics['rows']} whole articles)",
        "",
        *ours,
        "The tags that would alert (each topic's alert threshold as deployed), scored only where "
        "the topic is in the row's `judged_topics`. n: gold articles in the half; FA: false "
        f"alerts. Split: `split_half`, seed `{SPLIT_SEED}`.",
        "",
        "| topic | alert at | fit P | fit R | fit F1 | fit n | fit FA | untouched P "
        "| untouched R | untouched F1 | untouched n | untouched FA |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = sorted(set(halves["fit"]["topics"]) | set(halves["untouched"]["topics"]))
    empty = {"p": 0.0, "r": 0.0, "f1": 0.0, "support": 0, "fp": 0}
    for label in labels:
        fit = halves["fit"]["topics"].get(label, empty)
        untouched = halves["untouched"]["topics"].get(label, empty)
        threshold = fit.get("alert_threshold", untouched.get("alert_threshold", ""))
        lines.append(
            f"| {label} | {threshold} | {_prf(fit)} | {fit['support']} | {fit['fp']} "
            f"| {_prf(untouched)} | {untouched['support']} | {untouched['fp']} |"
        )
    fit, untouched = halves["fit"]["micro"], halves["untouched"]["micro"]
    lines.append(
        f"| **micro** | | {_prf(fit)} | {fit['tp'] + fit['fn']} | {fit['fp']} "
        f"| {_prf(untouched)} | {untouched['tp'] + untouched['fn']} | {untouched['fp']} |"
    )
    lines.append(
        f"| **macro-F1** | | | | {halves['fit']['macro_f1']:.3f} | | "
        f"| | | {halves['untouched']['macro_f1']:.3f} | | |"
    )
    whole = topics["tagger"]["micro"]
    keywords = topics["keywords"]["micro"]
    lines += [
        "",
        f"Whole file: micro P {whole['p']:.3f}, R {whole['r']:.3f}, F1 {whole['f1']:.3f} "
        f"(keyword list: P {keywords['p']:.3f}, R {keywords['r']:.3f}, F1 {keywords['f1']:.3f}).",
    ]
    if chart is None:
        return lines
    lines += [
        "",
        "### Precision and recall across thresholds",
        "",
        f"![Precision and recall per topic across thresholds]({PR_CHART.name})",
        "",
        f"Chart: `{chart}`. The same curves in numbers (P/R, score >= threshold alerts; n/a: "
        "nothing alerts):",
        "",
        "| topic | half | n | " + " | ".join(f"{t:.1f}" for t in TABLE_THRESHOLDS) + " |",
        "|---|---|---:|" + "---|" * len(TABLE_THRESHOLDS),
    ]
    for half in HALVES:
        curve = {p["threshold"]: p for p in halves[half]["micro_curve"]}
        support = halves[half]["micro"]["tp"] + halves[half]["micro"]["fn"]
        cells = [_curve_cell(curve.get(t)) for t in TABLE_THRESHOLDS]
        lines.append(f"| **micro** | {half} | {support} | " + " | ".join(cells) + " |")
    for label in labels:
        for half in HALVES:
            curve = {p["threshold"]: p for p in halves[half]["curves"].get(label, ())}
            if not curve:
                continue
            support = halves[half]["topics"][label]["support"]
            cells = [_curve_cell(curve.get(t)) for t in TABLE_THRESHOLDS]
            lines.append(f"| {label} | {half} | {support} | " + " | ".join(cells) + " |")
    return lines + calibration_check(halves, labels)


def calibration_check(halves: dict[str, Any], labels: Sequence[str]) -> list[str]:
    """Right tags / tags per score band, per topic and both halves pooled (from the curves)."""
    bands = [f"{low:.1f}-{high:.1f}" if high else f">= {low:.1f}" for low, high in BANDS]
    lines = [
        "",
        "### Does one score mean the same on every topic?",
        "",
        "Right tags / tags in each score band, both halves pooled (topics with gold rows). A "
        "calibrated score would show about the same share in a band on every topic.",
        "",
        "| topic | " + " | ".join(bands) + " |",
        "|---|" + "---:|" * len(bands),
    ]

    def counts(points: Sequence[dict[str, Any]], low: float, high: float | None) -> tuple[int, int]:
        at = {round(p["threshold"], 2): p for p in points}
        above = at.get(round(low, 2))
        if above is None:
            return 0, 0
        top = at.get(round(high, 2)) if high else None
        tp = above["tp"] - (top["tp"] if top else 0)
        fp = above["fp"] - (top["fp"] if top else 0)
        return tp, tp + fp

    for label in [*labels, "all topics"]:
        cells = []
        for low, high in BANDS:
            right = total = 0
            for half in HALVES:
                points = (
                    halves[half]["micro_curve"]
                    if label == "all topics"
                    else halves[half]["curves"].get(label, [])
                )
                tp, n = counts(points, low, high)
                right, total = right + tp, total + n
            cells.append(f"{right}/{total}" if total else "-")
        if any(c != "-" for c in cells):
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--ratio", type=float, default=0.4, help="BBC budget (share of article)")
    parser.add_argument("--chart", type=Path, default=PR_CHART, help="precision/recall PNG")
    args = parser.parse_args(argv)
    if not (args.data_dir / "cnndm-dev.jsonl").exists():
        print(f"no evaluation data in {args.data_dir}", file=sys.stderr)
        return 2
    percent = f"{round(100 * args.ratio)}%"
    cnndm = bench_summaries(args.data_dir / "cnndm-dev.jsonl", SummaryLength(sentences=3), 3)
    cnndm["budget"] = "3 sentences"
    bbc = bench_summaries(
        args.data_dir / "summarization-dev.jsonl", SummaryLength(ratio=args.ratio), percent
    )
    bbc["budget"] = (
        f"engine: {percent} of the article's words; LexRank/TextRank: {percent} of its sentences"
    )
    report: dict[str, Any] = {
        "command": "python bench/quality.py " + " ".join(argv or sys.argv[1:]),
        "machine": f"{platform.machine()}, {platform.system()}, Python {platform.python_version()}",
        "summaries": [cnndm, bbc],
        "topics": [
            bench_topics(args.data_dir / name)
            for name in TOPIC_FILES
            if (args.data_dir / name).exists()
        ]
        + [bench_topics(BBC_LABELS, texts=args.data_dir / BBC_TEXTS)],
        "split_seed": SPLIT_SEED,
    }
    report["calibration_trial"] = calibration_trial(args.data_dir)
    report["pr_chart"] = draw_pr_chart(report["topics"], args.chart)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "quality.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    text = markdown(report)
    (args.out / "quality.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
