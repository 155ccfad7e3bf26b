"""Reprocess (``newswatch backfill``): analyse a stored object again after a taxonomy or engine
change and replace its record, without ever alerting twice."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from newswatch.domain.models import TopicTag
from newswatch.domain.neardup import new_watched_topics
from newswatch.domain.records import (
    ALERT_DECIDED,
    ALREADY_STORED,
    DUPLICATE,
    FAILED,
    FLAG_NEAR_DUPLICATE,
    MAX_REASON_CHARS,
    NEAR_FIELDS,
    PROCESSED,
    REPROCESSED,
    RETRACTED,
    analysis_fields,
    article_pk,
    article_sk,
    clip,
    entry_keys,
    split_ref,
    topic_items,
)
from newswatch.domain.timeutil import iso_utc
from newswatch.ports import (
    ArticleAnalyzer,
    ArticleSource,
    BackfillStore,
    Clock,
    IngestSettings,
    ObjectNotFoundError,
)
from newswatch.usecases.alert import alert_policy
from newswatch.usecases.ingest import IngestOutcome, IngestRun, analyze, ingest_object


def reprocess_object(
    bucket: str,
    key: str,
    version_id: str | None,
    *,
    source: ArticleSource,
    store: BackfillStore,
    analyzer: ArticleAnalyzer,
    settings: IngestSettings,
    clock: Clock | None = None,
) -> IngestOutcome:
    """Analyse a stored object again and replace its record.

    An object never stored goes through :func:`~newswatch.usecases.ingest.ingest_object`. A stored
    one keeps its upload time and, if its alert was already sent (or held back by the cap), its
    alert state: a backfill never alerts a topic twice, and alerts once for a watched topic the
    new analysis found that was never sent (:func:`rearm_for_new_topics`). An article that never
    alerted goes back to ``pending``, so the alert function decides again with the new topics.
    Duplicates stay duplicates of their original, unless it was retracted (deleted while the copy
    stayed): then the copy is analysed and listed in its place, told what its original's alert
    told. A retracted article stays retracted.
    """
    clock = clock or Clock()
    version = version_id
    if version is None:
        try:
            version = source.head(bucket, key, None).version_id
        except ObjectNotFoundError:
            version = None
    stored = store.get(article_pk(bucket, key), article_sk(version))
    if stored is None:
        return ingest_object(
            bucket, key, version, None, None,
            source=source, store=store, analyzer=analyzer, settings=settings, clock=clock,
        )  # fmt: skip
    run = IngestRun(
        bucket, key, version, uploaded_at=str(stored["uploaded_at"]), store=store, clock=clock
    )
    told: Mapping[str, Any] = stored  # what subscribers were told about this story
    if stored.get("status") == DUPLICATE:
        original = store.get(*split_ref(str(stored.get("duplicate_of") or "|")))
        if original is None or original.get("status") != RETRACTED:
            return run.outcome(ALREADY_STORED, stored_status=DUPLICATE)  # its original's
        # Its original was deleted from the bucket while this copy stayed: analysed again, the
        # copy is listed in its place, and alerts only for what the original's alert did not.
        told = original
    elif stored.get("status") == RETRACTED:
        return run.outcome(ALREADY_STORED, stored_status=RETRACTED)  # deleted from the bucket
    unchanged = run.outcome(ALREADY_STORED, stored_status=str(stored.get("status")))
    try:
        head = source.head(bucket, key, run.version)
        if head.size > settings.max_article_bytes:
            return unchanged  # still too large: the stored failure stands
        data = source.read(bucket, key, run.version, settings.max_article_bytes)
    except ObjectNotFoundError:
        return unchanged  # deleted since: nothing new can be learnt

    result = analyze(analyzer, data, run, head.content_type)
    if isinstance(result, tuple):
        code, reason = result
        item = run.item(FAILED, len(data))
        item.update(error_code=code, error=clip(reason, MAX_REASON_CHARS)[0])
        topics: list[TopicTag] = []
    else:
        fields, topics = analysis_fields(result)
        item = run.item(PROCESSED, len(data))
        item.update(fields)
        item["content_sha256"] = hashlib.sha256(data).hexdigest()
        item["alert_state"] = "pending"
        keep_near_duplicate(item, stored, alert_policy(settings).labels)
    if told.get("alert_places_sent") or (
        told.get("alert_state") == "sent" and not told.get("alert_topics")
    ):
        # A place alert went out (now or at an earlier backfill): its new topics may alert, as a
        # repeat for place-only subscribers (domain/place_alerts.py), who were told already.
        item["alert_places_sent"] = True
    if told.get("alert_state") in ALERT_DECIDED and told.get("alert_topics"):
        item.update({k: v for k, v in told.items() if k.startswith("alert")})
        rearm_for_new_topics(item, told, alert_policy(settings).labels)
    item["reprocessed_at"] = iso_utc(clock.now())
    store.replace_article(item, topic_items(item, topics), entry_keys(stored))
    return run.outcome(
        REPROCESSED if item["status"] == PROCESSED else FAILED,
        error_code=item.get("error_code"),
        reason=item.get("error"),
        topics=tuple(t.label for t in topics),
        stored_status=str(stored.get("status")),
    )


def rearm_for_new_topics(
    item: dict[str, Any], stored: Mapping[str, Any], watched: Sequence[str]
) -> None:
    """An article alerted for some topics that the new analysis finds watched topics it was
    never alerted for alerts again for those only (``alert_only_topics``, sent as a repeat so
    place-only subscribers are not told twice). ``alert_topics_before`` keeps every topic
    already sent, so no later backfill sends one again; a near-duplicate's earlier copies told
    their subscribers too (``near_duplicate_topics``)."""
    if stored.get("alert_state") != "sent":
        return  # held back by the cap, or being sent: decided already
    told = sorted(
        {
            *(stored.get("alert_topics") or ()),
            *(stored.get("alert_topics_before") or ()),
            *(stored.get("near_duplicate_topics") or ()),
        }
    )
    new = new_watched_topics(told, item.get("topic_labels") or (), watched)
    if new:
        item.update(
            alert_state="pending",
            alert_only_topics=list(new),
            alert_topics_before=told,
            alert_places_sent=True,
        )


def keep_near_duplicate(
    item: dict[str, Any], stored: Mapping[str, Any], watched: Sequence[str]
) -> None:
    """A re-analysed near-duplicate stays one; its alert is restricted again, with its new topics,
    to the watched topics its earlier copies lacked (kept in ``near_duplicate_topics``)."""
    item.update({name: stored[name] for name in NEAR_FIELDS if name in stored})
    if not stored.get("near_duplicate_of"):
        return
    earlier = stored.get("near_duplicate_topics") or ()
    only = list(new_watched_topics(earlier, item.get("topic_labels") or (), watched))
    item["flags"] = [*item.get("flags", []), FLAG_NEAR_DUPLICATE]
    item.update(alert_only_topics=only, alert_state="pending" if only else "none")
