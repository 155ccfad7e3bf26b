"""AlertFunction: ArticlesTable stream records (new images of processed articles) -> at most one
SNS alert per article, for the watched topics (:mod:`newswatch.usecases.alert`).

The event source mapping passes only images of pending processed articles; anything else that
arrives is ignored by the use case, including the MODIFY images of its own claim updates.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from newswatch.composition import (
    LocalContext,
    alert_function,
    metrics_namespace,
    stream_batch,
)
from newswatch.usecases.alert import (
    OUTCOME_METRICS,
    AlertInProgressError,
    AlertOutcome,
    AlertPublishError,
)

logger = Logger()
# No powertools Tracer: its X-Ray SDK costs 0.23 s of every cold start (`Tracing: Active` stays).
metrics = Metrics(namespace=metrics_namespace())


def record_handler(wire: dict[str, Any] | None, lambda_context: Any = None) -> AlertOutcome | None:
    # The wire image, read by our codec: the stored topics come back as the tagger's TopicTags.
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
def _handler(event: dict[str, Any], context: Any) -> Any:
    return stream_batch(event["Records"], lambda wire: record_handler(wire, context))


def lambda_handler(event: dict[str, Any], context: Any = None) -> Any:
    # The local pollers and tests may pass no context; powertools needs one.
    return _handler(event, context or LocalContext())
