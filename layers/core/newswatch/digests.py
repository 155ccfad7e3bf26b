"""The digest use case: for each topic, the articles since that topic's last digest, published once;
the same split by country for subscribers who gave places, and each country's articles of every
topic for those who gave places only.

Each topic remembers where its last digest ended (a small ``digest#<topic>`` item in the articles
table, written with a conditional update), so the period is "since the last digest" whatever the
schedule, a retried invocation does not send the same digest twice, and a failed run is caught up
by the next one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from newswatch.adapters.archive import Archive, TimeRange, article_keys
from newswatch.adapters.dynamodb import place_index_key
from newswatch.domain.alerts import AlertMessage
from newswatch.domain.digest import render_digest
from newswatch.domain.timeutil import iso_utc


class DigestMarks(Protocol):
    def last_until(self, topic: str) -> str | None: ...

    def advance(self, topic: str, previous: str | None, until: str) -> bool: ...


class Publisher(Protocol):
    def publish(self, message: AlertMessage) -> str: ...


@dataclass(frozen=True)
class DigestResult:
    topic: str  # a topic label, or "place#<code>" for a country's digest
    since: str
    until: str
    articles: int
    message_id: str | None
    place: str | None = None


def send_digests(
    *,
    archive: Archive,
    marks: DigestMarks,
    publisher: Publisher,
    topics: Sequence[str],
    now: datetime,
    first_period: timedelta = timedelta(days=1),
    places: Mapping[str, str] | None = None,
) -> list[DigestResult]:
    """Publish one digest per topic that has articles since its last digest, and the same
    articles by country (``topic_place_digest``, one per country they are about).

    ``places`` (ISO code -> name, e.g. every country of the gazetteer): also one digest per
    country with articles since that country's last digest, whatever their topics
    (``place_digest``). Subscribers' filter policies choose among them (domain/subscriptions.py).
    """
    until = iso_utc(now)
    names = dict(places or {})
    results = []
    for topic in topics:
        claimed = _claim(archive, marks, topic, now=now, first_period=first_period, until=until)
        if isinstance(claimed, DigestResult):
            results.append(claimed)
            continue
        if claimed is None:
            continue
        since, entries = claimed
        held = frozenset(
            f"s3://{a.get('bucket')}/{a.get('key')}"
            for a in archive.fetch(article_keys(entries))
            if topic in (a.get("alert_held_topics") or ())
        )
        message = render_digest(topic, entries, (since, until), held)
        results.append(DigestResult(topic, since, until, len(entries), publisher.publish(message)))
        # The same period by country, under the same claim: a topic entry names its countries.
        by_country: dict[str, list[Mapping[str, Any]]] = {}
        for entry in entries:
            for code in entry.get("country_codes") or ():
                by_country.setdefault(str(code), []).append(entry)
        for code, group in sorted(by_country.items()):
            place = (code, names.get(code, code))
            message = render_digest(topic, group, (since, until), held, place=place)
            results.append(
                DigestResult(topic, since, until, len(group), publisher.publish(message), code)
            )
    for code, name in sorted(names.items()):
        key = place_index_key(code)
        claimed = _claim(archive, marks, key, now=now, first_period=first_period, until=until)
        if claimed is None or isinstance(claimed, DigestResult):
            continue  # nothing about this country, or another run sent it
        since, entries = claimed
        message = render_digest(None, entries, (since, until), place=(code, name))
        results.append(
            DigestResult(key, since, until, len(entries), publisher.publish(message), code)
        )
    return results


def _claim(
    archive: Archive,
    marks: DigestMarks,
    key: str,
    *,
    now: datetime,
    first_period: timedelta,
    until: str,
) -> tuple[str, list[dict[str, Any]]] | DigestResult | None:
    """The index entries under ``key`` (a topic, or ``place#<code>``) since its last digest, the
    period claimed: (since, entries); an empty result when there are none; None when another run
    claimed the period first."""
    previous = marks.last_until(key)
    since = previous or iso_utc(now - first_period)
    entries = list(archive.topic_entries(key, TimeRange(since, until)))
    if previous:
        # The index's range is inclusive; the previous digest already covered `since` itself.
        entries = [e for e in entries if e["uploaded_at"] > previous]
    if not entries:
        return DigestResult(key, since, until, 0, None)
    # Claim the period before publishing: a concurrent or retried run that loses the claim sends
    # nothing, so a digest goes out at most once.
    if not marks.advance(key, previous, until):
        return None
    return since, entries


class DynamoDigestMarks:
    """``digest#<topic>`` items in the articles table; the stream filter ignores them."""

    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self.dynamodb = dynamodb
        self.table_name = table_name

    @staticmethod
    def _key(topic: str) -> dict[str, Any]:
        return {"pk": {"S": f"digest#{topic}"}, "sk": {"S": "last"}}

    def last_until(self, topic: str) -> str | None:
        item = self.dynamodb.get_item(
            TableName=self.table_name, Key=self._key(topic), ConsistentRead=True
        ).get("Item")
        return str(item["until"]["S"]) if item else None

    def advance(self, topic: str, previous: str | None, until: str) -> bool:
        condition = "attribute_not_exists(pk)" if previous is None else "#until = :previous"
        values: dict[str, Any] = {":until": {"S": until}, ":type": {"S": "digest"}}
        if previous is not None:
            values[":previous"] = {"S": previous}
        try:
            self.dynamodb.update_item(
                TableName=self.table_name,
                Key=self._key(topic),
                UpdateExpression="SET #until = :until, #type = :type",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#until": "until", "#type": "type"},
                ExpressionAttributeValues=values,
            )
        except self.dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True
