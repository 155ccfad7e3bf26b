"""The partial batch response (newswatch/adapters/lambda_batch.py): every record handled, only the
failed ones reported, by the identifier their event source retries them by."""

from __future__ import annotations

from typing import Any

import pytest

from newswatch.adapters.lambda_batch import sqs_batch, stream_batch


def test_each_failed_sqs_message_is_reported_and_the_rest_of_the_batch_still_runs() -> None:
    seen: list[str] = []

    def handle(record: Any) -> None:
        seen.append(record["body"])
        if record["body"] in ("bad", "worse"):
            raise ValueError(record["body"])

    records = [
        {"messageId": f"m{i}", "body": body} for i, body in enumerate(["a", "bad", "b", "worse"])
    ]

    assert sqs_batch(records, handle) == {
        "batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m3"}]
    }
    assert seen == ["a", "bad", "b", "worse"]


def test_a_batch_that_all_succeeds_reports_nothing() -> None:
    assert sqs_batch([{"messageId": "m", "body": "x"}], lambda r: None) == {"batchItemFailures": []}


def test_stream_records_arrive_as_their_wire_images_and_failures_by_sequence_number() -> None:
    images: list[dict[str, Any] | None] = []

    def handle(image: dict[str, Any] | None) -> None:
        images.append(image)
        if image and image["key"] == {"S": "b.txt"}:
            raise RuntimeError("publish failed")

    def record(sequence: str, image: dict[str, Any] | None) -> dict[str, Any]:
        change: dict[str, Any] = {"SequenceNumber": sequence, "Keys": {"pk": {"S": "x"}}}
        if image is not None:
            change["NewImage"] = image
        return {"eventName": "INSERT", "dynamodb": change}

    records = [
        record("100", {"key": {"S": "a.txt"}, "score": {"N": "0.5"}, "tags": {"SS": ["aid"]}}),
        record("101", {"key": {"S": "b.txt"}}),
        record("102", None),  # a REMOVE, say: no new image
    ]

    assert stream_batch(records, handle) == {"batchItemFailures": [{"itemIdentifier": "101"}]}
    assert images == [
        {"key": {"S": "a.txt"}, "score": {"N": "0.5"}, "tags": {"SS": ["aid"]}},
        {"key": {"S": "b.txt"}},
        None,
    ]


def test_a_record_without_its_identifier_fails_the_invocation() -> None:
    # Not an SQS message at all: Lambda retries the whole batch rather than lose it.
    with pytest.raises(KeyError):
        sqs_batch([{"body": "x"}], lambda r: 1 / 0)
