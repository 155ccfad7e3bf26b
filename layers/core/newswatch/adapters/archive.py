"""Reading the archive: every article of a time range, the articles of a topic, one article.

Every read is a DynamoDB Query on the table's keys, never a Scan (see the data model in the
README): the ``ByUploadDay`` index holds every article item (whatever its status) under its upload
day, sorted by upload time, so a listing is one Query per day; one small entry item per (article,
topic) and per (article, country) is keyed by topic and upload time (``entries#<topic>`` /
``<uploaded_at>#<article digest>``), so a topic's articles in a time range are one Query on the
table's own keys; an article's partition holds its versions.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from newswatch.adapters.dynamodb_codec import plain
from newswatch.domain.records import article_keys, article_pk, entry_pk, place_index_key
from newswatch.ports import TimeRange

DAY_INDEX = "ByUploadDay"
_ALL_TIME = TimeRange()


class Archive:
    """:class:`~newswatch.ports.ArchiveReader` over DynamoDB, plus the reads the CLI makes."""

    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self.dynamodb = dynamodb
        self.table_name = table_name

    def topic_entries(
        self, topic: str, window: TimeRange = _ALL_TIME, limit: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Entries of one topic (a label or ``place#<code>``), newest first: one Query on the
        topic's entry partition, its sort key (``<uploaded_at>#<article digest>``) bounded by the
        window, paged."""
        condition, values = _entry_time_condition(window)
        values[":pk"] = {"S": entry_pk(topic)}
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
        }
        yielded = 0
        for page in self.dynamodb.get_paginator("query").paginate(**request):
            for item in page["Items"]:
                yield plain(item)
                yielded += 1
                if limit is not None and yielded >= limit:
                    return

    def articles(
        self,
        topics: Sequence[str] | None,
        window: TimeRange = _ALL_TIME,
        limit: int | None = None,
        places: Sequence[str] = (),
    ) -> list[dict[str, Any]]:
        """Articles tagged with any of ``topics``, newest first, each once, with its topics.

        With ``places`` (ISO codes): the articles about any of those countries, one Query per
        country on the place entries; ``topics`` then narrows them (None: any topic or none).
        """
        if places:
            return self._place_articles(places, topics, window, limit)
        by_article: dict[tuple[str, str], dict[str, Any]] = {}
        for topic in topics or ():
            for entry in self.topic_entries(topic, window, limit):
                key = (entry["article_pk"], entry["article_sk"])
                merged = by_article.setdefault(key, {**entry, "topics": []})
                merged["topics"].append({"label": entry["topic"], "score": entry.get("score")})
        for row in by_article.values():
            row["topics"].sort(key=lambda t: -float(t["score"] or 0))
        rows = sorted(by_article.values(), key=lambda e: e["uploaded_at"], reverse=True)
        return rows[:limit] if limit is not None else rows

    def recent_articles(
        self,
        window: TimeRange,
        *,
        statuses: Sequence[str] = (),
        limit: int | None = None,
        today: date | None = None,
    ) -> list[dict[str, Any]]:
        """Every article uploaded in ``window`` (whatever its status), newest first.

        One Query on ``ByUploadDay`` per day from the window's end back to its start (paged,
        stopping once ``limit`` rows are found); ``statuses`` filters on the server side.
        """
        rows: list[dict[str, Any]] = []
        for day in upload_days(window, today or datetime.now(UTC).date()):
            condition, values = _time_condition("upload_day = :day", window)
            request: dict[str, Any] = {
                "TableName": self.table_name,
                "IndexName": DAY_INDEX,
                "KeyConditionExpression": condition,
                "ExpressionAttributeValues": values | {":day": {"S": day}},
                "ScanIndexForward": False,
            }
            if statuses:
                names = {f":s{i}": {"S": status} for i, status in enumerate(statuses)}
                request["FilterExpression"] = f"#status IN ({', '.join(names)})"
                request["ExpressionAttributeNames"] = {"#status": "status"}
                request["ExpressionAttributeValues"] |= names
            for page in self.dynamodb.get_paginator("query").paginate(**request):
                for item in page["Items"]:
                    rows.append(plain(item))
                    if limit is not None and len(rows) >= limit:
                        return rows
        return rows

    def tagged_articles(
        self,
        topics: Sequence[str],
        window: TimeRange,
        *,
        statuses: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """The articles tagged with any of ``topics``, newest first, each once, in full.

        One Query per topic on its entries, then one BatchGetItem per 100 articles shown.
        """
        entries = [e for topic in topics for e in self.topic_entries(topic, window, limit)]
        entries.sort(key=lambda e: str(e.get("uploaded_at", "")), reverse=True)
        return self._full_articles(entries, statuses, limit)

    def place_articles(
        self,
        places: Sequence[str],
        topics: Sequence[str] | None,
        window: TimeRange,
        *,
        statuses: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """The articles about any of ``places`` (and, given ``topics``, tagged with one), newest
        first, each once, in full: one Query per country, then BatchGetItem."""
        entries = self._place_articles(places, topics, window, None)
        return self._full_articles(entries, statuses, limit)

    def _full_articles(
        self, entries: Sequence[dict[str, Any]], statuses: Sequence[str], limit: int | None
    ) -> list[dict[str, Any]]:
        """The article items behind index entries (in their order), of ``statuses`` if given."""
        rows = [
            a
            for a in self.fetch(article_keys(entries))
            if not statuses or a.get("status") in statuses
        ]
        return rows[:limit] if limit is not None else rows

    def _place_articles(
        self,
        places: Sequence[str],
        topics: Sequence[str] | None,
        window: TimeRange,
        limit: int | None,
    ) -> list[dict[str, Any]]:
        wanted = set(topics) if topics is not None else None
        by_article: dict[tuple[str, str], dict[str, Any]] = {}
        for code in places:
            for entry in self.topic_entries(place_index_key(code), window):
                labels = {t["label"] for t in entry.get("topics") or ()}
                if wanted is not None and not labels & wanted:
                    continue
                key = (entry["article_pk"], entry["article_sk"])
                merged = by_article.setdefault(key, {**entry, "places": []})
                merged["places"].append({"code": code, "score": entry.get("score")})
        rows = sorted(by_article.values(), key=lambda e: e["uploaded_at"], reverse=True)
        return rows[:limit] if limit is not None else rows

    def article(self, bucket: str, key: str) -> list[dict[str, Any]]:
        """Every stored version of one object, newest upload first (one Query on the key)."""
        response = self.dynamodb.get_paginator("query").paginate(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :v)",
            ExpressionAttributeValues={":pk": {"S": article_pk(bucket, key)}, ":v": {"S": "v#"}},
        )
        versions = [plain(item) for page in response for item in page["Items"]]
        return sorted(versions, key=lambda a: a.get("uploaded_at", ""), reverse=True)

    def fetch(self, keys: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        """Full article items for ``keys`` (pk, sk) with BatchGetItem, in ``keys`` order."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for start in range(0, len(keys), 100):  # BatchGetItem takes 100 keys a request
            batch = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in keys[start : start + 100]]
            request: dict[str, Any] = {self.table_name: {"Keys": batch}}
            while request:
                response = self.dynamodb.batch_get_item(RequestItems=request)
                for item in response["Responses"].get(self.table_name, []):
                    article = plain(item)
                    found[(article["pk"], article["sk"])] = article
                request = response.get("UnprocessedKeys") or {}
        return [found[key] for key in keys if key in found]


def _time_condition(partition: str, window: TimeRange) -> tuple[str, dict[str, Any]]:
    """A key condition: ``partition`` and, if the window has bounds, uploaded_at within them."""
    values: dict[str, Any] = {}
    if window.since and window.until:
        values = {":since": {"S": window.since}, ":until": {"S": _end_of(window.until)}}
        return f"{partition} AND uploaded_at BETWEEN :since AND :until", values
    if window.since:
        return f"{partition} AND uploaded_at >= :since", {":since": {"S": window.since}}
    if window.until:
        return f"{partition} AND uploaded_at <= :until", {":until": {"S": _end_of(window.until)}}
    return partition, values


def _entry_time_condition(window: TimeRange) -> tuple[str, dict[str, Any]]:
    """The key condition of a topic's entries in ``window``: their sort key starts with the
    upload time, so "~" (after every character of an ISO time and "#") closes an upper bound
    on the entries of that very moment too."""
    values: dict[str, Any] = {}
    if window.since and window.until:
        values = {":since": {"S": window.since}, ":until": {"S": window.until + "~"}}
        return "pk = :pk AND sk BETWEEN :since AND :until", values
    if window.since:
        return "pk = :pk AND sk >= :since", {":since": {"S": window.since}}
    if window.until:
        return "pk = :pk AND sk <= :until", {":until": {"S": window.until + "~"}}
    return "pk = :pk", values


def upload_days(window: TimeRange, today: date) -> list[str]:
    """The upload days a window covers, newest first (``ByUploadDay``'s partitions)."""
    if not window.since:
        raise ValueError("listing every article needs a start (since)")
    first = date.fromisoformat(window.since[:10])
    last = date.fromisoformat(window.until[:10]) if window.until else today
    return [(last - timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def _end_of(moment: str) -> str:
    # "2026-11-29" as an upper bound means the whole day; "~" sorts after every ISO-8601 character.
    return moment + "~" if len(moment) < 20 else moment
