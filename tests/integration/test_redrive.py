"""`newswatch redrive` on moto: dry run lists and moves nothing; a real run moves every message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from newswatch_tools.cli import main
from newswatch_tools.redrive import Redriver, describe_body, source_queue_url

REGION = "us-east-1"


def s3_event(key: str, bucket: str = "articles") -> str:
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 10}},
    }
    return json.dumps({"Records": [record]})


# S3 URL-encodes keys in events, '+' for a space.
BODIES = [
    s3_event("news/truce+holds.html"),
    s3_event("news/%C3%A9t%C3%A9%2Baid.txt"),
    json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "articles"}),
    "not json at all",
] + [s3_event(f"batch/{i:03d}.txt") for i in range(11)]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("NEWSWATCH_LOCAL_STATE", str(tmp_path / "no-state.json"))
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        dlq = sqs.create_queue(QueueName="ingest-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        ingest = sqs.create_queue(
            QueueName="ingest",
            Attributes={
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})
            },
        )["QueueUrl"]
        for body in BODIES:
            sqs.send_message(
                QueueUrl=dlq,
                MessageBody=body,
                MessageAttributes={"origin": {"DataType": "String", "StringValue": "test"}},
            )
        yield {"sqs": sqs, "dlq": dlq, "ingest": ingest, "tmp": tmp_path}


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            return messages
        messages.extend(batch)
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def depth(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def test_describe_body_names_the_objects() -> None:
    assert describe_body(BODIES[0]) == ("articles/news/truce holds.html",)
    assert describe_body(BODIES[1]) == ("articles/news/été+aid.txt",)
    assert describe_body(BODIES[2]) == ("(s3:TestEvent)",)
    assert describe_body(BODIES[3]) == ("(not an S3 notification: not JSON (15 characters))",)
    assert describe_body("[1, 2]")[0].startswith("(not an S3 notification: JSON list")
    # The other shapes the ingest function reads are named by their objects too.
    envelope = {"Type": "Notification", "MessageId": "m", "Message": BODIES[0]}
    assert describe_body(json.dumps(envelope)) == ("articles/news/truce holds.html",)
    bridge = {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "time": "2026-12-03T08:00:00Z",
        "detail": {"bucket": {"name": "articles"}, "object": {"key": "a+b.txt", "size": 3}},
    }
    assert describe_body(json.dumps(bridge)) == ("articles/a b.txt",)


def test_source_queue_is_found_from_the_redrive_policy(env: dict[str, Any]) -> None:
    assert source_queue_url(env["sqs"], env["dlq"]) == env["ingest"]


def test_dry_run_lists_keys_and_moves_nothing(
    env: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["redrive", "--queue-url", env["dlq"], "--dry-run", "--json", "--wait-seconds", "0"]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dry_run"] is True
    assert report["to"] == env["ingest"]
    objects = [o for m in report["messages"] for o in m["objects"]]
    assert len(report["messages"]) == len(BODIES)
    assert "articles/news/truce holds.html" in objects
    assert "articles/batch/010.txt" in objects
    assert depth(env["sqs"], env["ingest"]) == 0
    # Listed messages are visible again straight away, not hidden for the visibility timeout.
    assert len(drain(env["sqs"], env["dlq"])) == len(BODIES)


def test_redrive_moves_every_message_with_body_and_attributes_intact(
    env: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["redrive", "--queue-url", env["dlq"], "--json", "--wait-seconds", "0"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["moved"]) == len(BODIES)
    assert report["failed"] == [] and report["not_deleted"] == []
    assert report["left_in_dead_letter_queue"] == 0
    assert depth(env["sqs"], env["dlq"]) == 0
    moved = drain(env["sqs"], env["ingest"])
    assert sorted(m["Body"] for m in moved) == sorted(BODIES)
    assert all(m["MessageAttributes"]["origin"]["StringValue"] == "test" for m in moved)


def test_max_limits_how_many_move(env: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["redrive", "--queue-url", env["dlq"], "--max", "3", "--wait-seconds", "0"])
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith("moved 3 message(s)")
    assert len(drain(env["sqs"], env["ingest"])) == 3
    assert len(drain(env["sqs"], env["dlq"])) == len(BODIES) - 3


def test_queues_come_from_the_local_state_outputs(
    env: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state = env["tmp"] / "state.json"
    outputs = {"IngestDeadLetterQueueUrl": env["dlq"], "IngestQueueUrl": env["ingest"]}
    # moto intercepts the real AWS endpoint, so the state file can point there.
    endpoint = f"https://sqs.{REGION}.amazonaws.com"
    state.write_text(json.dumps({"endpoint_url": endpoint, "region": REGION, "outputs": outputs}))
    monkeypatch.setenv("NEWSWATCH_LOCAL_STATE", str(state))
    assert main(["redrive", "--json", "--wait-seconds", "0"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["from"], report["to"]) == (env["dlq"], env["ingest"])
    assert len(report["moved"]) == len(BODIES)


def test_no_stack_and_no_queue_url_is_a_clear_error(
    env: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["redrive", "--dry-run"]) == 2
    assert "no stack found" in capsys.readouterr().err
    assert depth(env["sqs"], env["dlq"]) == len(BODIES)


def test_send_failure_leaves_messages_in_the_dead_letter_queue(env: dict[str, Any]) -> None:
    sqs = env["sqs"]
    missing = env["ingest"].replace("/ingest", "/gone")
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        Redriver(sqs, env["dlq"], missing, wait_seconds=0).move(5)
    # The failed batch is released at once, so everything is still receivable.
    assert len(drain(sqs, env["dlq"])) == len(BODIES)


def test_cli_reports_aws_errors_without_a_traceback(
    env: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    missing = env["ingest"].replace("/ingest", "/gone")
    args = ["redrive", "--queue-url", env["dlq"], "--to-queue-url", missing, "--wait-seconds", "0"]
    assert main(args) == 2
    assert "AWS call failed" in capsys.readouterr().err
    assert depth(env["sqs"], env["dlq"]) == len(BODIES)


def test_queues_come_from_cloudformation_outputs(
    env: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    template = {
        "Resources": {
            "IngestDeadLetterQueue": {"Type": "AWS::SQS::Queue"},
            "IngestQueue": {"Type": "AWS::SQS::Queue"},
        },
        "Outputs": {
            "IngestDeadLetterQueueUrl": {"Value": {"Ref": "IngestDeadLetterQueue"}},
            "IngestQueueUrl": {"Value": {"Ref": "IngestQueue"}},
        },
    }
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(StackName="newswatch", TemplateBody=json.dumps(template))
    outputs = {
        o["OutputKey"]: o["OutputValue"]
        for o in cloudformation.describe_stacks(StackName="newswatch")["Stacks"][0]["Outputs"]
    }
    sqs = env["sqs"]
    sqs.send_message(QueueUrl=outputs["IngestDeadLetterQueueUrl"], MessageBody=s3_event("cf.txt"))

    assert main(["redrive", "--stack", "newswatch", "--json", "--wait-seconds", "0"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["from"], report["to"]) == (
        outputs["IngestDeadLetterQueueUrl"],
        outputs["IngestQueueUrl"],
    )
    assert [m["objects"] for m in report["moved"]] == [["articles/cf.txt"]]
    assert [m["Body"] for m in drain(sqs, outputs["IngestQueueUrl"])] == [s3_event("cf.txt")]
    # The fixture's own queues were not touched.
    assert depth(sqs, env["dlq"]) == len(BODIES)
