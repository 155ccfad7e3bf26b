"""Quality measurement on labelled JSONL files: ROUGE for summaries, P/R/F1 for topics.

Every row goes through :meth:`Analyzer.analyze_document`, exactly as an uploaded article would, so
the figures describe what is deployed. ``rouge-score`` is an evaluation dependency (the ``eval``
extra); it is imported only when ROUGE is computed.

Why this module is long: summaries and topics share the row reading, the split halves and the
score types; the topic half (alerting tags, judged topics, P/R curves) is most of it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newswatch.analyzer import Analyzer
from newswatch.domain.alerts import AlertPolicy
from newswatch.domain.errors import NewswatchError
from newswatch.domain.models import Analysis, Document
from newswatch.domain.sentences import split_sentences
from newswatch.domain.summarize import lead_sentences
from newswatch.domain.taxonomy import Taxonomy

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


# Thresholds at which each topic's precision and recall are reported (the P/R curves).
CURVE_THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    score: TopicScore


@dataclass(frozen=True)
class TopicScores:
    """Per-topic and micro-averaged scores of the tags that would alert, and per-topic P/R across
    thresholds. ``topics`` holds every label judged on some row where it was gold or alerted; the
    macro-F1 averages the labels with at least one gold row (recall is undefined for the others,
    whose false alerts still count in their own entry and in the micro average)."""

    rows: int
    topics: dict[str, TopicScore]
    alert_thresholds: dict[str, float] = field(default_factory=dict)
    curves: dict[str, tuple[CurvePoint, ...]] = field(default_factory=dict)
    # micro-averaged over every judged topic, one threshold for all
    micro_curve: tuple[CurvePoint, ...] = ()

    @property
    def micro(self) -> TopicScore:
        return TopicScore(
            tp=sum(t.tp for t in self.topics.values()),
            fp=sum(t.fp for t in self.topics.values()),
            fn=sum(t.fn for t in self.topics.values()),
        )

    @property
    def macro_f1(self) -> float:
        supported = [t for t in self.topics.values() if t.support]
        if not supported:
            return 0.0
        return sum(t.f1 for t in supported) / len(supported)

    def as_json(self) -> dict[str, Any]:
        micro = self.micro
        return {
            "rows": self.rows,
            "micro": {**_prf(micro), "tp": micro.tp, "fp": micro.fp, "fn": micro.fn},
            "macro_f1": round(self.macro_f1, 4),
            "topics": {
                label: {
                    **_prf(t),
                    "support": t.support,
                    "tp": t.tp,
                    "fp": t.fp,
                    **(
                        {"alert_threshold": self.alert_thresholds[label]}
                        if label in self.alert_thresholds
                        else {}
                    ),
                }
                for label, t in self.topics.items()
            },
            "curves": {
                label: [
                    {"threshold": c.threshold, **_prf(c.score), "tp": c.score.tp, "fp": c.score.fp}
                    for c in points
                ]
                for label, points in self.curves.items()
            },
            "micro_curve": [
                {"threshold": c.threshold, **_prf(c.score), "tp": c.score.tp, "fp": c.score.fp}
                for c in self.micro_curve
            ],
        }


def _prf(score: TopicScore) -> dict[str, float]:
    return {
        "p": round(score.precision, 4),
        "r": round(score.recall, 4),
        "f1": round(score.f1, 4),
    }


@dataclass(frozen=True)
class TopicOutcome:
    """One row as the tagger saw it: gold labels, judged labels (None: every label the file
    uses), the score of every topic the tagger found (thresholds not applied) and what alerts."""

    gold: frozenset[str]
    judged: frozenset[str] | None
    scores: dict[str, float]
    alerted: frozenset[str]


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


def with_texts(
    rows: Sequence[dict[str, Any]], texts: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``rows`` with each one's ``text`` (and ``title``) taken from the row of ``texts`` with the
    same ``id``: labels kept apart from articles that may not be copied (bench/labels/)."""
    by_id = {str(row["id"]): row for row in texts if "id" in row and "text" in row}
    joined: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=1):
        if "text" in row:
            joined.append(dict(row))
            continue
        source = by_id.get(str(row.get("id")))
        if source is None:
            raise EvaluationError(
                f"row {number}: no text for id {row.get('id')!r} in the texts file"
            )
        extra = {"text": source["text"]}
        if source.get("title") and not row.get("title"):
            extra["title"] = source["title"]
        joined.append({**row, **extra})
    return joined


def row_document(row: dict[str, Any]) -> Document:
    title = row.get("title")
    return Document(text=str(row["text"]), title=str(title) if title else None)


def analyze_row(analyzer: Analyzer, row: dict[str, Any]) -> Analysis | None:
    """The row analysed as an uploaded article would be; None when the service would refuse it
    (text that is not prose is a failed record: no summary, no topics, no places)."""
    try:
        return analyzer.analyze_document(row_document(row))
    except NewswatchError:
        return None


def evaluate_summaries(rows: Sequence[dict[str, Any]], analyzer: Analyzer) -> SummaryScores:
    """ROUGE-1/2/Lsum F1 of the pipeline's summaries and of Lead-3 against ``summary``.

    A row's ``title``, when present, is passed on as the article's title (the summarizer then
    never picks the headline line itself as a summary sentence).
    """
    engine: list[list[str]] = []
    lead: list[list[str]] = []
    references: list[str] = []
    for row in rows:
        analysis = analyze_row(analyzer, row)
        engine.append(list(analysis.summary.sentences) if analysis else [])
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


def alert_thresholds(taxonomy: Taxonomy, default: float) -> dict[str, float]:
    """Each topic's alert threshold as the alert path decides it (:class:`AlertPolicy`): its
    ``alert_threshold``, else ``default`` (the service's minimum topic score)."""
    topics = ((t.label, t.alert_threshold) for t in taxonomy.topics)
    return dict(AlertPolicy.build(topics, default).thresholds)


def evaluate_topics(
    rows: Sequence[dict[str, Any]],
    analyzer: Analyzer,
    thresholds: Mapping[str, float] | None = None,
) -> TopicScores:
    """P/R/F1 of the tags that would alert against ``project_topics``, per topic and micro.

    A tag alerts when the pipeline stores it and its score reaches its topic's alert threshold
    (``thresholds``; a topic without one alerts whenever stored). A row's ``judged_topics``, when
    present, lists the topics scored on it; without it, every label the file uses (as gold or
    judged anywhere) is scored. The P/R curves use the tagger's scores before any threshold where
    the tagger gives them.
    """
    thresholds = thresholds or {}
    return score_outcomes([topic_outcome(row, analyzer, thresholds) for row in rows], thresholds)


def topic_outcome(
    row: dict[str, Any], analyzer: Analyzer, thresholds: Mapping[str, float]
) -> TopicOutcome:
    document = row_document(row)
    analysis = analyze_row(analyzer, row)
    if analysis is None:  # refused as not an article: a failed record, it alerts nothing
        return TopicOutcome(
            gold=frozenset(_gold_labels(row)), judged=_judged_labels(row), scores={},
            alerted=frozenset(),
        )  # fmt: skip
    alerted = frozenset(t.label for t in analysis.topics if t.score >= thresholds.get(t.label, 0.0))
    score_all = getattr(analyzer.tagger, "score", None)
    if callable(score_all) and analysis.language == "en":
        tags = score_all(split_sentences(document.text), title=document.title)
    else:
        tags = analysis.topics
    return TopicOutcome(
        gold=frozenset(_gold_labels(row)),
        judged=_judged_labels(row),
        scores={t.label: float(t.score) for t in tags},
        alerted=alerted,
    )


def score_outcomes(
    outcomes: Sequence[TopicOutcome], thresholds: Mapping[str, float] | None = None
) -> TopicScores:
    """Count tp/fp/fn of the alerting tags for every label judged, and the P/R curves."""
    # A row without judged_topics is judged on every label the file uses (gold or judged
    # anywhere): the file says nothing about the others.
    used: set[str] = set()
    for o in outcomes:
        used |= o.gold | (o.judged or frozenset())
    judged = [o.judged if o.judged is not None else frozenset(used) for o in outcomes]
    gold = [o.gold & j for o, j in zip(outcomes, judged, strict=True)]
    alerted = [o.alerted & j for o, j in zip(outcomes, judged, strict=True)]
    labels = sorted(set().union(*gold, *alerted)) if outcomes else []
    topics = {label: _count(label, gold, alerted) for label in labels}
    curves: dict[str, list[CurvePoint]] = {label: [] for label in labels if topics[label].support}
    micro_curve: list[CurvePoint] = []
    scored = {
        label for o, j in zip(outcomes, judged, strict=True) for label in o.scores if label in j
    }
    curve_labels = sorted(scored | set(labels))
    for threshold in CURVE_THRESHOLDS:
        above = [
            frozenset(label for label, score in o.scores.items() if score >= threshold) & j
            for o, j in zip(outcomes, judged, strict=True)
        ]
        counts = {label: _count(label, gold, above) for label in curve_labels}
        for label, points in curves.items():
            points.append(CurvePoint(threshold, counts[label]))
        micro_curve.append(
            CurvePoint(
                threshold,
                TopicScore(
                    tp=sum(c.tp for c in counts.values()),
                    fp=sum(c.fp for c in counts.values()),
                    fn=sum(c.fn for c in counts.values()),
                ),
            )
        )
    return TopicScores(
        rows=len(outcomes),
        topics=topics,
        alert_thresholds={k: v for k, v in (thresholds or {}).items() if k in topics},
        curves={label: tuple(points) for label, points in curves.items()},
        micro_curve=tuple(micro_curve),
    )


def _count(
    label: str, gold: Sequence[frozenset[str]], predicted: Sequence[frozenset[str]]
) -> TopicScore:
    pairs = list(zip(gold, predicted, strict=True))
    return TopicScore(
        tp=sum(1 for g, p in pairs if label in g and label in p),
        fp=sum(1 for g, p in pairs if label not in g and label in p),
        fn=sum(1 for g, p in pairs if label in g and label not in p),
    )


def score_topics(gold: Sequence[Iterable[str]], predicted: Sequence[Iterable[str]]) -> TopicScores:
    """Count tp/fp/fn for every label that occurs in ``gold``; labels only predicted are not
    scored (the file says nothing about them), a gold label never predicted scores zero."""
    outcomes = [
        TopicOutcome(gold=frozenset(g), judged=None, scores={}, alerted=frozenset(p))
        for g, p in zip(gold, predicted, strict=True)
    ]
    return score_outcomes(outcomes)


def _gold_labels(row: dict[str, Any]) -> set[str]:
    labels = row["project_topics"]
    if isinstance(labels, str):
        return {labels} if labels else set()
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise EvaluationError("project_topics must be a list of topic labels")
    return set(labels)


def _judged_labels(row: dict[str, Any]) -> frozenset[str] | None:
    if "judged_topics" not in row:
        return None
    labels = row["judged_topics"]
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise EvaluationError("judged_topics must be a list of topic labels")
    return frozenset(labels)


# -- split halves ---------------------------------------------------------------------------

SPLIT_SEED = "newswatch-split-1"
HALVES = ("fit", "untouched")


def split_half(
    rows: Sequence[dict[str, Any]],
    seed: str = SPLIT_SEED,
    labels: Callable[[dict[str, Any]], Iterable[str]] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows cut into a fit half and an untouched half, the same way on every run.

    Rows are grouped by their rarest gold label (``labels(row)``, by default its topics; else its
    category, for summary rows), ordered by a seeded hash of their id (or text) within each group,
    and dealt out alternately, so every label and category falls about evenly into both halves.
    Tune on the first; measure on the second.
    """
    labels_of = labels or _row_labels
    frequency: dict[str, int] = {}
    for row in rows:
        for label in labels_of(row):
            frequency[label] = frequency.get(label, 0) + 1

    def key(row: dict[str, Any]) -> tuple[str, str]:
        found = list(labels_of(row))
        stratum = (
            min(found, key=lambda label: (frequency[label], label))
            if found
            else "~" + str(row.get("category"))
        )
        identity = str(row.get("id") or row.get("text", ""))
        return stratum, hashlib.sha256(f"{seed}:{identity}".encode()).hexdigest()

    fit: list[dict[str, Any]] = []
    untouched: list[dict[str, Any]] = []
    for position, row in enumerate(sorted(rows, key=key)):
        (fit if position % 2 == 0 else untouched).append(row)
    return fit, untouched


def select_half(
    rows: Sequence[dict[str, Any]],
    half: str | None,
    labels: Callable[[dict[str, Any]], Iterable[str]] | None = None,
) -> list[dict[str, Any]]:
    """``rows`` whole (``half`` None) or one of the :data:`HALVES` of :func:`split_half`."""
    if half is None:
        return list(rows)
    if half not in HALVES:
        raise EvaluationError(f"half must be one of {', '.join(HALVES)}, got {half!r}")
    return split_half(rows, labels=labels)[HALVES.index(half)]


def _row_labels(row: dict[str, Any]) -> list[str]:
    labels = row.get("project_topics")
    if isinstance(labels, list):
        return [str(label) for label in labels]
    return [labels] if isinstance(labels, str) and labels else []
