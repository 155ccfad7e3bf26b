"""What the ingest function receives: S3 ObjectCreated notifications (through SQS, or as a plain
S3 event), read into the object versions to ingest."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus


@dataclass(frozen=True)
class ObjectRef:
    bucket: str
    key: str
    version_id: str | None = None
    event_time: str | None = None
    size: int | None = None


def created_objects(notification: Mapping[str, Any]) -> Iterator[ObjectRef | str]:
    """The created objects an S3 notification names, and a reason for each entry that names none
    (``s3:TestEvent``, a folder marker); other event types are passed over in silence."""
    if notification.get("Event") == "s3:TestEvent":
        yield "ignoring s3:TestEvent"
        return
    for record in notification.get("Records") or ():
        if record.get("eventSource") != "aws:s3" or not str(record.get("eventName", "")).startswith(
            "ObjectCreated"
        ):
            continue
        obj = record["s3"]["object"]
        # Keys arrive URL-encoded, spaces as "+".
        key = unquote_plus(obj["key"])
        size = obj.get("size")
        if key.endswith("/") and not size:
            yield f"ignoring folder marker {key}"
            continue
        yield ObjectRef(
            bucket=record["s3"]["bucket"]["name"],
            key=key,
            version_id=obj.get("versionId") or None,
            event_time=record.get("eventTime"),
            size=int(size) if size is not None else None,
        )
