"""Digest: for each topic, the articles since that topic's last digest, published once; the same
split by country for subscribers who gave places and topics, and each country's articles of every
topic (``place#<code>`` marks) for those who gave places only.

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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from newswatch.domain.digest import EMAIL_MAX_ARTICLES, render_digest
from newswatch.domain.records import article_keys, article_ref, object_of, place_index_key
from newswatch.domain.timeutil import iso_utc
from newswatch.ports import AlertPublisher, ArchiveReader, ArticleLinker, DigestMarks, TimeRange

# How long a claim holds when the caller gives no lease (the function's timeout is 120 s).
DEFAULT_LEASE = timedelta(seconds=150)
# Kept back from the invocation's remaining time when sizing the claim's lease.
LEASE_MARGIN = timedelta(seconds=2)


class DigestPublishError(Exception):
    """SNS did not take one or more digests; their periods stay unmarked for the next run."""


@dataclass(frozen=True)
class DigestResult:
    topic: str  # a topic label, or "place#<code>" for a country's digest of every topic
    since: str
    until: str
    articles: int
    message_id: str | None
    place: str | None = None


@dataclass
class _Period:
    """A topic's entries for one period: the newest few kept, the rest only counted; and the
    same per country the entries are about."""

    shown: list[dict[str, Any]]
    count: int = 0
    top: Mapping[str, Any] | None = None
    by_country: dict[str, _Period] = field(default_factory=dict)

    def add(self, entry: dict[str, Any]) -> None:
        self.count += 1
        if len(self.shown) < EMAIL_MAX_ARTICLES:
            self.shown.append(entry)
        if self.top is None or float(entry.get("score", 0)) > float(self.top.get("score", 0)):
            self.top = entry


def lease_for(remaining_ms: int | None) -> timedelta:
    """The claim outlives this invocation only if it dies: Lambda's retry then takes it over."""
    if remaining_ms is None:
        return DEFAULT_LEASE
    return timedelta(milliseconds=remaining_ms) + LEASE_MARGIN


def _period(
    archive: ArchiveReader, key: str, since: str, until: str, previous: str | None
) -> _Period:
    period = _Period(shown=[])
    for entry in archive.topic_entries(key, TimeRange(since, until)):
        # The index's range is inclusive; the previous digest already covered `since` itself.
        if previous and entry["uploaded_at"] <= previous:
            continue
        period.add(entry)
        for code in entry.get("country_codes") or ():
            period.by_country.setdefault(str(code), _Period(shown=[])).add(entry)
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
    places: Mapping[str, str] | None = None,
    linker: ArticleLinker | None = None,
) -> list[DigestResult]:
    """Publish one digest per topic that has articles since its last digest, and the same
    articles by country (``topic_place_digest``, one per country they are about).

    ``places`` (ISO code -> name, e.g. every country of the gazetteer): also one digest per
    country with articles since that country's last digest, whatever their topics
    (``place_digest``). Subscribers' filter policies choose among them (domain/subscriptions.py).
    ``held_lookup``: whether articles may carry ``alert_held_topics`` (the hourly cap is on);
    without it no article is read. ``linker``: each shown article gets a link a reader can open
    (signing is local: no request per article). Raises :class:`DigestPublishError` after trying
    every topic and place if any publish failed (those periods stay unmarked, so the next run
    sends them).
    """
    until = iso_utc(now)
    epoch = int(now.timestamp())
    names = dict(places or {})
    results: list[DigestResult] = []
    failed: list[str] = []
    for key, topic, place in [(t, t, None) for t in topics] + [
        (place_index_key(code), None, code) for code in sorted(names)
    ]:
        previous = marks.last_until(key)
        since = previous or iso_utc(now - first_period)
        period = _period(archive, key, since, until, previous)
        if not period.count:
            results.append(DigestResult(key, since, until, 0, None, place))
            continue
        token = uuid.uuid4().hex
        lease_until = epoch + int(lease.total_seconds())
        if not marks.claim(key, previous, until, token=token, now=epoch, lease_until=lease_until):
            continue  # another run holds this period, or has sent it
        try:
            sent = _publish(
                archive,
                publisher,
                period,
                topic=topic,
                place=(place, names[place]) if place else None,
                window=(since, until),
                held_lookup=held_lookup,
                names=names,
                linker=linker,
            )
        except Exception as error:
            marks.release(key, token)
            failed.append(f"{key}: {type(error).__name__}: {error}")
            continue
        marks.commit(key, token, until)
        results += [
            DigestResult(key, since, until, count, message_id, code)
            for count, message_id, code in sent
        ]
    if failed:
        raise DigestPublishError("; ".join(failed))
    return results


def _publish(
    archive: ArchiveReader,
    publisher: AlertPublisher,
    period: _Period,
    *,
    topic: str | None,
    place: tuple[str, str] | None,
    window: tuple[str, str],
    held_lookup: bool,
    names: Mapping[str, str],
    linker: ArticleLinker | None = None,
) -> list[tuple[int, str, str | None]]:
    """Publish a period's digest (and, for a topic, its digest per country): (articles, message
    id, country) each. A failure part way leaves the period to be sent again, whole."""
    held = _held(archive, topic, period.shown) if held_lookup and topic else frozenset()
    # The country digests show entries the topic's may not (each its own first few).
    shown = [*period.shown, *(e for c in period.by_country.values() for e in c.shown)]
    links = _links(linker, shown) if linker is not None else {}
    message = render_digest(
        topic,
        period.shown,
        window,
        held,
        total=period.count,
        top=period.top,
        place=place,
        links=links,
    )
    sent = [(period.count, publisher.publish(message), place[0] if place else None)]
    if topic is None:
        return sent
    for code, country in sorted(period.by_country.items()):
        message = render_digest(
            topic,
            country.shown,
            window,
            held,
            total=country.count,
            top=country.top,
            place=(code, names.get(code, code)),
            links=links,
        )
        sent.append((country.count, publisher.publish(message), code))
    return sent


def _links(linker: ArticleLinker, shown: Sequence[dict[str, Any]]) -> dict[str, str]:
    """A link to each shown article's version, by :func:`article_ref`."""
    links: dict[str, str] = {}
    for entry in shown:
        pk, sk = str(entry.get("article_pk", "")), str(entry.get("article_sk", ""))
        named = object_of(pk, sk)
        if named is not None and article_ref(pk, sk) not in links:
            links[article_ref(pk, sk)] = linker.link(*named).url
    return links


def _held(archive: ArchiveReader, topic: str, shown: Sequence[dict[str, Any]]) -> frozenset[str]:
    """The s3 URIs of the shown articles whose instant alert for ``topic`` the cap held back."""
    return frozenset(
        f"s3://{a.get('bucket')}/{a.get('key')}"
        for a in archive.fetch(article_keys(shown))
        if topic in (a.get("alert_held_topics") or ())
    )
