"""The digest use case: for each topic, the articles since that topic's last digest, published once.

Each topic remembers where its last digest ended (a small ``digest#<topic>`` item in the articles
table, written with a conditional update), so the period is "since the last digest" whatever the
schedule, a retried invocation does not send the same digest twice, and a failed run is caught up
by the next one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from newswatch.adapters.archive import Archive, TimeRange, article_keys
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
    topic: str
    since: str
    until: str
    articles: int
    message_id: str | None


def send_digests(
    *,
    archive: Archive,
    marks: DigestMarks,
    publisher: Publisher,
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
