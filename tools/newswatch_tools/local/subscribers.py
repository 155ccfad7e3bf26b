"""Demo subscribers: SQS queues on the alerts topic standing in for an e-mail and an SMS recipient.

Each queue is subscribed with a filter policy on the ``topics`` message attribute (the same policy a
real e-mail or SMS subscription gets), so SNS itself decides who receives what. Raw delivery is off,
so each delivery is SNS's JSON envelope. An alert is published with ``MessageStructure=json``; SNS
gives an e-mail subscriber the ``email`` body and a phone the ``sms`` body, but an SQS subscriber
the ``default`` one, so the inbox looks up the published structure in the emulator (this process
runs it) and records the body that subscriber's real protocol would have received.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newswatch_tools.local.template import ACCOUNT_ID, REGION

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from newswatch_tools.local.moto_patches import SnsDelivery


@dataclass(frozen=True)
class Subscriber:
    name: str
    protocol: str  # "email" or "sms": the body this subscriber would get
    topics: tuple[str, ...]

    def filter_policy(self) -> str:
        # Instant alerts and the topic's own digests, as `newswatch subscribe --both` makes it
        # (not the per-country digests, which carry the topic too).
        from newswatch.domain.subscriptions import filter_policy

        return json.dumps(filter_policy(list(self.topics), kinds=("alert", "digest")))


DEMO_SUBSCRIBERS = (
    Subscriber("email-ceasefire", "email", ("ceasefire",)),
    Subscriber("sms-aid", "sms", ("aid",)),
)


def published_message(
    topic_arn: str, message_id: str, wait_seconds: float = 2.0
) -> tuple[str, str | None] | None:
    """(message, subject) as published to the emulator's topic, or None if unknown.

    moto records a published message after delivering it to the subscriptions, so a subscriber
    can be faster than the record: wait a little for it.
    """
    from moto.sns.models import sns_backends

    deadline = time.monotonic() + wait_seconds
    while True:
        topic = sns_backends[ACCOUNT_ID][REGION].topics.get(topic_arn)
        for sent in reversed(topic.sent_notifications if topic is not None else []):
            if sent[0] == message_id:
                return str(sent[1]), sent[2]
        if time.monotonic() > deadline:
            return None
        time.sleep(0.01)


def message_bodies(published: str, delivered: str) -> dict[str, str]:
    """Protocol -> body of a message published as ``published`` (``MessageStructure=json``
    when its ``default`` is what SNS delivered to the queue), or ``{"default": published}``."""
    try:
        structure = json.loads(published)
    except ValueError:
        return {"default": published}
    if isinstance(structure, dict) and structure.get("default") == delivered:
        return {str(k): str(v) for k, v in structure.items()}
    return {"default": published}


def protocol_body(bodies: Mapping[str, str], protocol: str) -> str:
    """The body SNS delivers to ``protocol``: its own, else the default."""
    return bodies.get(protocol) or bodies["default"]


def _attribute_list(attributes: Mapping[str, Any], name: str) -> list[str]:
    value = (attributes.get(name) or {}).get("Value")
    if value is None:
        return []
    if (attributes[name].get("Type") or "").endswith("Array"):
        try:
            return [str(item) for item in json.loads(value)]
        except ValueError:
            return [str(value)]
    return [str(value)]


class Inbox:
    """Drains the subscriber queues and keeps what each subscriber received, in memory and as one
    JSON line per delivery in ``<folder>/<subscriber>.jsonl`` for other processes to read."""

    def __init__(
        self,
        sqs: SQSClient,
        topic_arn: str,
        bucket: str,
        queues: Mapping[str, str],
        subscribers: tuple[Subscriber, ...],
        *,
        folder: Path | None = None,
    ) -> None:
        self.sqs = sqs
        self.topic_arn = topic_arn
        self.queues = dict(queues)
        self.subscribers = {s.name: s for s in subscribers}
        self.folder = folder
        self._key = re.compile(r"s3://" + re.escape(bucket) + r"/(.+?)\s*$")
        self._lock = threading.Lock()
        self.deliveries: dict[str, list[dict[str, Any]]] = {s.name: [] for s in subscribers}
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            for subscriber in subscribers:
                (folder / f"{subscriber.name}.jsonl").write_text("", encoding="utf-8")

    def poll(self, name: str, wait_seconds: int = 0) -> int:
        """Receive one batch from a subscriber's queue; return how many deliveries arrived."""
        queue_url = self.queues[name]
        messages = self.sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
        ).get("Messages", [])
        for message in messages:
            self._record(name, json.loads(message["Body"]))
        if messages:
            self.sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages)
                ],
            )
        return len(messages)

    def _record(self, name: str, envelope: Mapping[str, Any]) -> None:
        subscriber = self.subscribers[name]
        delivered = str(envelope.get("Message", ""))
        published = published_message(self.topic_arn, str(envelope.get("MessageId", "")))
        bodies = message_bodies(published[0], delivered) if published else {"default": delivered}
        attributes = envelope.get("MessageAttributes") or {}
        keys = _attribute_list(attributes, "key")
        alert_key = _article_of(bodies.get("default", delivered))[0]
        match = self._key.search(delivered)
        entry = {
            "subscriber": name,
            "protocol": subscriber.protocol,
            "message_id": envelope.get("MessageId"),
            "timestamp": envelope.get("Timestamp"),
            "subject": envelope.get("Subject"),
            "topics": _attribute_list(attributes, "topics"),
            "key": alert_key or (keys[0] if keys else (match.group(1) if match else None)),
            "attributes": {k: v.get("Value") for k, v in attributes.items()},
            "body": protocol_body(bodies, subscriber.protocol),
            # Every protocol's body of the same message, e.g. the SMS an e-mail subscriber's
            # phone-owning colleague would get.
            "bodies": bodies,
        }
        with self._lock:
            self.deliveries[name].append(entry)
            if self.folder is not None:
                with (self.folder / f"{name}.jsonl").open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        with self._lock:
            return {name: list(items) for name, items in self.deliveries.items()}


def read_inbox(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """What a running stack's subscribers received, read from its inbox folder."""
    inbox: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(folder.glob("*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()
        inbox[path.stem] = [json.loads(line) for line in lines if line.strip()]
    return inbox


# -- every delivery SNS made, to any subscription ------------------------------------------------

DELIVERIES_FILE = "sns-deliveries.jsonl.log"


def _article_of(body: str) -> tuple[str | None, str | None]:
    """(key, reference) of the article a JSON alert body is about, else (None, None)."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None, None
    if isinstance(payload, dict) and payload.get("type") == "newswatch.alert":
        return payload.get("key"), payload.get("reference")
    return None, None


class DeliveryLog:
    """Every message the local SNS delivered, to every subscription of the alerts topic (email,
    SMS, SQS, ... and the ones made with `newswatch subscribe` or the AWS CLI), with the body that
    subscription's protocol receives. Kept in memory and, with a folder, one JSON line each in
    ``<folder>/sns-deliveries.jsonl.log`` for `newswatch local inbox` to read."""

    def __init__(self, topic_arn: str, folder: Path | None = None) -> None:
        self.topic_arn = topic_arn
        self.path = folder / DELIVERIES_FILE if folder is not None else None
        self._lock = threading.Lock()
        self.entries: list[dict[str, Any]] = []
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text("", encoding="utf-8")

    def __call__(self, delivery: SnsDelivery) -> None:
        from newswatch.domain.subscriptions import describe_policy, policy_places

        subscription, body, attributes = delivery.subscription, delivery.body, delivery.attributes
        if subscription.topic_arn != self.topic_arn:
            return
        topics, min_score, kinds = describe_policy(subscription._filter_policy or {})
        values = {name: (value or {}).get("Value") for name, value in attributes.items()}
        # The email and SMS bodies are text; the JSON body of the same message names the article.
        key, reference = _article_of(delivery.default)
        entry = {
            "subscription_id": subscription.arn,
            "protocol": subscription.protocol,
            "endpoint": subscription.endpoint,
            "topics": topics,
            "places": policy_places(subscription._filter_policy or {}),
            "min_score": min_score,
            "kinds": kinds,
            "message_id": delivery.message_id,
            "kind": values.get("kind"),
            "message_topics": _attribute_list(attributes, "topics"),
            "subject": delivery.subject,
            "body": body,
            "key": key,
            "reference": reference,
        }
        with self._lock:
            self.entries.append(entry)
            if self.path is not None:
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.entries)


def read_deliveries(folder: Path) -> list[dict[str, Any]]:
    """What a running local stack's SNS delivered, read from its inbox folder."""
    path = folder / DELIVERIES_FILE
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
