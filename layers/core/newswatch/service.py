"""The two use cases the Lambda handlers, the local stack and the CLI share.

``ingest_object``: one S3 object version -> exactly one article item, whatever the delivery.

- Permanent problems with the file (:class:`~newswatch.domain.errors.NewswatchError`) are stored as
  ``failed`` with an error code and reason, and the message succeeds: retrying the same bytes would
  fail the same way.
- An object deleted before we read it is stored as ``skipped``.
- Transient AWS errors (throttling, 5xx, network) propagate, so the queue retries the message; every
  step before the single conditional write is a read, so a retry is always safe.
- The same bytes already stored under another key (or version) become a ``duplicate`` pointing at
  the first article; duplicates never alert.
- A processed article whose text is a near-duplicate of an earlier one (MinHash over word
  shingles, :mod:`newswatch.domain.neardup`; one BatchGetItem of its 16 band items) is flagged
  ``near_duplicate`` with ``near_duplicate_of`` / ``near_duplicate_similarity``. It alerts only
  for watched topics none of its near-duplicates had: those are stored as ``alert_only_topics``
  and the alert is restricted to them; with none, ``alert_state`` is ``none`` from the start. The
  article then registers itself in its band items (conditional updates, so a redelivery never
  registers twice); it keeps its encoded fingerprint (``near_fingerprint``) so a redelivery after
  a crash between the write and the registration completes the registration.

``alert_record``: one processed article (a stream NEW_IMAGE) -> at most one SNS alert.

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
import hashlib
import logging
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from newswatch.adapters.dynamodb import (
    REFERENCE_SK,
    PutResult,
    article_pk,
    article_sk,
    new_band_item,
    place_index_key,
    place_sk,
    reference_pk,
    topic_sk,
)
from newswatch.adapters.s3 import ObjectHead, ObjectNotFoundError
from newswatch.domain.alerts import (
    AlertMessage,
    AlertPolicy,
    ArticleLink,
    MatchedTopic,
    match_topics,
    reference_of,
    render_alert,
)
from newswatch.domain.errors import NewswatchError, OutOfTimeError, TooLargeError
from newswatch.domain.neardup import (
    Fingerprint,
    NearDuplicate,
    article_ref,
    find_near_duplicates,
    fingerprint,
    member_attribute,
    member_value,
    members_from_band_items,
    new_watched_topics,
)
from newswatch.domain.place_alerts import place_alert_due, render_place_alert, with_places

if TYPE_CHECKING:
    from newswatch.domain.models import Analysis
    from newswatch.settings import Settings

_log = logging.getLogger(__name__)

PROCESSED = "processed"
DUPLICATE = "duplicate"
FAILED = "failed"
SKIPPED = "skipped"
ALREADY_STORED = "already_stored"

# Bounds that keep an item far below DynamoDB's 400 KB, whatever the input (a 10 MiB text with no
# full stop is one "sentence").
MAX_TITLE_CHARS = 500
MAX_SENTENCE_CHARS = 1500
MAX_SUMMARY_SENTENCES = 10
MAX_TOPICS = 50
MAX_PLACES = 10
# As many as an alert shows (domain.alerts.EMAIL_MAX_EVIDENCE); each is in the item's size.
MAX_EVIDENCE = 3
MAX_EVIDENCE_CHARS = 400
MAX_REASON_CHARS = 500
FLAG_CLIPPED = "clipped_for_storage"
FLAG_NEAR_DUPLICATE = "near_duplicate"


# -- ports ------------------------------------------------------------------------------------


class ArticleSource(Protocol):
    def head(self, bucket: str, key: str, version_id: str | None) -> ObjectHead: ...

    def fetch(
        self, bucket: str, key: str, version_id: str | None, max_bytes: int
    ) -> tuple[ObjectHead, bytes]: ...

    def read(self, bucket: str, key: str, version_id: str | None, max_bytes: int) -> bytes: ...


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

    def put_entries(self, items: Sequence[Mapping[str, Any]]) -> None: ...

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

    def take_alert_quota(self, topic: str, hour: str, limit: int, expires_at: int) -> bool: ...

    def return_alert_quota(self, topic: str, hour: str) -> None: ...

    def release_alert(self, pk: str, sk: str, token: str) -> bool: ...

    def mark_no_alert(self, pk: str, sk: str, decided_at: str) -> bool: ...

    def put_reference(self, reference: str, pk: str, sk: str) -> None: ...


class NearDuplicateIndex(Protocol):
    """The band items of :mod:`newswatch.domain.neardup` (DynamoArticleStore implements it)."""

    def near_band_items(self, band_keys: Sequence[str]) -> list[dict[str, Any]]: ...

    def near_lookup(
        self, article: tuple[str, str], content_sha256: str, band_keys: Sequence[str]
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, list[dict[str, Any]]]: ...

    def original_named_by(
        self, first: Mapping[str, Any] | None, exclude: tuple[str, str] | None = None
    ) -> dict[str, Any] | None: ...

    def register_near_member(
        self, band_keys: Sequence[str], member: str, value: Mapping[str, Any]
    ) -> int: ...


class BackfillStore(ArticleStore, Protocol):
    def replace_article(
        self,
        item: Mapping[str, Any],
        topic_items: Sequence[Mapping[str, Any]],
        old_topic_sks: Sequence[str],
    ) -> None: ...


class Analyzer(Protocol):
    """What ingest needs of :class:`newswatch.pipeline.Pipeline`."""

    def analyze_bytes(
        self, data: bytes, name: str, content_type: str | None = None
    ) -> Analysis: ...


class AlertPublisher(Protocol):
    def publish(self, message: AlertMessage) -> str: ...


class ArticleLinker(Protocol):
    """The link an alert gives to open the article (a presigned URL, or a public page)."""

    def link(self, bucket: str, key: str, version_id: str | None) -> ArticleLink: ...


# -- outcomes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestOutcome:
    status: str  # processed | duplicate | failed | skipped | already_stored | reprocessed
    bucket: str
    key: str
    version_id: str | None
    pk: str
    sk: str
    error_code: str | None = None
    reason: str | None = None
    duplicate_of: str | None = None
    topics: tuple[str, ...] = ()
    # For already_stored: the status the earlier delivery stored.
    stored_status: str | None = None
    # For a near-duplicate: the earlier article's ref and the watched topics it may alert for.
    near_duplicate_of: str | None = None
    alert_only_topics: tuple[str, ...] = ()


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


class AlertInProgressError(Exception):
    """Another invocation holds a live claim on this alert; retry the record later."""


class AlertPublishError(Exception):
    """SNS did not take the alert; the claim was released and the record should be retried."""


@dataclass(frozen=True)
class Clock:
    """Wall time, injectable so tests can move past a lease."""

    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def normalize_event_time(event_time: str | None, fallback: datetime) -> str:
    """S3's eventTime as ISO-8601 UTC with milliseconds and a Z (sortable, as the index needs)."""
    if event_time:
        try:
            parsed = datetime.fromisoformat(event_time.replace("Z", "+00:00"))
        except ValueError:
            parsed = fallback
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return iso(parsed)
    return iso(fallback)


def _clip(text: str, limit: int) -> tuple[str, bool]:
    return (text, False) if len(text) <= limit else (text[: limit - 1].rstrip() + "…", True)


# -- ingest -----------------------------------------------------------------------------------


def _analysis_fields(analysis: Analysis) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The item fields an analysis fills in, and its topics as stored maps."""
    clipped = False
    title, cut = _clip((analysis.title or "").strip(), MAX_TITLE_CHARS)
    clipped |= cut
    headline = _clip((analysis.headline or "").strip(), MAX_TITLE_CHARS)[0]
    sentences = []
    for sentence in analysis.summary.sentences[:MAX_SUMMARY_SENTENCES]:
        text, cut = _clip(sentence, MAX_SENTENCE_CHARS)
        clipped |= cut
        sentences.append(text)
    clipped |= len(analysis.summary.sentences) > MAX_SUMMARY_SENTENCES
    topics = []
    for tag in sorted(analysis.topics, key=lambda t: -t.score)[:MAX_TOPICS]:
        evidence = [_clip(e, MAX_EVIDENCE_CHARS)[0] for e in tag.evidence[:MAX_EVIDENCE]]
        topics.append(
            {
                "label": tag.label,
                "score": round(float(tag.score), 4),
                "iptc": tag.iptc,
                "evidence": evidence,
            }
        )
    countries = [
        {
            "code": place.code,
            "name": place.name,
            "score": round(float(place.score), 4),
            "evidence": [_clip(e, MAX_EVIDENCE_CHARS)[0] for e in place.evidence[:MAX_EVIDENCE]],
        }
        for place in analysis.places[:MAX_PLACES]
    ]
    flags = list(analysis.flags) + ([FLAG_CLIPPED] if clipped else [])
    fields: dict[str, Any] = {
        "title": title or None,
        # What the article is called everywhere (its title, else its first sentence shortened).
        "headline": title or headline or None,
        # The sentences are stored once, joined: a list beside it doubled the item's largest field.
        "summary": " ".join(sentences),
        "summary_engine": analysis.summary.engine,
        "language": analysis.language,
        "word_count": analysis.word_count,
        "content_sha256": analysis.content_sha256,
        "topics": topics,
        "topic_labels": [t["label"] for t in topics],
        "top_topic": topics[0]["label"] if topics else None,
        "countries": countries,
        "country_codes": [c["code"] for c in countries],
        "flags": flags,
        "format": analysis.document.format,
    }
    return fields, topics


def _topic_items(
    item: Mapping[str, Any], topics: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    version = item["version_id"]
    return [
        {
            "pk": item["pk"],
            "sk": topic_sk(topic["label"], version),
            "type": "topic",
            "topic": topic["label"],
            "uploaded_at": item["uploaded_at"],
            "title": item.get("title"),
            "headline": item.get("headline"),
            "summary": item.get("summary"),
            "score": topic["score"],
            "s3_uri": f"s3://{item['bucket']}/{item['key']}",
            "article_pk": item["pk"],
            "article_sk": item["sk"],
            # Lets the archive and digests show a re-uploaded story once (None is not stored).
            "near_duplicate_of": item.get("near_duplicate_of"),
            "country_codes": item.get("country_codes"),
        }
        for topic in topics
    ] + _place_items(item)


def _place_items(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One index entry per country the article is about: the archive's "articles about SD"."""
    version = item["version_id"]
    return [
        {
            "pk": item["pk"],
            "sk": place_sk(country["code"], version),
            "type": "place",
            "topic": place_index_key(country["code"]),
            "place": country["code"],
            "uploaded_at": item["uploaded_at"],
            "title": item.get("title"),
            "summary": item.get("summary"),
            "score": country["score"],
            "s3_uri": f"s3://{item['bucket']}/{item['key']}",
            "article_pk": item["pk"],
            "article_sk": item["sk"],
            "near_duplicate_of": item.get("near_duplicate_of"),
            # The article's topics, so "--place SD --topic ceasefire" needs no second read.
            "topics": [
                {"label": topic["label"], "score": topic["score"]}
                for topic in item.get("topics") or ()
            ],
            "country_codes": item.get("country_codes"),
        }
        for country in item.get("countries") or ()
    ]


# Fields a duplicate copies from the article it duplicates, so listings still show something useful.
_DUPLICATE_COPIES = (
    "title", "headline", "summary", "language", "word_count", "format", "top_topic",
)  # fmt: skip


class _Ingest:
    """One run of :func:`ingest_object`; holds the object's identity while it is worked out."""

    def __init__(
        self,
        bucket: str,
        key: str,
        version_id: str | None,
        *,
        uploaded_at: str,
        store: ArticleStore,
        clock: Clock,
        near_index: NearDuplicateIndex | None = None,
    ) -> None:
        self.bucket = bucket
        self.key = key
        self.version = version_id or None
        self.uploaded_at = uploaded_at
        self.store = store
        self.clock = clock
        self.near_index = near_index

    @property
    def pk(self) -> str:
        return article_pk(self.bucket, self.key)

    @property
    def sk(self) -> str:
        return article_sk(self.version)

    def outcome(self, status: str, **kw: Any) -> IngestOutcome:
        return IngestOutcome(status, self.bucket, self.key, self.version, self.pk, self.sk, **kw)

    def existing(self, item: Mapping[str, Any] | None = None) -> IngestOutcome | None:
        """An earlier delivery's result for this version, if there is one (``item``: already
        read; else one GetItem)."""
        item = item or self.store.get(self.pk, self.sk)
        if item is None:
            return None
        if self.near_index is not None and item.get("status") == PROCESSED:
            # The earlier delivery may have died between its write and its entries (idempotent).
            self.store.put_entries(_topic_items(item, item.get("topics") or ()))
            _register_stored(self.near_index, item)
        return self.outcome(ALREADY_STORED, stored_status=str(item.get("status")))

    def item(self, status: str, size: int | None) -> dict[str, Any]:
        return {
            "pk": self.pk,
            "sk": self.sk,
            "type": "article",
            "bucket": self.bucket,
            "key": self.key,
            "version_id": self.version or "null",
            "status": status,
            "uploaded_at": self.uploaded_at,
            # The ByUploadDay index's partition: every article of a day, whatever its status.
            "upload_day": self.uploaded_at[:10],
            "processed_at": iso(self.clock.now()),
            "size": size,
            "alert_state": "none",
        }

    def store_item(
        self, item: dict[str, Any], topic_maps: Sequence[Mapping[str, Any]] = (), **kw: Any
    ) -> IngestOutcome:
        result = self.store.put_article(item, _topic_items(item, topic_maps))
        if result == PutResult.EXISTS:
            # A concurrent delivery stored this version first.
            return self.existing() or self.outcome(ALREADY_STORED)
        return self.outcome(item["status"], **kw)

    def failed(self, code: str, reason: str, size: int | None) -> IngestOutcome:
        reason = _clip(reason, MAX_REASON_CHARS)[0]
        item = self.item(FAILED, size)
        item.update(error_code=code, error=reason)
        return self.store_item(item, error_code=code, reason=reason)

    def skipped(self, error: ObjectNotFoundError, size: int | None) -> IngestOutcome:
        reason = str(error)
        item = self.item(SKIPPED, size)
        item.update(error_code=error.code, error=reason)
        return self.store_item(item, error_code=error.code, reason=reason)

    def duplicate(self, original: Mapping[str, Any], sha: str, size: int) -> IngestOutcome:
        duplicate_of = f"{original['pk']}|{original['sk']}"
        item = self.item(DUPLICATE, size)
        item.update({name: original.get(name) for name in _DUPLICATE_COPIES})
        item.update(
            content_sha256=sha,
            duplicate_of=duplicate_of,
            topic_labels=list(original.get("topic_labels") or []),
        )
        return self.store_item(item, duplicate_of=duplicate_of)

    def processed(
        self, analysis: Analysis, sha: str, size: int, settings: Settings
    ) -> IngestOutcome:
        """Store the analysed article, unless its bytes belong to an earlier one (a duplicate)."""
        fields, topic_maps = _analysis_fields(analysis)
        item = self.item(PROCESSED, size)
        item.update(fields)
        item.update(content_sha256=sha, alert_state="pending")
        new_bands: list[dict[str, Any]] = []
        old_bands: list[str] = []
        fp: Fingerprint | None = None
        if self.near_index is not None:
            fp = fingerprint(analysis.document.text)
            # The "already stored", duplicate and near-duplicate checks in one read.
            own, first, band_items = self.near_index.near_lookup(self.ref, sha, fp.band_keys)
            if own is not None:
                return self.existing(own) or self.outcome(ALREADY_STORED)
            original = self.near_index.original_named_by(first, exclude=self.ref)
            if original is not None:
                return self.duplicate(original, sha, size)
            members = members_from_band_items(band_items)
            matches = find_near_duplicates(
                fp, members, settings.near_dup_threshold, exclude={article_ref(*self.ref)}
            )
            if fp.band_keys:
                item["near_fingerprint"] = fp.encode()
            if matches:
                _mark_near_duplicate(item, matches, alert_policy(settings).labels)
            existing = {str(band["pk"]) for band in band_items}
            member, value = _membership(fp, item)
            new_bands = [new_band_item(k, member, value) for k in fp.band_keys if k not in existing]
            old_bands = [k for k in fp.band_keys if k in existing]
        _decide_alert_now(item, settings)
        result = self.store.put_article(
            item, _topic_items(item, topic_maps), claim_content=True, new_items=new_bands
        )
        if result == PutResult.EXISTS:
            return self.existing() or self.outcome(ALREADY_STORED)
        if result == PutResult.CONTENT_TAKEN:
            # A concurrent upload of the same bytes under another key was stored first.
            original = self.store.find_original(sha, exclude=(self.pk, self.sk))
            if original is None:
                raise RuntimeError(f"content {sha} is claimed but its article cannot be read")
            return self.duplicate(original, sha, size)
        if self.near_index is not None and fp is not None and old_bands:
            # Bands an earlier article is in: listed there by a conditional update each.
            self.near_index.register_near_member(old_bands, *_membership(fp, item))
        return self.outcome(
            PROCESSED,
            topics=tuple(t["label"] for t in topic_maps),
            near_duplicate_of=item.get("near_duplicate_of"),
            alert_only_topics=tuple(item.get("alert_only_topics") or ()),
        )

    @property
    def ref(self) -> tuple[str, str]:
        return self.pk, self.sk


def _decide_alert_now(item: dict[str, Any], settings: Settings) -> None:
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


def _mark_near_duplicate(
    item: dict[str, Any], matches: Sequence[tuple[NearDuplicate, float]], watched: Sequence[str]
) -> None:
    """Flag the item and restrict its alert to watched topics no earlier copy had."""
    best, score = matches[0]
    earlier_topics = sorted({label for match, _ in matches for label in match.topics})
    only = list(new_watched_topics(earlier_topics, item.get("topic_labels") or (), watched))
    item["flags"] = [*item.get("flags", []), FLAG_NEAR_DUPLICATE]
    item.update(
        near_duplicate_of=best.ref,
        near_duplicate_similarity=round(score, 4),
        near_duplicate_count=len(matches),
        near_duplicate_topics=earlier_topics,
        alert_only_topics=only,
        alert_state="pending" if only else "none",
    )


def _membership(fp: Fingerprint, item: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The attribute name and value that list ``item`` in its band items."""
    ref = article_ref(str(item["pk"]), str(item["sk"]))
    value = member_value(fp, item.get("topic_labels") or (), str(item.get("uploaded_at", "")))
    return member_attribute(ref), value


def _register(index: NearDuplicateIndex, fp: Fingerprint, item: Mapping[str, Any]) -> None:
    index.register_near_member(fp.band_keys, *_membership(fp, item))


def _register_stored(index: NearDuplicateIndex, item: Mapping[str, Any]) -> None:
    encoded = item.get("near_fingerprint")
    if not encoded:
        return
    try:
        fp = Fingerprint.decode(str(encoded))
    except ValueError:
        _log.warning("unreadable near_fingerprint on %s|%s", item.get("pk"), item.get("sk"))
        return
    _register(index, fp, item)


def _analyze(pipeline: Analyzer, data: bytes, run: _Ingest, content_type: str | None) -> Any:
    """The analysis, or the (code, reason) of a permanent failure."""
    try:
        return pipeline.analyze_bytes(data, run.key.rsplit("/", 1)[-1], content_type)
    except NewswatchError as error:
        return (error.code, error.message)
    except OutOfTimeError:
        raise  # not the file's fault: the message is retried in a fresh invocation
    except Exception as error:
        # A bug on some input fails the same way every time: record it rather than retry it into
        # the dead-letter queue. The message is left out of the log: it may quote the article.
        # (A bug in the budget's child process arrives with the child's type and traceback.)
        kind = getattr(error, "kind", type(error).__name__)
        trace = getattr(error, "trace", None) or "".join(traceback.format_tb(error.__traceback__))
        _log.error("unexpected %s analysing s3://%s/%s\n%s", kind, run.bucket, run.key, trace)
        return ("internal_error", f"unexpected {kind} while analysing")


def ingest_object(
    bucket: str,
    key: str,
    version_id: str | None,
    event_time: str | None,
    size: int | None,
    *,
    source: ArticleSource,
    store: ArticleStore,
    pipeline: Analyzer,
    settings: Settings,
    clock: Clock | None = None,
    near_index: NearDuplicateIndex | None = None,
) -> IngestOutcome:
    """Process one S3 object version into exactly one stored item (see the module docstring).

    ``near_index``: where near-duplicates are looked up and registered (the handler passes its
    DynamoArticleStore); without one, no near-duplicate check is made.
    """
    clock = clock or Clock()
    run = _Ingest(
        bucket,
        key,
        version_id,
        uploaded_at=normalize_event_time(event_time, clock.now()),
        store=store,
        clock=clock,
        near_index=near_index,
    )

    # Without a near-duplicate index, a redelivery is answered from the table before touching S3;
    # with one, the index's lookup (one read after the analysis) answers it, saving a request on
    # every first delivery for some work on the rare redelivery.
    if run.version and near_index is None and (done := run.existing()):
        return done
    try:
        # One GetObject: the bytes (at most max_bytes + 1) and the head (size, version, type).
        head, data = source.fetch(bucket, key, run.version, settings.max_article_bytes)
    except ObjectNotFoundError as error:
        return run.skipped(error, size)
    if head.version_id and head.version_id != run.version:
        # The event carried no version id; the object's own is the one to key on.
        run.version = head.version_id
        if done := run.existing():
            return done

    max_bytes = settings.max_article_bytes
    if head.size > max_bytes or len(data) > max_bytes:
        too_large = TooLargeError(
            f"the object is {max(head.size, len(data))} bytes; the limit "
            f"(NEWSWATCH_MAX_ARTICLE_BYTES) is {max_bytes}"
        )
        return run.failed(too_large.code, too_large.message, max(head.size, len(data)))

    sha = hashlib.sha256(data).hexdigest()
    # With a near-duplicate index, the duplicate check is part of its lookup (one read, after
    # the analysis); without one, it is made here, before the analysis.
    original = store.find_original(sha, exclude=run.ref) if data and not near_index else None
    if original is not None:
        return run.duplicate(original, sha, len(data))

    result = _analyze(pipeline, data, run, head.content_type)
    if isinstance(result, tuple):
        code, reason = result
        return run.failed(code, reason, len(data))
    return run.processed(result, sha, len(data), settings)


REPROCESSED = "reprocessed"
# Alert states that mean subscribers were (or are being) told about this article already.
_ALERT_DECIDED = frozenset({"sending", "sent", "held"})


def reprocess_object(
    bucket: str,
    key: str,
    version_id: str | None,
    *,
    source: ArticleSource,
    store: BackfillStore,
    pipeline: Analyzer,
    settings: Settings,
    clock: Clock | None = None,
) -> IngestOutcome:
    """Analyse a stored object again (after a taxonomy or engine change) and replace its record.

    An object never stored goes through :func:`ingest_object`. A stored one keeps its upload time
    and, if its alert was already sent (or held back by the cap), its alert state: a backfill never
    alerts twice. An article that never alerted goes back to ``pending``, so the alert function
    decides again with the new topics. Duplicates stay duplicates of their original.
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
            source=source, store=store, pipeline=pipeline, settings=settings, clock=clock,
        )  # fmt: skip
    run = _Ingest(
        bucket, key, version, uploaded_at=str(stored["uploaded_at"]), store=store, clock=clock
    )
    if stored.get("status") == DUPLICATE:
        return run.outcome(ALREADY_STORED, stored_status=DUPLICATE)
    unchanged = run.outcome(ALREADY_STORED, stored_status=str(stored.get("status")))
    try:
        head = source.head(bucket, key, run.version)
        if head.size > settings.max_article_bytes:
            return unchanged  # still too large: the stored failure stands
        data = source.read(bucket, key, run.version, settings.max_article_bytes)
    except ObjectNotFoundError:
        return unchanged  # deleted since: nothing new can be learnt

    result = _analyze(pipeline, data, run, head.content_type)
    if isinstance(result, tuple):
        code, reason = result
        item = run.item(FAILED, len(data))
        item.update(error_code=code, error=_clip(reason, MAX_REASON_CHARS)[0])
        topic_maps: list[dict[str, Any]] = []
    else:
        fields, topic_maps = _analysis_fields(result)
        item = run.item(PROCESSED, len(data))
        item.update(fields)
        item["content_sha256"] = hashlib.sha256(data).hexdigest()
        item["alert_state"] = "pending"
        _keep_near_duplicate(item, stored, alert_policy(settings).labels)
    if stored.get("alert_state") == "sent" and not stored.get("alert_topics"):
        # Only a place alert went out: its new topics may alert, as a repeat for place-only
        # subscribers (domain/place_alerts.py), who were told already.
        item["alert_places_sent"] = True
    elif stored.get("alert_state") in _ALERT_DECIDED:
        item.update({k: v for k, v in stored.items() if k.startswith("alert")})
    item["reprocessed_at"] = iso(clock.now())
    old_topic_sks = [topic_sk(label, run.version) for label in stored.get("topic_labels") or ()]
    old_topic_sks += [place_sk(code, run.version) for code in stored.get("country_codes") or ()]
    store.replace_article(item, _topic_items(item, topic_maps), old_topic_sks)
    return run.outcome(
        REPROCESSED if item["status"] == PROCESSED else FAILED,
        error_code=item.get("error_code"),
        reason=item.get("error"),
        topics=tuple(t["label"] for t in topic_maps),
        stored_status=str(stored.get("status")),
    )


_NEAR_FIELDS = (
    "near_fingerprint",
    "near_duplicate_of",
    "near_duplicate_similarity",
    "near_duplicate_count",
    "near_duplicate_topics",
)


def _keep_near_duplicate(
    item: dict[str, Any], stored: Mapping[str, Any], watched: Sequence[str]
) -> None:
    """A re-analysed near-duplicate stays one; its alert is restricted again, with its new topics,
    to the watched topics its earlier copies lacked (kept in ``near_duplicate_topics``)."""
    item.update({name: stored[name] for name in _NEAR_FIELDS if name in stored})
    if not stored.get("near_duplicate_of"):
        return
    earlier = stored.get("near_duplicate_topics") or ()
    only = list(new_watched_topics(earlier, item.get("topic_labels") or (), watched))
    item["flags"] = [*item.get("flags", []), FLAG_NEAR_DUPLICATE]
    item.update(alert_only_topics=only, alert_state="pending" if only else "none")


# -- alert ------------------------------------------------------------------------------------


def alert_policy(settings: Settings) -> AlertPolicy:
    """The stack's alert policy: every topic of its taxonomy (or of ``WatchedTopics``, when that
    allow-list is set) alerts from its own ``alert_threshold``, else from the minimum score."""
    return _alert_policy(settings.taxonomy_path, settings.min_topic_score, settings.watched_topics)


@functools.cache
def _alert_policy(
    taxonomy_path: Path | None, min_score: float, watched: tuple[str, ...]
) -> AlertPolicy:
    from newswatch.domain.taxonomy import read_alert_thresholds

    return AlertPolicy.build(read_alert_thresholds(taxonomy_path), min_score, watched)


def alert_topics(record: Mapping[str, Any], settings: Settings) -> tuple[MatchedTopic, ...]:
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


def alert_record(
    record: Mapping[str, Any],
    *,
    store: ArticleStore,
    publisher: AlertPublisher,
    settings: Settings,
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
        store.mark_no_alert(pk, sk, iso(now))
        return AlertOutcome("not_watched", pk, sk)

    token = uuid.uuid4().hex
    lease = lease_seconds if lease_seconds is not None else settings.alert_lease_seconds
    epoch = int(now.timestamp())
    claim = store.claim_alert(pk, sk, token, now=epoch, lease_until=epoch + max(1, int(lease)))
    if claim == "busy":
        raise AlertInProgressError(f"{pk}|{sk}: another invocation is publishing this alert")
    if claim != "claimed":
        return AlertOutcome("already_done", pk, sk, reason=claim)

    # Quota is taken only under the claim, so a replayed record never spends it twice.
    try:
        allowed, held, hour = _apply_hourly_cap(matched, store, settings, now)
    except Exception:
        _release(store, pk, sk, token)
        raise
    held_labels = tuple(t.label for t in held)
    if matched and not allowed:
        store.mark_held(pk, sk, token=token, held_topics=held_labels, decided_at=iso(now))
        return AlertOutcome("held", pk, sk, held_topics=held_labels)

    try:
        bucket, key = str(record.get("bucket", "")), str(record.get("key", ""))
        link = linker.link(bucket, key, _version(record)) if linker else None
        # Before the publish: every reference a subscriber receives resolves (`newswatch show`).
        store.put_reference(reference_of(record), pk, sk)
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
            alerted_at=iso(clock.now()),
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


def find_by_reference(store: ArticleStore, reference: str) -> dict[str, Any] | None:
    """The article an alert's reference (``nw-...``, :mod:`newswatch.domain.reference`) names."""
    pointer = store.get(reference_pk(reference), REFERENCE_SK)
    if pointer is None:
        return None
    return store.get(str(pointer["article_pk"]), str(pointer["article_sk"]))


def _apply_hourly_cap(
    matched: Sequence[MatchedTopic], store: ArticleStore, settings: Settings, now: datetime
) -> tuple[list[MatchedTopic], list[MatchedTopic], str]:
    """(topics that may alert, topics the cap holds back, the clock hour counted in)."""
    hour = now.astimezone(UTC).strftime("%Y-%m-%dT%H")
    limit = settings.max_alerts_per_topic_per_hour
    if limit <= 0:
        return list(matched), [], hour
    # The counters are only needed for the hour they count; a table TTL on expires_at drops them.
    expires_at = int(now.timestamp()) + 2 * 3600
    allowed: list[MatchedTopic] = []
    held: list[MatchedTopic] = []
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
    store: ArticleStore, topics: Sequence[MatchedTopic], hour: str, settings: Settings
) -> None:
    if settings.max_alerts_per_topic_per_hour <= 0:
        return
    for topic in topics:
        try:
            store.return_alert_quota(topic.label, hour)
        except Exception:
            # A count not given back only makes the cap stricter for the rest of the hour.
            _log.warning("could not return the alert quota of %s for %s", topic.label, hour)


def _release(store: ArticleStore, pk: str, sk: str, token: str) -> None:
    try:
        store.release_alert(pk, sk, token)
    except Exception:
        # The lease expires on its own; the retry then takes the claim over.
        _log.warning("could not release the alert claim on %s|%s", pk, sk, exc_info=True)
