"""A moto table in the template's data model, seeded with archive items, for the analyst CLI."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from newswatch.domain.records import entry_key
from newswatch_tools.local.spec import load_spec

REPO = Path(__file__).resolve().parents[2]

REGION = "us-east-1"
TABLE = "articles"
BUCKET = "articles-bucket"


def create_table(dynamodb: Any) -> None:
    """The ArticlesTable exactly as template.yaml declares it (keys, indexes, projections)."""
    dynamodb.create_table(**dict(load_spec(REPO).table, TableName=TABLE))


def put_article(table: Any, key: str, uploaded_at: str, topics: dict[str, float]) -> None:
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
            "headline": f"Title of {key}",
            "summary": f"Summary of {key}.",
            "uploaded_at": uploaded_at,
            "upload_day": uploaded_at[:10],
            "topic_labels": list(topics),
            "language": "en",
            "word_count": 400,
            "topics": [
                {
                    "label": label,
                    "score": Decimal(str(score)),
                    "iptc": None,
                    "evidence": [f"{label}!"],
                }
                for label, score in topics.items()
            ],
            "alert_state": "sent",
            "alerted_at": uploaded_at,
            "alert_topics": list(topics),
        }
    )
    for label, score in topics.items():
        entry_pk, entry_sk = entry_key(label, uploaded_at, pk, sk)
        table.put_item(
            Item={
                "pk": entry_pk,
                "sk": entry_sk,
                "type": "topic",
                "topic": label,
                "uploaded_at": uploaded_at,
                "title": f"Title of {key}",
                "summary": f"Summary of {key}.",
                "score": Decimal(str(score)),
                "s3_uri": f"s3://{BUCKET}/{key}",
                "article_pk": pk,
                "article_sk": sk,
            }
        )


@pytest.fixture
def archive_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A seeded archive behind a local-stack state file; yields the bucket name."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    state = tmp_path / "local.json"
    monkeypatch.setenv("NEWSWATCH_LOCAL_STATE", str(state))
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_table(client)
        table = boto3.resource("dynamodb", region_name=REGION).Table(TABLE)
        put_article(table, "old.txt", "2026-10-01T08:00:00Z", {"ceasefire": 0.9})
        put_article(table, "mid.txt", "2026-11-20T08:00:00Z", {"ceasefire": 0.6, "aid": 0.5})
        put_article(table, "new.txt", "2026-11-28T08:00:00Z", {"aid": 0.8})
        outputs = {"ArticlesTableName": TABLE, "ArticlesBucketName": BUCKET}
        state.write_text(json.dumps({"endpoint_url": None, "region": REGION, "outputs": outputs}))
        yield BUCKET


@pytest.fixture
def seed_article(archive_stack: str) -> Callable[[str, str, dict[str, float]], None]:
    """Adds one processed article (and its topic entries) to the seeded archive."""
    table = boto3.resource("dynamodb", region_name=REGION).Table(TABLE)
    return lambda key, uploaded_at, topics: put_article(table, key, uploaded_at, topics)
