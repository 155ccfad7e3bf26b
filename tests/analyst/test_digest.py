"""Digests on moto: one per topic since the last digest, chosen by subscribers' filter policies."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key

from newswatch.adapters.archive import Archive
from newswatch.adapters.digest_marks import DynamoDigestMarks
from newswatch.adapters.sns import SnsAlertPublisher
from newswatch.domain.alerts import AlertMessage
from newswatch.domain.digest import EMAIL_MAX_ARTICLES, one_line, render_digest
from newswatch.domain.subscriptions import filter_policy
from newswatch.domain.timeutil import iso_utc
from newswatch.usecases.digest import DigestPublishError, DigestResult, send_digests

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
TABLE = "articles"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _subscriber(sns: Any, topic_arn: str, name: str, policy: dict[str, Any]) -> str:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"FilterPolicy": json.dumps(policy), "FilterPolicyScope": "MessageAttributes"},
    )
    return str(url)


class RecordingPublisher(SnsAlertPublisher):
    """Publishes for real, and keeps each message: SQS stand-ins receive only the `default` body."""

    def __init__(self, client: Any, topic_arn: str) -> None:
        super().__init__(client, topic_arn)
        self.sent: list[AlertMessage] = []

    def publish(self, message: AlertMessage) -> str:
        self.sent.append(message)
        return super().publish(message)


def _drain(url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for m in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return [json.loads(m["Body"]) for m in messages]


@pytest.fixture
def digest_setup(archive_stack: str) -> dict[str, Any]:
    sns = boto3.client("sns", region_name=REGION)
    topic_arn = sns.create_topic(Name="alerts")["TopicArn"]
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    publisher = RecordingPublisher(sns, topic_arn)
    return {
        "sent": publisher.sent,
        "sns": sns,
        "topic_arn": topic_arn,
        "dynamodb": dynamodb,
        "digests": _subscriber(
            sns, topic_arn, "digests", filter_policy(["aid"], None, ("digest",))
        ),
        "alerts": _subscriber(sns, topic_arn, "alerts", filter_policy(["aid", "ceasefire"])),
        "run": lambda now, period=timedelta(days=30): send_digests(
            archive=Archive(dynamodb, TABLE),
            marks=DynamoDigestMarks(dynamodb, TABLE),
            publisher=publisher,
            topics=["aid", "ceasefire", "sanctions"],
            now=now,
            first_period=period,
        ),
    }


def test_one_digest_per_topic_reaches_digest_subscribers_only(digest_setup: dict[str, Any]) -> None:
    results = digest_setup["run"](NOW)
    assert {(r.topic, r.articles) for r in results} == {
        ("aid", 2),
        ("ceasefire", 1),
        ("sanctions", 0),
    }
    assert not next(r for r in results if r.topic == "sanctions").message_id

    (digest,) = _drain(digest_setup["digests"])  # aid only: the subscriber chose aid digests
    assert digest["MessageAttributes"]["kind"]["Value"] == "digest"
    assert digest["Subject"].startswith("[newswatch digest: aid] 2 articles")
    assert (
        digest["Message"]
        == "newswatch digest aid: 2 articles 2026-10-30T12:00:00.000Z to 2026-11-29T12:00:00.000Z"
    )
    email = next(m.email for m in digest_setup["sent"] if m.top_topic == "aid")
    assert email.index("Title of new.txt") < email.index("Title of mid.txt")  # newest first
    assert "Summary of new.txt." in email and "s3://articles-bucket/new.txt" in email
    assert _drain(digest_setup["alerts"]) == []  # instant-alert subscribers get no digests


def test_a_digest_is_sent_once_and_the_next_covers_only_what_is_new(
    digest_setup: dict[str, Any], seed_article: Callable[[str, str, dict[str, float]], None]
) -> None:
    digest_setup["run"](NOW)
    _drain(digest_setup["digests"])
    assert all(
        r.message_id is None for r in digest_setup["run"](NOW)
    )  # a retried run sends nothing

    seed_article("later.txt", "2026-11-29T18:00:00.000Z", {"aid": 0.7})
    results = digest_setup["run"](NOW + timedelta(days=1))
    assert [(r.topic, r.articles) for r in results if r.message_id] == [("aid", 1)]
    assert len(_drain(digest_setup["digests"])) == 1
    assert "Title of later.txt" in digest_setup["sent"][-1].email


def test_alerts_held_back_by_the_hourly_cap_are_marked_in_the_digest(
    digest_setup: dict[str, Any],
) -> None:
    table = boto3.resource("dynamodb", region_name=REGION).Table(TABLE)
    table.update_item(
        Key={"pk": "article#articles-bucket/new.txt", "sk": "v#null"},
        UpdateExpression="SET alert_state = :held, alert_held_topics = :topics",
        ExpressionAttributeValues={":held": "held", ":topics": ["aid"]},
    )
    digest_setup["run"](NOW)
    email = next(m.email for m in digest_setup["sent"] if m.top_topic == "aid")
    assert "Title of new.txt (score 0.80)  (no instant alert: hourly cap)" in email
    assert "Title of mid.txt (score 0.50)\n" in email


def test_digest_rendering_fits_sms_and_subject_limits() -> None:
    entries = [
        {
            "title": "Ж" * 300,
            "summary": "First sentence. Second.",
            "score": 0.5,
            "s3_uri": "s3://b/k",
        }
    ]
    message = render_digest(
        "aid", entries, ("2026-11-28T00:00:00.000Z", "2026-11-29T00:00:00.000Z")
    )
    assert len(message.subject) < 100
    assert len(message.sms) <= 70  # non-GSM-7 text: one UCS-2 SMS
    assert one_line("First sentence. Second.") == "First sentence."
    with pytest.raises(ValueError, match="at least one article"):
        render_digest("aid", [], ("a", "b"))


def test_digest_handler_runs_on_the_scheduled_event(
    digest_setup: dict[str, Any],
    seed_article: Callable[[str, str, dict[str, float]], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSWATCH_TABLE", TABLE)
    monkeypatch.setenv("NEWSWATCH_TOPIC_ARN", digest_setup["topic_arn"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    from newswatch import composition

    composition.reset()  # a new execution environment: settings and clients from this test's env
    spec = importlib.util.spec_from_file_location("digest_app", ROOT / "functions/digest/app.py")
    assert spec and spec.loader
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    event_file = ROOT / "events" / "scheduled-digest.json"
    event = json.loads(event_file.read_text()) if event_file.exists() else {}
    # The handler's first period is one day: only new.txt (2026-11-28) is that recent relative
    # to a clock we cannot move here, so seed a fresh article instead.
    fresh = iso_utc(datetime.now(UTC) - timedelta(hours=1))
    seed_article("fresh.txt", fresh, {"aid": 0.9})
    result = app.lambda_handler(event)
    assert {"topic": "aid", "articles": 1} in result["digests"]
    (digest,) = _drain(digest_setup["digests"])
    assert digest["Subject"].startswith("[newswatch digest: aid] 1 article, ")


class Spy:
    """A boto3 client that records the keyword arguments of every call to ``operation``."""

    def __init__(self, client: Any, operation: str) -> None:
        self._client = client
        self._operation = operation
        self.calls: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name != self._operation:
            return attr
        return lambda **kwargs: self.calls.append(kwargs) or attr(**kwargs)


class FailingPublisher:
    def publish(self, message: AlertMessage) -> str:
        raise ConnectionError("SNS is unreachable")


def _run(setup: dict[str, Any], now: datetime, **kwargs: Any) -> list[DigestResult]:
    options: dict[str, Any] = {
        "archive": Archive(setup["dynamodb"], TABLE),
        "marks": DynamoDigestMarks(setup["dynamodb"], TABLE),
        "topics": ["aid"],
        "now": now,
        "first_period": timedelta(days=30),
        "publisher": RecordingPublisher(setup["sns"], setup["topic_arn"]),
    }
    return send_digests(**(options | kwargs))


def test_a_failed_publish_after_the_claim_loses_no_period(digest_setup: dict[str, Any]) -> None:
    with pytest.raises(DigestPublishError, match="aid: ConnectionError"):
        _run(digest_setup, NOW, publisher=FailingPublisher())
    assert _drain(digest_setup["digests"]) == []

    # The next run sends the same period: the failure released the claim, nothing was marked.
    [result] = _run(digest_setup, NOW + timedelta(hours=1))
    assert result.articles == 2 and result.message_id
    assert len(_drain(digest_setup["digests"])) == 1


def test_a_run_that_died_after_claiming_is_taken_over_once_its_lease_expires(
    digest_setup: dict[str, Any],
) -> None:
    marks = DynamoDigestMarks(digest_setup["dynamodb"], TABLE)
    epoch = int(NOW.timestamp())
    # A run claimed the period and died before publishing.
    assert marks.claim("aid", None, iso_utc(NOW), token="dead", now=epoch, lease_until=epoch + 150)
    assert _run(digest_setup, NOW + timedelta(seconds=60)) == []  # its lease still holds
    assert _drain(digest_setup["digests"]) == []

    [result] = _run(digest_setup, NOW + timedelta(seconds=200))
    assert result.articles == 2 and result.message_id
    assert marks.last_until("aid") == iso_utc(NOW + timedelta(seconds=200))
    assert not marks.commit("aid", "dead", iso_utc(NOW))  # the dead run's claim is gone
    assert len(_drain(digest_setup["digests"])) == 1


def test_without_the_hourly_cap_no_article_is_read(digest_setup: dict[str, Any]) -> None:
    spy = Spy(digest_setup["dynamodb"], "batch_get_item")
    [result] = _run(digest_setup, NOW, archive=Archive(spy, TABLE), held_lookup=False)
    assert result.articles == 2 and result.message_id
    assert spy.calls == []


def test_a_period_longer_than_the_message_is_counted_whole(
    digest_setup: dict[str, Any], seed_article: Callable[[str, str, dict[str, float]], None]
) -> None:
    for i in range(EMAIL_MAX_ARTICLES + 5):
        seed_article(
            f"bulk-{i:03d}.txt", f"2026-11-2{i % 9}T0{i % 10}:00:00.{i:03d}Z", {"aid": 0.4}
        )
    seed_article("best.txt", "2026-11-01T00:00:00.000Z", {"aid": 0.99})
    publisher = RecordingPublisher(digest_setup["sns"], digest_setup["topic_arn"])
    [result] = _run(digest_setup, NOW, publisher=publisher)
    total = EMAIL_MAX_ARTICLES + 5 + 1 + 2
    [message] = publisher.sent
    assert result.articles == total
    assert message.subject.startswith(f"[newswatch digest: aid] {total} articles")
    assert "Title of best.txt" in message.sms  # the top score, though not among those shown
    assert message.email.count("\n- ") == EMAIL_MAX_ARTICLES


def test_each_listed_article_has_a_link_a_reader_can_open(digest_setup: dict[str, Any]) -> None:
    # An email reader cannot open s3:// URIs: the digest links each article as alerts do.
    from newswatch.adapters.links import PresignedLinker

    s3 = boto3.client("s3", region_name=REGION)
    linker = PresignedLinker(s3, 3600, now=lambda: NOW)
    table = boto3.resource("dynamodb", region_name=REGION).Table(TABLE)
    # new.txt is about Sudan: the aid digest is also sent cut to Sudan
    entries = table.query(KeyConditionExpression=Key("pk").eq("entries#aid"))["Items"]
    for entry in entries:
        if entry["s3_uri"].endswith("/new.txt"):
            table.put_item(Item={**entry, "country_codes": ["SD"]})
    publisher = RecordingPublisher(digest_setup["sns"], digest_setup["topic_arn"])
    _run(digest_setup, NOW, linker=linker, publisher=publisher)
    email = next(m.email for m in publisher.sent if m.top_topic == "aid")
    reads = [line.strip() for line in email.splitlines() if line.strip().startswith("Read: ")]
    assert len(reads) == 2
    assert all(r.startswith("Read: https://articles-bucket.s3.amazonaws.com/") for r in reads)
    assert any("/new.txt?" in r for r in reads) and any("/mid.txt?" in r for r in reads)
    assert "s3://articles-bucket/new.txt" in email  # where it is stored, as before
    # every digest sent, the per-country ones too, links each article it lists
    assert any(m.places == ("SD",) for m in publisher.sent)
    for message in publisher.sent:
        listed = [line for line in message.email.splitlines() if line.startswith("- ")]
        assert message.email.count("\n  Read: https://") == len(listed), message.subject
