"""Every way an "object created" (or "removed") reaches the ingest function, read into
:class:`ObjectRef` s (and :class:`RemovedObject` s).

The shapes (each has a fixture in ``events/``, made from the AWS documentation's examples):

- an S3 event notification (``{"Records": [{"eventSource": "aws:s3", ...}]}``): invoked
  directly, as an SQS message body, or as the body of an SNS message with raw message delivery;
- the SNS envelope (``{"Type": "Notification", "Message": "<the S3 notification as a string>"}``)
  in an SQS body (S3 -> SNS -> SQS without raw delivery), or SNS invoking the function directly;
- an EventBridge event from S3 (``"source": "aws.s3"``, ``"detail-type": "Object Created"``),
  as an SQS body or invoking the function directly;
- S3's ``s3:TestEvent``, sent once when a notification configuration is saved.

A deletion (S3's ``ObjectRemoved:*``, EventBridge's ``Object Deleted``) is a
:class:`RemovedObject`: the articles stored for it are retracted (``newswatch.usecases.retract``).
What is recognised but not work (the test event, folder markers, another S3 event type such as a
restore or a tagging change) is returned as :class:`Ignored`, with a reason the handler logs.
Anything else raises
:class:`UnrecognizedMessageError`: the handler reports it as a failed message (so it is retried,
then dead-lettered where ``newswatch redrive`` shows it), never acknowledges it silently.

Field access goes through powertools' event source data classes (no pydantic needed); only the
dispatch on shape is ours. They are imported when a message of their shape arrives, not with this
module: importing any of them runs powertools' ``data_classes`` package, which imports the data
classes of all 34 event sources it knows (bench/cold_layer.py, cold start).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.s3_event import (
        S3Event,
        S3EventBridgeNotificationEvent,
    )

TEST_EVENT = "s3:TestEvent"
EVENTBRIDGE_OBJECT_CREATED = "Object Created"
EVENTBRIDGE_OBJECT_DELETED = "Object Deleted"
# A deletion that removes one version for good names that version; a delete marker (the key as a
# whole, in a versioned bucket) names the marker's own version, which no article has.
S3_DELETE_MARKER = "ObjectRemoved:DeleteMarkerCreated"
EVENTBRIDGE_DELETE_MARKER = "Delete Marker Created"
# SNS wraps a published message once; an envelope inside an envelope is not something S3 makes.
_MAX_ENVELOPES = 1


@dataclass(frozen=True)
class ObjectRef:
    """One created object version, as the delivery described it."""

    bucket: str
    key: str
    version_id: str | None
    event_time: str | None
    size: int | None


@dataclass(frozen=True)
class RemovedObject:
    """An object deleted from the bucket: the articles stored for it are retracted."""

    bucket: str
    key: str
    # The version deleted for good; None for the key as a whole (a delete marker in a versioned
    # bucket, or a delete in an unversioned one): every version stored before the deletion.
    version_id: str | None
    event_time: str | None


@dataclass(frozen=True)
class Ignored:
    """A recognised notification that asks for no ingest (logged and counted by the handler)."""

    reason: str
    key: str | None = None


@dataclass(frozen=True)
class Delivery:
    """What one message (or one direct invocation) asks for."""

    shape: str  # s3, sns+s3, eventbridge, sns+eventbridge, s3:TestEvent, ...
    objects: tuple[ObjectRef, ...] = ()
    ignored: tuple[Ignored, ...] = field(default=())
    removed: tuple[RemovedObject, ...] = ()

    @property
    def work(self) -> tuple[ObjectRef | RemovedObject, ...]:
        """Uploads to ingest, then deletions to retract."""
        return (*self.objects, *self.removed)


class UnrecognizedMessageError(ValueError):
    """The message is none of the shapes above. The text names the shape, never the content."""


def parse_body(body: str, envelopes: int = 0) -> Delivery:
    """An SQS message body (or an SNS ``Message``): JSON in one of the shapes above."""
    try:
        payload = json.loads(body)
    except ValueError:
        raise UnrecognizedMessageError(f"not JSON ({len(body)} characters)") from None
    return parse_payload(payload, envelopes)


def parse_payload(payload: Any, envelopes: int = 0) -> Delivery:
    """A decoded message body, or a whole direct invocation event (except an SQS batch)."""
    if not isinstance(payload, Mapping):
        raise UnrecognizedMessageError(f"JSON {type(payload).__name__}, not an object")
    if payload.get("Event") == TEST_EVENT:
        return Delivery(TEST_EVENT, ignored=(Ignored(TEST_EVENT),))
    if payload.get("Type") == "Notification" and "Message" in payload:
        return _unwrap_sns(payload["Message"], envelopes)
    if payload.get("source") == "aws.s3" and "detail-type" in payload:
        from aws_lambda_powertools.utilities.data_classes import S3EventBridgeNotificationEvent

        return _from_eventbridge(S3EventBridgeNotificationEvent(dict(payload)))
    records = payload.get("Records")
    if isinstance(records, list) and records and all(isinstance(r, Mapping) for r in records):
        if all(r.get("eventSource") == "aws:s3" for r in records):
            from aws_lambda_powertools.utilities.data_classes import S3Event

            return _from_s3(S3Event(dict(payload)))
        if all(r.get("EventSource") == "aws:sns" for r in records):
            parts = [_unwrap_sns(r.get("Sns", {}).get("Message"), envelopes) for r in records]
            return _merge(parts)
        sources = sorted({str(r.get("eventSource") or r.get("EventSource")) for r in records})
        raise UnrecognizedMessageError(f"records from {', '.join(sources)}, not from S3")
    keys = ", ".join(sorted(str(k) for k in payload)[:8]) or "none"
    raise UnrecognizedMessageError(f"a JSON object that is no S3 notification (keys: {keys})")


def _unwrap_sns(message: Any, envelopes: int) -> Delivery:
    """An SNS notification's ``Message``: the S3 notification (or EventBridge event) it carries."""
    if envelopes >= _MAX_ENVELOPES or not isinstance(message, str):
        raise UnrecognizedMessageError("an SNS notification whose Message is no S3 notification")
    try:
        inner = parse_body(message, envelopes + 1)
    except UnrecognizedMessageError as error:
        raise UnrecognizedMessageError(f"an SNS notification carrying {error}") from None
    return Delivery(f"sns+{inner.shape}", inner.objects, inner.ignored, inner.removed)


def _merge(parts: list[Delivery]) -> Delivery:
    """Several SNS records of one direct invocation as one delivery."""
    objects = tuple(o for part in parts for o in part.objects)
    ignored = tuple(i for part in parts for i in part.ignored)
    removed = tuple(r for part in parts for r in part.removed)
    return Delivery("+".join(sorted({part.shape for part in parts})), objects, ignored, removed)


def _from_s3(event: S3Event) -> Delivery:
    objects: list[ObjectRef] = []
    ignored: list[Ignored] = []
    removed: list[RemovedObject] = []
    for record in event.records:
        key = unquote_plus(record.s3.get_object.key)  # keys arrive URL-encoded, spaces as "+"
        if record.event_name.startswith("ObjectRemoved"):
            version = None
            if record.event_name != S3_DELETE_MARKER:
                version = record.s3.get_object.version_id
            gone = _removed(record.s3.bucket.name, key, version, record.get("eventTime"))
            if isinstance(gone, Ignored):
                ignored.append(gone)
            else:
                removed.append(gone)
            continue
        if not record.event_name.startswith("ObjectCreated"):
            ignored.append(Ignored(f"S3 event {record.event_name}", key))
            continue
        size = record.s3.get_object.get("size")
        version = record.s3.get_object.version_id
        ref = _ref(record.s3.bucket.name, key, version, record.get("eventTime"), size)
        if isinstance(ref, Ignored):
            ignored.append(ref)
        else:
            objects.append(ref)
    return Delivery("s3", tuple(objects), tuple(ignored), tuple(removed))


def _from_eventbridge(event: S3EventBridgeNotificationEvent) -> Delivery:
    detail = event.detail
    key = detail.object.key  # powertools URL-decodes it
    if event.detail_type == EVENTBRIDGE_OBJECT_DELETED:
        version = None
        if detail.get("deletion-type") != EVENTBRIDGE_DELETE_MARKER:
            version = detail.object.get("version-id")
        gone = _removed(detail.bucket.name, key, version, event.time)
        if isinstance(gone, Ignored):
            return Delivery("eventbridge", ignored=(gone,))
        return Delivery("eventbridge", removed=(gone,))
    if event.detail_type != EVENTBRIDGE_OBJECT_CREATED:
        return Delivery("eventbridge", ignored=(Ignored(f"EventBridge {event.detail_type}", key),))
    version = detail.object.get("version-id")
    ref = _ref(detail.bucket.name, key, version, event.time, detail.object.size)
    if isinstance(ref, Ignored):
        return Delivery("eventbridge", ignored=(ref,))
    return Delivery("eventbridge", (ref,))


def _removed(bucket: str, key: str, version: Any, event_time: Any) -> RemovedObject | Ignored:
    """The deletion, unless of a folder marker (no article is stored for one)."""
    if key.endswith("/"):
        return Ignored("folder marker removed", key)
    return RemovedObject(
        bucket=bucket,
        key=key,
        version_id=str(version) if version and version != "null" else None,
        event_time=str(event_time) if event_time else None,
    )


def _ref(bucket: str, key: str, version: Any, event_time: Any, size: Any) -> ObjectRef | Ignored:
    """The object, unless it is a folder marker (a key ending in "/" with no bytes)."""
    if key.endswith("/") and not size:
        return Ignored("folder marker", key)
    return ObjectRef(
        bucket=bucket,
        key=key,
        version_id=str(version) if version else None,
        event_time=str(event_time) if event_time else None,
        size=int(size) if size is not None else None,
    )
