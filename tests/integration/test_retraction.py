"""An article deleted from the bucket is retracted (IngestFunction on moto): out of the topic and
place listings, never alerted, kept as `retracted` in the archive; deliveries in any order."""

from __future__ import annotations

from typing import Any

import pytest
from awsstack import BUCKET, Stack, load_handler, s3_event, sqs_event

from newswatch.domain.records import article_pk

OK: dict[str, list[Any]] = {"batchItemFailures": []}
KEY = "news/jeddah.txt"
UPLOADED = "2026-11-29T18:00:00.000Z"
DELETED = "2026-11-29T19:00:00.000Z"


def upload(stack: Stack, body: bytes, event_time: str = UPLOADED) -> dict[str, Any]:
    event = stack.put(KEY, body, content_type="text/plain")
    event["Records"][0]["eventTime"] = event_time
    return event


def deletion(event_time: str = DELETED, version_id: str | None = None) -> dict[str, Any]:
    """What S3 sends for `aws s3 rm` on a versioned bucket (a delete marker), or, with a version,
    for a version deleted for good."""
    name = "ObjectRemoved:Delete" if version_id else "ObjectRemoved:DeleteMarkerCreated"
    return s3_event(KEY, version_id=version_id, event_time=event_time, event_name=name)


def content_claims(stack: Stack) -> list[dict[str, Any]]:
    return [i for i in stack.items() if i.get("type") == "content"]


def test_a_deleted_article_leaves_the_listings_and_never_alerts(
    stack: Stack, seed_bytes: bytes
) -> None:
    ingest = load_handler("ingest")
    assert ingest.lambda_handler(sqs_event(upload(stack, seed_bytes))) == OK
    pk = article_pk(BUCKET, KEY)
    assert stack.entries(pk) and stack.entries(pk, "place") and content_claims(stack)
    inserted = stack.stream_records()  # the alert is still pending when the deletion arrives

    stack.s3.delete_object(Bucket=BUCKET, Key=KEY)
    assert ingest.lambda_handler(sqs_event(deletion())) == OK

    [article] = stack.articles()
    assert (article["status"], article["retracted_from"]) == ("retracted", "processed")
    assert article["retracted_at"].endswith("Z")
    assert stack.entries(pk) == [] and stack.entries(pk, "place") == []
    assert content_claims(stack) == []
    # The stream's INSERT (processed, pending) reaches the alert function; it claims nothing.
    alert = load_handler("alert")
    assert alert.lambda_handler(stack.alert_batch(inserted)) == {"batchItemFailures": []}
    assert stack.received("email-ceasefire") == []
    assert stack.articles()[0]["alert_state"] == "pending"
    # The retraction's own stream record is no article to alert.
    assert stack.alert_batch()["Records"] == []

    # Redelivered: nothing changes, nothing fails.
    assert ingest.lambda_handler(sqs_event(deletion())) == OK
    assert stack.articles()[0]["status"] == "retracted"


def test_a_deletion_before_its_upload_is_retried_until_the_upload_is_stored(
    stack: Stack, seed_bytes: bytes
) -> None:
    ingest = load_handler("ingest")
    created = upload(stack, seed_bytes)
    stack.s3.delete_object(Bucket=BUCKET, Key=KEY)
    early = sqs_event(deletion(), message_ids=["delete-1"])
    # S3 does not deliver in order: the deletion first is a failed message, retried by SQS.
    assert ingest.lambda_handler(early) == {"batchItemFailures": [{"itemIdentifier": "delete-1"}]}
    assert ingest.lambda_handler(sqs_event(created)) == OK
    assert stack.articles()[0]["status"] == "processed"
    assert ingest.lambda_handler(early) == OK
    assert stack.articles()[0]["status"] == "retracted"


def test_uploading_the_file_again_lists_it_again_without_a_second_alert(
    stack: Stack, seed_bytes: bytes
) -> None:
    ingest = load_handler("ingest")
    assert ingest.lambda_handler(sqs_event(upload(stack, seed_bytes))) == OK
    stack.s3.delete_object(Bucket=BUCKET, Key=KEY)
    assert ingest.lambda_handler(sqs_event(deletion())) == OK

    again = upload(stack, seed_bytes, event_time="2026-11-29T20:00:00.000Z")
    assert ingest.lambda_handler(sqs_event(again)) == OK
    # A late redelivery of the deletion retracts only what was uploaded before it.
    assert ingest.lambda_handler(sqs_event(deletion())) == OK

    by_status = {a["status"]: a for a in stack.articles()}
    assert set(by_status) == {"retracted", "processed"}
    restored = by_status["processed"]
    # Not a duplicate of the retracted copy (its claim on the bytes was released), but its
    # near-duplicate: listed again, and no watched topic is new, so no second alert.
    assert "duplicate_of" not in restored
    assert restored["near_duplicate_of"] == f"{by_status['retracted']['pk']}|" + str(
        by_status["retracted"]["sk"]
    )
    assert restored["alert_state"] == "none"
    assert stack.entries(article_pk(BUCKET, KEY))


def test_one_version_deleted_for_good_retracts_that_version_only(
    stack: Stack, seed_bytes: bytes
) -> None:
    ingest = load_handler("ingest")
    first = upload(stack, seed_bytes)
    second = upload(stack, seed_bytes + b"\n\nUpdated at 19:00.", "2026-11-29T18:30:00.000Z")
    assert ingest.lambda_handler(sqs_event(first, second)) == OK
    version = first["Records"][0]["s3"]["object"]["versionId"]
    stack.s3.delete_object(Bucket=BUCKET, Key=KEY, VersionId=version)

    assert ingest.lambda_handler(sqs_event(deletion(version_id=version))) == OK

    statuses = {a["version_id"]: a["status"] for a in stack.articles()}
    assert statuses[version] == "retracted"
    assert sorted(statuses.values()) == ["processed", "retracted"]


def test_removing_a_delete_marker_is_acknowledged(stack: Stack, seed_bytes: bytes) -> None:
    # S3 announces the removal of a delete marker (an undelete) as ObjectRemoved:Delete with the
    # marker's version, which no article has: nothing to retract, nothing to retry.
    ingest = load_handler("ingest")
    assert ingest.lambda_handler(sqs_event(upload(stack, seed_bytes))) == OK
    marker = stack.s3.delete_object(Bucket=BUCKET, Key=KEY)["VersionId"]
    assert ingest.lambda_handler(sqs_event(deletion(version_id=marker))) == OK
    assert stack.articles()[0]["status"] == "processed"


@pytest.mark.parametrize("shape", ["s3", "eventbridge"])
def test_a_folder_marker_removed_is_ignored(stack: Stack, shape: str) -> None:
    ingest = load_handler("ingest")
    if shape == "s3":
        body = s3_event("folder/", event_name="ObjectRemoved:Delete")
    else:
        body = {
            "version": "0",
            "id": "e-1",
            "detail-type": "Object Deleted",
            "source": "aws.s3",
            "time": DELETED,
            "region": "us-east-1",
            "resources": [f"arn:aws:s3:::{BUCKET}"],
            "detail": {
                "bucket": {"name": BUCKET},
                "object": {"key": "folder/"},
                "deletion-type": "Permanently Deleted",
            },
        }
    assert ingest.lambda_handler(sqs_event(body)) == OK
    assert stack.items() == []
