"""Retract: an object deleted from the bucket -> its stored articles leave the archive's listings.

A newsroom that deletes an article (a retraction, a story pulled for legal reasons, a file put in
by mistake) expects it gone from what subscribers and analysts are shown next. For each stored
version the deletion covers, the article item is marked ``retracted`` (its earlier status kept as
``retracted_from``; it stays listable by ``newswatch articles --status retracted``, so the
archive says what was pulled and when) and its topic and place entries are deleted, so topic and
place listings, the report and later digests no longer show it. An alert not yet sent never will
be: the alert's claim requires a ``processed`` article. An alert already sent cannot be unsent.

The article's claim on its bytes is released, so uploading the same file again (to undo a
deletion) stores a new article rather than a duplicate of the retracted one; being a near-duplicate
of it, the new one is listed again but alerts only for topics the retracted one did not have.

Which versions: a delete marker (``aws s3 rm`` on a versioned bucket) or a delete in an
unversioned bucket retracts every version uploaded up to the deletion's time, not a later upload
under the same key. S3 does not deliver notifications in order, so such a deletion that finds no
stored version of its key raises :class:`NothingStoredYetError`: the queue delivers it again after
the upload's own message was processed (and, if that never comes, moves it to the dead-letter
queue, where ``newswatch redrive`` shows it). A deletion naming one version retracts that version;
when no article has that version it is ``not_stored`` and acknowledged: it is the removal of a
delete marker (an undelete, which S3 announces the same way) or of a version whose upload message
has not been processed yet, and that upload will find its version gone (``skipped``). Everything
here is idempotent: a redelivered deletion finds the items already retracted and their entries
already gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from newswatch.domain.errors import NothingStoredYetError
from newswatch.domain.records import RETRACTED, article_pk, article_sk, content_key, entry_keys
from newswatch.domain.timeutil import iso_utc, normalize_event_time
from newswatch.ports import Clock, RetractionStore

__all__ = ["NOT_STORED", "NothingStoredYetError", "RetractOutcome", "retract_object"]

NOT_STORED = "not_stored"
OUTCOME_METRICS = {RETRACTED: "ArticlesRetracted", NOT_STORED: "NotificationsIgnored"}


@dataclass(frozen=True)
class RetractOutcome:
    bucket: str
    key: str
    version_id: str | None  # the version deleted for good; None: the key as a whole
    retracted: tuple[str, ...]  # version keys (sk) marked retracted by this delivery
    already: tuple[str, ...]  # version keys a previous delivery had retracted
    entries_removed: int
    # What the handler asks of every outcome (an ingest's can be an error or a near-duplicate).
    error_code = None
    near_duplicate_of = None

    @property
    def status(self) -> str:
        return RETRACTED if self.retracted or self.already else NOT_STORED

    @property
    def metric(self) -> str:
        return OUTCOME_METRICS[self.status]

    def log_fields(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "version_id": self.version_id,
            "retracted": list(self.retracted),
            "already_retracted": list(self.already),
            "entries_removed": self.entries_removed,
        }


def retract_object(
    bucket: str,
    key: str,
    version_id: str | None,
    event_time: str | None,
    *,
    store: RetractionStore,
    clock: Clock | None = None,
) -> RetractOutcome:
    """Retract what the deletion of ``bucket``/``key`` (one version, or the key) covers."""
    clock = clock or Clock()
    now = clock.now()
    if version_id is not None:
        item = store.get(article_pk(bucket, key), article_sk(version_id))
        if item is None:
            return RetractOutcome(bucket, key, version_id, (), (), 0)
        items = [item]
    else:
        deleted_at = normalize_event_time(event_time, now)
        items = [i for i in store.versions(bucket, key) if str(i.get("uploaded_at")) <= deleted_at]
        if not items:
            raise NothingStoredYetError(f"no stored article for s3://{bucket}/{key} yet")
    retracted: list[str] = []
    already: list[str] = []
    entries = 0
    for item in items:
        pk, sk = str(item["pk"]), str(item["sk"])
        if store.retract_article(pk, sk, iso_utc(now)):
            retracted.append(sk)
        else:
            already.append(sk)
        # Always: a delivery that died between the mark and the deletes is finished by its retry.
        keys = entry_keys(item)
        store.delete_items(keys)
        entries += len(keys)
        if item.get("content_sha256"):
            store.release_content(content_key(str(item["content_sha256"])), pk, sk)
    return RetractOutcome(bucket, key, version_id, tuple(retracted), tuple(already), entries)
