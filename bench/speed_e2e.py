"""Speed, end to end: N uploads to the local stack (newswatch_tools.local), articles per minute
from the first upload to the last stored item, and per-article upload -> stored and upload ->
alert latencies (median, p95) from the items' processed_at/alerted_at and the subscriber's
delivery timestamps; then paced uploads on the same stack, without a queue ahead."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from speed_env import REPO
from speed_stats import epoch, summarize_latencies


def phase_figures(settled: Any, uploaded: Mapping[str, float], subscriber: str) -> dict[str, Any]:
    """Throughput and per-article latencies of one batch of uploads, from its settled items
    (processed_at, alerted_at) and the subscriber's deliveries (SNS timestamps)."""
    items = {str(item["key"]): item for item in settled.items if item.get("key") in uploaded}
    stored_at = {
        k: epoch(str(i["processed_at"])) for k, i in items.items() if i.get("processed_at")
    }
    alerted_at = {k: epoch(str(i["alerted_at"])) for k, i in items.items() if i.get("alerted_at")}
    delivered_at: dict[str, float] = {}
    for delivery in settled.deliveries.get(subscriber, []):
        key, stamp = delivery.get("key"), delivery.get("timestamp")
        if key in uploaded and stamp:
            delivered_at.setdefault(str(key), epoch(str(stamp)))
    first = min(uploaded.values())
    span = max(stored_at.values()) - first if stored_at else 0.0
    statuses: dict[str, int] = {}
    for item in items.values():
        statuses[str(item.get("status"))] = statuses.get(str(item.get("status")), 0) + 1
    return {
        "uploads": len(uploaded),
        "upload_seconds": round(max(uploaded.values()) - first, 2),
        "stored": len(stored_at),
        "statuses": dict(sorted(statuses.items())),
        "settled": settled.complete,
        "missing": [k for k in settled.missing if k in uploaded][:10],
        "articles_per_minute": round(60 * len(stored_at) / span, 1) if span else None,
        "first_upload_to_last_stored_s": round(span, 2),
        "upload_to_stored": summarize_latencies([stored_at[k] - uploaded[k] for k in stored_at]),
        "upload_to_alerted_at": summarize_latencies(
            [alerted_at[k] - uploaded[k] for k in alerted_at]
        ),
        "upload_to_delivery": summarize_latencies(
            [delivered_at[k] - uploaded[k] for k in delivered_at]
        ),
        "stored_to_alerted_at": summarize_latencies(
            [alerted_at[k] - stored_at[k] for k in alerted_at if k in stored_at]
        ),
        "alerts_sent": len(alerted_at),
        "deliveries": len(delivered_at),
    }


def bench_e2e(
    count: int, data_dir: Path, timeout: float, paced: int, interval: float
) -> dict[str, Any]:
    """``count`` uploads in a burst, then (same stack, once the burst has settled) ``paced``
    more, one every ``interval`` seconds: the latency an article sees without a queue ahead."""
    from newswatch.settings import Settings
    from newswatch.usecases.alert import alert_policy
    from newswatch_tools.local.loadtest import build_uploads
    from newswatch_tools.local.runs import wait_until_settled
    from newswatch_tools.local.spec import load_spec
    from newswatch_tools.local.stack import LocalStack
    from newswatch_tools.local.subscribers import Subscriber

    uploads, source = build_uploads(count + paced, data_dir if data_dir.is_dir() else None)
    settings = Settings.from_env(load_spec(REPO).alert.environment)
    audit = Subscriber("all-watched", "email", alert_policy(settings).labels)
    result: dict[str, Any] = {"source": source, "load_before": round(os.getloadavg()[0], 2)}
    with LocalStack(REPO, write_state=False, subscribers=(audit,)) as stack:
        result["ingest_workers"] = stack.ingest_workers or (
            stack.spec.ingest_source.max_concurrency if stack.spec else None
        )
        for phase, batch, gap in (
            ("burst", uploads[:count], 0.0),
            ("paced", uploads[count:], interval),
        ):
            if not batch:
                continue
            uploaded: dict[str, float] = {}
            started = time.monotonic()
            for index, upload in enumerate(batch):
                if gap:
                    time.sleep(max(0.0, started + index * gap - time.monotonic()))
                extra = {"ContentType": upload.content_type} if upload.content_type else {}
                stack.s3.put_object(Bucket=stack.bucket, Key=upload.key, Body=upload.body, **extra)  # type: ignore[arg-type]
                uploaded[upload.key] = time.time()
            settled = wait_until_settled(stack, list(uploaded), timeout, poll_seconds=0.5)
            result[phase] = phase_figures(settled, uploaded, audit.name)
            if gap:
                result[phase]["interval_s"] = gap
    result["load_after"] = round(os.getloadavg()[0], 2)
    return result
