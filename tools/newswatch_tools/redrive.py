"""Replaying the ingest dead-letter queue into the ingest queue.

SQS has a native redrive (StartMessageMoveTask), but it is asynchronous, cannot be limited to a few
messages or previewed, and the embedded emulator lacks it. This moves messages one batch at a time:
receive from the dead-letter queue, send to the target, and delete from the dead-letter queue only
what the target accepted, so a failure part-way leaves each message in one queue or (if the delete
fails after a successful send) in both, never in neither. A duplicate in the ingest queue is
harmless: ingestion is idempotent per object version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef, SendMessageBatchRequestEntryTypeDef

# SQS batch calls take at most 10 entries.
_BATCH = 10


@dataclass(frozen=True)
class DeadLetter:
    """One message of the dead-letter queue, described by the objects it is about."""

    message_id: str
    body: str
    objects: tuple[str, ...]  # "bucket/key" of each S3 record, or a short note for other bodies
    receive_count: int


@dataclass
class RedriveResult:
    moved: list[DeadLetter] = field(default_factory=list)
    # Messages the target queue refused, with its reason; they stay in the dead-letter queue.
    failed: list[tuple[DeadLetter, str]] = field(default_factory=list)
    # Sent to the target but not deleted from the dead-letter queue (they will show up again).
    not_deleted: list[DeadLetter] = field(default_factory=list)


def describe_body(body: str) -> tuple[str, ...]:
    """The objects an ingest message is about: "bucket/key" each (keys decoded), read as the
    ingest function reads it (S3, SNS and EventBridge shapes), or a short note saying what it is."""
    from newswatch.adapters.s3_events import UnrecognizedMessageError, parse_body

    try:
        delivery = parse_body(body)
    except UnrecognizedMessageError as error:
        return (f"(not an S3 notification: {error})",)
    objects = [f"{ref.bucket}/{ref.key}" for ref in delivery.objects]
    notes = [f"({ignored.reason})" for ignored in delivery.ignored]
    return tuple(objects + notes) or (f"({delivery.shape}, no object)",)


def _dead_letter(message: MessageTypeDef) -> DeadLetter:
    body = message.get("Body", "")
    count = message.get("Attributes", {}).get("ApproximateReceiveCount", "0")
    return DeadLetter(
        message_id=message.get("MessageId", ""),
        body=body,
        objects=describe_body(body),
        receive_count=int(count) if count.isdigit() else 0,
    )


def source_queue_url(sqs: SQSClient, dead_letter_url: str) -> str | None:
    """The one queue whose redrive policy points at this dead-letter queue, if exactly one."""
    urls = sqs.list_dead_letter_source_queues(QueueUrl=dead_letter_url).get("queueUrls", [])
    return urls[0] if len(urls) == 1 else None


def queue_depth(sqs: SQSClient, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", "0"))


class Redriver:
    """Moves (or, in a dry run, lists) messages from ``source_url`` to ``target_url``.

    ``visibility_timeout`` is how long a received message stays hidden while it is being moved or
    listed; it must exceed the time one batch takes. ``wait_seconds`` is the long-poll per receive:
    the run stops at the first receive that returns nothing.
    """

    def __init__(
        self,
        sqs: SQSClient,
        source_url: str,
        target_url: str,
        *,
        visibility_timeout: int = 60,
        wait_seconds: int = 1,
    ) -> None:
        self.sqs = sqs
        self.source_url = source_url
        self.target_url = target_url
        self.visibility_timeout = visibility_timeout
        self.wait_seconds = wait_seconds

    def _receive(self, limit: int) -> list[MessageTypeDef]:
        response = self.sqs.receive_message(
            QueueUrl=self.source_url,
            MaxNumberOfMessages=max(1, min(_BATCH, limit)),
            WaitTimeSeconds=self.wait_seconds,
            VisibilityTimeout=self.visibility_timeout,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        return list(response.get("Messages", []))

    def peek(self, max_messages: int) -> list[DeadLetter]:
        """List messages without moving them; they are made visible again before returning."""
        seen: list[MessageTypeDef] = []
        try:
            while len(seen) < max_messages:
                batch = self._receive(max_messages - len(seen))
                if not batch:
                    break
                seen.extend(batch)
        finally:
            self._release(seen)
        return [_dead_letter(m) for m in seen]

    def _release(self, messages: list[MessageTypeDef]) -> None:
        for start in range(0, len(messages), _BATCH):
            chunk = messages[start : start + _BATCH]
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.source_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                    for i, m in enumerate(chunk)
                ],
            )

    def move(self, max_messages: int) -> RedriveResult:
        result = RedriveResult()
        handled = 0
        while handled < max_messages:
            batch = self._receive(max_messages - handled)
            if not batch:
                break
            handled += len(batch)
            self._move_batch(batch, result)
        return result

    def _move_batch(self, batch: list[MessageTypeDef], result: RedriveResult) -> None:
        entries: list[SendMessageBatchRequestEntryTypeDef] = []
        for i, message in enumerate(batch):
            entry: SendMessageBatchRequestEntryTypeDef = {
                "Id": str(i),
                "MessageBody": message.get("Body", ""),
            }
            attributes = message.get("MessageAttributes")
            if attributes:
                entry["MessageAttributes"] = attributes
            entries.append(entry)
        try:
            sent = self.sqs.send_message_batch(QueueUrl=self.target_url, Entries=entries)
        except Exception:
            # Nothing was moved: make the batch visible again rather than hidden for a minute.
            self._release(batch)
            raise
        for failure in sent.get("Failed", []):
            message = batch[int(failure["Id"])]
            result.failed.append((_dead_letter(message), failure.get("Message", failure["Code"])))
        moved = [batch[int(ok["Id"])] for ok in sent.get("Successful", [])]
        if not moved:
            return
        deleted = self.sqs.delete_message_batch(
            QueueUrl=self.source_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(moved)
            ],
        )
        not_deleted = {int(f["Id"]) for f in deleted.get("Failed", [])}
        for i, message in enumerate(moved):
            target = result.not_deleted if i in not_deleted else result.moved
            target.append(_dead_letter(message))
