"""DigestFunction: on a schedule, one digest per topic of the articles since that topic's last
digest, published to the alerts topic with ``kind = digest``. The work is in
:func:`newswatch.digests.send_digests`."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from newswatch.adapters.archive import Archive
from newswatch.adapters.lambda_context import LocalContext
from newswatch.adapters.sns import SnsAlertPublisher
from newswatch.digests import DynamoDigestMarks, send_digests
from newswatch.domain.places import load_gazetteer
from newswatch.domain.taxonomy import load_taxonomy
from newswatch.settings import Settings

logger = Logger()
# No powertools Tracer: it imports the X-Ray SDK (about 0.23 s, half a bare `import boto3`) on
# every cold start. `Tracing: Active` in template.yaml still traces each invocation (init,
# invocation, errors) without the SDK; only per-call subsegments of AWS requests are lost.
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "newswatch")


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def _handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = Settings.from_env()
    dynamodb = boto3.client("dynamodb")
    results = send_digests(
        archive=Archive(dynamodb, settings.table_name),
        marks=DynamoDigestMarks(dynamodb, settings.table_name),
        publisher=SnsAlertPublisher(boto3.client("sns"), settings.topic_arn),
        # Every topic of the taxonomy: subscribers may follow digests of unwatched topics too.
        topics=load_taxonomy(settings.taxonomy_path).labels,
        now=datetime.now(UTC),
        # Articles are read only when the hourly cap may have held alerts back.
        held_lookup=settings.max_alerts_per_topic_per_hour > 0,
        # The claim outlives this invocation only if it dies: Lambda's retry then takes it over.
        lease=timedelta(milliseconds=context.get_remaining_time_in_millis() + 2000),
        # Every country: a digest goes out for each one with articles since its last digest.
        places=load_gazetteer().countries,
    )
    sent = [r for r in results if r.message_id]
    metrics.add_metric(name="DigestsPublished", unit=MetricUnit.Count, value=len(sent))
    digests = [
        {"topic": r.topic, "articles": r.articles, **({"place": r.place} if r.place else {})}
        for r in sent
    ]
    logger.info("digests sent", extra={"digests": digests})
    return {"digests": digests}


def lambda_handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    result: dict[str, Any] = _handler(event, context if context is not None else LocalContext())
    return result
