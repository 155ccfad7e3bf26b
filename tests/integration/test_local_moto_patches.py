"""The local stack's load patches to moto (newswatch_tools/local/moto_patches.py) change its cost,
not its answers: a stream page carries the same records, and SQS still drops what outlived the
queue's retention period."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from newswatch_tools.local import moto_patches

REGION = "us-east-1"


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto's server, as the local stack runs it (mock_aws does not route DynamoDB Streams)."""
    from moto.server import ThreadedMotoServer

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    moto_patches.patch_load_costs()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    finally:
        server.stop()


def client(service: str, endpoint: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint)  # type: ignore[call-overload]


def test_a_stream_page_carries_every_record_with_its_image_and_time(endpoint: str) -> None:
    dynamodb = client("dynamodb", endpoint)
    streams = client("dynamodbstreams", endpoint)
    arn = dynamodb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    image: dict[str, Any] = {
        "pk": {"S": "article#1"},
        "score": {"N": "0.75"},
        "blob": {"B": b"\x00\x01gz"},
        "topics": {"L": [{"M": {"label": {"S": "aid"}, "score": {"N": "0.5"}}}]},
        "flags": {"SS": ["near_duplicate"]},
        "sent": {"BOOL": False},
    }
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    dynamodb.put_item(TableName="t", Item=image)
    dynamodb.update_item(
        TableName="t",
        Key={"pk": {"S": "article#1"}},
        UpdateExpression="SET sent = :t",
        ExpressionAttributeValues={":t": {"BOOL": True}},
    )
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]

    page = streams.get_records(ShardIterator=iterator, Limit=1000)

    records = page["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    assert records[0]["dynamodb"]["NewImage"] == image
    assert records[1]["dynamodb"]["NewImage"]["sent"] == {"BOOL": True}
    assert records[0]["dynamodb"]["Keys"] == {"pk": {"S": "article#1"}}
    created = records[0]["dynamodb"]["ApproximateCreationDateTime"]
    assert isinstance(created, dt.datetime) and created >= before.replace(microsecond=0)
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers[1] == numbers[0] + 1
    # The next page starts after the last record: nothing new, nothing repeated.
    assert streams.get_records(ShardIterator=page["NextShardIterator"])["Records"] == []


def test_sqs_still_drops_a_message_past_the_retention_period(endpoint: str) -> None:
    from moto.sqs.models import sqs_backends

    sqs = client("sqs", endpoint)
    urls = {
        name: sqs.create_queue(QueueName=name, Attributes={"MessageRetentionPeriod": "60"})[
            "QueueUrl"
        ]
        for name in ("expired", "fresh")
    }
    for name, url in urls.items():
        sqs.send_message(QueueUrl=url, MessageBody=name)
    queue = sqs_backends["123456789012"][REGION].get_queue("expired")
    message: Any = queue._messages[0]
    message.sent_timestamp -= 61_000  # sent 61 s ago, in milliseconds

    def receive(name: str) -> list[str]:
        got = sqs.receive_message(QueueUrl=urls[name], MaxNumberOfMessages=10)
        return [m["Body"] for m in got.get("Messages", [])]

    assert receive("expired") == []
    assert receive("fresh") == ["fresh"]


def test_sqs_delays_and_visibility_still_follow_the_clock(endpoint: str) -> None:
    import time

    sqs = client("sqs", endpoint)
    url = sqs.create_queue(QueueName="clock")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)

    def receive() -> list[str]:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=1)
        return [m["Body"] for m in got.get("Messages", [])]

    assert receive() == []  # still delayed
    time.sleep(1.2)
    assert receive() == ["later"]
    assert receive() == []  # in flight
    time.sleep(1.2)
    assert receive() == ["later"]  # visible again: not deleted, so delivered again
    depth = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert depth["ApproximateNumberOfMessagesNotVisible"] == "1"
    # One server, every service: each request still reaches its own backend.
    s3 = client("s3", endpoint)
    s3.create_bucket(Bucket="clock-routing")
    assert "clock-routing" in {b["Name"] for b in s3.list_buckets()["Buckets"]}
