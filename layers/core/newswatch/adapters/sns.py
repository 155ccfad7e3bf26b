"""AlertPublisher over SNS: one publish per alert, a body per protocol (``MessageStructure=json``)
and the message attributes subscribers' filter policies match on."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from newswatch.domain.alerts import AlertMessage
from newswatch.domain.subscriptions import REPEAT_ATTRIBUTE, score_levels

if TYPE_CHECKING:
    from mypy_boto3_sns.client import SNSClient


def message_attributes(message: AlertMessage) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "score": {"DataType": "Number", "StringValue": f"{message.score:.4f}"},
        "kind": {"DataType": "String", "StringValue": message.kind},
    }
    if message.topics:  # a place-only message has none, and then no policy on topics matches it
        # String.Array: a filter policy {"topics": ["aid"]} matches if any element is "aid".
        attributes["topics"] = {
            "DataType": "String.Array",
            "StringValue": json.dumps(list(message.topics)),
        }
    if message.places:
        attributes["places"] = {
            "DataType": "String.Array",
            "StringValue": json.dumps(list(message.places)),
        }
    if message.repeat:
        attributes[REPEAT_ATTRIBUTE] = {"DataType": "String", "StringValue": "near_duplicate"}
    levels = score_levels(message.topic_scores)
    if levels:
        # Per-topic minimum scores: {"score_levels": ["sanctions>=0.50"]} (domain/subscriptions).
        attributes["score_levels"] = {
            "DataType": "String.Array",
            "StringValue": json.dumps(levels, separators=(",", ":")),
        }
    # SNS rejects empty attribute values.
    if message.language:
        attributes["language"] = {"DataType": "String", "StringValue": message.language}
    if message.top_topic:
        attributes["top_topic"] = {"DataType": "String", "StringValue": message.top_topic}
    return attributes


class SnsAlertPublisher:
    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        if not topic_arn:
            raise ValueError("NEWSWATCH_TOPIC_ARN is not set")
        self.client = client
        self.topic_arn = topic_arn

    def publish(self, message: AlertMessage) -> str:
        """Publish and return SNS's message id; errors propagate (the caller retries)."""
        response = self.client.publish(
            TopicArn=self.topic_arn,
            Subject=message.subject,
            Message=json.dumps(message.structured()),
            MessageStructure="json",
            MessageAttributes=message_attributes(message),
        )
        return str(response["MessageId"])
