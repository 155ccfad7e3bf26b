"""Alert: one processed article (a stream NEW_IMAGE) -> at most one SNS alert.

The alert state goes ``pending -> sending -> sent`` by conditional updates. ``sending`` is a claim
with a token and a lease (the invocation's remaining time), so:

- a replayed stream record finds ``sent`` (or a live claim) and publishes nothing;
- a publish that fails releases the claim (to ``retry``, which the stream filter does not pass, so a
  lasting SNS failure cannot cycle) and the original record is retried;
- an invocation that dies after claiming but before publishing leaves a claim whose lease expires;
  the retry takes it over and publishes once.

The one window left is a crash *after* SNS accepted the publish and *before* the ``sent`` update
(a single UpdateItem round trip): the retry, once the lease has expired, publishes again. That is
at-least-once delivery in a window of milliseconds; closing it fully would need SNS to deduplicate
(FIFO topics do, but they cannot deliver email or SMS). A ``sent`` update that fails *after* a
successful publish is logged (metric AlertMarkFailed) and the record reported done: the item keeps a
stale ``sending`` claim rather than risk a second alert, and only a replay of that record after the
lease has expired would publish again.

With ``NEWSWATCH_MAX_ALERTS_PER_TOPIC_PER_HOUR`` set, each matched topic takes one count from an
``alertcap#<topic>`` / ``hour#<UTC hour>`` counter (conditional ADD) while the claim is held; topics
over the cap are left out of the alert (``alert_held_topics``), and an article whose every topic is
over the cap ends ``held``: it reaches subscribers only through the topic's next digest.

Why not powertools idempotency: it keeps the same in-progress/expiry record in a table and leaves
the same window (publish done, completion not yet saved); the claim here lives on the article item
itself, so the alert state is visible where the archive and the CLI read it, with no second table
or TTL to manage.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newswatch.domain.alerts import (
    AlertPolicy,
    match_topics,
    render_alert,
)
from newswatch.domain.models import TopicTag
from newswatch.domain.place_alerts import place_alert_due, render_place_alert, with_places
from newswatch.domain.records import PROCESSED, reference_pk
from newswatch.domain.taxonomy import read_alert_thresholds
from newswatch.domain.timeutil import iso_utc
from newswatch.ports import (
    AlertClaim,
    AlertPublisher,
    AlertSettings,
    AlertStates,
    ArticleLinker,
    Clock,
    TopicSettings,
)

_log = logging.getLogger(__name__)

# Seconds kept back from the invocation's remaining time when sizing the claim lease.
LEASE_MARGIN_SECONDS = 2


@dataclass(frozen=True)
class AlertOutcome:
    status: str  # published | held | not_watched | already_done | ignored
    pk: str = ""
    sk: str = ""
    topics: tuple[str, ...] = ()
    message_id: str | None = None
    marked: bool = True
    reason: str = ""
    # Matched topics the hourly cap kept out of this alert (they are in the next digest).
    held_topics: tuple[str, ...] = ()

    def log_fields(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "topics": list(self.topics),
            "message_id": self.message_id,
            "held_topics": list(self.held_topics),
            "reason": self.reason,
        }


# The CloudWatch metric each outcome counts in.
OUTCOME_METRICS = {
    "published": "AlertsPublished",
    "held": "AlertsHeld",
    "not_watched": "AlertsNotWatched",
    "already_done": "AlertsAlreadyDone",
    "ignored": "AlertRecordsIgnored",
}


class AlertInProgressError(Exception):
    """Another invocation holds a live claim on this alert; retry the record later."""


class AlertPublishError(Exception):
    """SNS did not take the alert; the claim was released and the record should be retried."""


def lease_for(remaining_ms: int | None) -> float | None:
    """Our claim must outlive this invocation, and no more: a dead claimer's lease then expires.
    Without an invocation's time left, :func:`alert_record` uses the settings' lease."""
    return None if remaining_ms is None else remaining_ms / 1000 + LEASE_MARGIN_SECONDS


def alert_policy(settings: TopicSettings) -> AlertPolicy:
    """The stack's alert policy: every topic of its taxonomy (or of ``WatchedTopics``, when that
    allow-list is set) alerts from its own ``alert_threshold``, else from the minimum score."""
    return _alert_policy(settings.taxonomy_path, settings.min_topic_score, settings.watched_topics)


@functools.cache
def _alert_policy(
    taxonomy_path: Path | None, min_score: float, watched: tuple[str, ...]
) -> AlertPolicy:
    return AlertPolicy.build(read_alert_thresholds(taxonomy_path), min_score, watched)


def alert_topics(record: Mapping[str, Any], settings: TopicSettings) -> tuple[TopicTag, ...]:
    """The topics this stored article alerts for, strongest first.

    A near-duplicate's record carries ``alert_only_topics`` (what its earlier copies lacked): only
    those may alert. The loadtest and the CLI count expected alerts with this same rule.
    """
    matched = match_topics(record, alert_policy(settings))
    only = record.get("alert_only_topics")
    if only is None:
        return matched
    allowed = {str(label) for label in only}
    return tuple(topic for topic in matched if topic.label in allowed)


def decide_alert_now(item: dict[str, Any], settings: TopicSettings) -> None:
    """An article no watched topic matches, and about no country, is stored with ``alert_state =
    none``: the stream filter then passes it nowhere, and the alert function's invocation and its
    update are saved. The rule is the alert function's own (:func:`alert_topics`,
    :func:`place_alert_due`)."""
    if (
        item.get("alert_state") == "pending"
        and not alert_topics(item, settings)
        and not place_alert_due(item)  # its countries' subscribers still get it
    ):
        item["alert_state"] = "none"


def alert_record(
    record: Mapping[str, Any],
    *,
    store: AlertStates,
    publisher: AlertPublisher,
    settings: AlertSettings,
    lease_seconds: float | None = None,
    clock: Clock | None = None,
    linker: ArticleLinker | None = None,
) -> AlertOutcome:
    """Publish the alert for one stored article at most once (see the module docstring).

    ``lease_seconds``: how long our claim holds; the Lambda handler passes the invocation's
    remaining time, so a claim outlives its claimer only if the claimer has died.
    ``linker``: makes the link the alert gives to open the article (none: no link).
    Raises :class:`AlertInProgressError` when another live invocation holds the claim and
    :class:`AlertPublishError` when SNS fails; DynamoDB errors propagate. Each makes the stream
    retry the record.
    """
    clock = clock or Clock()
    pk, sk = str(record.get("pk", "")), str(record.get("sk", ""))
    if record.get("type") != "article" or record.get("status") != PROCESSED:
        return AlertOutcome("ignored", pk, sk, reason="not a processed article")
    # Our own claim/sent updates come back as MODIFY images; only the pending image is work.
    if record.get("alert_state") != "pending":
        return AlertOutcome("ignored", pk, sk, reason=f"alert_state {record.get('alert_state')}")

    matched = alert_topics(record, settings)
    now = clock.now()
    # No topic to alert on: the article's countries may still have subscribers of their own.
    if not matched and not place_alert_due(record):
        store.mark_no_alert(pk, sk, iso_utc(now))
        return AlertOutcome("not_watched", pk, sk)

    token = uuid.uuid4().hex
    lease = lease_seconds if lease_seconds is not None else settings.alert_lease_seconds
    epoch = int(now.timestamp())
    claim = store.claim_alert(pk, sk, token, now=epoch, lease_until=epoch + max(1, int(lease)))
    if claim == AlertClaim.BUSY:
        raise AlertInProgressError(f"{pk}|{sk}: another invocation is publishing this alert")
    if claim != AlertClaim.CLAIMED:
        return AlertOutcome("already_done", pk, sk, reason=claim)

    # Quota is taken only under the claim, so a replayed record never spends it twice.
    try:
        allowed, held, hour = apply_hourly_cap(matched, store, settings, now)
    except Exception:
        _release(store, pk, sk, token)
        raise
    held_labels = tuple(t.label for t in held)
    if matched and not allowed:
        store.mark_held(pk, sk, token=token, held_topics=held_labels, decided_at=iso_utc(now))
        return AlertOutcome("held", pk, sk, held_topics=held_labels)

    try:
        bucket, key = str(record.get("bucket", "")), str(record.get("key", ""))
        # (The reference the message names was written with the article's entries at ingest.)
        link = linker.link(bucket, key, _version(record)) if linker else None
    except Exception:
        _return_quota(store, allowed, hour, settings)
        _release(store, pk, sk, token)
        raise
    message = (
        with_places(render_alert(record, allowed, link), record)
        if allowed
        else render_place_alert(record, link)
    )
    try:
        message_id = publisher.publish(message)
    except Exception as error:
        _return_quota(store, allowed, hour, settings)
        _release(store, pk, sk, token)
        raise AlertPublishError(f"{pk}|{sk}: {type(error).__name__}: {error}") from error

    try:
        marked = store.mark_alerted(
            pk,
            sk,
            token=token,
            topics=message.topics,
            message_id=message_id,
            alerted_at=iso_utc(clock.now()),
            held_topics=held_labels,
        )
    except Exception:
        _log.error(
            "alert %s published for %s|%s but not marked sent", message_id, pk, sk, exc_info=True
        )
        marked = False
    return AlertOutcome(
        "published", pk, sk, message.topics, message_id, marked, held_topics=held_labels
    )


def _version(record: Mapping[str, Any]) -> str | None:
    version = record.get("version_id")
    return None if version in (None, "null") else str(version)


def find_by_reference(store: AlertStates, reference: str) -> dict[str, Any] | None:
    """The article an alert's reference (``nw-...``, :mod:`newswatch.domain.reference`) names:
    its content item (or an earlier version's pointer) lives under the reference, one Query.
    (Two articles sharing the reference's 50 bits: the first one stored.)"""
    pointers = sorted(
        store.pointers(reference_pk(reference)), key=lambda p: str(p.get("uploaded_at", ""))
    )
    for pointer in pointers:
        article = store.get(str(pointer["article_pk"]), str(pointer["article_sk"]))
        if article is not None:
            return article
    return None


def apply_hourly_cap(
    matched: Sequence[TopicTag], store: AlertStates, settings: AlertSettings, now: datetime
) -> tuple[list[TopicTag], list[TopicTag], str]:
    """(topics that may alert, topics the cap holds back, the clock hour counted in)."""
    hour = now.astimezone(UTC).strftime("%Y-%m-%dT%H")
    limit = settings.max_alerts_per_topic_per_hour
    if limit <= 0:
        return list(matched), [], hour
    # The counters are only needed for the hour they count; a table TTL on expires_at drops them.
    expires_at = int(now.timestamp()) + 2 * 3600
    allowed: list[TopicTag] = []
    held: list[TopicTag] = []
    try:
        for topic in matched:
            if store.take_alert_quota(topic.label, hour, limit, expires_at):
                allowed.append(topic)
            else:
                held.append(topic)
    except Exception:
        _return_quota(store, allowed, hour, settings)
        raise
    return allowed, held, hour


def _return_quota(
    store: AlertStates, topics: Sequence[TopicTag], hour: str, settings: AlertSettings
) -> None:
    if settings.max_alerts_per_topic_per_hour <= 0:
        return
    for topic in topics:
        try:
            store.return_alert_quota(topic.label, hour)
        except Exception:
            # A count not given back only makes the cap stricter for the rest of the hour.
            _log.warning("could not return the alert quota of %s for %s", topic.label, hour)


def _release(store: AlertStates, pk: str, sk: str, token: str) -> None:
    try:
        store.release_alert(pk, sk, token)
    except Exception:
        # The lease expires on its own; the retry then takes the claim over.
        _log.warning("could not release the alert claim on %s|%s", pk, sk, exc_info=True)
