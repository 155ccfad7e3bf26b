"""The template's resources on the emulator: queues, the table (with its stream), the topic, the
bucket and its notification, and one SQS queue per demo subscriber (what the stack's state file
records)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newswatch_tools.local.spec import StackSpec
from newswatch_tools.local.state import LocalState, inbox_dir_for
from newswatch_tools.local.subscribers import Subscriber
from newswatch_tools.local.template import (
    ACCOUNT_ID,
    ALERT_FUNCTION_ID,
    BUCKET_ID,
    INGEST_FUNCTION_ID,
    QUEUE_ID,
    REGION,
    TABLE_ID,
    TOPIC_ID,
    resolve_outputs,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient


def create_resources(
    client: Callable[[str], Any],
    spec: StackSpec,
    subscribers: Sequence[Subscriber],
    endpoint_url: str,
    state_path: Path,
) -> LocalState:
    """Create the stack's resources through ``client(service)`` and describe them."""
    sqs: SQSClient = client("sqs")
    s3: S3Client = client("s3")
    dynamodb: DynamoDBClient = client("dynamodb")
    sns: SNSClient = client("sns")

    queue_urls: dict[str, str] = {}
    for queue in spec.queues:
        attributes: dict[Any, str] = dict(queue.attributes)
        if queue.dead_letter_id and queue.max_receive_count:
            dlq_arn = spec.resolver.arn(queue.dead_letter_id)
            attributes["RedrivePolicy"] = (
                f'{{"deadLetterTargetArn": "{dlq_arn}", '
                f'"maxReceiveCount": "{queue.max_receive_count}"}}'
            )
        url = sqs.create_queue(QueueName=queue.name, Attributes=attributes)["QueueUrl"]
        queue_urls[queue.logical_id] = url

    table = dynamodb.create_table(**spec.table)["TableDescription"]
    stream_arn = table.get("LatestStreamArn", "")
    if not stream_arn:
        raise RuntimeError("ArticlesTable has no stream: the alert function needs one")
    spec.resolver.names["ArticlesTable.StreamArn"] = stream_arn

    topic_arn = sns.create_topic(Name=spec.topic_name)["TopicArn"]

    s3.create_bucket(Bucket=spec.bucket_name)
    if spec.bucket_versioning:
        s3.put_bucket_versioning(
            Bucket=spec.bucket_name, VersioningConfiguration={"Status": "Enabled"}
        )
    queue_config: Any = {
        "QueueArn": spec.resolver.arn(QUEUE_ID),
        "Events": list(spec.bucket_events),
    }
    if spec.bucket_filter_rules:
        queue_config["Filter"] = {"Key": {"FilterRules": list(spec.bucket_filter_rules)}}
    s3.put_bucket_notification_configuration(
        Bucket=spec.bucket_name,
        NotificationConfiguration={"QueueConfigurations": [queue_config]},
    )

    subscribed: dict[str, dict[str, Any]] = {}
    for subscriber in subscribers:
        name = f"{spec.stack_name}-subscriber-{subscriber.name}"
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
        subscription = sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={
                "FilterPolicy": subscriber.filter_policy(),
                "FilterPolicyScope": "MessageAttributes",
                "RawMessageDelivery": "false",
            },
            ReturnSubscriptionArn=True,
        )
        subscribed[subscriber.name] = {
            "protocol": subscriber.protocol,
            "topics": list(subscriber.topics),
            "queue_url": url,
            "subscription_arn": subscription["SubscriptionArn"],
        }

    created = {queue.logical_id for queue in spec.queues} | {
        BUCKET_ID,
        TABLE_ID,
        TOPIC_ID,
        INGEST_FUNCTION_ID,
        ALERT_FUNCTION_ID,
    }
    return LocalState(
        outputs=resolve_outputs(spec.template, spec.resolver, created),
        endpoint_url=endpoint_url,
        pid=os.getpid(),
        pgid=os.getpgrp(),
        bucket=spec.bucket_name,
        table=spec.table_name,
        topic_arn=topic_arn,
        stream_arn=stream_arn,
        queues=queue_urls,
        subscribers=subscribed,
        inbox_dir=str(inbox_dir_for(state_path.resolve())),
        started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        stack_name=spec.stack_name,
    )
