"""IngestFunction: S3 ObjectCreated notifications (via SQS, or a plain S3 event for ``sam local
invoke``) -> one stored article item per object version (:mod:`newswatch.usecases.ingest`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)

from newswatch.composition import LocalContext, ingest_function, metrics_namespace
from newswatch.usecases.ingest import IngestOutcome, OutOfTimeError
from newswatch.usecases.notifications import ObjectRef, created_objects

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

logger = Logger()
# No powertools Tracer: its X-Ray SDK costs 0.23 s of every cold start (`Tracing: Active` stays).
metrics = Metrics(namespace=metrics_namespace())
# Report every failed message, even when the whole batch failed: SQS retries exactly those.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def ingest(notification: dict[str, Any]) -> Iterator[IngestOutcome]:
    for ref in created_objects(notification):
        if not isinstance(ref, ObjectRef):
            logger.info(ref)  # a test event or a folder marker
            metrics.add_metric(name="NotificationsIgnored", unit=MetricUnit.Count, value=1)
            continue
        logger.set_correlation_id(ref.key)
        logger.append_keys(bucket=ref.bucket, version_id=ref.version_id)
        try:
            outcome = ingest_function().ingest(ref)
        except Exception as error:
            # Out of time (judged in a fresh invocation) or transient (5xx, throttling): retried.
            if isinstance(error, OutOfTimeError):
                metrics.add_metric(name="ArticlesDeferred", unit=MetricUnit.Count, value=1)
                logger.warning("no time left in this invocation; the article will be retried")
            else:
                metrics.add_metric(name="IngestErrors", unit=MetricUnit.Count, value=1)
                logger.exception("ingest failed; the message will be retried")
            raise
        metrics.add_metric(name=outcome.metric, unit=MetricUnit.Count, value=1)
        if outcome.near_duplicate_of:
            metrics.add_metric(name="ArticlesNearDuplicate", unit=MetricUnit.Count, value=1)
        if outcome.error_code:
            with single_metric(
                outcome.metric, MetricUnit.Count, 1, namespace=metrics.namespace
            ) as m:
                m.add_dimension(name="error_code", value=outcome.error_code)
        logger.info("article %s", outcome.status, extra=outcome.log_fields())
        yield outcome


def record_handler(record: SQSRecord) -> list[str]:
    try:
        notification = json.loads(record.body)
    except ValueError:
        # Not from S3: retried, then dead-lettered where `newswatch redrive` can show it.
        metrics.add_metric(name="IngestBadMessages", unit=MetricUnit.Count, value=1)
        logger.exception("message %s is not an S3 notification", record.message_id)
        raise
    return [outcome.status for outcome in ingest(notification)]


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def _handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse | dict[str, Any]:
    ingest_function().start_invocation(context)  # each article's budget is cut from what is left
    records = event.get("Records") or []
    if records and records[0].get("eventSource") == "aws:sqs":
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    # A plain S3 event (sam local invoke): errors propagate, so Lambda's async retry applies.
    return {"outcomes": [{"key": o.key, "status": o.status} for o in ingest(event)]}


def lambda_handler(event: dict[str, Any], context: Any = None) -> Any:
    # The local pollers and tests may pass no context; powertools needs one.
    return _handler(event, context or LocalContext())
