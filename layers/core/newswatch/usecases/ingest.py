"""Ingest: one S3 object version -> exactly one article item, whatever the delivery.

- Permanent problems with the file (:class:`~newswatch.domain.errors.NewswatchError`) are stored as
  ``failed`` with an error code and reason, and the message succeeds: retrying the same bytes would
  fail the same way.
- An object deleted before we read it is stored as ``skipped``.
- Transient AWS errors (throttling, 5xx, network) propagate, so the queue retries the message; every
  step before the single conditional write is a read, so a retry is always safe.
- The same bytes already stored under another key (or version) become a ``duplicate`` pointing at
  the first article; duplicates never alert. So do bytes a concurrent upload has claimed but not
  yet stored (:meth:`IngestRun.claimant`).
- A processed article whose text is a near-duplicate of an earlier one (MinHash over word
  shingles, :mod:`newswatch.domain.neardup`; :mod:`newswatch.usecases.near_duplicates`) is flagged
  ``near_duplicate`` with ``near_duplicate_of`` / ``near_duplicate_similarity``. It alerts only
  for watched topics none of its near-duplicates had: those are stored as ``alert_only_topics``
  and the alert is restricted to them; with none, ``alert_state`` is ``none`` from the start. The
  article then registers itself in its band items (conditional updates, so a redelivery never
  registers twice). A redelivery after a crash between the write and the registration computes
  the same fingerprint again and completes the registration (the item does not carry it: 350
  bytes of every write of the item, for a repair that has it at hand).
"""

from __future__ import annotations

import hashlib
import logging
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from newswatch.domain.errors import NewswatchError, OutOfTimeError, TooLargeError
from newswatch.domain.models import Analysis, TopicTag
from newswatch.domain.neardup import Fingerprint, fingerprint
from newswatch.domain.records import (
    ALREADY_STORED,
    DUPLICATE,
    DUPLICATE_COPIES,
    FAILED,
    MAX_REASON_CHARS,
    PROCESSED,
    SKIPPED,
    analysis_fields,
    article_item,
    article_pk,
    article_ref,
    article_sk,
    article_topics,
    clip,
    content_key,
    topic_items,
)
from newswatch.domain.timeutil import iso_utc, normalize_event_time
from newswatch.ports import (
    ArticleAnalyzer,
    ArticleSource,
    ArticleStore,
    Clock,
    Deadline,
    IngestSettings,
    NearDuplicateIndex,
    ObjectNotFoundError,
    PutResult,
)
from newswatch.usecases.alert import alert_policy, decide_alert_now
from newswatch.usecases.near_duplicates import (
    mark_near_duplicate,
    membership,
    near_matches,
    register,
    split_bands,
    told_topics,
)

__all__ = [
    "OUTCOME_METRICS",
    "IngestOutcome",
    "IngestRun",
    "OutOfTimeError",
    "analyze",
    "ingest_object",
    "normalize_event_time",
]

_log = logging.getLogger(__name__)


# -- what comes out ----------------------------------------------------------------------------


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
    # What the article's analysis used (time, memory of its child process), when it was analysed.
    article_usage: dict[str, Any] | None = None

    @property
    def metric(self) -> str:
        """The CloudWatch metric this outcome counts in."""
        return OUTCOME_METRICS[self.status]

    def log_fields(self) -> dict[str, Any]:
        """What the handler logs: status, codes and topic labels, never the article's text."""
        return {
            "status": self.status,
            "version_id": self.version_id,
            "error_code": self.error_code,
            "reason": self.reason,
            "duplicate_of": self.duplicate_of,
            "near_duplicate_of": self.near_duplicate_of,
            "alert_only_topics": list(self.alert_only_topics) if self.near_duplicate_of else None,
            "topics": list(self.topics),
            "stored_status": self.stored_status,
            "article_usage": self.article_usage,
        }


# The CloudWatch metric each outcome counts in (the alarms and the dashboard name them).
OUTCOME_METRICS = {
    PROCESSED: "ArticlesProcessed",
    FAILED: "ArticlesFailed",
    DUPLICATE: "ArticlesDuplicate",
    SKIPPED: "ArticlesSkipped",
    ALREADY_STORED: "DeliveriesAlreadyStored",
}


# -- the use case ------------------------------------------------------------------------------


class IngestRun:
    """One run of :func:`ingest_object` (or a backfill's); holds the object's identity while it is
    worked out and writes its one item."""

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

    @property
    def ref(self) -> tuple[str, str]:
        return self.pk, self.sk

    def outcome(self, status: str, **kw: Any) -> IngestOutcome:
        return IngestOutcome(status, self.bucket, self.key, self.version, self.pk, self.sk, **kw)

    def existing(
        self,
        item: Mapping[str, Any] | None = None,
        fp: Fingerprint | None = None,
        settings: IngestSettings | None = None,
    ) -> IngestOutcome | None:
        """An earlier delivery's result for this version, if there is one (``item``: already
        read; else one GetItem). ``fp``: this delivery's fingerprint of the article's text, to
        complete its band registration (with ``settings``, which say what its alert told)."""
        item = item or self.store.get(self.pk, self.sk)
        if item is None:
            return None
        if self.near_index is not None and item.get("status") == PROCESSED:
            # The earlier delivery may have died between its write and its entries (idempotent).
            self.store.put_entries(topic_items(item, article_topics(item)))
            if fp is not None and fp.band_keys and settings is not None:
                register(self.near_index, fp, item, told_topics(item, settings))
        return self.outcome(ALREADY_STORED, stored_status=str(item.get("status")))

    def item(self, status: str, size: int | None) -> dict[str, Any]:
        return article_item(
            self.bucket,
            self.key,
            self.version,
            status=status,
            uploaded_at=self.uploaded_at,
            processed_at=iso_utc(self.clock.now()),
            size=size,
        )

    def store_item(
        self, item: dict[str, Any], topics: Sequence[TopicTag] = (), **kw: Any
    ) -> IngestOutcome:
        result = self.store.put_article(item, topic_items(item, topics))
        if result == PutResult.EXISTS:
            # A concurrent delivery stored this version first.
            return self.existing() or self.outcome(ALREADY_STORED)
        return self.outcome(item["status"], **kw)

    def failed(self, code: str, reason: str, size: int | None) -> IngestOutcome:
        reason = clip(reason, MAX_REASON_CHARS)[0]
        item = self.item(FAILED, size)
        item.update(error_code=code, error=reason)
        return self.store_item(item, error_code=code, reason=reason)

    def skipped(self, error: ObjectNotFoundError, size: int | None) -> IngestOutcome:
        reason = str(error)
        item = self.item(SKIPPED, size)
        item.update(error_code=error.code, error=reason)
        return self.store_item(item, error_code=error.code, reason=reason)

    def duplicate(self, original: Mapping[str, Any], sha: str, size: int) -> IngestOutcome:
        duplicate_of = article_ref(str(original["pk"]), str(original["sk"]))
        item = self.item(DUPLICATE, size)
        item.update({name: original.get(name) for name in DUPLICATE_COPIES})
        item.update(
            content_sha256=sha,
            duplicate_of=duplicate_of,
            topic_labels=list(original.get("topic_labels") or []),
            country_codes=list(original.get("country_codes") or []),
        )
        return self.store_item(item, duplicate_of=duplicate_of)

    def claimant(self, item: Mapping[str, Any], sha: str) -> Mapping[str, Any]:
        """The article that claimed these bytes before us (a concurrent upload under another key).

        Its claim and its article item are two writes, so the item may not be readable yet (it
        is a moment away, or that delivery died in between and its retry will write it). The
        claim names it, and our analysis of the same bytes describes it until then: this copy
        is its duplicate either way, rather than an error retried until the item lands.
        """
        claim = self.store.get(*content_key(sha))
        if claim is None:
            raise RuntimeError(f"content {sha} was claimed, but its claim cannot be read")
        ref = (str(claim["article_pk"]), str(claim["article_sk"]))
        original = self.store.get(*ref)
        if original is None:
            return {**item, "pk": ref[0], "sk": ref[1]}
        if original.get("status") != PROCESSED:
            # Only a processed article claims bytes; its version was stored another way first.
            raise RuntimeError(f"content {sha} is claimed by {ref}, stored as {original['status']}")
        return original

    def processed(
        self, analysis: Analysis, sha: str, size: int, settings: IngestSettings
    ) -> IngestOutcome:
        """Store the analysed article, unless its bytes belong to an earlier one (a duplicate)."""
        fields, topics = analysis_fields(analysis)
        item = self.item(PROCESSED, size)
        item.update(fields)
        item.update(content_sha256=sha, alert_state="pending")
        new_bands: list[dict[str, Any]] = []
        old_bands: list[str] = []
        told: list[str] = []
        fp: Fingerprint | None = None
        if self.near_index is not None:
            fp = fingerprint(analysis.document.text)
            # The "already stored", duplicate and near-duplicate checks in one read.
            own, first, band_items = self.near_index.near_lookup(self.ref, sha, fp.band_keys)
            if own is not None:
                return self.existing(own, fp, settings) or self.outcome(ALREADY_STORED)
            original = self.near_index.original_named_by(first, exclude=self.ref)
            if original is not None:
                return self.duplicate(original, sha, size)
            places = item.get("country_codes") or ()
            ref = article_ref(*self.ref)
            matches = near_matches(fp, band_items, settings, exclude=ref, places=places)
            if matches:
                mark_near_duplicate(item, matches, alert_policy(settings).labels)
            told = told_topics(item, settings)
            new_bands, old_bands = split_bands(fp, band_items, item, told)
        decide_alert_now(item, settings)
        result = self.store.put_article(
            item, topic_items(item, topics), claim_content=True, new_items=new_bands
        )
        if result == PutResult.EXISTS:
            return self.existing(fp=fp, settings=settings) or self.outcome(ALREADY_STORED)
        if result == PutResult.CONTENT_TAKEN:
            return self.duplicate(self.claimant(item, sha), sha, size)
        if self.near_index is not None and fp is not None and old_bands:
            # Bands an earlier article is in: listed there by a conditional update each.
            self.near_index.register_near_member(old_bands, *membership(fp, item, told))
        return self.outcome(
            PROCESSED,
            topics=tuple(t.label for t in topics),
            near_duplicate_of=item.get("near_duplicate_of"),
            alert_only_topics=tuple(item.get("alert_only_topics") or ()),
        )


def analyze(
    analyzer: ArticleAnalyzer,
    data: bytes,
    run: IngestRun,
    content_type: str | None,
    deadline: Deadline | None = None,
) -> Analysis | tuple[str, str]:
    """The analysis, or the (code, reason) of a permanent failure."""
    try:
        return analyzer.analyze_bytes(
            data, run.key.rsplit("/", 1)[-1], content_type, deadline=deadline
        )
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
    analyzer: ArticleAnalyzer,
    settings: IngestSettings,
    clock: Clock | None = None,
    near_index: NearDuplicateIndex | None = None,
    deadline: Deadline | None = None,
) -> IngestOutcome:
    """Process one S3 object version into exactly one stored item (see the module docstring).

    ``near_index``: where near-duplicates are looked up and registered; without one, no
    near-duplicate check is made. ``deadline``: the invocation's time left, for engines that can
    fall back to a faster summary rather than time out.
    """
    clock = clock or Clock()
    run = IngestRun(
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
        # The event carried no version id; the object's own is the one to key on. (With a
        # near-duplicate index, its lookup after the analysis answers a redelivery, with the
        # fingerprint a repair of the band registration needs.)
        run.version = head.version_id
        if near_index is None and (done := run.existing()):
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

    result = analyze(analyzer, data, run, head.content_type, deadline)
    if isinstance(result, tuple):
        code, reason = result
        return run.failed(code, reason, len(data))
    return run.processed(result, sha, len(data), settings)
