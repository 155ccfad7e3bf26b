"""Alert routing on moto: every taxonomy topic subscribable, one message per article, per-topic
minimum scores, and what SQS subscribers receive (the JSON alert of docs/alert.schema.json).

Articles are stored with chosen topic scores and go through the table's real stream and the
AlertFunction handler; SQS queues subscribed with the filter policies `newswatch subscribe` builds
stand in for subscribers, so moto's SNS decides who receives what."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import jsonschema
import pytest
from awsstack import BUCKET, REPO, TABLE, Stack, load_handler

from newswatch.adapters.dynamodb import DynamoArticleStore
from newswatch.domain.models import TopicTag
from newswatch.domain.records import topic_items
from newswatch.domain.reference import content_reference
from newswatch.domain.subscriptions import filter_policy
from newswatch.domain.taxonomy import load_taxonomy
from newswatch.usecases.alert import find_by_reference

OK: dict[str, list[Any]] = {"batchItemFailures": []}
SCHEMA = json.loads((REPO / "docs" / "alert.schema.json").read_text(encoding="utf-8"))
TOPICS = load_taxonomy().labels


@pytest.fixture
def every_topic(monkeypatch: pytest.MonkeyPatch) -> None:
    """The template's default: no WatchedTopics allow-list."""
    monkeypatch.delenv("NEWSWATCH_WATCHED_TOPICS", raising=False)


def store_article(stack: Stack, key: str, scores: dict[str, float]) -> dict[str, Any]:
    topics = [
        TopicTag(label, score, evidence=(f"A sentence on {label}.",))
        for label, score in sorted(scores.items(), key=lambda pair: -pair[1])
    ]
    item = {
        "pk": f"article#{BUCKET}/{key}",
        "sk": "v#v1",
        "type": "article",
        "bucket": BUCKET,
        "key": key,
        "version_id": "v1",
        "status": "processed",
        "title": f"Story {key}",
        "summary": f"What happened in {key}.",
        "language": "en",
        "uploaded_at": "2026-12-01T10:00:00.000Z",
        "processed_at": "2026-12-01T10:00:01.000Z",
        "topics": topics,
        "topic_labels": [t.label for t in topics],
        "flags": [],
        "alert_state": "pending",
        "content_sha256": hashlib.sha256(key.encode()).hexdigest(),
    }
    # With its content claim and entries, as ingest writes it (the reference an alert names is
    # the claim's partition).
    store = DynamoArticleStore(stack.ddb, TABLE)
    store.put_article(item, topic_items(item, topics), claim_content=True)
    return item


def keys_received(stack: Stack, name: str) -> list[str]:
    return sorted(json.loads(m["Message"])["key"] for m in stack.received(name))


def test_every_topic_reaches_its_subscribers_once_per_article(
    stack: Stack, every_topic: None
) -> None:
    for topic in TOPICS:
        stack.subscribe(f"only-{topic}", filter_policy([topic]))
    several = stack.subscribe(
        "several", filter_policy(["sanctions", "displacement", "negotiations"], 0.5)
    )
    # One article per topic (0.9), and one carrying three topics at once.
    for topic in TOPICS:
        store_article(stack, f"{topic}.txt", {topic: 0.9})
    store_article(stack, "mixed.txt", {"sanctions": 0.6, "displacement": 0.55, "aid": 0.8})
    store_article(stack, "weak.txt", {"negotiations": 0.45, "ceasefire": 0.99})

    assert load_handler("alert").lambda_handler(stack.alert_batch()) == OK

    for topic in TOPICS:
        expected = [f"{topic}.txt"]
        if topic in {"sanctions", "displacement", "aid"}:
            expected.append("mixed.txt")
        if topic in {"negotiations", "ceasefire"}:
            expected.append("weak.txt")  # 0.45 is above the default alert threshold (0.3)
        assert keys_received(stack, f"only-{topic}") == sorted(expected), topic
    # One delivery per article however many subscribed topics match; negotiations 0.45 is
    # below this subscriber's 0.5, whatever the article's best topic scored.
    assert keys_received(stack, several) == [
        "displacement.txt",
        "mixed.txt",
        "negotiations.txt",
        "sanctions.txt",
    ]


def test_a_topic_alerts_from_its_own_threshold_and_the_allow_list_holds(
    stack: Stack, every_topic: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text(
        "topics:\n"
        "  - {label: sanctions, description: S., patterns: [sanctions?], alert_threshold: 0.7}\n"
        "  - {label: aid, description: A., patterns: [aid]}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("NEWSWATCH_TAXONOMY", str(taxonomy))
    stack.subscribe("sanctions", filter_policy(["sanctions"]))
    stack.subscribe("aid", filter_policy(["aid"]))
    store_article(stack, "weak-sanctions.txt", {"sanctions": 0.6, "aid": 0.2})
    store_article(stack, "strong-sanctions.txt", {"sanctions": 0.75})

    assert load_handler("alert").lambda_handler(stack.alert_batch()) == OK
    assert keys_received(stack, "sanctions") == ["strong-sanctions.txt"]
    assert keys_received(stack, "aid") == []  # 0.2 is below the global 0.3
    states = {a["key"]: a["alert_state"] for a in stack.articles()}
    assert states == {"weak-sanctions.txt": "none", "strong-sanctions.txt": "sent"}

    monkeypatch.setenv("NEWSWATCH_WATCHED_TOPICS", "aid")
    store_article(stack, "later-sanctions.txt", {"sanctions": 0.95})
    assert load_handler("alert").lambda_handler(stack.alert_batch()) == OK
    assert keys_received(stack, "sanctions") == []


def test_the_json_alert_follows_its_schema_and_its_reference_and_link_resolve(
    stack: Stack, every_topic: None
) -> None:
    stack.subscribe("machine", filter_policy(["sanctions"]))
    item = store_article(stack, "news/sanctions.txt", {"sanctions": 0.9, "aid": 0.4})

    assert load_handler("alert").lambda_handler(stack.alert_batch()) == OK

    [delivered] = stack.received("machine")
    payload = json.loads(delivered["Message"])
    jsonschema.validate(payload, SCHEMA)
    assert payload["key"] == "news/sanctions.txt" and payload["version_id"] == "v1"
    assert [(t["label"], t["score"]) for t in payload["topics"]] == [
        ("sanctions", 0.9),
        ("aid", 0.4),
    ]
    assert payload["reference"] == content_reference(item["content_sha256"])
    found = find_by_reference(DynamoArticleStore(stack.ddb, TABLE), payload["reference"])
    assert found is not None and (found["pk"], found["sk"]) == (item["pk"], item["sk"])

    url = urlparse(payload["link"]["url"])
    query = parse_qs(url.query)
    assert url.scheme == "https" and url.path.endswith("/news/sanctions.txt")
    assert query["versionId"] == ["v1"] and query["X-Amz-Expires"] == ["604800"]
    assert payload["link"]["expires_at"].endswith("Z")


def test_a_public_base_url_replaces_the_presigned_link(
    stack: Stack, every_topic: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSWATCH_ARTICLE_BASE_URL", "https://news.example.org/articles")
    stack.subscribe("machine", filter_policy(["aid"]))
    store_article(stack, "a b.txt", {"aid": 0.9})

    assert load_handler("alert").lambda_handler(stack.alert_batch()) == OK

    [delivered] = stack.received("machine")
    payload = json.loads(delivered["Message"])
    jsonschema.validate(payload, SCHEMA)
    public = "https://news.example.org/articles/a%20b.txt"
    assert payload["link"] == {"url": public, "expires_at": None}


def test_unknown_references_find_nothing(stack: Stack) -> None:
    store = DynamoArticleStore(stack.ddb, TABLE)
    assert find_by_reference(store, "nw-aaaaaaaaaa") is None
