"""The whole flow on the local stack: S3 upload -> SQS -> ingest -> DynamoDB -> stream -> alert ->
SNS -> the demo subscribers (an e-mail subscriber to `ceasefire`, an SMS subscriber to `aid`)."""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path
from typing import Any

import pytest
from e2e_stack import REPO_ROOT, LocalStackProcess, run_cli, wait_for

SEEDS = REPO_ROOT / "seeds"
CEASEFIRE_SEED = SEEDS / "jeddah-ceasefire-talks.txt"
AID_SEED = SEEDS / "flood-aid-displacement.html"
SPORT_SEED = SEEDS / "harbour-cup-final.md"
FINAL_ALERT_STATES = {"sent", "none"}

# GSM 03.38: the basic set costs one septet per character, the extension table two (escape + char).
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("\f^{}\\[~]|€")


def gsm7_septets(text: str) -> int | None:
    """Septets ``text`` takes in GSM-7, or None when it needs UCS-2."""
    total = 0
    for char in text:
        if char in GSM7_BASIC:
            total += 1
        elif char in GSM7_EXTENSION:
            total += 2
        else:
            return None
    return total


def fits_one_sms(text: str) -> bool:
    septets = gsm7_septets(text)
    if septets is not None:
        return septets <= 160
    return len(text.encode("utf-16-le")) // 2 <= 70


PLACES = ("Aldmoor", "Brenfield", "Carrow", "Dunmere", "Eastvale", "Fenwick", "Galloway", "Harwick")
NOUNS = ("river", "bridge", "market", "school", "clinic", "harbour", "valley", "depot", "square")
THEMES = {
    "ceasefire": (
        "Mediators in {p} said a ceasefire between the two armed groups took effect near the {w}.",
        "Both sides agreed to a truce around {p} and to exchange {n} prisoners at the {w}.",
        "Monitors at the {w} in {p} reported no violation of the ceasefire on day {n}.",
        "Negotiators from {p} will meet again at the {w} to extend the truce by {n} days.",
    ),
    "sport": (
        "The {p} team won the final at the {w} after {n} minutes of extra time.",
        "Their striker scored twice near the {w} end and the coach praised the squad.",
        "Supporters from {p} celebrated at the {w} until late, {n} of them singing.",
        "The trophy goes on show at the {p} {w} on Monday for {n} hours.",
    ),
}


def unique_article(theme: str) -> bytes:
    """An article on ``theme`` whose wording is new each time, so it is no near-duplicate of any
    earlier upload (a near-duplicate alerts only for topics its earlier copies lacked)."""
    rng = random.Random(uuid.uuid4().hex)
    lines = []
    for template in THEMES[theme]:
        filler = " ".join(rng.choice(NOUNS) + str(rng.randint(10, 99)) for _ in range(6))
        sentence = template.format(p=rng.choice(PLACES), w=rng.choice(NOUNS), n=rng.randint(2, 999))
        lines.append(f"{sentence} Witnesses listed {filler}.")
    return "\n".join(lines).encode()


def upload(stack: LocalStackProcess, key: str, body: bytes) -> None:
    stack.client("s3").put_object(Bucket=stack.state["bucket"], Key=key, Body=body)


def settled_item(stack: LocalStackProcess, key: str) -> dict[str, Any]:
    def final() -> dict[str, Any] | None:
        items = stack.article_items(key)
        if items and all(i.get("alert_state") in FINAL_ALERT_STATES for i in items):
            return items[0]
        return None

    item: dict[str, Any] = wait_for(final)
    return item


def quiesce(stack: LocalStackProcess, prefix: str) -> None:
    """Wait until everything before now went through the stream and reached the inboxes.

    The stream is read in order, so once a marker article uploaded now has been alerted (a
    ceasefire story: an article no topic alerts for is decided at ingest and never reaches the
    alert function), every earlier record has been handled; then the subscriber queues are drained
    into the inbox files. The marker's text is new each time: a near-duplicate would be decided at
    ingest too.
    """
    marker = f"{prefix}marker-{uuid.uuid4().hex[:8]}.txt"
    upload(stack, marker, unique_article("ceasefire"))

    def decided() -> bool:
        items = stack.article_items(marker)
        return bool(items) and ("alerted_at" in items[0] or "alert_checked_at" in items[0])

    wait_for(decided)
    sqs = stack.client("sqs")

    def drained() -> bool:
        for info in stack.state["subscribers"].values():
            attributes = sqs.get_queue_attributes(
                QueueUrl=info["queue_url"],
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            if any(int(v) for v in attributes.values()):
                return False
        return True

    wait_for(drained)


def deliveries(stack: LocalStackProcess, subscriber: str, key: str) -> list[dict[str, Any]]:
    return [d for d in stack.inbox()[subscriber] if d["key"] == key]


def watched_topics(item: dict[str, Any], stack: LocalStackProcess) -> set[str]:
    """The topics an article alerts for under the template's defaults: every taxonomy topic at or
    above its alert threshold (no WatchedTopics allow-list)."""
    from newswatch.settings import Settings
    from newswatch.usecases.alert import alert_topics
    from newswatch_tools.local.spec import load_spec

    settings = Settings.from_env(load_spec().alert.environment)
    return {t.label for t in alert_topics(item, settings)}


@pytest.fixture(scope="module")
def seeded(local_stack: LocalStackProcess) -> dict[str, str]:
    """The three seed articles uploaded once under a fresh prefix, and the flow quiesced."""
    prefix = f"e2e/{uuid.uuid4().hex[:8]}/"
    keys = {}
    for path in (CEASEFIRE_SEED, AID_SEED, SPORT_SEED):
        keys[path.name] = prefix + path.name
        upload(local_stack, keys[path.name], path.read_bytes())
    for key in keys.values():
        settled_item(local_stack, key)
    quiesce(local_stack, prefix)
    return keys


def test_the_ceasefire_subscriber_gets_exactly_one_alert_whose_sms_fits_one_message(
    local_stack: LocalStackProcess, seeded: dict[str, str]
) -> None:
    key = seeded[CEASEFIRE_SEED.name]
    item = settled_item(local_stack, key)
    assert item["status"] == "processed"
    assert "ceasefire" in watched_topics(item, local_stack)
    assert item["alert_state"] == "sent"

    received = deliveries(local_stack, "email-ceasefire", key)
    assert len(received) == 1
    alert = received[0]
    assert "ceasefire" in alert["topics"]
    assert alert["protocol"] == "email"
    assert alert["body"] == alert["bodies"]["email"]
    sms = alert["bodies"]["sms"]
    assert sms.strip()
    assert fits_one_sms(sms), f"{len(sms)} characters: {sms!r}"
    assert len(alert["subject"]) < 100


def test_the_aid_subscriber_gets_the_alert_only_if_the_article_was_tagged_aid(
    local_stack: LocalStackProcess, seeded: dict[str, str]
) -> None:
    for name in (CEASEFIRE_SEED.name, AID_SEED.name, SPORT_SEED.name):
        key = seeded[name]
        item = settled_item(local_stack, key)
        expected = 1 if "aid" in watched_topics(item, local_stack) else 0
        received = deliveries(local_stack, "sms-aid", key)
        assert len(received) == expected, name
        for alert in received:
            assert alert["protocol"] == "sms"
            assert fits_one_sms(alert["body"])
    # The aid seed is about relief convoys: it must be tagged aid, so the SMS subscriber gets it.
    assert len(deliveries(local_stack, "sms-aid", seeded[AID_SEED.name])) == 1


def test_each_subscriber_receives_exactly_what_its_filter_policy_selects(
    local_stack: LocalStackProcess, seeded: dict[str, str]
) -> None:
    for key in seeded.values():
        item = settled_item(local_stack, key)
        alerted = set(item.get("alert_topics") or ())
        assert alerted == watched_topics(item, local_stack)
        for name, info in local_stack.state["subscribers"].items():
            wanted = 1 if alerted & set(info["topics"]) else 0
            assert len(deliveries(local_stack, name, key)) == wanted, (name, key)


def test_an_article_with_no_watched_topic_alerts_nobody(
    local_stack: LocalStackProcess, seeded: dict[str, str]
) -> None:
    key = seeded[SPORT_SEED.name]
    item = settled_item(local_stack, key)
    assert item["status"] == "processed"
    # No topic alert (a place alert, if the detector finds a country, reaches place subscribers
    # only; the demo has none).
    assert not item.get("alert_topics")
    assert not watched_topics(item, local_stack)
    assert all(not deliveries(local_stack, name, key) for name in local_stack.state["subscribers"])


def s3_notification(bucket: str, key: str, version_id: str, size: int) -> str:
    """An S3 ObjectCreated notification as S3 puts it on the queue (see events/)."""
    from urllib.parse import quote_plus

    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-01-01T00:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "s3": {
            "s3SchemaVersion": "1.0",
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": quote_plus(key), "size": size, "versionId": version_id},
        },
    }
    return json.dumps({"Records": [record]})


def test_a_notification_delivered_three_times_stores_one_item_and_alerts_once(
    local_stack: LocalStackProcess, tmp_path: Path
) -> None:
    prefix = f"e2e/{uuid.uuid4().hex[:8]}/"
    key = prefix + "redelivered ceasefire+talks.txt"
    body = unique_article("ceasefire")
    upload(local_stack, key, body)
    item = settled_item(local_stack, key)
    notification = s3_notification(
        local_stack.state["bucket"], key, str(item["version_id"]), len(body)
    )
    sqs = local_stack.client("sqs")
    for _ in range(2):
        sqs.send_message(
            QueueUrl=local_stack.state["queues"]["IngestQueue"], MessageBody=notification
        )
    # The ingest of each redelivery is refused by the conditional write; the stream must still
    # carry later articles (a cancelled transaction must not break the emulator's stream).
    quiesce(local_stack, prefix)

    assert len(local_stack.article_items(key)) == 1
    assert len(deliveries(local_stack, "email-ceasefire", key)) == 1


def test_a_message_the_handler_cannot_read_is_retried_then_dead_lettered_without_blocking(
    local_stack: LocalStackProcess,
) -> None:
    sqs = local_stack.client("sqs")
    queues = local_stack.state["queues"]
    sqs.send_message(QueueUrl=queues["IngestQueue"], MessageBody="this is not an S3 event")
    prefix = f"e2e/{uuid.uuid4().hex[:8]}/"
    key = prefix + "after-the-bad-message.txt"
    upload(local_stack, key, CEASEFIRE_SEED.read_bytes() + b"\nAfter a bad message.\n")
    assert settled_item(local_stack, key)["status"] == "processed"

    def dead_lettered() -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = sqs.receive_message(
            QueueUrl=queues["IngestDeadLetterQueue"],
            MaxNumberOfMessages=10,
            AttributeNames=["ApproximateReceiveCount"],
        ).get("Messages", [])
        return [m for m in messages if m["Body"] == "this is not an S3 event"]

    found = wait_for(dead_lettered, timeout=60)
    # maxReceiveCount (template.yaml) receives by the ingest poller, then the redrive.
    assert int(found[0]["Attributes"]["ApproximateReceiveCount"]) >= 3


def test_local_status_reports_the_running_stack(
    local_stack: LocalStackProcess, seeded: dict[str, str]
) -> None:
    result = run_cli(
        "local",
        "status",
        "--json",
        timeout=60,
        env={"NEWSWATCH_LOCAL_STATE": str(local_stack.state_path)},
    )
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["endpoint_url"] == local_stack.state["endpoint_url"]
    assert status["articles"].get("processed", 0) >= len(seeded)
    assert status["alerts"]["email-ceasefire"] >= 1


def test_an_article_deleted_from_the_bucket_is_retracted(local_stack: LocalStackProcess) -> None:
    # `aws s3 rm` on the versioned bucket: a delete marker, which S3 announces to the ingest
    # queue (moto does not; the local stack sends what S3 would, moto_patches.py)
    key = f"e2e/{uuid.uuid4().hex[:8]}/pulled.txt"
    upload(local_stack, key, unique_article("ceasefire"))
    settled_item(local_stack, key)
    env = {"NEWSWATCH_LOCAL_STATE": str(local_stack.state_path)}
    before = run_cli("articles", "--topic", "ceasefire", "--json", timeout=60, env=env)
    assert key in before.stdout, before.stderr
    local_stack.client("s3").delete_object(Bucket=local_stack.state["bucket"], Key=key)

    def retracted() -> dict[str, Any] | None:
        items = local_stack.article_items(key)
        return items[0] if items and items[0].get("status") == "retracted" else None

    item = wait_for(retracted)
    assert item["retracted_from"] == "processed"
    listed = run_cli("articles", "--status", "retracted", "--json", timeout=60, env=env)
    assert listed.returncode == 0, listed.stderr
    assert key in listed.stdout
    by_topic = run_cli("articles", "--topic", "ceasefire", "--json", timeout=60, env=env)
    assert by_topic.returncode == 0, by_topic.stderr
    assert key not in by_topic.stdout


def test_local_digest_sends_what_the_schedule_would_once(
    local_stack: LocalStackProcess, seeded: dict[str, str]
) -> None:
    # The local stack has no scheduler: `newswatch local digest` runs the DigestFunction once.
    env = {"NEWSWATCH_LOCAL_STATE": str(local_stack.state_path)}
    first = run_cli("local", "digest", "--json", timeout=120, env=env)
    assert first.returncode == 0, first.stderr
    sent = json.loads(first.stdout)["digests"]
    assert any(d.get("topic") == "ceasefire" for d in sent), sent

    def digest_delivered() -> list[dict[str, Any]]:
        inbox = run_cli("local", "inbox", "--json", timeout=60, env=env)
        return [
            d
            for d in json.loads(inbox.stdout or "[]")
            if d.get("kind") == "digest" and d["endpoint"].endswith("subscriber-email-ceasefire")
        ]

    assert wait_for(digest_delivered, timeout=60)
    again = run_cli("local", "digest", "--json", timeout=120, env=env)
    assert again.returncode == 0 and json.loads(again.stdout)["digests"] == []


def test_deleting_one_of_a_keys_versions_retracts_that_version_only(
    local_stack: LocalStackProcess,
) -> None:
    s3, bucket = local_stack.client("s3"), local_stack.state["bucket"]
    key = f"e2e/{uuid.uuid4().hex[:8]}/two-versions.txt"
    first = s3.put_object(Bucket=bucket, Key=key, Body=unique_article("ceasefire"))["VersionId"]
    s3.put_object(Bucket=bucket, Key=key, Body=unique_article("ceasefire"))

    def both_stored() -> list[dict[str, Any]] | None:
        items = local_stack.article_items(key)
        return items if len(items) == 2 else None

    wait_for(both_stored)
    s3.delete_object(Bucket=bucket, Key=key, VersionId=first)

    def statuses() -> dict[str, str] | None:
        found = {i["version_id"]: i["status"] for i in local_stack.article_items(key)}
        return found if "retracted" in found.values() else None

    found = wait_for(statuses)
    assert found[first] == "retracted"
    assert sorted(found.values()) == ["processed", "retracted"]
