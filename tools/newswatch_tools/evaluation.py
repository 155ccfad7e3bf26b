"""Quality measurement on labelled JSONL files: ROUGE for summaries, P/R/F1 for topics.

Every row goes through :meth:`Analyzer.analyze_document`, exactly as an uploaded article would, so
the figures describe what is deployed. ``rouge-score`` is an evaluation dependency (the ``eval``
extra); it is imported only when ROUGE is computed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newswatch.analyzer import Analyzer
from newswatch.domain.models import Document
from newswatch.domain.sentences import split_sentences
from newswatch.domain.summarize import lead_sentences

ROUGE_TYPES = ("rouge1", "rouge2", "rougeLsum")
LEAD_SENTENCES = 3


class EvaluationError(ValueError):
    """A file that cannot be evaluated (bad JSON, missing fields) or a missing eval dependency."""


@dataclass(frozen=True)
class SummaryScores:
    """Mean ROUGE F1 x 100 of the engine and of Lead-3 over the same rows."""

    rows: int
    engine: dict[str, float]
    lead3: dict[str, float]

    def as_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "engine": self.engine, "lead3": self.lead3}


@dataclass(frozen=True)
class TopicScore:
    tp: int
    fp: int
    fn: int

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.support if self.support else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class TopicScores:
    """Per-topic scores over the labels present in the gold data, and their macro-F1."""

    rows: int
    topics: dict[str, TopicScore]

    @property
    def macro_f1(self) -> float:
        if not self.topics:
            return 0.0
        return sum(t.f1 for t in self.topics.values()) / len(self.topics)

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "topics": {
                label: {
                    "p": round(t.precision, 4),
                    "r": round(t.recall, 4),
                    "f1": round(t.f1, 4),
                    "support": t.support,
                }
                for label, t in self.topics.items()
            },
            "macro_f1": round(self.macro_f1, 4),
        }


def read_jsonl(path: Path | str, required: Sequence[str]) -> list[dict[str, Any]]:
    """Rows of a JSON-lines file; blank lines are skipped, every row must have ``required``."""
    rows: list[dict[str, Any]] = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise EvaluationError(f"cannot read {path}: {error}") from error
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise EvaluationError(f"{path}:{number}: not valid JSON ({error.msg})") from error
        if not isinstance(row, dict):
            raise EvaluationError(f"{path}:{number}: expected a JSON object")
        missing = [field for field in required if field not in row]
        if missing:
            raise EvaluationError(f"{path}:{number}: missing field(s) {', '.join(missing)}")
        rows.append(row)
    if not rows:
        raise EvaluationError(f"{path}: no rows")
    return rows


def row_document(row: dict[str, Any]) -> Document:
    title = row.get("title")
    return Document(text=str(row["text"]), title=str(title) if title else None)


def evaluate_summaries(rows: Sequence[dict[str, Any]], pipeline: Analyzer) -> SummaryScores:
    """ROUGE-1/2/Lsum F1 of the pipeline's summaries and of Lead-3 against ``summary``.

    A row's ``title``, when present, is passed on as the article's title (the summarizer then
    never picks the headline line itself as a summary sentence).
    """
    engine: list[list[str]] = []
    lead: list[list[str]] = []
    references: list[str] = []
    for row in rows:
        analysis = pipeline.analyze_document(row_document(row))
        engine.append(list(analysis.summary.sentences))
        lead.append(lead_sentences(split_sentences(str(row["text"])), LEAD_SENTENCES))
        references.append(str(row["summary"]))
    return SummaryScores(
        rows=len(rows),
        engine=rouge(references, engine),
        lead3=rouge(references, lead),
    )


def rouge(references: Sequence[str], predictions: Sequence[Sequence[str]]) -> dict[str, float]:
    """Mean ROUGE-1/2/Lsum F1 x 100 (stemming on, one sentence per line for Lsum)."""
    scorer = _rouge_scorer()
    totals = dict.fromkeys(ROUGE_TYPES, 0.0)
    for reference, prediction in zip(references, predictions, strict=True):
        scores = scorer.score("\n".join(split_sentences(reference)), "\n".join(prediction))
        for key in ROUGE_TYPES:
            totals[key] += scores[key].fmeasure
    n = max(len(references), 1)
    return {key: round(100 * total / n, 2) for key, total in totals.items()}


def _rouge_scorer() -> Any:
    try:
        from rouge_score import rouge_scorer
    except ImportError as error:
        raise EvaluationError(
            "ROUGE needs the rouge-score package: pip install 'newswatch[eval]'"
        ) from error
    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)


def evaluate_topics(rows: Sequence[dict[str, Any]], pipeline: Analyzer) -> TopicScores:
    """P/R/F1 of the pipeline's topic labels against ``project_topics``, per gold label."""
    predicted = [
        {tag.label for tag in pipeline.analyze_document(row_document(row)).topics} for row in rows
    ]
    return score_topics([_gold_labels(row) for row in rows], predicted)


def score_topics(gold: Sequence[Iterable[str]], predicted: Sequence[Iterable[str]]) -> TopicScores:
    """Count tp/fp/fn for every label that occurs in ``gold``; labels only predicted are not
    scored (the file says nothing about them), a gold label never predicted scores zero."""
    gold_sets = [set(g) for g in gold]
    predicted_sets = [set(p) for p in predicted]
    labels = sorted(set().union(*gold_sets)) if gold_sets else []
    topics: dict[str, TopicScore] = {}
    for label in labels:
        pairs = list(zip(gold_sets, predicted_sets, strict=True))
        topics[label] = TopicScore(
            tp=sum(1 for g, p in pairs if label in g and label in p),
            fp=sum(1 for g, p in pairs if label not in g and label in p),
            fn=sum(1 for g, p in pairs if label in g and label not in p),
        )
    return TopicScores(rows=len(gold_sets), topics=topics)


def _gold_labels(row: dict[str, Any]) -> set[str]:
    labels = row["project_topics"]
    if isinstance(labels, str):
        return {labels} if labels else set()
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise EvaluationError("project_topics must be a list of topic labels")
    return set(labels)
