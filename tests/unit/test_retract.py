"""Deletions read from every notification shape, and the retract use case over the fakes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeClock, FakeSource, FakeTable

from newswatch.adapters.s3_events import RemovedObject, parse_payload
from newswatch.composition import build_analyzer
from newswatch.domain.errors import NothingStoredYetError
from newswatch.domain.records import entry_keys
from newswatch.settings import Settings
from newswatch.usecases.ingest import ingest_object
from newswatch.usecases.retract import retract_object

EVENTS = Path(__file__).resolve().parents[2] / "events"
BUCKET = "articles"


def event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return data


def s3_removal(name: str, version: str | None = "v7") -> dict[str, Any]:
    payload = event("s3-put.json")
    record = payload["Records"][0]
    record["eventName"] = name
    record["s3"]["object"].pop("versionId", None)
    if version:
        record["s3"]["object"]["versionId"] = version
    return payload


def test_s3_deletions_name_the_version_deleted_for_good_or_the_whole_key() -> None:
    marker = parse_payload(s3_removal("ObjectRemoved:DeleteMarkerCreated"))
    [gone] = marker.removed
    assert (gone.key, gone.version_id) == ("seeds/jeddah-ceasefire-talks.txt", None)
    assert marker.objects == () and marker.ignored == ()
    [one] = parse_payload(s3_removal("ObjectRemoved:Delete")).removed
    assert one.version_id == "v7"
    [unversioned] = parse_payload(s3_removal("ObjectRemoved:Delete", version=None)).removed
    assert unversioned.version_id is None


def test_eventbridge_and_sns_deliver_deletions_too() -> None:
    bridge = event("eventbridge-s3-object-created.json") | {"detail-type": "Object Deleted"}
    bridge["detail"] = bridge["detail"] | {"deletion-type": "Delete Marker Created"}
    [gone] = parse_payload(bridge).removed
    assert gone.version_id is None and gone.event_time == bridge["time"]
    bridge["detail"]["deletion-type"] = "Permanently Deleted"
    bridge["detail"]["object"] = bridge["detail"]["object"] | {"version-id": "v3"}
    assert parse_payload(bridge).removed[0].version_id == "v3"
    wrapped = {
        "Type": "Notification",
        "Message": json.dumps(s3_removal("ObjectRemoved:DeleteMarkerCreated")),
    }
    delivery = parse_payload(wrapped)
    assert delivery.shape == "sns+s3"
    assert delivery.work == delivery.removed and len(delivery.removed) == 1
    assert isinstance(delivery.removed[0], RemovedObject)


@pytest.fixture
def stored(seed_bytes: bytes) -> FakeTable:
    source, table = FakeSource(), FakeTable()
    source.put(BUCKET, "news/jeddah.txt", seed_bytes, "v1")
    outcome = ingest_object(
        BUCKET,
        "news/jeddah.txt",
        "v1",
        "2026-11-29T18:00:00.000Z",
        None,
        source=source,
        store=table,
        analyzer=build_analyzer(),
        settings=Settings(watched_topics=("ceasefire",)),
        near_index=table,
        clock=FakeClock(),
    )
    assert outcome.status == "processed"
    return table


def retract(table: FakeTable, version: str | None, at: str = "2026-11-29T19:00:00.000Z") -> Any:
    return retract_object(BUCKET, "news/jeddah.txt", version, at, store=table, clock=FakeClock())


def test_a_retraction_marks_the_article_and_removes_its_entries(stored: FakeTable) -> None:
    [article] = stored.articles()
    keys = entry_keys(article)
    assert keys and all(stored.get(*key) for key in keys)
    outcome = retract(stored, None)
    assert (outcome.status, outcome.retracted, outcome.entries_removed) == (
        "retracted",
        ("v#v1",),
        len(keys),
    )
    assert not any(stored.get(*key) for key in keys)
    assert stored.articles()[0]["status"] == "retracted"
    assert stored.of_type("content") == []
    # The alert's claim needs a processed article.
    assert stored.claim_alert(article["pk"], article["sk"], "t", 0, 60) == "done"
    again = retract(stored, None)
    assert (again.status, again.retracted, again.already) == ("retracted", (), ("v#v1",))


def test_what_a_deletion_covers(stored: FakeTable) -> None:
    # a delete marker older than the upload covers nothing stored: retried until it does
    with pytest.raises(NothingStoredYetError, match="no stored article"):
        retract(stored, None, at="2026-11-29T17:00:00.000Z")
    # a version no article has (a delete marker removed): acknowledged, nothing changes
    assert retract(stored, "marker-version").status == "not_stored"
    assert stored.articles()[0]["status"] == "processed"
    assert retract(stored, "v1").retracted == ("v#v1",)


def test_a_backfill_leaves_a_retracted_article_retracted(
    stored: FakeTable, seed_bytes: bytes
) -> None:
    from newswatch.usecases.reprocess import reprocess_object

    source = FakeSource()
    source.put(BUCKET, "news/jeddah.txt", seed_bytes, "v1")  # still there as a version
    retract(stored, None)
    outcome = reprocess_object(
        BUCKET,
        "news/jeddah.txt",
        "v1",
        source=source,
        store=stored,
        analyzer=build_analyzer(),
        settings=Settings(watched_topics=("ceasefire",)),
        clock=FakeClock(),
    )
    assert (outcome.status, outcome.stored_status) == ("already_stored", "retracted")
    assert stored.articles()[0]["status"] == "retracted"


def test_a_copy_whose_original_was_retracted_is_listed_again_by_a_backfill(
    stored: FakeTable, seed_bytes: bytes
) -> None:
    from newswatch.usecases.reprocess import reprocess_object

    source = FakeSource()
    source.put(BUCKET, "copy/jeddah.txt", seed_bytes, "v9")
    settings = Settings(watched_topics=("ceasefire",))
    copy = ingest_object(
        BUCKET, "copy/jeddah.txt", "v9", "2026-11-29T18:30:00.000Z", None,
        source=source, store=stored, analyzer=build_analyzer(), settings=settings,
        near_index=stored, clock=FakeClock(),
    )  # fmt: skip
    assert copy.status == "duplicate"
    [original] = [a for a in stored.articles() if a["key"] == "news/jeddah.txt"]
    original.update(alert_state="sent", alert_topics=["ceasefire"], alert_message_id="m-1")
    stored.items[(original["pk"], original["sk"])].update(original)
    retract(stored, None)  # the original is deleted; the copy stays in the bucket

    outcome = reprocess_object(
        BUCKET, "copy/jeddah.txt", "v9",
        source=source, store=stored, analyzer=build_analyzer(), settings=settings,
        clock=FakeClock(),
    )  # fmt: skip
    assert (outcome.status, outcome.stored_status) == ("reprocessed", "duplicate")
    item = stored.get(copy.pk, copy.sk)
    assert item is not None and item["status"] == "processed"
    assert all(stored.get(*key) for key in entry_keys(item))  # listed by topic and place again
    # Its subscribers were told by the original's alert: nothing new to send.
    assert (item["alert_state"], item["alert_message_id"]) == ("sent", "m-1")
