"""bench/labels/bbc-topics.jsonl: our article-level labels, well formed and joinable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newswatch.domain.taxonomy import load_taxonomy
from newswatch_tools.evaluation import read_jsonl, split_half, with_texts

REPO = Path(__file__).resolve().parents[2]
LABELS = REPO / "bench" / "labels" / "bbc-topics.jsonl"
TEXTS = REPO.parent / "shared" / "data" / "summarization-dev.jsonl"
TOPICS = {topic.label for topic in load_taxonomy().topics}


def rows() -> list[dict[str, object]]:
    return [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]


def test_every_row_is_the_agreement_of_two_annotators() -> None:
    labelled = rows()
    assert len(labelled) == len({row["id"] for row in labelled}) == 150
    for row in labelled:
        a, b = (set(row["annotators"][who]) for who in ("a", "b"))  # type: ignore[index]
        assert a | b <= TOPICS
        assert row["project_topics"] == sorted(a & b)
        judged = set(row.get("judged_topics", TOPICS))  # type: ignore[arg-type]
        assert judged == TOPICS - (a ^ b)  # a topic only one chose is not scored
        assert "text" not in row  # the article text stays in the data folder


def test_the_split_keeps_both_halves_labelled() -> None:
    fit, untouched = split_half(rows())
    assert len(fit) == len(untouched) == 75
    for half in (fit, untouched):
        assert sum(bool(row["project_topics"]) for row in half) >= 15


@pytest.mark.skipif(not TEXTS.exists(), reason="shared evaluation data not present")
def test_every_label_row_finds_its_article() -> None:
    joined = with_texts(read_jsonl(LABELS, ("id", "project_topics")), read_jsonl(TEXTS, ("id",)))
    assert all(str(row["text"]).strip() for row in joined)
