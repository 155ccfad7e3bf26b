"""Countries per article on moto: stored on the article item, indexed by place entries, and the
archive's "articles about SD" answered by one Query per country."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from awsstack import REPO, TABLE, Stack, load_handler, sqs_event

from newswatch.adapters.archive import Archive
from newswatch.domain.subscriptions import filter_policy

SUDAN = (REPO / "seeds" / "sudan-ceasefire-darfur.txt").read_bytes()
UKRAINE = (REPO / "seeds" / "jeddah-ceasefire-talks.txt").read_bytes()
OK: dict[str, list[Any]] = {"batchItemFailures": []}


def _ingest(stack: Stack, key: str, body: bytes) -> dict[str, Any]:
    ingest = load_handler("ingest")
    assert ingest.lambda_handler(sqs_event(stack.put(key, body))) == OK
    return next(a for a in stack.articles() if a["key"] == key)


def test_countries_are_stored_with_codes_names_scores_and_evidence(stack: Stack) -> None:
    article = _ingest(stack, "news/sudan.txt", SUDAN)
    assert article["country_codes"] == ["SD"]
    [sudan] = article["countries"]
    assert sudan["code"] == "SD" and sudan["name"] == "Sudan"
    assert 0 < sudan["score"] <= 1
    assert any("Darfur" in sentence for sentence in sudan["evidence"])
    [entry] = [i for i in stack.items(article["pk"]) if i["type"] == "place"]
    assert entry["topic"] == "place#SD" and entry["place"] == "SD"
    assert {t["label"] for t in entry["topics"]} == set(article["topic_labels"])


def test_articles_by_place_come_from_the_index_not_a_scan(stack: Stack) -> None:
    _ingest(stack, "news/sudan.txt", SUDAN)
    _ingest(stack, "news/ukraine.txt", UKRAINE)
    calls: list[str] = []
    stack.ddb.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.append(model.name)
    )
    archive = Archive(stack.ddb, TABLE)

    about_sudan = archive.articles(None, places=["SD"])
    assert [r["s3_uri"].rsplit("/", 1)[1] for r in about_sudan] == ["sudan.txt"]
    assert about_sudan[0]["places"][0]["code"] == "SD"
    assert [r["s3_uri"].rsplit("/", 1)[1] for r in archive.articles(None, places=["UA"])] == [
        "ukraine.txt"
    ]
    # Topic and place: both must match.
    both = archive.articles(["ceasefire"], places=["SD", "UA"])
    assert sorted(r["s3_uri"].rsplit("/", 1)[1] for r in both) == ["sudan.txt", "ukraine.txt"]
    assert archive.articles(["sanctions"], places=["SD"]) == []
    assert set(calls) == {"Query"}


def test_reprocessing_replaces_the_place_entries(stack: Stack) -> None:
    """A backfill whose detector finds no country leaves no stale place entry behind."""
    from newswatch.adapters.backfill import DynamoBackfillStore
    from newswatch.adapters.s3 import S3ArticleSource
    from newswatch.build import build_pipeline
    from newswatch.service import reprocess_object
    from newswatch.settings import Settings

    article = _ingest(stack, "news/sudan.txt", SUDAN)
    pipeline = build_pipeline()
    pipeline.places = None
    reprocess_object(
        article["bucket"],
        article["key"],
        article["version_id"],
        source=S3ArticleSource(stack.s3),
        store=DynamoBackfillStore(stack.ddb, TABLE),
        pipeline=pipeline,
        settings=Settings.from_env(),
    )
    [again] = stack.articles()
    assert again["country_codes"] == [] and again["topic_labels"] == article["topic_labels"]
    assert [i for i in stack.items(article["pk"]) if i["type"] == "place"] == []


def subscribe_queue(stack: Stack, name: str, policy: dict[str, Any]) -> None:
    """One more SQS stand-in subscriber with this filter policy."""
    url = stack.sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = stack.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    stack.sns.subscribe(
        TopicArn=stack.topic_arn,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"FilterPolicy": json.dumps(policy), "FilterPolicyScope": "MessageAttributes"},
    )
    stack.queues[name] = url


def test_digests_respect_a_subscribers_places(stack: Stack) -> None:
    from newswatch.adapters.sns import SnsAlertPublisher
    from newswatch.digests import DynamoDigestMarks, send_digests

    subscribe_queue(
        stack, "digest-ceasefire-sd", filter_policy(["ceasefire"], kinds=("digest",), places=["SD"])
    )
    subscribe_queue(stack, "digest-sd", filter_policy([], kinds=("digest",), places=["SD"]))
    subscribe_queue(stack, "digest-ceasefire-all", filter_policy(["ceasefire"], kinds=("digest",)))
    _ingest(stack, "news/sudan.txt", SUDAN)
    _ingest(stack, "news/ukraine.txt", UKRAINE)

    send_digests(
        archive=Archive(stack.ddb, TABLE),
        marks=DynamoDigestMarks(stack.ddb, TABLE),
        publisher=SnsAlertPublisher(stack.sns, stack.topic_arn),
        topics=["ceasefire", "aid"],
        now=datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
        first_period=timedelta(days=2),
        places={"SD": "Sudan", "UA": "Ukraine", "FR": "France"},
    )

    def bodies(name: str) -> list[str]:
        return [m["Message"] for m in stack.received(name)]

    # (SQS stand-ins receive the default body: what the digest is about and how many articles.)
    assert bodies("digest-ceasefire-sd") == [
        "newswatch digest ceasefire in Sudan: 1 article 2026-11-28T12:00:00.000Z to "
        "2026-11-30T12:00:00.000Z"
    ]
    [sudan] = bodies("digest-sd")  # every topic about Sudan, in one digest
    assert sudan.startswith("newswatch digest Sudan: 1 article")
    [everywhere] = bodies("digest-ceasefire-all")  # a topic-only subscriber: as before
    assert everywhere.startswith("newswatch digest ceasefire: 2 articles")
