"""Digest: for each topic, the articles since that topic's last digest, published once.

Each topic remembers where its last digest ended (a ``digest#<topic>`` item, written with a
conditional update), so the period is "since the last digest" whatever the schedule, a retried
invocation does not send the same digest twice, and a failed run is caught up by the next one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from newswatch.domain.digest import render_digest
from newswatch.domain.records import article_keys
from newswatch.domain.timeutil import iso_utc
from newswatch.ports import AlertPublisher, ArchiveReader, DigestMarks, TimeRange


@dataclass(frozen=True)
class DigestResult:
    topic: str
    since: str
    until: str
    articles: int
    message_id: str | None


def send_digests(
    *,
    archive: ArchiveReader,
    marks: DigestMarks,
    publisher: AlertPublisher,
    topics: Sequence[str],
    now: datetime,
    first_period: timedelta = timedelta(days=1),
) -> list[DigestResult]:
    """Publish one digest per topic that has articles since its last digest."""
    until = iso_utc(now)
    results = []
    for topic in topics:
        previous = marks.last_until(topic)
        since = previous or iso_utc(now - first_period)
        entries = list(archive.topic_entries(topic, TimeRange(since, until)))
        if previous:
            # The index's range is inclusive; the previous digest already covered `since` itself.
            entries = [e for e in entries if e["uploaded_at"] > previous]
        if not entries:
            results.append(DigestResult(topic, since, until, 0, None))
            continue
        # Claim the period before publishing: a concurrent or retried run that loses the claim
        # sends nothing, so a digest goes out at most once.
        if not marks.advance(topic, previous, until):
            continue
        held = frozenset(
            f"s3://{a.get('bucket')}/{a.get('key')}"
            for a in archive.fetch(article_keys(entries))
            if topic in (a.get("alert_held_topics") or ())
        )
        message = render_digest(topic, entries, (since, until), held)
        results.append(DigestResult(topic, since, until, len(entries), publisher.publish(message)))
    return results
