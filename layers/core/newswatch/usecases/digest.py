"""Digest: for each topic, the articles since that topic's last digest, published once.

Each topic remembers where its last digest ended (a ``digest#<topic>`` item), so the period is
"since the last digest" whatever the schedule, and a failed run is caught up by the next one. A
period goes claim -> publish -> mark:

- the claim (a conditional update with a token and a lease) makes a concurrent or retried run
  that finds a live claim send nothing;
- a publish that fails releases the claim, and a run that dies after claiming leaves a lease that
  expires: either way the period is still unmarked and the next run (or the retry) sends it;
- only after SNS took the digest is the period marked done.

The one window left is a crash between the publish and the mark (one UpdateItem): the period is
then sent again by the next run, at least once rather than lost, as with instant alerts.

At volume (50,000 articles a day over 15 topics is about 3,300 entries a topic a day), a run keeps
only the entries the message shows (the newest EMAIL_MAX_ARTICLES), counts the rest as the Query
pages go by, and reads full articles only when the hourly cap may have held some back, and then
only those shown.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from newswatch.domain.digest import EMAIL_MAX_ARTICLES, render_digest
from newswatch.domain.records import article_keys
from newswatch.domain.timeutil import iso_utc
from newswatch.ports import AlertPublisher, ArchiveReader, DigestMarks, TimeRange

# How long a claim holds when the caller gives no lease (the function's timeout is 120 s).
DEFAULT_LEASE = timedelta(seconds=150)
# Kept back from the invocation's remaining time when sizing the claim's lease.
LEASE_MARGIN = timedelta(seconds=2)


class DigestPublishError(Exception):
    """SNS did not take one or more digests; their periods stay unmarked for the next run."""


@dataclass(frozen=True)
class DigestResult:
    topic: str
    since: str
    until: str
    articles: int
    message_id: str | None


@dataclass
class _Period:
    """A topic's entries for one period: the newest few kept, the rest only counted."""

    shown: list[dict[str, Any]]
    count: int = 0
    top: Mapping[str, Any] | None = None


def lease_for(remaining_ms: int | None) -> timedelta:
    """The claim outlives this invocation only if it dies: Lambda's retry then takes it over."""
    if remaining_ms is None:
        return DEFAULT_LEASE
    return timedelta(milliseconds=remaining_ms) + LEASE_MARGIN


def _period(
    archive: ArchiveReader, topic: str, since: str, until: str, previous: str | None
) -> _Period:
    period = _Period(shown=[])
    for entry in archive.topic_entries(topic, TimeRange(since, until)):
        # The index's range is inclusive; the previous digest already covered `since` itself.
        if previous and entry["uploaded_at"] <= previous:
            continue
        period.count += 1
        if len(period.shown) < EMAIL_MAX_ARTICLES:
            period.shown.append(entry)
        if period.top is None or float(entry.get("score", 0)) > float(period.top.get("score", 0)):
            period.top = entry
    return period


def send_digests(
    *,
    archive: ArchiveReader,
    marks: DigestMarks,
    publisher: AlertPublisher,
    topics: Sequence[str],
    now: datetime,
    first_period: timedelta = timedelta(days=1),
    held_lookup: bool = True,
    lease: timedelta = DEFAULT_LEASE,
) -> list[DigestResult]:
    """Publish one digest per topic that has articles since its last digest.

    ``held_lookup``: whether articles may carry ``alert_held_topics`` (the hourly cap is on);
    without it no article is read. Raises :class:`DigestPublishError` after trying every topic
    if any publish failed (those periods stay unmarked, so the next run sends them).
    """
    until = iso_utc(now)
    epoch = int(now.timestamp())
    results = []
    failed: list[str] = []
    for topic in topics:
        previous = marks.last_until(topic)
        since = previous or iso_utc(now - first_period)
        period = _period(archive, topic, since, until, previous)
        if not period.count:
            results.append(DigestResult(topic, since, until, 0, None))
            continue
        token = uuid.uuid4().hex
        lease_until = epoch + int(lease.total_seconds())
        if not marks.claim(topic, previous, until, token=token, now=epoch, lease_until=lease_until):
            continue  # another run holds this period, or has sent it
        try:
            held = _held(archive, topic, period.shown) if held_lookup else frozenset()
            message = render_digest(
                topic, period.shown, (since, until), held, total=period.count, top=period.top
            )
            message_id = publisher.publish(message)
        except Exception as error:
            marks.release(topic, token)
            failed.append(f"{topic}: {type(error).__name__}: {error}")
            continue
        marks.commit(topic, token, until)
        results.append(DigestResult(topic, since, until, period.count, message_id))
    if failed:
        raise DigestPublishError("; ".join(failed))
    return results


def _held(archive: ArchiveReader, topic: str, shown: Sequence[dict[str, Any]]) -> frozenset[str]:
    """The s3 URIs of the shown articles whose instant alert for ``topic`` the cap held back."""
    return frozenset(
        f"s3://{a.get('bucket')}/{a.get('key')}"
        for a in archive.fetch(article_keys(shown))
        if topic in (a.get("alert_held_topics") or ())
    )
