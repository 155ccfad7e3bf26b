"""Near-duplicates during ingest: find the earlier copies of a text through its band items (read
with the content check, in one BatchGetItem), restrict the new copy's alert to the watched topics
none of them alerted for, and register it in its bands with the topics its own alert tells
(idempotent, so a redelivery completes a registration a crash cut short)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from newswatch.domain.neardup import (
    Fingerprint,
    NearDuplicate,
    find_near_duplicates,
    new_watched_topics,
)
from newswatch.domain.records import (
    FLAG_NEAR_DUPLICATE,
    MAX_BAND_MEMBERS,
    article_ref,
    member_attribute,
    member_value,
    members_from_band_items,
    new_band_item,
)
from newswatch.ports import IngestSettings, NearDuplicateIndex, TopicSettings


def near_matches(
    fp: Fingerprint,
    band_items: Sequence[Mapping[str, Any]],
    settings: IngestSettings,
    exclude: str,
    places: Sequence[str] = (),
) -> list[tuple[NearDuplicate, float]]:
    """Earlier articles listed in these band items that this text is a near-duplicate of, most
    similar first. An earlier text about other countries is none: the same wire story about
    famine in Chad after one about Somalia is news for Chad's subscribers (``places``: the new
    article's countries)."""
    if not fp.band_keys:
        return []  # too short to compare; exact copies are still caught by content hash
    members = [m for m in members_from_band_items(band_items) if m.covers(places)]
    return find_near_duplicates(fp, members, settings.near_dup_threshold, exclude={exclude})


def told_topics(item: Mapping[str, Any], settings: TopicSettings) -> list[str]:
    """The topics this article's alert tells its subscribers (at or above their alert thresholds;
    a near-duplicate's, only those its earlier copies did not). A later copy is compared with
    these: a topic an earlier copy was tagged with below its alert threshold was never alerted,
    so an update that raises it alerts."""
    from newswatch.usecases.alert import alert_topics

    return [topic.label for topic in alert_topics(item, settings)]


def split_bands(
    fp: Fingerprint,
    band_items: Sequence[Mapping[str, Any]],
    item: Mapping[str, Any],
    told: Sequence[str],
) -> tuple[list[dict[str, Any]], list[str]]:
    """(the band items this article is the first in, put whole with its entries; the keys of the
    bands an earlier article is in, which it joins by a conditional update each, unless they are
    full: a join is billed per KB of the whole band item, and a full one would refuse it)."""
    existing = {str(band["pk"]): int(band.get("member_count") or 0) for band in band_items}
    member, value = membership(fp, item, told)
    new = [new_band_item(key, member, value) for key in fp.band_keys if key not in existing]
    return new, [k for k in fp.band_keys if k in existing and existing[k] < MAX_BAND_MEMBERS]


def mark_near_duplicate(
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


def membership(
    fp: Fingerprint, item: Mapping[str, Any], told: Sequence[str]
) -> tuple[str, dict[str, Any]]:
    """The attribute name and value that list ``item`` in its band items (``told``: its
    :func:`told_topics`)."""
    ref = article_ref(str(item["pk"]), str(item["sk"]))
    value = member_value(
        fp,
        told,
        str(item.get("uploaded_at", "")),
        item.get("country_codes") or (),
    )
    return member_attribute(ref), value


def register(
    index: NearDuplicateIndex, fp: Fingerprint, item: Mapping[str, Any], told: Sequence[str]
) -> None:
    index.register_near_member(fp.band_keys, *membership(fp, item, told))
