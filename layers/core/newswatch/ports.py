"""Every port the use cases are written against, and the types that cross them.

The adapters (:mod:`newswatch.adapters`) implement these over boto3; the tests' in-memory fakes
(``tests/fakes.py``) implement them over dicts and are type-checked against the same protocols.
Items cross the store ports as plain Python mappings laid out as :mod:`newswatch.domain.records`
describes; numbers come back as Decimal from DynamoDB and as int/float from the fakes, and the use
cases treat both alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from newswatch.domain.alerts import AlertMessage, ArticleLink
    from newswatch.domain.models import Analysis, PlaceTag, Summary, SummaryLength, TopicTag

# Milliseconds left in the invocation (Lambda's ``context.get_remaining_time_in_millis``).
Deadline = Callable[[], int]


# -- the clock ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """Wall time, injectable so tests can move past a lease or an hour."""

    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


# -- article objects (S3) ----------------------------------------------------------------------


class ObjectNotFoundError(Exception):
    """The object (or this version of it) no longer exists."""

    code = "object_not_found"

    def __init__(self, bucket: str, key: str, version_id: str | None) -> None:
        where = f"s3://{bucket}/{key}" + (f" version {version_id}" if version_id else "")
        super().__init__(f"{where} was deleted before it could be processed")
        self.bucket = bucket
        self.key = key
        self.version_id = version_id


@dataclass(frozen=True)
class ObjectHead:
    size: int
    version_id: str | None
    content_type: str | None


class ArticleSource(Protocol):
    """Raises :class:`ObjectNotFoundError` for a deleted object; anything else is transient."""

    def head(self, bucket: str, key: str, version_id: str | None) -> ObjectHead: ...

    def read(self, bucket: str, key: str, version_id: str | None, max_bytes: int) -> bytes: ...

    def fetch(
        self, bucket: str, key: str, version_id: str | None, max_bytes: int
    ) -> tuple[ObjectHead, bytes]:
        """The head and (at most ``max_bytes + 1``) bytes in one request."""
        ...


# -- the analysis (extract, summarize, tag) ----------------------------------------------------


class Summarizer(Protocol):
    name: str

    def summarize(
        self, sentences: Sequence[str], length: SummaryLength, title: str | None = None
    ) -> Summary: ...


class Tagger(Protocol):
    def tag(self, sentences: Sequence[str], title: str | None = None) -> tuple[TopicTag, ...]: ...


class PlaceDetector(Protocol):
    def detect(
        self, sentences: Sequence[str], title: str | None = None
    ) -> tuple[PlaceTag, ...]: ...


class ArticleAnalyzer(Protocol):
    """What ingest needs of :class:`newswatch.analyzer.Analyzer`: bytes in, an Analysis out, or a
    :class:`~newswatch.domain.errors.NewswatchError` for input that cannot be read."""

    def analyze_bytes(
        self,
        data: bytes,
        name: str,
        content_type: str | None = None,
        deadline: Deadline | None = None,
    ) -> Analysis: ...


# -- the articles table ------------------------------------------------------------------------


class PutResult:
    STORED = "stored"
    EXISTS = "exists"  # this object version is already stored
    CONTENT_TAKEN = "content_taken"  # another article claimed these bytes first


class AlertClaim:
    CLAIMED = "claimed"
    DONE = "done"  # already sent, or decided that no alert is needed
    BUSY = "busy"  # another invocation holds a live claim
    MISSING = "missing"


class ArticleStore(Protocol):
    def get(self, pk: str, sk: str) -> dict[str, Any] | None: ...

    def find_original(
        self, content_sha256: str, exclude: tuple[str, str] | None = None
    ) -> dict[str, Any] | None: ...

    def put_article(
        self,
        item: Mapping[str, Any],
        topic_items: Sequence[Mapping[str, Any]] = (),
        *,
        claim_content: bool = False,
        new_items: Sequence[Mapping[str, Any]] = (),
    ) -> str: ...

    def put_entries(self, items: Sequence[Mapping[str, Any]]) -> None:
        """Put whole items no other article writes (topic entries, new band items); idempotent."""
        ...


class RetractionStore(Protocol):
    def get(self, pk: str, sk: str) -> dict[str, Any] | None: ...

    def versions(self, bucket: str, key: str) -> list[dict[str, Any]]:
        """Every stored version of one object (article items only)."""
        ...

    def retract_article(self, pk: str, sk: str, retracted_at: str) -> bool:
        """Mark a stored article ``retracted``; False if it is not stored or already was."""
        ...

    def delete_items(self, keys: Sequence[tuple[str, str]]) -> None:
        """Delete items by (pk, sk); idempotent (an absent item is no error)."""
        ...

    def release_content(self, claim: tuple[str, str], pk: str, sk: str) -> bool:
        """Delete the content claim ``claim`` if it names the article (pk, sk)."""
        ...


class BackfillStore(ArticleStore, Protocol):
    def replace_article(
        self,
        item: Mapping[str, Any],
        topic_items: Sequence[Mapping[str, Any]],
        old_entry_keys: Sequence[tuple[str, str]],
    ) -> None: ...


class AlertStates(Protocol):
    """The alert state machine on the article item and the hourly cap's counters."""

    def claim_alert(self, pk: str, sk: str, token: str, now: int, lease_until: int) -> str: ...

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
    ) -> bool: ...

    def mark_held(
        self, pk: str, sk: str, *, token: str, held_topics: Sequence[str], decided_at: str
    ) -> bool: ...

    def release_alert(self, pk: str, sk: str, token: str) -> bool: ...

    def mark_no_alert(self, pk: str, sk: str, decided_at: str) -> bool: ...

    def get(self, pk: str, sk: str) -> dict[str, Any] | None: ...

    def pointers(self, pk: str) -> list[dict[str, Any]]:
        """Every item of one partition (the items an alert reference's partition holds)."""
        ...

    def take_alert_quota(self, topic: str, hour: str, limit: int, expires_at: int) -> bool: ...

    def return_alert_quota(self, topic: str, hour: str) -> None: ...


class NearDuplicateIndex(Protocol):
    """The band items of :mod:`newswatch.domain.neardup`."""

    def near_band_items(self, band_keys: Sequence[str]) -> list[dict[str, Any]]: ...

    def near_lookup(
        self, article: tuple[str, str], content_sha256: str, band_keys: Sequence[str]
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, list[dict[str, Any]]]:
        """The article's own item (a redelivery), the ``content#`` item of its bytes and the band
        items that exist: the "already stored", duplicate and near-duplicate checks in one read."""
        ...

    def original_named_by(
        self, first: Mapping[str, Any] | None, exclude: tuple[str, str] | None = None
    ) -> dict[str, Any] | None:
        """The processed article a ``content#`` item names, unless it is ``exclude``."""
        ...

    def register_near_member(
        self, band_keys: Sequence[str], member: str, value: Mapping[str, Any]
    ) -> int: ...


@dataclass(frozen=True)
class TimeRange:
    since: str | None = None  # ISO-8601 UTC, inclusive
    until: str | None = None  # ISO-8601 UTC, inclusive


class ArchiveReader(Protocol):
    def topic_entries(
        self, topic: str, window: TimeRange = TimeRange(), limit: int | None = None
    ) -> Iterator[dict[str, Any]]: ...

    def fetch(self, keys: Sequence[tuple[str, str]]) -> list[dict[str, Any]]: ...


class DigestMarks(Protocol):
    """Where each topic's last digest ended, and the claim of the period being sent."""

    def last_until(self, topic: str) -> str | None: ...

    def claim(
        self,
        topic: str,
        previous: str | None,
        until: str,
        *,
        token: str,
        now: int,
        lease_until: int,
    ) -> bool: ...

    def commit(self, topic: str, token: str, until: str) -> bool: ...

    def release(self, topic: str, token: str) -> None: ...


# -- subscribers (SNS) -------------------------------------------------------------------------


class AlertPublisher(Protocol):
    def publish(self, message: AlertMessage) -> str: ...


class ArticleLinker(Protocol):
    """The link an alert gives to open the article (a presigned URL, or a public page)."""

    def link(self, bucket: str, key: str, version_id: str | None) -> ArticleLink: ...


# -- policy: the settings each use case reads (newswatch.settings.Settings has them all) --------


class TopicSettings(Protocol):
    """Which stored topics alert: the rule ingest (deciding ``alert_state``) and alert share
    (each taxonomy topic's ``alert_threshold``, else the minimum score; ``watched_topics`` an
    optional allow-list)."""

    @property
    def watched_topics(self) -> tuple[str, ...]: ...

    @property
    def min_topic_score(self) -> float: ...

    @property
    def taxonomy_path(self) -> Path | None: ...


class IngestSettings(TopicSettings, Protocol):
    @property
    def max_article_bytes(self) -> int: ...

    @property
    def near_dup_threshold(self) -> float: ...


class AlertSettings(TopicSettings, Protocol):
    @property
    def alert_lease_seconds(self) -> int: ...

    @property
    def max_alerts_per_topic_per_hour(self) -> int: ...
