"""AlertFunction: ArticlesTable stream records (new images of processed articles) -> at most one
SNS alert per article, carrying every topic at or above its alert threshold.

The work is in :func:`newswatch.service.alert_record`. The event source mapping is expected to
pass only INSERTs of processed article items; anything else that arrives is ignored by the service,
including the MODIFY images of its own ``sending``/``sent`` updates.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from boto3.dynamodb.types import TypeDeserializer
from botocore.config import Config

from newswatch.adapters.dynamodb import DynamoArticleStore
from newswatch.adapters.lambda_context import LocalContext
from newswatch.adapters.links import PresignedLinker, PublicLinker, article_linker
from newswatch.adapters.sns import SnsAlertPublisher
from newswatch.service import (
    AlertInProgressError,
    AlertOutcome,
    AlertPublishError,
    alert_record,
)
from newswatch.settings import Settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
        DynamoDBRecord,
    )

NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "newswatch"
# Seconds kept back from the invocation's remaining time when sizing the claim lease.
LEASE_MARGIN_SECONDS = 2

OUTCOME_METRICS = {
    "published": "AlertsPublished",
    "held": "AlertsHeld",
    "not_watched": "AlertsNotWatched",
    "already_done": "AlertsAlreadyDone",
    "ignored": "AlertRecordsIgnored",
}

logger = Logger()
# No powertools Tracer: it imports the X-Ray SDK (about 0.23 s, half a bare `import boto3`) on
# every cold start. `Tracing: Active` in template.yaml still traces each invocation (init,
# invocation, errors) without the SDK; only per-call subsegments of AWS requests are lost.
metrics = Metrics(namespace=NAMESPACE)
processor = BatchProcessor(
    event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False
)
_deserializer = TypeDeserializer()


@dataclass
class _Dependencies:
    settings: Settings
    store: DynamoArticleStore
    publisher: SnsAlertPublisher
    linker: PresignedLinker | PublicLinker


@functools.cache
def dependencies() -> _Dependencies:
    """Clients once per execution environment, created on first use."""
    settings = Settings.from_env()
    return _Dependencies(
        settings=settings,
        store=DynamoArticleStore(boto3.client("dynamodb"), settings.table_name),
        publisher=SnsAlertPublisher(boto3.client("sns"), settings.topic_arn),
        # SigV4 (what allows a 7-day link); signing is local, no request to S3.
        linker=article_linker(
            settings, lambda: boto3.client("s3", config=Config(signature_version="s3v4"))
        ),
    )


def lease_seconds(context: Any) -> float | None:
    """Our claim must outlive this invocation, and no more: a dead claimer's lease then expires."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    return float(remaining()) / 1000 + LEASE_MARGIN_SECONDS


def record_handler(record: DynamoDBRecord, lambda_context: Any = None) -> AlertOutcome | None:
    image = (record.raw_event.get("dynamodb") or {}).get("NewImage")
    if not image:
        metrics.add_metric(name="AlertRecordsIgnored", unit=MetricUnit.Count, value=1)
        return None
    item = {name: _deserializer.deserialize(value) for name, value in image.items()}
    logger.set_correlation_id(str(item.get("key", "")))
    logger.append_keys(bucket=item.get("bucket"), version_id=item.get("version_id"))
    deps = dependencies()
    try:
        outcome = alert_record(
            item,
            store=deps.store,
            publisher=deps.publisher,
            settings=deps.settings,
            lease_seconds=lease_seconds(lambda_context),
            linker=deps.linker,
        )
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
    logger.info(
        "alert %s",
        outcome.status,
        extra={
            "status": outcome.status,
            "topics": list(outcome.topics),
            "message_id": outcome.message_id,
            "held_topics": list(outcome.held_topics),
            "reason": outcome.reason,
        },
    )
    return outcome


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def _handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )


def lambda_handler(event: dict[str, Any], context: Any = None) -> PartialItemFailureResponse:
    # The local pollers and tests may pass no context; powertools needs one.
    result: PartialItemFailureResponse = _handler(
        event, context if context is not None else LocalContext()
    )
    return result
