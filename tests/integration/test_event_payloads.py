"""The events/ payloads exactly as `sam local invoke -e` passes them, against moto resources named
as in the local stack."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from awsstack import REGION, TABLE, Stack, capture_logs, load_event, load_handler

from newswatch.adapters.dynamodb_codec import deserialize_item, serialize_item
from newswatch.composition import UnrecognizedMessageError

OK: dict[str, list[Any]] = {"batchItemFailures": []}
LOCAL_BUCKET = "newswatch-local-articles-123456789012-us-east-1"
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


# -- every delivery shape (events/README.md says how each fixture was made) -------------------

# Through SQS, as deployed: the message is acknowledged and the seed is stored once.
QUEUED_SHAPES = [
    "sqs-s3-put.json",  # S3 -> SQS
    "sqs-sns-s3-put.json",  # S3 -> SNS -> SQS, SNS's JSON envelope
    "sqs-sns-raw-s3-put.json",  # S3 -> SNS -> SQS, raw message delivery
    "sqs-eventbridge-s3-object-created.json",  # S3 -> EventBridge -> SQS
]
# The function invoked directly (sam local invoke, or an S3 / SNS / EventBridge trigger).
DIRECT_SHAPES = [
    "s3-put.json",
    "sns-s3-put.json",
    "eventbridge-s3-object-created.json",
]


def _metrics(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if '"_aws"' in line]


@pytest.mark.parametrize("name", QUEUED_SHAPES)
def test_every_queued_delivery_shape_ingests_the_seed(
    stack: Stack, seed_bytes: bytes, name: str
) -> None:
    upload_seed_to_local_bucket(stack, seed_bytes)
    ingest = load_handler("ingest")

    assert ingest.lambda_handler(load_event(name)) == OK

    [article] = stack.articles()
    assert (article["key"], article["status"]) == (SEED_KEY, "processed")
    assert article["uploaded_at"].startswith("2025-03-11T19:42:07")


@pytest.mark.parametrize("name", DIRECT_SHAPES)
def test_every_direct_delivery_shape_ingests_the_seed(
    stack: Stack, seed_bytes: bytes, name: str
) -> None:
    upload_seed_to_local_bucket(stack, seed_bytes)
    ingest = load_handler("ingest")

    response = ingest.lambda_handler(load_event(name))

    assert response == {"outcomes": [{"key": SEED_KEY, "status": "processed"}]}
    assert [(a["key"], a["status"]) for a in stack.articles()] == [(SEED_KEY, "processed")]


def test_a_queued_message_that_is_no_notification_fails_loudly(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    ingest = load_handler("ingest")
    logs = capture_logs(ingest)
    event = load_event("sqs-not-a-notification.json")
    message_id = event["Records"][0]["messageId"]

    response = ingest.lambda_handler(event)

    assert response == {"batchItemFailures": [{"itemIdentifier": message_id}]}
    assert stack.items() == []
    [error] = [json.loads(line) for line in logs.getvalue().splitlines() if '"ERROR"' in line]
    assert message_id in error["message"] and "not an S3 object-created" in error["message"]
    assert error["message_id"] == message_id
    assert any(m.get("IngestBadMessages") == [1.0] for m in _metrics(capsys.readouterr().out))


@pytest.mark.parametrize(
    "body",
    [
        "not JSON at all",
        json.dumps(["a", "list"]),
        json.dumps({"Records": []}),
        json.dumps({"Records": [{"eventSource": "aws:dynamodb"}]}),
        # An SNS envelope whose message is no notification (someone published by hand).
        json.dumps({"Type": "Notification", "MessageId": "m", "Message": "hello"}),
        json.dumps({"Type": "Notification", "MessageId": "m", "Message": json.dumps({"a": 1})}),
        # An EventBridge event from another source.
        json.dumps({"source": "aws.ec2", "detail-type": "EC2 Instance State-change", "detail": {}}),
    ],
)
def test_other_bodies_are_batch_item_failures_next_to_good_messages(
    stack: Stack, seed_bytes: bytes, body: str
) -> None:
    upload_seed_to_local_bucket(stack, seed_bytes)
    ingest = load_handler("ingest")
    event = load_event("sqs-sns-s3-put.json")
    bad = copy.deepcopy(event["Records"][0]) | {"messageId": "bad-one", "body": body}
    event["Records"].append(bad)

    assert ingest.lambda_handler(event) == {"batchItemFailures": [{"itemIdentifier": "bad-one"}]}
    assert [a["key"] for a in stack.articles()] == [SEED_KEY]  # the good message went on


def test_a_direct_event_that_is_no_notification_raises(stack: Stack) -> None:
    ingest = load_handler("ingest")
    with pytest.raises(UnrecognizedMessageError, match="no S3 notification"):
        ingest.lambda_handler({"id": "e-1", "source": "my.app", "detail": {}})
    assert stack.items() == []


def test_test_events_restores_and_folder_markers_are_logged_and_acknowledged(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    ingest = load_handler("ingest")
    logs = capture_logs(ingest)
    test_event = load_event("s3-test-event.json")
    restored = load_event("eventbridge-s3-object-created.json") | {
        "detail-type": "Object Restore Completed"
    }
    folder = load_event("s3-put.json")
    folder["Records"][0]["s3"]["object"].update(key="seeds/", size=0)
    event = load_event("sqs-s3-put.json")
    template = event["Records"][0]
    event["Records"] = [
        template | {"messageId": f"m{i}", "body": json.dumps(body)}
        for i, body in enumerate([json.loads(test_event["Records"][0]["body"]), restored, folder])
    ]

    assert ingest.lambda_handler(event) == OK

    assert stack.items() == []
    ignored = [json.loads(line) for line in logs.getvalue().splitlines() if "ignoring" in line]
    assert [entry["message"] for entry in ignored] == [
        "ignoring s3:TestEvent",
        "ignoring EventBridge Object Restore Completed",
        "ignoring folder marker",
    ]
    assert [entry["message_id"] for entry in ignored] == ["m0", "m1", "m2"]
    metrics = _metrics(capsys.readouterr().out)
    assert sum(len(m.get("NotificationsIgnored", [])) for m in metrics) >= 1


def test_stream_insert_fixture_is_what_the_versioned_bucket_stores(
    stack: Stack, seed_bytes: bytes
) -> None:
    """events/dynamodb-stream-insert.json's NewImage is the item ingest stores for the seed in a
    versioned bucket: the same attributes and values, but for when it was processed."""
    fixture = deserialize_item(
        load_event("dynamodb-stream-insert.json")["Records"][0]["dynamodb"]["NewImage"]
    )
    stack.s3.create_bucket(Bucket=LOCAL_BUCKET)
    stack.s3.put_bucket_versioning(
        Bucket=LOCAL_BUCKET, VersioningConfiguration={"Status": "Enabled"}
    )
    version = stack.s3.put_object(Bucket=LOCAL_BUCKET, Key=SEED_KEY, Body=seed_bytes)["VersionId"]
    event = load_event("sqs-s3-put.json")
    body = json.loads(event["Records"][0]["body"])
    body["Records"][0]["s3"]["object"]["versionId"] = version
    event["Records"][0]["body"] = json.dumps(body)

    assert load_handler("ingest").lambda_handler(event) == OK

    [stored] = stack.articles()
    assert stored["sk"] == f"v#{version}" and stored["version_id"] == version
    assert fixture["sk"] == f"v#{fixture['version_id']}" and fixture["version_id"] != "null"

    def comparable(item: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if k not in ("sk", "version_id", "processed_at")}

    assert comparable(stored) == comparable(fixture)
