"""Place quality on labelled JSONL rows: per-country and micro precision, recall and F1.

A row has ``text`` (and optionally ``title``) and ``countries``, the ISO alpha-2 codes it is
about; codes in ``unjudged_countries`` (the annotators disagreed) count neither way. Every row
goes through :meth:`Analyzer.analyze_document`, as an uploaded article would.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from newswatch.analyzer import Analyzer
from newswatch_tools import evaluation
from newswatch_tools.evaluation import SPLIT_SEED, EvaluationError, TopicScore, analyze_row


@dataclass(frozen=True)
class PlaceScores:
    rows: int
    countries: dict[str, TopicScore]

    @property
    def micro(self) -> TopicScore:
        return TopicScore(
            tp=sum(c.tp for c in self.countries.values()),
            fp=sum(c.fp for c in self.countries.values()),
            fn=sum(c.fn for c in self.countries.values()),
        )

    def as_json(self) -> dict[str, Any]:
        micro = self.micro
        return {
            "rows": self.rows,
            "micro": {
                "p": round(micro.precision, 4),
                "r": round(micro.recall, 4),
                "f1": round(micro.f1, 4),
                "tp": micro.tp,
                "fp": micro.fp,
                "fn": micro.fn,
            },
            "countries": {
                code: {
                    "p": round(c.precision, 4),
                    "r": round(c.recall, 4),
                    "f1": round(c.f1, 4),
                    "support": c.support,
                    "tp": c.tp,
                    "fp": c.fp,
                    "fn": c.fn,
                }
                for code, c in sorted(self.countries.items())
            },
        }


def gold_countries(row: dict[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    """(countries, unjudged countries) of a row, upper-cased."""
    return _codes(row, "countries"), _codes(row, "unjudged_countries")


def _codes(row: dict[str, Any], field: str) -> frozenset[str]:
    value = row.get(field) or []
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise EvaluationError(f"{field} must be a list of ISO 3166-1 alpha-2 codes")
    return frozenset(code.upper() for code in value)


def score_places(
    gold: Sequence[tuple[frozenset[str], frozenset[str]]], predicted: Sequence[set[str]]
) -> PlaceScores:
    """tp/fp/fn per country over every code gold or predicted, unjudged codes left out."""
    counts: dict[str, list[int]] = {}
    for (codes, unjudged), found in zip(gold, predicted, strict=True):
        for code in (codes | found) - unjudged:
            cell = counts.setdefault(code, [0, 0, 0])
            if code in codes and code in found:
                cell[0] += 1
            elif code in found:
                cell[1] += 1
            else:
                cell[2] += 1
    return PlaceScores(
        rows=len(gold),
        countries={code: TopicScore(tp, fp, fn) for code, (tp, fp, fn) in counts.items()},
    )


def evaluate_places(rows: Sequence[dict[str, Any]], analyzer: Analyzer) -> PlaceScores:
    analyses = [analyze_row(analyzer, row) for row in rows]
    predicted = [{place.code for place in a.places} if a else set() for a in analyses]
    return score_places([gold_countries(row) for row in rows], predicted)


def split_half(
    rows: Sequence[dict[str, Any]], seed: str = SPLIT_SEED
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows cut into a fit half and an untouched half, the same way on every run: grouped by
    their rarest gold country (or category, without one), ordered by a seeded hash of their id
    within each group and dealt out alternately, so each country falls about evenly into both."""
    return evaluation.split_half(rows, seed, labels=_countries)


def select_half(rows: Sequence[dict[str, Any]], half: str | None) -> list[dict[str, Any]]:
    return evaluation.select_half(rows, half, labels=_countries)


def _countries(row: dict[str, Any]) -> Iterable[str]:
    return gold_countries(row)[0]
