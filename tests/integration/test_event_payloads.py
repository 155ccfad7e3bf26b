"""The events/ payloads exactly as `sam local invoke -e` passes them, against moto resources named
as in the local stack."""

from __future__ import annotations

from typing import Any

from awsstack import REGION, TABLE, Stack, load_event, load_handler

from newswatch.adapters.dynamodb_codec import deserialize_item, serialize_item

OK: dict[str, list[Any]] = {"batchItemFailures": []}
LOCAL_BUCKET = "newswatch-local-articles-123456789012"
SEED_KEY = "seeds/jeddah-ceasefire-talks.txt"


def upload_seed_to_local_bucket(stack: Stack, seed_bytes: bytes) -> None:
    stack.s3.create_bucket(Bucket=LOCAL_BUCKET)  # unversioned, as the event assumes
    stack.s3.put_object(Bucket=LOCAL_BUCKET, Key=SEED_KEY, Body=seed_bytes)


def test_s3_put_event_as_sam_local_invoke_sends_it(stack: Stack, seed_bytes: bytes) -> None:
    upload_seed_to_local_bucket(stack, seed_bytes)
    ingest = load_handler("ingest")

    response = ingest.lambda_handler(load_event("s3-put.json"))

    assert response == {"outcomes": [{"key": SEED_KEY, "status": "processed"}]}
    [article] = stack.articles()
    assert article["sk"] == "v#null"
    assert article["uploaded_at"] == "2025-03-11T19:42:07.512Z"
    assert article["size"] == 7642 == len(seed_bytes)


def test_sqs_event_as_deployed(stack: Stack, seed_bytes: bytes) -> None:
    upload_seed_to_local_bucket(stack, seed_bytes)
    ingest = load_handler("ingest")
    event = load_event("sqs-s3-put.json")

    assert ingest.lambda_handler(event) == OK
    assert ingest.lambda_handler(event) == OK  # delivered twice

    assert [(a["key"], a["status"]) for a in stack.articles()] == [(SEED_KEY, "processed")]


def test_s3_test_event_is_ignored(stack: Stack) -> None:
    ingest = load_handler("ingest")
    assert ingest.lambda_handler(load_event("s3-test-event.json")) == OK
    assert stack.items() == []


def test_stream_insert_event_alerts_once(stack: Stack) -> None:
    event = load_event("dynamodb-stream-insert.json")
    image = event["Records"][0]["dynamodb"]["NewImage"]
    # The item the record describes is in the table, as it would be.
    stack.ddb.put_item(TableName=TABLE, Item=serialize_item(deserialize_item(image)))
    alert = load_handler("alert")

    assert alert.lambda_handler(event) == OK
    assert alert.lambda_handler(event) == OK

    [delivered] = stack.received("email-ceasefire")
    assert delivered["Type"] == "Notification"
    assert stack.articles()[0]["alert_state"] == "sent"
    assert event["Records"][0]["awsRegion"] == REGION
