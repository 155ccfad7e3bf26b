"""AlertFunction: ArticlesTable stream records (new images of processed articles) -> at most one
SNS alert per article, for the watched topics (:mod:`newswatch.usecases.alert`).

The event source mapping passes only images of pending processed articles; anything else that
arrives is ignored by the use case, including the MODIFY images of its own claim updates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)

from newswatch.composition import LocalContext, alert_function, metrics_namespace
from newswatch.usecases.alert import (
    OUTCOME_METRICS,
    AlertInProgressError,
    AlertOutcome,
    AlertPublishError,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
        DynamoDBRecord,
    )

logger = Logger()
# No powertools Tracer: its X-Ray SDK costs 0.23 s of every cold start (`Tracing: Active` stays).
metrics = Metrics(namespace=metrics_namespace())
processor = BatchProcessor(
    event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False
)


def record_handler(record: DynamoDBRecord, lambda_context: Any = None) -> AlertOutcome | None:
    # The wire image, read by our codec: the stored topics come back as the tagger's TopicTags.
    wire = record.dynamodb.raw_event.get("NewImage") if record.dynamodb else None
    if not wire:
        metrics.add_metric(name="AlertRecordsIgnored", unit=MetricUnit.Count, value=1)
        return None
    function = alert_function()
    image = function.article(wire)
    logger.set_correlation_id(str(image.get("key", "")))
    logger.append_keys(bucket=image.get("bucket"), version_id=image.get("version_id"))
    remaining = getattr(lambda_context, "get_remaining_time_in_millis", None)
    try:
        outcome = function.alert(image, remaining() if remaining else None)
    except AlertPublishError:
        metrics.add_metric(name="AlertPublishFailed", unit=MetricUnit.Count, value=1)
        logger.exception("alert publish failed; the record will be retried")
        raise
    except AlertInProgressError:
        metrics.add_metric(name="AlertsInProgress", unit=MetricUnit.Count, value=1)
        logger.warning("another invocation holds this alert's claim; the record will be retried")
        raise
    except Exception:
        metrics.add_metric(name="AlertErrors", unit=MetricUnit.Count, value=1)
        logger.exception("alert failed; the record will be retried")
        raise
    metrics.add_metric(name=OUTCOME_METRICS[outcome.status], unit=MetricUnit.Count, value=1)
    if outcome.status == "published" and not outcome.marked:
        metrics.add_metric(name="AlertMarkFailed", unit=MetricUnit.Count, value=1)
    logger.info("alert %s", outcome.status, extra=outcome.log_fields())
    return outcome


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def _handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )


def lambda_handler(event: dict[str, Any], context: Any = None) -> PartialItemFailureResponse:
    # The local pollers and tests may pass no context; powertools needs one.
    result: PartialItemFailureResponse = _handler(event, context or LocalContext())
    return result
