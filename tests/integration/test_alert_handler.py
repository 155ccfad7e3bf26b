"""AlertFunction on moto: the table's real stream records in, SNS alerts out to SQS queues that
stand in for email and SMS subscribers with their filter policies."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from awsstack import (
    OTHER_CEASEFIRE_STORY,
    TABLE,
    Spy,
    Stack,
    load_handler,
    sqs_event,
    stream_event_from_image,
)

from newswatch import composition
from newswatch.adapters.dynamodb import DynamoArticleStore
from newswatch.adapters.dynamodb_codec import serialize_item
from newswatch.domain.alerts import AlertMessage, sms_fits
from newswatch.domain.models import TopicTag
from newswatch.ports import Clock
from newswatch.settings import Settings
from newswatch.usecases.alert import AlertPublishError, alert_record

OK: dict[str, list[Any]] = {"batchItemFailures": []}


def ingest_seed(stack: Stack, seed_bytes: bytes, key: str = "news/jeddah.txt") -> dict[str, Any]:
    ingest = load_handler("ingest")
    assert ingest.lambda_handler(sqs_event(stack.put(key, seed_bytes))) == OK
    [article] = [a for a in stack.articles() if a["key"] == key]
    return article


def all_received(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    return {name: stack.received(name) for name in stack.queues}


def test_an_alert_is_published_once_with_its_bodies_and_attributes(
    stack: Stack, seed_bytes: bytes
) -> None:
    article = ingest_seed(stack, seed_bytes)
    alert = load_handler("alert")
    deps = composition.alert_function()
    spy = Spy(deps.publisher.client, "publish")
    deps.publisher.client = spy

    assert alert.lambda_handler(stack.alert_batch()) == OK

    [call] = spy.calls
    assert call["MessageStructure"] == "json"
    assert len(call["Subject"]) < 100 and call["Subject"].isascii()
    bodies = json.loads(call["Message"])
    assert set(bodies) == {"default", "email", "sms"}
    assert sms_fits(bodies["sms"])
    email = bodies["email"]
    assert article["summary"][:40] in email
    assert "s3://newswatch-articles-test/news/jeddah.txt" in email
    assert "Uploaded: 2026-11-29T18:00:00.000Z" in email
    ceasefire = next(t for t in article["topics"] if t.label == "ceasefire")
    assert f"ceasefire (score {ceasefire.score:.2f}" in email
    assert ceasefire.evidence[0][:40] in email

    attributes = call["MessageAttributes"]
    topics = json.loads(attributes["topics"]["StringValue"])
    assert attributes["topics"]["DataType"] == "String.Array"
    assert "ceasefire" in topics
    assert set(topics) <= {"ceasefire", "aid"}
    assert attributes["kind"] == {"DataType": "String", "StringValue": "alert"}
    assert attributes["language"] == {"DataType": "String", "StringValue": "en"}
    assert attributes["top_topic"]["StringValue"] == topics[0]
    assert attributes["score"]["DataType"] == "Number"

    [item] = stack.articles()
    assert item["alert_state"] == "sent"
    assert item["alert_topics"] == topics
    assert item["alerted_at"].endswith("Z")
    assert "alert_claim" not in item and "alert_lease_until" not in item

    [delivered] = stack.received("email-ceasefire")
    assert delivered["MessageId"] == item["alert_message_id"]
    assert delivered["Subject"] == call["Subject"]


def test_each_subscriber_gets_only_what_its_filter_policy_matches(
    stack: Stack, seed_bytes: bytes
) -> None:
    ingest_seed(stack, seed_bytes)
    alert = load_handler("alert")
    assert alert.lambda_handler(stack.alert_batch()) == OK

    received = all_received(stack)
    [item] = stack.articles()
    sent_topics = item["alert_topics"]
    score = max(t.score for t in item["topics"] if t.label in sent_topics)
    assert len(received["email-ceasefire"]) == 1
    assert len(received["sms-aid"]) == (1 if "aid" in sent_topics else 0)
    assert received["email-sanctions"] == []  # a topic the article was not alerted on
    assert received["digest-ceasefire"] == []  # alerts are kind=alert, not digest
    assert len(received["email-ceasefire-strong"]) == (1 if score >= 0.5 else 0)


def test_a_replayed_stream_record_alerts_once(stack: Stack, seed_bytes: bytes) -> None:
    ingest_seed(stack, seed_bytes)
    batch = stack.alert_batch()
    [insert] = batch["Records"]
    alert = load_handler("alert")

    assert alert.lambda_handler(batch) == OK
    assert alert.lambda_handler(batch) == OK
    # ... and the same INSERT image once more through the events/ payload, in a new environment.
    replay = stream_event_from_image(insert["dynamodb"]["NewImage"])
    assert load_handler("alert").lambda_handler(replay) == OK

    assert len(stack.received("email-ceasefire")) == 1


def test_modify_records_of_its_own_updates_are_ignored(stack: Stack, seed_bytes: bytes) -> None:
    ingest_seed(stack, seed_bytes)
    alert = load_handler("alert")
    assert alert.lambda_handler(stack.alert_batch()) == OK
    assert len(all_received(stack)["email-ceasefire"]) == 1

    # Without the event source filter: topic entries and the sending/sent MODIFY images.
    everything = {"Records": stack.stream_records()}
    assert any(r["eventName"] == "MODIFY" for r in everything["Records"])
    assert alert.lambda_handler(everything) == OK
    assert all(v == [] for v in all_received(stack).values())


@pytest.mark.parametrize(
    ("variable", "value"),
    [("NEWSWATCH_WATCHED_TOPICS", "sanctions,displacement"), ("NEWSWATCH_MIN_TOPIC_SCORE", "1.0")],
)
def test_an_article_without_a_watched_topic_sends_nothing(
    stack: Stack, seed_bytes: bytes, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    ingest_seed(stack, seed_bytes)
    monkeypatch.setenv(variable, value)
    alert = load_handler("alert")

    assert alert.lambda_handler(stack.alert_batch()) == OK

    assert all(v == [] for v in all_received(stack).values())
    [item] = stack.articles()
    # No topic alert; the article's countries still get a place alert (for place subscribers).
    assert item["alert_topics"] == [] and item["country_codes"]
    assert item["alert_state"] == "sent"


def test_a_publish_failure_after_storing_alerts_once_on_retry(
    stack: Stack, seed_bytes: bytes
) -> None:
    from awsstack import Faulty

    ingest_seed(stack, seed_bytes)
    batch = stack.alert_batch()
    alert = load_handler("alert")
    deps = composition.alert_function()
    deps.publisher.client = Faulty(deps.publisher.client, "publish", "InternalError", status=500)

    sequence = batch["Records"][0]["dynamodb"]["SequenceNumber"]
    assert alert.lambda_handler(batch) == {"batchItemFailures": [{"itemIdentifier": sequence}]}
    [item] = stack.articles()
    assert item["alert_state"] == "retry"  # the claim was released, out of the stream filter
    assert all(v == [] for v in all_received(stack).values())

    assert alert.lambda_handler(batch) == OK  # the stream's retry
    assert len(stack.received("email-ceasefire")) == 1
    assert stack.articles()[0]["alert_state"] == "sent"


def test_an_invocation_that_died_after_claiming_is_taken_over_once_its_lease_expires(
    stack: Stack, seed_bytes: bytes
) -> None:
    article = ingest_seed(stack, seed_bytes)
    batch = stack.alert_batch()
    store = DynamoArticleStore(stack.ddb, TABLE)
    # The dead invocation's claim, as it left it: state sending, lease still running.
    far = 4_000_000_000
    assert store.claim_alert(article["pk"], article["sk"], "dead", now=0, lease_until=far) == (
        "claimed"
    )
    alert = load_handler("alert")
    sequence = batch["Records"][0]["dynamodb"]["SequenceNumber"]

    assert alert.lambda_handler(batch) == {"batchItemFailures": [{"itemIdentifier": sequence}]}
    assert all(v == [] for v in all_received(stack).values())

    # Its lease runs out; the stream's next retry takes the claim over and publishes once.
    item = stack.articles()[0]
    item["alert_lease_until"] = 1
    stack.ddb.put_item(TableName=TABLE, Item=serialize_item(item))
    assert alert.lambda_handler(batch) == OK
    assert alert.lambda_handler(batch) == OK
    assert len(stack.received("email-ceasefire")) == 1
    assert stack.articles()[0]["alert_state"] == "sent"


def test_duplicates_and_failures_never_reach_the_alert_function(
    stack: Stack, seed_bytes: bytes
) -> None:
    ingest = load_handler("ingest")
    events = [
        stack.put("news/jeddah.txt", seed_bytes),
        stack.put("copy/jeddah.txt", seed_bytes),
        stack.put("bad/empty.txt", b""),
    ]
    for event in events:
        assert ingest.lambda_handler(sqs_event(event)) == OK
    alert = load_handler("alert")
    # Even unfiltered, only the processed article alerts.
    assert alert.lambda_handler({"Records": stack.stream_records()}) == OK
    assert len(stack.received("email-ceasefire")) == 1
    states = {a["key"]: a["alert_state"] for a in stack.articles()}
    assert states == {"news/jeddah.txt": "sent", "copy/jeddah.txt": "none", "bad/empty.txt": "none"}


# -- the hourly cap -----------------------------------------------------------------------------


class RecordingPublisher:
    def __init__(self) -> None:
        self.messages: list[AlertMessage] = []

    def publish(self, message: AlertMessage) -> str:
        self.messages.append(message)
        return f"message-{len(self.messages)}"


def stored_article(stack: Stack, name: str, topics: dict[str, float]) -> dict[str, Any]:
    """A processed article item with the given topic scores, stored as ingest stores it."""
    item: dict[str, Any] = {
        "pk": f"article#newswatch-articles-test/{name}",
        "sk": "v#1",
        "type": "article",
        "status": "processed",
        "bucket": "newswatch-articles-test",
        "key": name,
        "version_id": "1",
        "title": f"Story {name}",
        "summary": "Talks resumed.",
        "language": "en",
        "uploaded_at": "2026-11-29T18:00:00.000Z",
        "alert_state": "pending",
        "topics": [
            TopicTag(label, score, evidence=("Talks resumed.",)) for label, score in topics.items()
        ],
    }
    stack.ddb.put_item(TableName=TABLE, Item=serialize_item(item))
    return item


def test_the_hourly_cap_holds_back_topics_over_it_until_the_next_hour(stack: Stack) -> None:
    settings = Settings.from_env({"NEWSWATCH_MAX_ALERTS_PER_TOPIC_PER_HOUR": "1"})
    store = DynamoArticleStore(stack.ddb, TABLE)
    publisher = RecordingPublisher()
    at_18 = Clock(lambda: datetime(2026, 11, 29, 18, 5, tzinfo=UTC))
    at_19 = Clock(lambda: datetime(2026, 11, 29, 19, 1, tzinfo=UTC))

    def alert(item: dict[str, Any], clock: Clock) -> str:
        outcome = alert_record(
            item, store=store, publisher=publisher, settings=settings, clock=clock
        )
        return outcome.status

    first = stored_article(stack, "a.txt", {"ceasefire": 0.9})
    both = stored_article(stack, "b.txt", {"ceasefire": 0.8, "aid": 0.7})
    again = stored_article(stack, "c.txt", {"ceasefire": 0.9, "aid": 0.9})
    later = stored_article(stack, "d.txt", {"ceasefire": 0.9})

    assert alert(first, at_18) == "published"
    assert alert(both, at_18) == "published"  # aid only: ceasefire's one alert is spent
    assert alert(again, at_18) == "held"  # both topics spent this hour
    assert alert(again, at_18) == "already_done"  # a replay spends nothing
    assert alert(later, at_19) == "published"  # a new hour

    assert [m.topics for m in publisher.messages] == [("ceasefire",), ("aid",), ("ceasefire",)]
    items = {a["key"]: a for a in stack.articles()}
    assert items["b.txt"]["alert_state"] == "sent"
    assert items["b.txt"]["alert_held_topics"] == ["ceasefire"]
    assert items["c.txt"]["alert_state"] == "held"
    assert items["c.txt"]["alert_held_topics"] == ["aid", "ceasefire"]  # equal scores: by name
    assert "alert_claim" not in items["c.txt"]


def test_a_failed_publish_gives_its_quota_back(stack: Stack) -> None:
    settings = Settings.from_env({"NEWSWATCH_MAX_ALERTS_PER_TOPIC_PER_HOUR": "1"})
    store = DynamoArticleStore(stack.ddb, TABLE)
    item = stored_article(stack, "a.txt", {"ceasefire": 0.9})

    class DownPublisher:
        def publish(self, message: AlertMessage) -> str:
            raise ConnectionError("SNS unreachable")

    with pytest.raises(AlertPublishError):
        alert_record(item, store=store, publisher=DownPublisher(), settings=settings)
    publisher = RecordingPublisher()
    outcome = alert_record(item, store=store, publisher=publisher, settings=settings)
    assert outcome.status == "published"
    assert len(publisher.messages) == 1


def test_the_alert_handler_reads_the_cap_from_the_environment(
    stack: Stack, seed_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSWATCH_MAX_ALERTS_PER_TOPIC_PER_HOUR", "1")
    ingest = load_handler("ingest")
    events = [
        stack.put(f"news/{n}.txt", body)
        for n, body in (("one", seed_bytes), ("two", OTHER_CEASEFIRE_STORY))
    ]
    assert ingest.lambda_handler(sqs_event(*events)) == OK
    alert = load_handler("alert")

    assert alert.lambda_handler(stack.alert_batch()) == OK

    assert len(stack.received("email-ceasefire")) == 1
    states = sorted(a["alert_state"] for a in stack.articles())
    assert states == ["held", "sent"]
