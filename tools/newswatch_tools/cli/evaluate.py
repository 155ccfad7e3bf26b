"""`newswatch eval summaries|topics|places FILE.jsonl`: measure the summarizer, the tagger and the
place detector on your own labelled examples (for instance to tune a custom taxonomy).

``eval summaries`` reads rows with ``text`` and a reference ``summary`` (optional ``title``) and
prints ROUGE-1/2/Lsum F1 x 100 for the engine next to Lead-3 (the first three sentences of the
same segmentation). ``eval topics`` reads rows (snippets or whole articles) with ``text`` and
``project_topics`` (a list of labels), optionally ``judged_topics`` (the labels scored on that row),
and prints precision, recall and F1 of the tags that would alert (each topic's alert threshold as
deployed) per topic, micro-averaged and macro-averaged. ``eval places`` reads rows with ``text``
and ``countries`` (ISO codes; ``unjudged_countries`` count neither way) and prints per-country and
micro P/R/F1. ``--half fit|untouched`` measures one half of the file's fixed split (tune on the fit
half, quote the untouched one). Exit code 2 for a bad file or option.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from newswatch_tools.cli.common import EXIT_OK, EXIT_USAGE, positive_int, score

if TYPE_CHECKING:
    from rich.table import Table

    from newswatch_tools.evaluation import SummaryScores, TopicScores
    from newswatch_tools.evaluation_places import PlaceScores

T = TypeVar("T")


class _Scores(Protocol):
    def as_json(self) -> dict[str, Any]: ...


S = TypeVar("S", bound=_Scores)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="measure summaries (ROUGE) or topics (P/R/F1) on a labelled JSONL file",
        description="Measure the summarizer or the tagger on labelled JSON-lines files.",
    )
    commands = parser.add_subparsers(dest="eval_command", required=True, metavar="WHAT")

    summaries = commands.add_parser(
        "summaries",
        help="ROUGE-1/2/Lsum F1 of the engine and of Lead-3",
        description="Rows need 'text' and a reference 'summary' ('title' is optional). Prints "
        "ROUGE-1, ROUGE-2 and ROUGE-Lsum F1 x 100 (stemming on) for the engine and, in the same "
        "run, for Lead-3. Needs the eval extra: pip install 'newswatch[eval]'.",
    )
    summaries.add_argument("file", type=Path, metavar="FILE.jsonl")
    summaries.add_argument("--engine", choices=("extractive", "transformers"), help="summarizer")
    summaries.add_argument("--model-dir", type=Path, help="local model folder (transformers)")
    size = summaries.add_mutually_exclusive_group()
    size.add_argument("--sentences", type=positive_int, help="summary length in sentences")
    size.add_argument(
        "--ratio",
        type=_ratio,
        help="summary length as a share of the article's words (0..1), e.g. 0.4 for long "
        "extractive references",
    )
    summaries.add_argument("--words", type=positive_int, help="summary word budget")
    _half_and_json_options(summaries)
    summaries.set_defaults(func=run_eval_summaries)

    topics = commands.add_parser(
        "topics",
        help="precision, recall and F1 of the tags that would alert, per topic and micro",
        description="Rows need 'text' and 'project_topics' (a list of labels); 'judged_topics' "
        "(optional) lists the labels scored on a row, otherwise every label the file uses (as "
        "gold or judged anywhere) is scored. A tag counts when it would alert: its score "
        "reaches the topic's alert_threshold (else the minimum topic score). A label your "
        "taxonomy lacks scores zero.",
    )
    topics.add_argument("file", type=Path, metavar="FILE.jsonl")
    topics.add_argument("--taxonomy", type=Path, metavar="FILE", help="your own taxonomy YAML")
    topics.add_argument("--min-score", type=score, help="lowest topic score reported (0..1)")
    topics.add_argument("--tagger", choices=("pattern", "semantic", "hybrid"), help="topic tagger")
    topics.add_argument("--model-dir", type=Path, help="local model folder (semantic tagger)")
    topics.add_argument(
        "--texts",
        type=Path,
        metavar="TEXTS.jsonl",
        help="rows without 'text' take it from the row with the same 'id' here (labels kept "
        "apart from the articles, e.g. bench/labels/bbc-topics.jsonl with "
        "summarization-dev.jsonl)",
    )
    _half_and_json_options(topics)
    topics.set_defaults(func=run_eval_topics)

    places = commands.add_parser(
        "places",
        help="precision, recall and F1 per country, and micro",
        description="Rows need 'text' and 'countries' (ISO 3166-1 alpha-2 codes the article is "
        "about); codes in 'unjudged_countries' count neither way. Prints precision, recall and "
        "F1 per country (gold or predicted) and micro-averaged over all of them.",
    )
    places.add_argument("file", type=Path, metavar="FILE.jsonl")
    _half_and_json_options(places)
    places.set_defaults(func=run_eval_places)


def _half_and_json_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--half",
        choices=("fit", "untouched"),
        help="only one half of the file's fixed split: 'fit' to tune on, 'untouched' to measure",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _ratio(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {raw!r}") from None
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most 1, got {value}")
    return value


def run_eval_summaries(args: argparse.Namespace) -> int:
    from newswatch.composition import build_analyzer
    from newswatch.domain.models import SummaryLength
    from newswatch.settings import Settings
    from newswatch_tools.evaluation import evaluate_summaries, read_jsonl, select_half

    def run() -> SummaryScores:
        settings = Settings.from_env()
        length = SummaryLength(
            sentences=args.sentences or settings.summary_sentences,
            words=args.words,
            ratio=args.ratio,
        )
        analyzer = build_analyzer(
            engine=args.engine or settings.engine,
            taxonomy_path=settings.taxonomy_path,
            min_score=settings.min_topic_score,
            length=length,
            model_dir=args.model_dir or settings.model_dir,
        )
        rows = select_half(read_jsonl(args.file, ("text", "summary")), args.half)
        return evaluate_summaries(rows, analyzer)

    def summary_table(scores: SummaryScores) -> Table:
        from rich.table import Table

        table = Table(title=f"ROUGE F1 x 100 on {args.file}{_half_note(args)} ({scores.rows} rows)")
        table.add_column("summarizer")
        for key in ("ROUGE-1", "ROUGE-2", "ROUGE-Lsum"):
            table.add_column(key, justify="right")
        for name, values in (("engine", scores.engine), ("Lead-3", scores.lead3)):
            table.add_row(name, *(f"{values[k]:.2f}" for k in ("rouge1", "rouge2", "rougeLsum")))
        return table

    return _run_and_print(run, summary_table, as_json=args.json)


def run_eval_topics(args: argparse.Namespace) -> int:
    from newswatch.composition import build_analyzer
    from newswatch.domain.taxonomy import load_taxonomy
    from newswatch.settings import Settings
    from newswatch_tools.evaluation import (
        alert_thresholds,
        evaluate_topics,
        read_jsonl,
        select_half,
        with_texts,
    )

    def run() -> TopicScores:
        settings = Settings.from_env()
        taxonomy_path = args.taxonomy or settings.taxonomy_path
        min_score = settings.min_topic_score if args.min_score is None else args.min_score
        analyzer = build_analyzer(
            engine="extractive",
            tagger=args.tagger or settings.tagger,
            taxonomy_path=taxonomy_path,
            min_score=min_score,
            model_dir=args.model_dir or settings.model_dir,
        )
        if args.texts is None:
            rows = read_jsonl(args.file, ("text", "project_topics"))
        else:
            labels = read_jsonl(args.file, ("id", "project_topics"))
            rows = with_texts(labels, read_jsonl(args.texts, ("id", "text")))
        rows = select_half(rows, args.half)
        thresholds = alert_thresholds(load_taxonomy(taxonomy_path), min_score)
        return evaluate_topics(rows, analyzer, thresholds)

    def topics_table(scores: TopicScores) -> Table:
        table = _counts_table(
            f"Alerting tags on {args.file}{_half_note(args)} ({scores.rows} rows)",
            ("topic", "alert at"),
            "false alerts",
            [
                (label, [_threshold_text(scores.alert_thresholds.get(label))], topic)
                for label, topic in scores.topics.items()
            ],
            scores.micro,
        )
        table.add_row("macro", "", "", "", f"{scores.macro_f1:.3f}", "", "")
        return table

    return _run_and_print(run, topics_table, as_json=args.json)


def run_eval_places(args: argparse.Namespace) -> int:
    from newswatch.composition import build_analyzer
    from newswatch_tools.evaluation import read_jsonl
    from newswatch_tools.evaluation_places import evaluate_places, select_half

    def run() -> PlaceScores:
        rows = select_half(read_jsonl(args.file, ("text", "countries")), args.half)
        return evaluate_places(rows, build_analyzer(engine="extractive"))

    def places_table(scores: PlaceScores) -> Table:
        return _counts_table(
            f"Countries on {args.file}{_half_note(args)} ({scores.rows} rows)",
            ("country",),
            "fp",
            [
                (code, [], country)
                for code, country in sorted(scores.countries.items(), key=lambda c: -c[1].support)
            ],
            scores.micro,
        )

    return _run_and_print(run, places_table, as_json=args.json)


class _Counts(Protocol):
    """One label's counts: evaluation.TopicScore (topics and, in evaluation_places, countries)."""

    @property
    def precision(self) -> float: ...
    @property
    def recall(self) -> float: ...
    @property
    def f1(self) -> float: ...
    @property
    def support(self) -> int: ...
    @property
    def fp(self) -> int: ...


def _counts_table(
    title: str,
    columns: tuple[str, ...],
    fp_column: str,
    rows: list[tuple[str, list[str], _Counts]],
    micro: _Counts,
) -> Table:
    """Precision, recall, F1, support and false positives per label (after the label's own
    ``columns``), then the micro average under a rule."""
    from rich.table import Table

    def cells(counts: _Counts) -> list[str]:
        return [
            f"{counts.precision:.3f}",
            f"{counts.recall:.3f}",
            f"{counts.f1:.3f}",
            str(counts.support),
            str(counts.fp),
        ]

    table = Table(title=title)
    for column in (*columns, "precision", "recall", "F1", "support", fp_column):
        table.add_column(column, justify="left" if column == columns[0] else "right")
    for label, own, counts in rows:
        table.add_row(label, *own, *cells(counts))
    table.add_section()
    table.add_row("micro", *([""] * (len(columns) - 1)), *cells(micro))
    return table


def _threshold_text(threshold: float | None) -> str:
    return "" if threshold is None else f"{threshold:.2f}"


def _half_note(args: argparse.Namespace) -> str:
    return f", {args.half} half" if args.half else ""


def _run_and_print(run: Callable[[], S], table: Callable[[S], Table], *, as_json: bool) -> int:
    """Run the evaluation and print its scores as one JSON object or as a table."""
    scores = _guarded(run)
    if scores is None:
        return EXIT_USAGE
    if as_json:
        print(json.dumps(scores.as_json()))
        return EXIT_OK
    from rich.console import Console

    Console().print(table(scores))
    return EXIT_OK


def _guarded(run: Callable[[], T]) -> T | None:
    """Run ``run()``; print a bad file, option or missing dependency as one clear line."""
    from rich.console import Console
    from rich.markup import escape

    from newswatch.domain.errors import NewswatchError

    try:
        result = run()
    except (NewswatchError, ValueError) as error:  # EvaluationError, SettingsError, bad taxonomy
        Console(stderr=True, highlight=False).print(f"[red]error:[/red] {escape(str(error))}")
        return None
    return result
