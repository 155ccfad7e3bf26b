"""IngestFunction: S3 "object created" deliveries -> one stored article item per object version.

An SQS batch (as deployed) goes through powertools' BatchProcessor, one message at a time; any
other event (a plain S3 event for ``sam local invoke``, EventBridge or SNS invoking the function
directly) is handled whole. :mod:`newswatch.adapters.s3_events` reads every delivery shape; a
message it does not recognise is a failed message (ERROR log with its id, metric
IngestBadMessages), never acknowledged silently. The work is in
:func:`newswatch.service.ingest_object`. The text engine is built on the first record, not at
import, so a cold start pays for boto3 and powertools only.
"""

from __future__ import annotations

import functools
import os
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)

from newswatch.adapters.dynamodb import DynamoArticleStore
from newswatch.adapters.lambda_context import LocalContext
from newswatch.adapters.s3 import S3ArticleSource
from newswatch.adapters.s3_events import (
    Delivery,
    ObjectRef,
    UnrecognizedMessageError,
    parse_body,
    parse_payload,
)
from newswatch.domain.errors import OutOfTimeError
from newswatch.service import ALREADY_STORED, IngestOutcome, ingest_object
from newswatch.settings import Settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from newswatch.budget import BudgetedAnalyzer

NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "newswatch"

logger = Logger()
# No powertools Tracer: it imports the X-Ray SDK (about 0.23 s, half a bare `import boto3`) on
# every cold start. `Tracing: Active` in template.yaml still traces each invocation (init,
# invocation, errors) without the SDK; only per-call subsegments of AWS requests are lost.
metrics = Metrics(namespace=NAMESPACE)
# Report every failed message, even when the whole batch failed, instead of raising: SQS retries
# exactly the listed messages either way, and the response says which ones.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

OUTCOME_METRICS = {
    "processed": "ArticlesProcessed",
    "failed": "ArticlesFailed",
    "duplicate": "ArticlesDuplicate",
    "skipped": "ArticlesSkipped",
    ALREADY_STORED: "DeliveriesAlreadyStored",
}


@dataclass
class _Dependencies:
    settings: Settings
    source: S3ArticleSource
    store: DynamoArticleStore
    pipeline: BudgetedAnalyzer | None = None


@functools.cache
def dependencies() -> _Dependencies:
    """Clients once per execution environment, created on first use."""
    settings = Settings.from_env()
    return _Dependencies(
        settings=settings,
        source=S3ArticleSource(boto3.client("s3")),
        store=DynamoArticleStore(boto3.client("dynamodb"), settings.table_name),
    )


def pipeline(deps: _Dependencies) -> BudgetedAnalyzer:
    if deps.pipeline is None:
        from newswatch.build import budgeted, build_pipeline_from_settings

        # Each article in a child process with its own time budget and memory ceiling.
        deps.pipeline = budgeted(build_pipeline_from_settings(deps.settings), deps.settings)
    return deps.pipeline


def refs(delivery: Delivery, message_id: str | None) -> tuple[ObjectRef, ...]:
    """The objects to ingest; what the delivery asks us to ignore is logged and counted."""
    for ignored in delivery.ignored:
        logger.info(
            "ignoring %s",
            ignored.reason,
            extra={"message_id": message_id, "shape": delivery.shape, "key": ignored.key},
        )
        metrics.add_metric(name="NotificationsIgnored", unit=MetricUnit.Count, value=1)
    return delivery.objects


def refuse(message_id: str | None, error: UnrecognizedMessageError) -> None:
    metrics.add_metric(name="IngestBadMessages", unit=MetricUnit.Count, value=1)
    logger.error(
        "message %s is not an S3 object-created notification (%s); it is reported failed, so it "
        "is retried and then dead-lettered",
        message_id,
        error,
        extra={"message_id": message_id},
    )


def count(outcome: IngestOutcome) -> None:
    metrics.add_metric(name=OUTCOME_METRICS[outcome.status], unit=MetricUnit.Count, value=1)
    if outcome.near_duplicate_of:
        metrics.add_metric(name="ArticlesNearDuplicate", unit=MetricUnit.Count, value=1)
    if outcome.error_code:
        with single_metric(
            name=OUTCOME_METRICS[outcome.status],
            unit=MetricUnit.Count,
            value=1,
            namespace=NAMESPACE,
        ) as metric:
            metric.add_dimension(name="error_code", value=outcome.error_code)


def ingest(ref: ObjectRef) -> IngestOutcome:
    logger.set_correlation_id(ref.key)
    logger.append_keys(bucket=ref.bucket, version_id=ref.version_id)
    deps = dependencies()
    analyzer = pipeline(deps)
    analyzer.last_usage = None
    try:
        outcome = ingest_object(
            ref.bucket,
            ref.key,
            ref.version_id,
            ref.event_time,
            ref.size,
            source=deps.source,
            store=deps.store,
            pipeline=analyzer,
            settings=deps.settings,
            near_index=deps.store,
        )
    except OutOfTimeError:
        # Too little of the invocation was left for this article: judged in a fresh one.
        metrics.add_metric(name="ArticlesDeferred", unit=MetricUnit.Count, value=1)
        logger.warning("no time left for the article in this invocation; it will be retried")
        raise
    except Exception:
        # Transient (throttling, 5xx, network): the message is retried, then dead-lettered.
        metrics.add_metric(name="IngestErrors", unit=MetricUnit.Count, value=1)
        logger.exception("ingest failed; the message will be retried")
        raise
    count(outcome)
    # Status, codes and topic labels only: the article's text never goes to the log.
    logger.info(
        "article %s",
        outcome.status,
        extra={
            "status": outcome.status,
            "version_id": outcome.version_id,
            "error_code": outcome.error_code,
            "reason": outcome.reason,
            "duplicate_of": outcome.duplicate_of,
            "near_duplicate_of": outcome.near_duplicate_of,
            "alert_only_topics": (
                list(outcome.alert_only_topics) if outcome.near_duplicate_of else None
            ),
            "topics": list(outcome.topics),
            "stored_status": outcome.stored_status,
            # What the article's analysis used (its child process), when it was analysed.
            "article_usage": asdict(analyzer.last_usage) if analyzer.last_usage else None,
        },
    )
    return outcome


def record_handler(record: SQSRecord) -> list[str]:
    try:
        delivery = parse_body(record.body)
    except UnrecognizedMessageError as error:
        refuse(record.message_id, error)
        raise
    return [ingest(ref).status for ref in refs(delivery, record.message_id)]


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def _handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse | dict[str, Any]:
    # Each article's budget is cut from what is left of this invocation and its memory.
    pipeline(dependencies()).start_invocation(
        context.get_remaining_time_in_millis, context.memory_limit_in_mb
    )
    records = event.get("Records") or []
    if records and records[0].get("eventSource") == "aws:sqs":
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    # Invoked directly (S3, EventBridge, SNS; sam local invoke): errors propagate, so Lambda's
    # asynchronous retries and failure destination apply.
    event_id = event.get("id") if isinstance(event, dict) else None
    try:
        delivery = parse_payload(event)
    except UnrecognizedMessageError as error:
        refuse(event_id, error)
        raise
    outcomes = [ingest(ref) for ref in refs(delivery, event_id)]
    return {"outcomes": [{"key": o.key, "status": o.status} for o in outcomes]}


def lambda_handler(
    event: dict[str, Any], context: Any = None
) -> PartialItemFailureResponse | dict[str, Any]:
    # The local pollers and tests may pass no context; powertools needs one.
    result: PartialItemFailureResponse | dict[str, Any] = _handler(
        event, context if context is not None else LocalContext()
    )
    return result
