"""events/ holds consistent payloads: they describe the seed article in the local stack's names
(read from template.yaml), the SQS messages carry the S3 notification, and the env files only set
variables the template declares (SAM ignores the others)."""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from typing import Any

import pytest
from template_support import REPO

from newswatch_tools.local.spec import StackSpec, load_spec
from newswatch_tools.local.stack import DEFAULT_PORT

EVENTS = REPO / "events"
SEED = REPO / "seeds" / "jeddah-ceasefire-talks.txt"
SEED_KEY = "seeds/jeddah-ceasefire-talks.txt"


def event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def spec() -> StackSpec:
    return load_spec(REPO)


def test_s3_put_describes_the_seed_in_the_local_bucket(spec: StackSpec) -> None:
    (record,) = event("s3-put.json")["Records"]
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"]["name"] == spec.bucket_name
    assert record["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{spec.bucket_name}"
    obj = record["s3"]["object"]
    assert obj["key"] == "seeds/jeddah-ceasefire-talks.txt"
    data = SEED.read_bytes()
    assert obj["size"] == len(data)
    assert obj["eTag"] == hashlib.md5(data, usedforsecurity=False).hexdigest()


def test_sqs_messages_carry_the_notifications(spec: StackSpec) -> None:
    queue_arn = spec.resolver.arn("IngestQueue")
    (message,) = event("sqs-s3-put.json")["Records"]
    assert message["eventSource"] == "aws:sqs"
    assert message["eventSourceARN"] == queue_arn
    assert json.loads(message["body"]) == event("s3-put.json")
    assert message["md5OfBody"] == hashlib.md5(message["body"].encode()).hexdigest()
    (test_message,) = event("s3-test-event.json")["Records"]
    assert test_message["eventSourceARN"] == queue_arn
    body = json.loads(test_message["body"])
    assert body["Event"] == "s3:TestEvent"
    assert body["Bucket"] == spec.bucket_name
    assert "Records" not in body


def test_stream_insert_is_a_processed_article_of_the_data_model(spec: StackSpec) -> None:
    (record,) = event("dynamodb-stream-insert.json")["Records"]
    assert record["eventName"] == "INSERT"
    assert record["eventSource"] == "aws:dynamodb"
    assert f":table/{spec.table_name}/stream/" in record["eventSourceARN"]
    stream = record["dynamodb"]
    image = stream["NewImage"]
    assert stream["StreamViewType"] == "NEW_IMAGE"
    assert stream["Keys"] == {"pk": image["pk"], "sk": image["sk"]}
    assert image["pk"]["S"] == f"article#{spec.bucket_name}/seeds/jeddah-ceasefire-talks.txt"
    # As the versioned bucket stores it: keyed on the object's version id.
    version = image["sk"]["S"].removeprefix("v#")  # (bucket, key and version: in the keys only)
    assert "version_id" not in image and version != "null" and version
    assert image["upload_day"]["S"] == image["uploaded_at"]["S"][:10]
    assert image["headline"]["S"].startswith("In a significant diplomatic development")
    assert image["type"]["S"] == "article"
    assert image["status"]["S"] == "processed"
    assert image["alert_state"]["S"] == "pending"
    # The summary, topics and countries travel packed (one zlib'd JSON Binary, base64 in JSON).
    assert "topics" not in image and "summary" not in image
    packed = json.loads(zlib.decompress(base64.b64decode(image["packed"]["B"])))
    labels = [t["label"] for t in packed["topics"]]
    assert [t["S"] for t in image["topic_labels"]["L"]] == labels
    assert "ceasefire" in labels
    for topic in packed["topics"]:
        assert 0 <= topic["score"] <= 1
        assert topic["evidence"]
    assert packed["summary"].startswith("In a significant diplomatic development")
    assert packed["content_sha256"] == hashlib.sha256(SEED.read_bytes()).hexdigest()


def test_scheduled_event_is_the_digest_rule(spec: StackSpec) -> None:
    scheduled = event("scheduled-digest.json")
    assert scheduled["source"] == "aws.events"
    assert scheduled["detail-type"] == "Scheduled Event"
    # SAM names the rule <stack>-<Function><Event>: DigestFunction's event is "Digest".
    assert scheduled["resources"][0].endswith(f":rule/{spec.stack_name}-DigestFunctionDigest")
    assert "Digest" in spec.template["Resources"]["DigestFunction"]["Properties"]["Events"]


def test_env_file_points_at_the_local_stack(spec: StackSpec) -> None:
    variables = event("env.json")["Parameters"]
    declared = set(spec.template["Globals"]["Function"]["Environment"]["Variables"])
    # `sam local invoke --env-vars` silently ignores variables the template does not declare.
    assert set(variables) <= declared
    assert variables["AWS_ENDPOINT_URL"] == f"http://host.docker.internal:{DEFAULT_PORT}"
    assert variables["NEWSWATCH_TABLE"] == spec.table_name
    assert variables["NEWSWATCH_TOPIC_ARN"] == spec.resolver.arn("AlertsTopic")


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("sqs-s3-put.json", "s3"),
        ("sqs-sns-s3-put.json", "sns+s3"),
        ("sqs-sns-raw-s3-put.json", "s3"),
        ("sqs-eventbridge-s3-object-created.json", "eventbridge"),
        ("s3-put.json", "s3"),
        ("sns-s3-put.json", "sns+s3"),
        ("eventbridge-s3-object-created.json", "eventbridge"),
    ],
)
def test_every_delivery_shape_names_the_seed_in_the_local_bucket(
    spec: StackSpec, name: str, shape: str
) -> None:
    from newswatch.adapters.s3_events import parse_body, parse_payload

    payload = event(name)
    records = payload.get("Records") or []
    queued = bool(records) and records[0].get("eventSource") == "aws:sqs"
    if queued:
        assert records[0]["eventSourceARN"] == spec.resolver.arn("IngestQueue")
    delivery = parse_body(records[0]["body"]) if queued else parse_payload(payload)
    assert delivery.shape == shape
    [ref] = delivery.objects
    assert (ref.bucket, ref.key, ref.size) == (spec.bucket_name, SEED_KEY, len(SEED.read_bytes()))
    assert ref.event_time is not None and ref.event_time.startswith("2025-03-11T19:42:07")


def test_the_message_that_is_no_notification_is_refused(spec: StackSpec) -> None:
    from newswatch.adapters.s3_events import UnrecognizedMessageError, parse_body

    (record,) = event("sqs-not-a-notification.json")["Records"]
    with pytest.raises(UnrecognizedMessageError, match="no S3 notification"):
        parse_body(record["body"])
