"""Transient AWS failures (throttling, 5xx) injected into the handlers' clients: the affected
message or stream record is reported for retry, the rest of the batch goes through, and after the
retry every article is stored once and alerted once."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import pytest
from awsstack import OTHER_CEASEFIRE_STORY, Faulty, Stack, load_handler, sqs_event

from newswatch import composition

OK: dict[str, list[Any]] = {"batchItemFailures": []}

# (client, operation, error code, HTTP status): what a throttled or failing service answers.
INGEST_FAULTS = [
    ("store", "put_item", "ProvisionedThroughputExceededException", 400),
    ("store", "update_item", "ThrottlingException", 400),
    ("store", "batch_write_item", "ThrottlingException", 400),
    ("store", "batch_get_item", "RequestLimitExceeded", 400),
    ("source", "get_object", "SlowDown", 503),
    ("source", "get_object", "InternalError", 500),
]


def key_of(kwargs: dict[str, Any], name: str) -> bool:
    """Whether an S3 or DynamoDB call concerns the object ``name``."""
    return name in json.dumps(kwargs, default=str)


@pytest.mark.parametrize("fault", INGEST_FAULTS, ids=lambda f: f"{f[1]}-{f[2]}")
def test_a_transient_ingest_error_retries_only_that_message(
    stack: Stack, seed_bytes: bytes, fault: tuple[str, str, str, int]
) -> None:
    target, operation, code, status = fault
    ingest = load_handler("ingest")
    deps = composition.ingest_function()
    adapter = deps.store if target == "store" else deps.source
    unlucky_bytes = OTHER_CEASEFIRE_STORY  # another story: both alert
    unlucky_sha = hashlib.sha256(unlucky_bytes).hexdigest()  # the content# key names only this
    faulty = Faulty(
        adapter.client,
        operation,
        code,
        status=status,
        when=lambda kw: key_of(kw, "unlucky") or key_of(kw, unlucky_sha),
    )
    adapter.client = faulty
    lucky = stack.put("news/lucky.txt", seed_bytes)
    unlucky = stack.put("news/unlucky.txt", unlucky_bytes)
    event = sqs_event(lucky, unlucky, message_ids=["lucky", "unlucky"])

    assert ingest.lambda_handler(event) == {"batchItemFailures": [{"itemIdentifier": "unlucky"}]}
    assert faulty.raised == 1
    if operation != "batch_write_item":  # that one fails after the article itself is stored
        assert [a["key"] for a in stack.articles()] == ["news/lucky.txt"]

    # SQS redelivers the failed message (and, say, the other one again).
    assert ingest.lambda_handler(event) == OK
    statuses = {a["key"]: a["status"] for a in stack.articles()}
    assert statuses == {"news/lucky.txt": "processed", "news/unlucky.txt": "processed"}
    # Every stored article has its topic entries in the archive index.
    entries = {str(i["s3_uri"]).rsplit("/", 1)[-1] for i in stack.items() if i["type"] == "topic"}
    assert entries == {"lucky.txt", "unlucky.txt"}

    alert = load_handler("alert")
    assert alert.lambda_handler(stack.alert_batch()) == OK
    assert len(stack.received("email-ceasefire")) == 2


def test_a_transient_error_on_a_plain_s3_event_raises_for_lambdas_retry(
    stack: Stack, seed_bytes: bytes
) -> None:
    ingest = load_handler("ingest")
    deps = composition.ingest_function()
    deps.source.client = Faulty(deps.source.client, "get_object", "InternalError", status=500)
    event = stack.put("news/jeddah.txt", seed_bytes)
    with pytest.raises(Exception, match="InternalError"):
        ingest.lambda_handler(event)
    assert stack.articles() == []
    assert ingest.lambda_handler(event) == {
        "outcomes": [{"key": "news/jeddah.txt", "status": "processed"}]
    }


ALERT_FAULTS = [
    ("publisher", "publish", "Throttling", 400),
    ("publisher", "publish", "InternalError", 500),
    ("publisher", "publish", "KMSThrottlingException", 400),
    ("store", "update_item", "ProvisionedThroughputExceededException", 400),
    ("store", "update_item", "InternalServerError", 500),
]


@pytest.mark.parametrize("fault", ALERT_FAULTS, ids=lambda f: f"{f[1]}-{f[2]}")
def test_a_transient_alert_error_retries_that_record_and_alerts_once(
    stack: Stack, seed_bytes: bytes, fault: tuple[str, str, str, int]
) -> None:
    target, operation, code, status = fault
    ingest = load_handler("ingest")
    events = [
        stack.put(f"news/{name}.txt", body)
        for name, body in (("a", seed_bytes), ("b", OTHER_CEASEFIRE_STORY))
    ]
    assert ingest.lambda_handler(sqs_event(*events)) == OK
    batch = stack.alert_batch()
    assert len(batch["Records"]) == 2

    alert = load_handler("alert")
    deps = composition.alert_function()
    adapter = deps.publisher if target == "publisher" else deps.store
    # Fail the first attempt for article b only (its claim, or its publish).
    faulty = Faulty(
        adapter.client, operation, code, status=status, when=lambda kw: key_of(kw, "news/b.txt")
    )
    adapter.client = faulty

    response = alert.lambda_handler(batch)
    [failed] = response["batchItemFailures"]
    b_record = next(r for r in batch["Records"] if "news/b.txt" in json.dumps(r, default=str))
    assert failed["itemIdentifier"] == b_record["dynamodb"]["SequenceNumber"]
    assert faulty.raised == 1
    assert len(stack.received("email-ceasefire")) == 1  # article a went out

    # The stream retries from the failed record on (a again, then b).
    assert alert.lambda_handler(batch) == OK
    assert len(stack.received("email-ceasefire")) == 1  # b, once; a not again
    assert {a["key"]: a["alert_state"] for a in stack.articles()} == {
        "news/a.txt": "sent",
        "news/b.txt": "sent",
    }


def test_a_failed_sent_mark_after_publishing_does_not_publish_again(
    stack: Stack, seed_bytes: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    ingest = load_handler("ingest")
    assert ingest.lambda_handler(sqs_event(stack.put("news/a.txt", seed_bytes))) == OK
    batch = stack.alert_batch()
    alert = load_handler("alert")
    deps = composition.alert_function()
    # The claim (first update) succeeds; the sent mark (second) is throttled.
    deps.store.client = faulty = Faulty(
        deps.store.client,
        "update_item",
        "ThrottlingException",
        when=lambda kw: kw.get("ExpressionAttributeValues", {}).get(":state") == {"S": "sent"},
    )
    capsys.readouterr()

    assert alert.lambda_handler(batch) == OK
    assert alert.lambda_handler(batch) == {
        "batchItemFailures": [{"itemIdentifier": batch["Records"][0]["dynamodb"]["SequenceNumber"]}]
    }  # a replay inside the lease waits instead of publishing again

    assert faulty.raised == 1
    assert len(stack.received("email-ceasefire")) == 1
    [item] = stack.articles()
    assert item["alert_state"] == "sending"
    # The claim's lease is the invocation's remaining time (LocalContext: 60 s), not the 300 s
    # fallback: a claim outlives its invocation by seconds only.
    assert 0 < int(item["alert_lease_until"]) - time.time() <= 65
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(entry.get("AlertMarkFailed") == [1.0] for entry in emf)
