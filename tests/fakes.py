"""In-memory fakes of every port in :mod:`newswatch.ports`, for fast tests of the use cases'
state machines without an emulated AWS.

Each fake keeps the conditions its DynamoDB adapter writes (a put only where nothing is stored, a
claim only from pending/retry or past its lease, a quota only under its limit, ...) and makes each
operation atomic under one lock, as DynamoDB makes each request atomic. ``check_protocols`` at the
bottom is type-checked by mypy (``make typecheck``), so a fake that drifts from its protocol fails
the build, and ``tests/unit/test_fakes.py`` runs it.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from newswatch.domain.alerts import AlertMessage
from newswatch.domain.records import (
    MAX_BAND_MEMBERS,
    NEAR_BAND_SK,
    PROCESSED,
    alert_cap_key,
    article_pk,
    content_key,
)
from newswatch.ports import (
    AlertClaim,
    AlertPublisher,
    AlertStates,
    ArchiveReader,
    ArticleSource,
    BackfillStore,
    DigestMarks,
    NearDuplicateIndex,
    ObjectHead,
    ObjectNotFoundError,
    PutResult,
    TimeRange,
)

ALL_TIME = TimeRange()


@dataclass
class FakeObject:
    data: bytes
    version_id: str | None = None
    content_type: str | None = "text/plain"


class FakeSource:
    """ArticleSource over a dict of (bucket, key) -> object; a missing key is a deleted object."""

    def __init__(self, objects: Mapping[tuple[str, str], FakeObject] | None = None) -> None:
        self.objects = dict(objects or {})
        self.reads = 0

    def put(self, bucket: str, key: str, data: bytes, version_id: str | None = None) -> None:
        self.objects[(bucket, key)] = FakeObject(data, version_id)

    def _find(self, bucket: str, key: str, version_id: str | None) -> FakeObject:
        obj = self.objects.get((bucket, key))
        if obj is None or (version_id not in (None, "null") and version_id != obj.version_id):
            raise ObjectNotFoundError(bucket, key, version_id)
        return obj

    def head(self, bucket: str, key: str, version_id: str | None) -> ObjectHead:
        obj = self._find(bucket, key, version_id)
        return ObjectHead(len(obj.data), obj.version_id or version_id, obj.content_type)

    def read(self, bucket: str, key: str, version_id: str | None, max_bytes: int) -> bytes:
        self.reads += 1
        return self._find(bucket, key, version_id).data[: max_bytes + 1]

    def fetch(
        self, bucket: str, key: str, version_id: str | None, max_bytes: int
    ) -> tuple[ObjectHead, bytes]:
        return self.head(bucket, key, version_id), self.read(bucket, key, version_id, max_bytes)


class FakeTable:
    """The articles table as a dict of (pk, sk) -> item; every method is one atomic request.

    Implements ArticleStore, BackfillStore, AlertStates and NearDuplicateIndex, like
    DynamoArticleStore (plus DynamoBackfillStore) does over one client.
    """

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.calls: list[str] = []

    def _read(self, pk: str, sk: str) -> dict[str, Any] | None:
        item = self.items.get((pk, sk))
        return copy.deepcopy(item) if item is not None else None

    # -- ArticleStore ---------------------------------------------------------------------------

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        with self.lock:
            self.calls.append("get")
            return self._read(pk, sk)

    def pointers(self, pk: str) -> list[dict[str, Any]]:
        with self.lock:
            self.calls.append("pointers")
            keys = sorted(key for key in self.items if key[0] == pk)
            return [item for item in (self._read(*key) for key in keys) if item is not None]

    def find_original(
        self, content_sha256: str, exclude: tuple[str, str] | None = None
    ) -> dict[str, Any] | None:
        if not content_sha256:
            return None
        return self.original_named_by(self.get(*content_key(content_sha256)), exclude)

    def original_named_by(
        self, first: Mapping[str, Any] | None, exclude: tuple[str, str] | None = None
    ) -> dict[str, Any] | None:
        if first is None:
            return None
        ref = (str(first["article_pk"]), str(first["article_sk"]))
        if ref == exclude:
            return None
        article = self.get(*ref)
        return article if article and article.get("status") == PROCESSED else None

    def put_article(
        self,
        item: Mapping[str, Any],
        topic_items: Sequence[Mapping[str, Any]] = (),
        *,
        claim_content: bool = False,
        new_items: Sequence[Mapping[str, Any]] = (),
    ) -> str:
        """The claim, the article and the entries as three requests, as the adapter makes them
        (``between_claim_and_article`` runs after a claim, before the article is written: another
        upload of the same bytes sees the claim and no article; ``between_writes`` runs after the
        article is stored: a crash there leaves no entries)."""
        key = (str(item["pk"]), str(item["sk"]))
        if claim_content:
            with self.lock:
                self.calls.append("claim_content")
                content = content_key(str(item["content_sha256"]))
                claimed = self.items.get(content)
                if claimed is not None and (claimed["article_pk"], claimed["article_sk"]) != key:
                    return PutResult.EXISTS if key in self.items else PutResult.CONTENT_TAKEN
                self.items[content] = {
                    "pk": content[0],
                    "sk": content[1],
                    "type": "content",
                    "article_pk": key[0],
                    "article_sk": key[1],
                    "uploaded_at": item.get("uploaded_at"),
                }
            self.between_claim_and_article()
        with self.lock:
            self.calls.append("put_article")
            if key in self.items:
                return PutResult.EXISTS
            self.items[key] = _stored(item)
        self.between_writes()
        self.put_entries([*topic_items, *new_items])
        return PutResult.STORED

    def between_claim_and_article(self) -> None:
        """A hook for tests: runs between a content claim and the article's write."""

    def between_writes(self) -> None:
        """A hook for tests: runs between the article's write and its entries' write."""

    def put_entries(self, items: Sequence[Mapping[str, Any]]) -> None:
        with self.lock:
            self.calls.append("put_entries")
            for entry in items:
                self.items[(str(entry["pk"]), str(entry["sk"]))] = _stored(entry)

    def replace_article(
        self,
        item: Mapping[str, Any],
        topic_items: Sequence[Mapping[str, Any]],
        old_entry_keys: Sequence[tuple[str, str]],
    ) -> None:
        with self.lock:
            self.calls.append("replace_article")
            key = (str(item["pk"]), str(item["sk"]))
            if key not in self.items:
                raise KeyError(f"{key}: a backfill never creates the first record")
            self.items[key] = _stored(item)
            for old in old_entry_keys:
                self.items.pop(old, None)
            for topic in topic_items:
                self.items[(str(topic["pk"]), str(topic["sk"]))] = _stored(topic)

    # -- RetractionStore ------------------------------------------------------------------------

    def versions(self, bucket: str, key: str) -> list[dict[str, Any]]:
        pk = article_pk(bucket, key)
        with self.lock:
            return [
                dict(item)
                for (ipk, isk), item in sorted(self.items.items())
                if ipk == pk and isk.startswith("v#")
            ]

    def retract_article(self, pk: str, sk: str, retracted_at: str) -> bool:
        with self.lock:
            self.calls.append("retract_article")
            item = self.items.get((pk, sk))
            if item is None or item.get("status") == "retracted":
                return False
            item.update(retracted_from=item.get("status"), status="retracted")
            item.update(retracted_at=retracted_at)
            return True

    def release_content(self, claim: tuple[str, str], pk: str, sk: str) -> bool:
        with self.lock:
            item = self.items.get(claim)
            if item is None or (item.get("article_pk"), item.get("article_sk")) != (pk, sk):
                return False
            del self.items[claim]
            return True

    def delete_items(self, keys: Sequence[tuple[str, str]]) -> None:
        with self.lock:
            self.calls.append("delete_items")
            for key in keys:
                self.items.pop(key, None)

    # -- AlertStates ----------------------------------------------------------------------------

    def claim_alert(self, pk: str, sk: str, token: str, now: int, lease_until: int) -> str:
        with self.lock:
            self.calls.append("claim_alert")
            item = self.items.get((pk, sk))
            if item is None:
                return AlertClaim.MISSING
            state = item.get("alert_state")
            expired = state == "sending" and int(item.get("alert_lease_until", 0)) < now
            if item.get("status") == "processed" and (state in ("pending", "retry") or expired):
                item.update(alert_state="sending", alert_claim=token, alert_lease_until=lease_until)
                return AlertClaim.CLAIMED
            return AlertClaim.BUSY if state == "sending" else AlertClaim.DONE

    def _finish(self, pk: str, sk: str, token: str, state: str, fields: dict[str, Any]) -> bool:
        item = self.items.get((pk, sk))
        if item is None or item.get("alert_state") != "sending" or item.get("alert_claim") != token:
            return False
        item.update(fields, alert_state=state)
        item.pop("alert_claim", None)
        item.pop("alert_lease_until", None)
        return True

    def mark_alerted(
        self,
        pk: str,
        sk: str,
        *,
        token: str,
        topics: Sequence[str],
        message_id: str,
        alerted_at: str,
        held_topics: Sequence[str] = (),
    ) -> bool:
        with self.lock:
            self.calls.append("mark_alerted")
            return self._finish(
                pk,
                sk,
                token,
                "sent",
                {
                    "alerted_at": alerted_at,
                    "alert_topics": list(topics),
                    "alert_message_id": message_id,
                    "alert_held_topics": list(held_topics),
                },
            )

    def mark_held(
        self, pk: str, sk: str, *, token: str, held_topics: Sequence[str], decided_at: str
    ) -> bool:
        with self.lock:
            self.calls.append("mark_held")
            fields = {"alert_checked_at": decided_at, "alert_held_topics": list(held_topics)}
            return self._finish(pk, sk, token, "held", fields)

    def release_alert(self, pk: str, sk: str, token: str) -> bool:
        with self.lock:
            self.calls.append("release_alert")
            return self._finish(pk, sk, token, "retry", {})

    def mark_no_alert(self, pk: str, sk: str, decided_at: str) -> bool:
        with self.lock:
            self.calls.append("mark_no_alert")
            item = self.items.get((pk, sk))
            if item is None or item.get("alert_state") != "pending":
                return False
            item.update(alert_state="none", alert_checked_at=decided_at)
            return True

    def take_alert_quota(self, topic: str, hour: str, limit: int, expires_at: int) -> bool:
        with self.lock:
            self.calls.append("take_alert_quota")
            key = alert_cap_key(topic, hour)
            counter = self.items.setdefault(key, {"pk": key[0], "sk": key[1], "type": "alertcap"})
            if int(counter.get("sent", 0)) >= limit:
                return False
            counter.update(sent=int(counter.get("sent", 0)) + 1, expires_at=expires_at)
            return True

    def return_alert_quota(self, topic: str, hour: str) -> None:
        with self.lock:
            self.calls.append("return_alert_quota")
            counter = self.items.get(alert_cap_key(topic, hour))
            if counter is None or int(counter.get("sent", 0)) <= 0:
                raise ValueError("condition failed: nothing to return")
            counter["sent"] = int(counter["sent"]) - 1

    def quota_used(self, topic: str, hour: str) -> int:
        return int(self.items.get(alert_cap_key(topic, hour), {}).get("sent", 0))

    # -- NearDuplicateIndex ---------------------------------------------------------------------

    def near_band_items(self, band_keys: Sequence[str]) -> list[dict[str, Any]]:
        with self.lock:
            self.calls.append("near_band_items")
            found = (self._read(key, NEAR_BAND_SK) for key in dict.fromkeys(band_keys))
            return [item for item in found if item is not None]

    def near_lookup(
        self, article: tuple[str, str], content_sha256: str, band_keys: Sequence[str]
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, list[dict[str, Any]]]:
        with self.lock:
            self.calls.append("near_lookup")
            own = self._read(*article)
            first = self._read(*content_key(content_sha256))
            found = (self._read(key, NEAR_BAND_SK) for key in dict.fromkeys(band_keys))
            return own, first, [item for item in found if item is not None]

    def register_near_member(
        self, band_keys: Sequence[str], member: str, value: Mapping[str, Any]
    ) -> int:
        with self.lock:
            self.calls.append("register_near_member")
            added = 0
            for key in dict.fromkeys(band_keys):
                band = self.items.setdefault(
                    (key, NEAR_BAND_SK), {"pk": key, "sk": NEAR_BAND_SK, "type": "nearband"}
                )
                if member in band or int(band.get("member_count", 0)) >= MAX_BAND_MEMBERS:
                    continue
                band[member] = copy.deepcopy(dict(value))
                band["member_count"] = int(band.get("member_count", 0)) + 1
                added += 1
            return added

    # -- what the tests read --------------------------------------------------------------------

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(i) for i in self.items.values() if i.get("type") == kind]

    def articles(self) -> list[dict[str, Any]]:
        return self.of_type("article")


def _stored(item: Mapping[str, Any]) -> dict[str, Any]:
    # What DynamoDB keeps: no None values (serialize_item drops them), a copy nobody else edits.
    return {k: copy.deepcopy(v) for k, v in item.items() if v is not None}


class FakePublisher:
    """AlertPublisher that keeps what it published; ``fail`` makes the next publishes raise."""

    def __init__(self) -> None:
        self.messages: list[AlertMessage] = []
        self.fail: Exception | None = None
        self._ids = itertools.count(1)
        self.lock = threading.Lock()

    def publish(self, message: AlertMessage) -> str:
        with self.lock:
            if self.fail is not None:
                raise self.fail
            self.messages.append(message)
            return f"message-{next(self._ids)}"


class FakeArchive:
    """ArchiveReader over a FakeTable's topic entries and articles."""

    def __init__(self, table: FakeTable) -> None:
        self.table = table

    def topic_entries(
        self, topic: str, window: TimeRange = ALL_TIME, limit: int | None = None
    ) -> Iterator[dict[str, Any]]:
        entries = [
            e
            for e in self.table.of_type("topic")
            if e["topic"] == topic
            and (window.since is None or e["uploaded_at"] >= window.since)
            and (window.until is None or e["uploaded_at"] <= window.until)
        ]
        entries.sort(key=lambda e: str(e["uploaded_at"]), reverse=True)
        yield from entries[:limit]

    def fetch(self, keys: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        found = (self.table.get(pk, sk) for pk, sk in keys)
        return [item for item in found if item is not None]


class FakeDigestMarks:
    """Each topic's last ``until`` and the claim (token, lease) of the period being sent."""

    def __init__(self) -> None:
        self.until: dict[str, str] = {}
        self.claims: dict[str, tuple[str, int]] = {}
        self.lock = threading.Lock()

    def last_until(self, topic: str) -> str | None:
        with self.lock:
            return self.until.get(topic)

    def claim(
        self,
        topic: str,
        previous: str | None,
        until: str,
        *,
        token: str,
        now: int,
        lease_until: int,
    ) -> bool:
        with self.lock:
            held = self.claims.get(topic)
            if self.until.get(topic) != previous or (held is not None and held[1] >= now):
                return False
            self.claims[topic] = (token, lease_until)
            return True

    def commit(self, topic: str, token: str, until: str) -> bool:
        with self.lock:
            if self.claims.get(topic, ("", 0))[0] != token:
                return False
            del self.claims[topic]
            self.until[topic] = until
            return True

    def release(self, topic: str, token: str) -> None:
        with self.lock:
            if self.claims.get(topic, ("", 0))[0] == token:
                del self.claims[topic]


@dataclass
class FakeClock:
    """A clock the test moves: ``clock.advance(seconds=90)``."""

    moment: datetime = field(default_factory=lambda: datetime(2026, 11, 29, 18, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


def check_protocols() -> None:
    """Never fails at run time: mypy checks that each fake is what its protocol asks for."""
    table = FakeTable()
    ports: tuple[
        ArticleSource,
        BackfillStore,
        AlertStates,
        NearDuplicateIndex,
        AlertPublisher,
        ArchiveReader,
        DigestMarks,
    ] = (
        FakeSource(),
        table,
        table,
        table,
        FakePublisher(),
        FakeArchive(table),
        FakeDigestMarks(),
    )
    now: Callable[[], datetime] = FakeClock().now
    assert ports and now is not None
