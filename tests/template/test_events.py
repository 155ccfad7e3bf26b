"""events/ holds consistent payloads: they describe the seed article in the local stack's names
(read from template.yaml), the SQS messages carry the S3 notification, and the env files only set
variables the template declares (SAM ignores the others)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from template_support import REPO

from newswatch_tools.local.spec import StackSpec, load_spec
from newswatch_tools.local.stack import DEFAULT_PORT

EVENTS = REPO / "events"
SEED = REPO / "seeds" / "jeddah-ceasefire-talks.txt"


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
    assert image["sk"]["S"] == "v#null"  # s3-put.json has no versionId
    assert image["type"]["S"] == "article"
    assert image["status"]["S"] == "processed"
    assert image["alert_state"]["S"] == "pending"
    assert image["content_sha256"]["S"] == hashlib.sha256(SEED.read_bytes()).hexdigest()
    labels = [t["M"]["label"]["S"] for t in image["topics"]["L"]]
    assert [t["S"] for t in image["topic_labels"]["L"]] == labels
    assert "ceasefire" in labels
    for topic in image["topics"]["L"]:
        assert 0 <= float(topic["M"]["score"]["N"]) <= 1
        assert topic["M"]["evidence"]["L"]


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
