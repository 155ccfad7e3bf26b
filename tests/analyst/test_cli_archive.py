"""`newswatch articles` / `newswatch show` against a moto table with the template's key schema."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from newswatch.adapters.dynamodb import DynamoArticleStore
from newswatch.domain.reference import article_reference
from newswatch_tools.cli import main
from newswatch_tools.cli.archive import MomentError, parse_moment


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_parse_moment() -> None:
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert parse_moment("7d", now) == "2026-11-22T12:00:00.000Z"
    assert parse_moment("90m", now) == "2026-11-29T10:30:00.000Z"
    assert parse_moment("2026-11-01", now) == "2026-11-01"
    assert parse_moment("2026-11-01T10:00:00+01:00", now) == "2026-11-01T09:00:00.000Z"
    with pytest.raises(MomentError, match="neither a duration"):
        parse_moment("last week", now)


def test_articles_of_one_topic_newest_first_in_a_range(
    archive_stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["articles", "--topic", "ceasefire", "--since", "2026-09-01", "--json"]
    assert main(args) == 0
    rows = _lines(capsys.readouterr().out)
    assert [r["s3_uri"] for r in rows] == [
        f"s3://{archive_stack}/mid.txt",
        f"s3://{archive_stack}/old.txt",
    ]
    assert rows[0]["topics"] == [{"label": "ceasefire", "score": 0.6}]

    assert main([*args[:4], "2026-11-01", "--until", "2026-11-27", "--json"]) == 0
    assert [r["s3_uri"] for r in _lines(capsys.readouterr().out)] == [
        f"s3://{archive_stack}/mid.txt"
    ]


def test_articles_across_topics_are_listed_once_with_all_their_topics(
    archive_stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["articles", "--since", "2026-09-01", "--limit", "2", "--json"]) == 0
    rows = _lines(capsys.readouterr().out)
    assert [r["s3_uri"].rsplit("/", 1)[1] for r in rows] == ["new.txt", "mid.txt"]
    assert sorted(t["label"] for t in rows[1]["topics"]) == ["aid", "ceasefire"]
    assert main(["articles", "--since", "2026-09-01"]) == 0
    out = capsys.readouterr().out
    assert "Title of old.txt" in out and "3 articles" in out


def test_show_prints_summary_topics_evidence_and_alert_state(
    archive_stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", "mid.txt"]) == 0
    out = capsys.readouterr().out
    for expected in ["Title of mid.txt", "Summary of mid.txt.", "ceasefire", "aid!", "alert: sent"]:
        assert expected in out
    assert main(["show", "missing.txt"]) == 2
    assert "no article" in capsys.readouterr().err


def test_show_accepts_the_reference_an_alert_carries(
    archive_stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = article_reference(archive_stack, "mid.txt", None)
    state = json.loads(Path(os.environ["NEWSWATCH_LOCAL_STATE"]).read_text(encoding="utf-8"))
    table = state["outputs"]["ArticlesTableName"]
    store = DynamoArticleStore(boto3.client("dynamodb", region_name=state["region"]), table)
    store.put_reference(reference, f"article#{archive_stack}/mid.txt", "v#null")

    assert main(["show", reference.upper()]) == 0  # as typed from a phone
    out = capsys.readouterr().out
    assert "Title of mid.txt" in out and "Summary of mid.txt." in out
    assert main(["show", "nw-aaaaaaaaaa"]) == 2
    assert "no alert was sent with reference" in capsys.readouterr().err
