"""DigestFunction: on a schedule, one digest per topic of the articles since that topic's last
digest, published to the alerts topic with ``kind = digest`` (:mod:`newswatch.usecases.digest`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from newswatch.composition import LocalContext, digest_function, metrics_namespace

logger = Logger()
# No powertools Tracer: its X-Ray SDK costs 0.23 s of every cold start (`Tracing: Active` stays).
metrics = Metrics(namespace=metrics_namespace())


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def _handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    sent = [
        r for r in digest_function().send(context.get_remaining_time_in_millis()) if r.message_id
    ]
    metrics.add_metric(name="DigestsPublished", unit=MetricUnit.Count, value=len(sent))
    digests = [
        {"topic": r.topic, "articles": r.articles, **({"place": r.place} if r.place else {})}
        for r in sent
    ]
    logger.info("digests sent", extra={"digests": digests})
    return {"digests": digests}


def lambda_handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    result: dict[str, Any] = _handler(event, context or LocalContext())
    return result
