"""`newswatch articles` / `newswatch show` against a moto table with the template's key schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from newswatch.cli import main
from newswatch.cli.archive import MomentError, parse_moment

REGION = "us-east-1"
TABLE = "articles"
BUCKET = "articles-bucket"


def _create_table(dynamodb: Any) -> None:
    dynamodb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"}
            for name in ("pk", "sk", "topic", "uploaded_at")
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "ByTopic",
                "KeySchema": [
                    {"AttributeName": "topic", "KeyType": "HASH"},
                    {"AttributeName": "uploaded_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


def _put_article(table: Any, key: str, uploaded_at: str, topics: dict[str, float]) -> None:
    pk, sk = f"article#{BUCKET}/{key}", "v#null"
    table.put_item(
        Item={
            "pk": pk,
            "sk": sk,
            "type": "article",
            "bucket": BUCKET,
            "key": key,
            "version_id": "null",
            "status": "processed",
            "title": f"Title of {key}",
            "summary": f"Summary of {key}.",
            "uploaded_at": uploaded_at,
            "language": "en",
            "word_count": 400,
            "topics": [
                {"label": label, "score": str(score), "iptc": None, "evidence": [f"{label}!"]}
                for label, score in topics.items()
            ],
            "alert_state": "sent",
            "alerted_at": uploaded_at,
            "alert_topics": list(topics),
        }
    )
    for label, score in topics.items():
        table.put_item(
            Item={
                "pk": pk,
                "sk": f"topic#{label}#{sk}",
                "type": "topic",
                "topic": label,
                "uploaded_at": uploaded_at,
                "title": f"Title of {key}",
                "summary": f"Summary of {key}.",
                "score": str(score),
                "s3_uri": f"s3://{BUCKET}/{key}",
                "article_pk": pk,
                "article_sk": sk,
            }
        )


@pytest.fixture
def archive_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    state = tmp_path / "local.json"
    monkeypatch.setenv("NEWSWATCH_LOCAL_STATE", str(state))
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        _create_table(client)
        table = boto3.resource("dynamodb", region_name=REGION).Table(TABLE)
        _put_article(table, "old.txt", "2026-10-01T08:00:00Z", {"ceasefire": 0.9})
        _put_article(table, "mid.txt", "2026-11-20T08:00:00Z", {"ceasefire": 0.6, "aid": 0.5})
        _put_article(table, "new.txt", "2026-11-28T08:00:00Z", {"aid": 0.8})
        outputs = {"ArticlesTableName": TABLE, "ArticlesBucketName": BUCKET}
        state.write_text(json.dumps({"endpoint_url": None, "region": REGION, "outputs": outputs}))
        yield


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_parse_moment() -> None:
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert parse_moment("7d", now) == "2026-11-22T12:00:00Z"
    assert parse_moment("90m", now) == "2026-11-29T10:30:00Z"
    assert parse_moment("2026-11-01", now) == "2026-11-01"
    assert parse_moment("2026-11-01T10:00:00+01:00", now) == "2026-11-01T09:00:00Z"
    with pytest.raises(MomentError, match="neither a duration"):
        parse_moment("last week", now)


def test_articles_of_one_topic_newest_first_in_a_range(
    archive_stack: None, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["articles", "--topic", "ceasefire", "--since", "2026-09-01", "--json"]
    assert main(args) == 0
    rows = _lines(capsys.readouterr().out)
    assert [r["s3_uri"] for r in rows] == [f"s3://{BUCKET}/mid.txt", f"s3://{BUCKET}/old.txt"]
    assert rows[0]["topics"] == [{"label": "ceasefire", "score": 0.6}]

    assert main([*args[:4], "2026-11-01", "--until", "2026-11-27", "--json"]) == 0
    assert [r["s3_uri"] for r in _lines(capsys.readouterr().out)] == [f"s3://{BUCKET}/mid.txt"]


def test_articles_across_topics_are_listed_once_with_all_their_topics(
    archive_stack: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["articles", "--since", "2026-09-01", "--limit", "2", "--json"]) == 0
    rows = _lines(capsys.readouterr().out)
    assert [r["s3_uri"].rsplit("/", 1)[1] for r in rows] == ["new.txt", "mid.txt"]
    assert sorted(t["label"] for t in rows[1]["topics"]) == ["aid", "ceasefire"]
    assert main(["articles", "--since", "2026-09-01"]) == 0
    out = capsys.readouterr().out
    assert "Title of old.txt" in out and "3 articles" in out


def test_show_prints_summary_topics_evidence_and_alert_state(
    archive_stack: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", "mid.txt"]) == 0
    out = capsys.readouterr().out
    for expected in ["Title of mid.txt", "Summary of mid.txt.", "ceasefire", "aid!", "alert: sent"]:
        assert expected in out
    assert main(["show", "missing.txt"]) == 2
    assert "no article" in capsys.readouterr().err
