"""The AWS side of the pipeline on moto, for the integration tests: a versioned bucket, the
ArticlesTable (keys, indexes and stream as in the team's data model), the alerts topic and SQS
queues standing in for subscribers, real event payloads, and the two Lambda handlers loaded from
their files as Lambda loads them."""

from __future__ import annotations

import copy
import importlib.util
import io
import json
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote_plus

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from newswatch_tools.local.filters import passes
from newswatch_tools.local.spec import load_spec

REPO = Path(__file__).resolve().parents[2]
EVENTS = REPO / "events"
SEED = REPO / "seeds" / "jeddah-ceasefire-talks.txt"
SPEC = load_spec(REPO)
REGION = "us-east-1"
BUCKET = "newswatch-articles-test"
TABLE = "newswatch-articles"

# A second ceasefire story worded nothing like the seed (similarity 0.02): for tests that need two
# articles that both alert. An edited copy of the seed is a near-duplicate and does not alert again.
OTHER_CEASEFIRE_STORY = b"""Truce talks resume in Jeddah

Negotiators from both sides met in Jeddah on Tuesday to discuss a ceasefire proposal that would \
halt fighting along the front line for thirty days.

The proposal, drafted by mediators, includes a prisoner exchange and the opening of humanitarian \
corridors into besieged towns.

"We are ready to stop shooting if the other side does the same," a senior official said after the \
meeting ended late in the evening.

Diplomats said a second round of talks could begin next week if both delegations agree on the \
monitoring mechanism for the truce.
"""

# name -> SNS filter policy, as `newswatch subscribe` and the template build them.
SUBSCRIBERS: dict[str, dict[str, Any]] = {
    "email-ceasefire": {"topics": ["ceasefire"], "kind": ["alert"]},
    "sms-aid": {"topics": ["aid"], "kind": ["alert"]},
    "email-sanctions": {"topics": ["sanctions"], "kind": ["alert"]},
    "digest-ceasefire": {"topics": ["ceasefire"], "kind": ["digest"]},
    "email-ceasefire-strong": {"topics": ["ceasefire"], "score": [{"numeric": [">=", 0.5]}]},
}


def load_event(name: str) -> dict[str, Any]:
    """A real event payload from events/ (made with `sam local generate-event`, see its README)."""
    data: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return data


def s3_event(
    key: str,
    *,
    bucket: str = BUCKET,
    version_id: str | None = None,
    size: int = 0,
    event_time: str = "2026-11-29T18:00:00.000Z",
    event_name: str = "ObjectCreated:Put",
) -> dict[str, Any]:
    event = load_event("s3-put.json")
    record = event["Records"][0]
    record["eventTime"] = event_time
    record["eventName"] = event_name
    record["awsRegion"] = REGION
    record["s3"]["bucket"]["name"] = bucket
    record["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
    obj = record["s3"]["object"]
    obj["key"] = quote_plus(key, safe="/")  # as S3 encodes keys in notifications
    obj["size"] = size
    obj.pop("versionId", None)
    if version_id:
        obj["versionId"] = version_id
    event["Records"] = [record]
    return event


def sqs_event(*bodies: dict[str, Any], message_ids: list[str] | None = None) -> dict[str, Any]:
    """An SQS batch whose message bodies are the given S3 notifications."""
    event = load_event("sqs-s3-put.json")
    template = event["Records"][0]
    records = []
    for i, body in enumerate(bodies):
        record = copy.deepcopy(template)
        record["messageId"] = message_ids[i] if message_ids else f"message-{i}-{uuid.uuid4()}"
        record["body"] = json.dumps(body)
        records.append(record)
    event["Records"] = records
    return event


def stream_event_from_image(image: dict[str, Any], event_name: str = "INSERT") -> dict[str, Any]:
    """The events/ stream record carrying ``image`` (a DynamoDB-JSON item) as its NewImage."""
    event = load_event("dynamodb-stream-insert.json")
    record = event["Records"][0]
    record["eventName"] = event_name
    record["dynamodb"]["Keys"] = {"pk": image["pk"], "sk": image["sk"]}
    record["dynamodb"]["NewImage"] = image
    record["eventID"] = uuid.uuid4().hex
    event["Records"] = [record]
    return event


def capture_logs(handler_module: Any) -> io.StringIO:
    """Point the handler's log output at a buffer.

    powertools keeps one handler per service name for the process, bound to the stdout of the
    test that created it (a capsys capture that may be closed by now): the stream is replaced
    without flushing the old one, which ``setStream`` would do.
    """
    buffer = io.StringIO()
    handler_module.logger.registered_handler.stream = buffer
    return buffer


def load_handler(name: str) -> ModuleType:
    """functions/<name>/app.py as a fresh module: a new execution environment."""
    from newswatch import composition

    composition.reset()
    path = REPO / "functions" / name / "app.py"
    module_name = f"newswatch_test_{name}_app_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Stack:
    s3: Any
    ddb: Any
    sns: Any
    sqs: Any
    streams: Any
    topic_arn: str
    stream_arn: str
    queues: dict[str, str]
    _iterators: dict[str, str] = field(default_factory=dict)

    # -- S3 -----------------------------------------------------------------------------------

    def put(self, key: str, body: bytes, content_type: str | None = None) -> dict[str, Any]:
        """Upload and return the notification S3 would send for it."""
        extra = {"ContentType": content_type} if content_type else {}
        response = self.s3.put_object(Bucket=BUCKET, Key=key, Body=body, **extra)
        return s3_event(key, version_id=response.get("VersionId"), size=len(body))

    # -- DynamoDB -----------------------------------------------------------------------------

    def items(self, pk: str | None = None) -> list[dict[str, Any]]:
        from newswatch.adapters.dynamodb_codec import deserialize_item

        pages = self.ddb.get_paginator("scan").paginate(TableName=TABLE, ConsistentRead=True)
        items = [deserialize_item(i) for page in pages for i in page["Items"]]
        return [i for i in items if pk is None or i["pk"] == pk]

    def entries(self, article_pk: str, kind: str = "topic") -> list[dict[str, Any]]:
        """An article's topic (or place) entries: keyed by topic, they name the article."""
        return [i for i in self.items() if i["type"] == kind and i["article_pk"] == article_pk]

    def articles(self) -> list[dict[str, Any]]:
        return [i for i in self.items() if i["type"] == "article"]

    def stream_records(self) -> list[dict[str, Any]]:
        """Stream records written since the last call, in order, as Lambda receives them."""
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        records: list[dict[str, Any]] = []
        for shard in shards["Shards"]:
            shard_id = shard["ShardId"]
            iterator = (
                self._iterators.get(shard_id)
                or self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            )
            response = self.streams.get_records(ShardIterator=iterator)
            self._iterators[shard_id] = response["NextShardIterator"]
            for raw in response["Records"]:
                record = dict(raw)
                record["eventSourceARN"] = self.stream_arn
                record["eventSource"] = "aws:dynamodb"
                records.append(record)
        return records

    def alert_batch(self, records: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The AlertFunction's event: the stream records its event source mapping's
        FilterCriteria (template.yaml) passes: processed articles whose alert is pending."""
        records = self.stream_records() if records is None else records
        patterns = SPEC.alert_source.patterns
        assert patterns, "the AlertFunction's stream event has no FilterCriteria"
        return {"Records": [r for r in records if passes(r, patterns)]}

    # -- SNS subscribers ----------------------------------------------------------------------

    def subscribe(self, name: str, policy: dict[str, Any]) -> str:
        """One more subscriber: an SQS queue subscribed with this filter policy (on message
        attributes, as `newswatch subscribe` does), read with :meth:`received`."""
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.sns.subscribe(
            TopicArn=self.topic_arn,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={
                "FilterPolicy": json.dumps(policy),
                "FilterPolicyScope": "MessageAttributes",
            },
        )
        self.queues[name] = url
        return name

    def received(self, subscriber: str) -> list[dict[str, Any]]:
        """Every SNS notification delivered to a subscriber queue since the last call."""
        messages: list[dict[str, Any]] = []
        url = self.queues[subscriber]
        while True:
            response = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            )
            batch = response.get("Messages", [])
            if not batch:
                return messages
            for message in batch:
                messages.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def create_stack() -> Stack:
    s3 = boto3.client("s3", region_name=REGION)
    ddb = boto3.client("dynamodb", region_name=REGION)
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    # botocore routes stream ARNs to <account>.streams-ddb endpoints, which moto does not serve.
    streams = boto3.client(
        "dynamodbstreams",
        region_name=REGION,
        config=Config(account_id_endpoint_mode="disabled"),
    )

    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})

    # Keys, indexes (and their projections) and stream exactly as template.yaml declares them.
    table = ddb.create_table(**dict(SPEC.table, TableName=TABLE))
    stream_arn = table["TableDescription"]["LatestStreamArn"]

    topic_arn = sns.create_topic(Name="newswatch-alerts")["TopicArn"]
    stack = Stack(s3, ddb, sns, sqs, streams, topic_arn, stream_arn, queues={})
    for name, policy in SUBSCRIBERS.items():
        stack.subscribe(name, policy)
    return stack


class Faulty:
    """A boto3 client whose ``operation`` raises an AWS error the next ``times`` calls (those for
    which ``when(kwargs)`` holds), as a throttled or failing service does once the SDK's own retries
    are spent. Every other call goes to the real client."""

    def __init__(
        self,
        client: Any,
        operation: str,
        code: str,
        *,
        status: int = 400,
        times: int = 1,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        self._client = client
        self._operation = operation
        self._code = code
        self._status = status
        self._when = when
        self.remaining = times
        self.raised = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name != self._operation:
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.remaining > 0 and (self._when is None or self._when(kwargs)):
                self.remaining -= 1
                self.raised += 1
                raise ClientError(
                    {
                        "Error": {"Code": self._code, "Message": "injected by the test"},
                        "ResponseMetadata": {"HTTPStatusCode": self._status},
                    },
                    name,
                )
            return attr(*args, **kwargs)

        return call


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

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(kwargs)
            return attr(*args, **kwargs)

        return call
