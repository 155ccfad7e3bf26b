"""IngestFunction: S3 "object created" deliveries (an SQS batch as deployed; S3, EventBridge or SNS
invoking it directly) -> one stored article item per object version; "object removed" ones -> its
articles retracted. A message that is no such delivery fails (metric IngestBadMessages), never
acknowledged silently. Work: newswatch.usecases."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from newswatch.composition import (
    LocalContext,
    NothingStoredYetError,
    ObjectRef,
    OutOfTimeError,
    RemovedObject,
    UnrecognizedMessageError,
    ingest_function,
    metrics_namespace,
    read_delivery,
    sqs_batch,
)

if TYPE_CHECKING:  # the use case is imported by the first record (cold start: bench/cold_layer.py)
    from newswatch.usecases.ingest import IngestOutcome
    from newswatch.usecases.retract import RetractOutcome

    Outcome = IngestOutcome | RetractOutcome

logger = Logger()
# No powertools Tracer: its X-Ray SDK costs 0.23 s of every cold start (`Tracing: Active` stays).
metrics = Metrics(namespace=metrics_namespace())


def ingest(payload: Any, message_id: str | None, *, body: bool = False) -> list[Outcome]:
    try:
        delivery = read_delivery(payload, body=body)
    except UnrecognizedMessageError as error:
        metrics.add_metric(name="IngestBadMessages", unit=MetricUnit.Count, value=1)
        # Reported failed: retried, then dead-lettered where `newswatch redrive` shows it.
        text = "message %s is not an S3 object-created or -removed notification (%s)"
        logger.error(text, message_id, error, extra={"message_id": message_id})
        raise
    for ignored in delivery.ignored:
        extra = {"message_id": message_id, "shape": delivery.shape, "key": ignored.key}
        logger.info("ignoring %s", ignored.reason, extra=extra)
        metrics.add_metric(name="NotificationsIgnored", unit=MetricUnit.Count, value=1)
    return [ingest_one(ref) for ref in delivery.work]


def ingest_one(ref: ObjectRef | RemovedObject) -> Outcome:
    logger.set_correlation_id(ref.key)
    logger.append_keys(bucket=ref.bucket, version_id=ref.version_id)
    function = ingest_function()
    try:
        outcome = function.retract(ref) if isinstance(ref, RemovedObject) else function.ingest(ref)
    except (OutOfTimeError, NothingStoredYetError) as error:
        metrics.add_metric(name="ArticlesDeferred", unit=MetricUnit.Count, value=1)
        logger.warning("%s; the message will be retried", error)  # not the file's fault
        raise
    except Exception:  # transient (5xx, throttling): retried
        metrics.add_metric(name="IngestErrors", unit=MetricUnit.Count, value=1)
        logger.exception("ingest failed; the message will be retried")
        raise
    metrics.add_metric(name=outcome.metric, unit=MetricUnit.Count, value=1)
    if outcome.near_duplicate_of:
        metrics.add_metric(name="ArticlesNearDuplicate", unit=MetricUnit.Count, value=1)
    if outcome.error_code:
        with single_metric(outcome.metric, MetricUnit.Count, 1, namespace=metrics.namespace) as m:
            m.add_dimension(name="error_code", value=outcome.error_code)
    logger.info("article %s", outcome.status, extra=outcome.log_fields())
    return outcome


def record_handler(record: Mapping[str, Any]) -> list[str]:
    return [o.status for o in ingest(record["body"], record.get("messageId"), body=True)]


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def _handler(event: dict[str, Any], context: Any) -> Any:
    ingest_function().start_invocation(context)  # each article's budget is cut from what is left
    records = event.get("Records") or []
    if records and records[0].get("eventSource") == "aws:sqs":
        # Every failed message reported, even when all failed: SQS retries exactly those.
        return sqs_batch(records, record_handler)
    # Invoked directly (S3, EventBridge, SNS; sam local invoke): errors propagate, so Lambda's
    # asynchronous retries and failure destination apply.
    event_id = event.get("id") if isinstance(event, dict) else None
    if records == [] and "Records" in event:
        return {"outcomes": []}  # an empty batch (Lambda never sends one; tools and tests may)
    return {"outcomes": [{"key": o.key, "status": o.status} for o in ingest(event, event_id)]}


def lambda_handler(event: dict[str, Any], context: Any = None) -> Any:
    # The local pollers and tests may pass no context; powertools needs one.
    return _handler(event, context or LocalContext())
