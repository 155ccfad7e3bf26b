"""Quality benchmark: summaries (ROUGE) and topics (P/R/F1) on ../shared/data, with peers.

Summaries, in one run per dataset: the extractive engine and Lead-3 exactly as
``newswatch eval summaries`` computes them, plus sumy's LexRank and TextRank given a tokenizer that
needs no NLTK download (our sentence splitter and a regex word splitter).

- cnndm-dev.jsonl (CNN/DailyMail highlights, ~3.6 sentences): every summarizer gives 3 sentences.
- summarization-dev.jsonl (BBC; references are extractive and about 40% of the article's
  sentences, 44% of its words): a budget relative to the article, ``--ratio`` (default 0.4): the
  engine gets that share of the article's words, LexRank and TextRank that share of its sentences
  (sumy's percentage count). The mean summary length in words is reported next to every score.

Topics: the configured tagger as ``newswatch eval topics`` runs it (default taxonomy and
thresholds) next to a plain keyword list (one word list per topic, any match tags), on
topics-dev.jsonl and conflict-topics-dev.jsonl.

Writes bench/out/quality.md (tables) and bench/out/quality.json.

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

from newswatch.composition import build_analyzer
from newswatch.domain.models import SummaryLength
from newswatch.domain.sentences import split_sentences
from newswatch.domain.summarize import words
from newswatch_tools.evaluation import (
    evaluate_summaries,
    evaluate_topics,
    read_jsonl,
    rouge,
    score_topics,
)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
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
    return result


def keyword_tags(text: str) -> set[str]:
    tokens = set(re.findall(r"[a-z]+(?:-[a-z]+)*", text.lower()))
    return {label for label, keys in KEYWORDS.items() if tokens.intersection(keys)}


def bench_topics(path: Path) -> dict[str, Any]:
    rows = read_jsonl(path, ("text", "project_topics"))
    started = time.perf_counter()
    tagger = evaluate_topics(rows, build_analyzer()).as_json()
    seconds = time.perf_counter() - started
    gold = [set(row["project_topics"]) for row in rows]
    baseline = score_topics(gold, [keyword_tags(str(row["text"])) for row in rows]).as_json()
    return {
        "file": path.name,
        "rows": len(rows),
        "tagger": tagger,
        "tagger_seconds": round(seconds, 2),
        "keywords": baseline,
    }


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
    for topics in report["topics"]:
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
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--ratio", type=float, default=0.4, help="BBC budget (share of article)")
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
            for name in ("topics-dev.jsonl", "conflict-topics-dev.jsonl")
        ],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "quality.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    text = markdown(report)
    (args.out / "quality.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
