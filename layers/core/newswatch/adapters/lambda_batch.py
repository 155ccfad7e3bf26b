"""Lambda's partial batch response for an SQS or DynamoDB stream batch: each record handled on its
own, and only the records that raised reported back (``batchItemFailures``), so that only they
are retried (SQS) or the shard resumes from the first of them (streams). Needs
``ReportBatchItemFailures`` on the event source mapping (template.yaml).

This is what powertools' ``BatchProcessor`` and ``process_partial_response`` do for these two
sources, which the handlers used before. Importing that module costs every cold start more than
its job is worth: it imports ``asyncio`` (for its async processor) and the data classes of all 34
event sources it knows, 20-40 ms on top of boto3's 180 ms (bench/cold_layer.py). A handler's own
errors are logged by the handler itself, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypedDict


class BatchItemFailure(TypedDict):
    itemIdentifier: str


class PartialBatchResponse(TypedDict):
    batchItemFailures: list[BatchItemFailure]


def sqs_batch(
    records: Iterable[Mapping[str, Any]], handle: Callable[[Mapping[str, Any]], object]
) -> PartialBatchResponse:
    """``handle`` each SQS message; the failed ones are reported by message id."""
    return _partial(records, handle, lambda record: str(record["messageId"]))


def stream_batch(
    records: Iterable[Mapping[str, Any]], handle: Callable[[dict[str, Any] | None], object]
) -> PartialBatchResponse:
    """``handle`` each DynamoDB stream record's new image, as it came (DynamoDB JSON; None when
    the record has none); the failed ones are reported by sequence number."""
    return _partial(
        records,
        lambda record: handle((record.get("dynamodb") or {}).get("NewImage")),
        lambda record: str(record["dynamodb"]["SequenceNumber"]),
    )


def _partial(
    records: Iterable[Mapping[str, Any]],
    handle: Callable[[Mapping[str, Any]], object],
    identify: Callable[[Mapping[str, Any]], str],
) -> PartialBatchResponse:
    """Call ``handle`` on every record, in order; report each one that raised by ``identify``.

    An exception does not stop the batch: the records after it are still handled, as
    powertools' processor does (a stream resumes from the first failure, so later records may be
    handled twice: the alert use case is idempotent)."""
    failures: list[BatchItemFailure] = []
    for record in records:
        try:
            handle(record)
        except Exception:
            failures.append({"itemIdentifier": identify(record)})
    return {"batchItemFailures": failures}
