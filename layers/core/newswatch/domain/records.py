"""The stored records: every item of the ArticlesTable, its keys and its layout, in one place.

- Article item: ``pk = article#<bucket>/<key>``, ``sk = v#<version or null>``; one per object
  version, written once (``attribute_not_exists(pk)``) however often S3 delivers its notification.
  Fields: :func:`article_item` plus what the analysis fills in (:func:`analysis_fields`).
- Topic entry items are keyed by what the archive asks for: ``pk = entries#<label>``, ``sk =
  <uploaded_at>#<digest of the article ref>`` (:func:`entry_key`, :func:`topic_items`), so "the
  articles of a topic in a time range" is one Query on the table's own keys, and an entry costs
  one item write (an index would copy it, a second write). They are written (one
  BatchWriteItem) once the article is stored; the archive and the digests read them. Place
  entries do the same for each country the article is about (``pk = entries#place#<code>``,
  ``topic = place#<code>``), so "articles about Sudan" is one Query too.
- A content item (``pk = ref#<reference>``, ``sk = content#<sha256>``: :func:`content_key`;
  ``article_pk``, ``article_sk``, ``uploaded_at``) names the first processed article with those
  bytes; it is claimed before the article is stored. Its partition is the article's alert
  reference (:func:`newswatch.domain.reference.content_reference`), so `newswatch show nw-...`
  finds the article an alert names with one Query, and the claim is the only write that costs.
- The alert state on the article item goes ``pending -> sending -> sent`` (or ``-> held`` by the
  hourly cap, ``pending -> none`` when no watched topic matched, ``sending -> retry`` after a failed
  publish, which the next attempt claims like ``pending``); ``sending`` carries ``alert_claim`` (a
  token) and ``alert_lease_until`` so a crashed claimer can be taken over.
- ``ref#<reference>`` / ``ref`` items (written by earlier versions for each alerting article)
  point from an alert's old-style reference to its article the same way.
- ``alertcap#<topic>`` / ``hour#<UTC hour>`` items count instant alerts for the hourly cap.
- ``nearband#<band>#<hex>`` / ``band`` items list the processed articles whose MinHash signature
  hashed to that band (:mod:`newswatch.domain.neardup`): one attribute ``m#<article ref>`` per
  member (:func:`member_value`) and a ``member_count``.
- ``digest#<topic>`` / ``last`` items remember where each topic's last digest ended.

Pure Python: an article item's ``topics`` and ``countries`` are :class:`TopicTag` and
:class:`PlaceTag` values, the rest plain values. The DynamoDB adapters turn these mappings into
AttributeValues and back (:mod:`newswatch.adapters.dynamodb_codec`, the only place that knows how a
tag is stored); the in-memory fakes store them as they are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from newswatch.domain.models import Analysis, PlaceTag, TopicTag
from newswatch.domain.neardup import Fingerprint, NearDuplicate
from newswatch.domain.reference import content_reference

# -- statuses and alert states -----------------------------------------------------------------

PROCESSED = "processed"
DUPLICATE = "duplicate"
FAILED = "failed"
SKIPPED = "skipped"
# Deleted from the bucket after it was stored: out of the archive's topic and place listings and
# the digests, never alerted (its earlier status is kept as ``retracted_from``).
RETRACTED = "retracted"
# Outcomes that are not stored statuses: a redelivery, and a backfill's new analysis.
ALREADY_STORED = "already_stored"
REPROCESSED = "reprocessed"

# Alert states that mean subscribers were (or are being) told about this article already.
ALERT_DECIDED = frozenset({"sending", "sent", "held"})

# -- keys --------------------------------------------------------------------------------------

NEAR_BAND_SK = "band"
# Members a band item takes (about 470 bytes each, so under 10 KB). Every join of a band is billed
# per KB of the whole item, and a band many unrelated articles share is a common phrase, not a
# story (with one MinHash value a band, the largest of the 2,217 texts of ../shared/data has 12
# members): a full band takes no one, and is not even asked (the lookup read its member_count).
# The article is still found through its other bands.
MAX_BAND_MEMBERS = 20
# Band items keep one top-level attribute per member article, named MEMBER_PREFIX + article ref.
MEMBER_PREFIX = "m#"


def article_pk(bucket: str, key: str) -> str:
    return f"article#{bucket}/{key}"


def article_sk(version_id: str | None) -> str:
    return f"v#{version_id or 'null'}"


def object_of(pk: str, sk: str) -> tuple[str, str, str | None] | None:
    """(bucket, key, version id) an article's keys name (the inverse of :func:`article_pk` and
    :func:`article_sk`); None for keys that are no article's."""
    body, version = pk.removeprefix("article#"), sk.removeprefix("v#")
    bucket, _, key = body.partition("/")
    if body == pk or version == sk or not (bucket and key):
        return None
    return bucket, key, None if version == "null" else version


ENTRIES_PREFIX = "entries#"


def entry_pk(topic: str) -> str:
    """The partition of one topic's entries (``topic``: a label, or a :func:`place_index_key`)."""
    return f"{ENTRIES_PREFIX}{topic}"


def entry_key(topic: str, uploaded_at: str, article_pk: str, article_sk: str) -> tuple[str, str]:
    """(pk, sk) of an article's entry under ``topic``: sorted by upload time, then by a digest
    of the article's keys (they can be longer than the 1 KB a sort key may hold)."""
    digest = hashlib.blake2b(article_ref(article_pk, article_sk).encode(), digest_size=10)
    return entry_pk(topic), f"{uploaded_at}#{digest.hexdigest()}"


def entry_keys(item: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (pk, sk) of every entry a stored article has (its topic labels and country codes)."""
    topics = [
        *(item.get("topic_labels") or ()),
        *map(place_index_key, item.get("country_codes") or ()),
    ]
    return [
        entry_key(t, str(item["uploaded_at"]), str(item["pk"]), str(item["sk"])) for t in topics
    ]


def place_index_key(code: str) -> str:
    """The ``topic`` attribute of a place entry: ``place#SD``, which no topic label can be."""
    return f"place#{code}"


def content_key(content_sha256: str) -> tuple[str, str]:
    """(pk, sk) of the content item naming the first article with these bytes: under the
    article's alert reference (one Query finds it), with the whole hash in the sort key (two
    hashes that share the reference's 50 bits are two items)."""
    return reference_pk(content_reference(content_sha256)), f"content#{content_sha256}"


def alert_cap_key(topic: str, hour: str) -> tuple[str, str]:
    return f"alertcap#{topic}", f"hour#{hour}"


def reference_pk(reference: str) -> str:
    """The partition of the items naming the article an alert's reference (``nw-...``) names."""
    return f"ref#{reference}"


def digest_key(topic: str) -> tuple[str, str]:
    return f"digest#{topic}", "last"


def article_ref(pk: str, sk: str) -> str:
    """One string naming an article item: ``"<pk>|<sk>"``."""
    return f"{pk}|{sk}"


def split_ref(ref: str) -> tuple[str, str]:
    """``(pk, sk)`` of an :func:`article_ref`. Object keys may contain "|", version ids do not."""
    pk, _, sk = ref.rpartition("|")
    return pk, sk


# -- bounds ------------------------------------------------------------------------------------

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


def clip(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut to ``limit`` characters (an ellipsis marks the cut), and whether it was cut."""
    return (text, False) if len(text) <= limit else (text[: limit - 1].rstrip() + "…", True)


# -- the article item --------------------------------------------------------------------------

# Fields a duplicate copies from the article it duplicates, so listings still show something useful.
DUPLICATE_COPIES = (
    "title", "headline", "summary", "language", "word_count", "format", "top_topic",
)  # fmt: skip
# Fields a backfill keeps from the stored item of a near-duplicate.
NEAR_FIELDS = (
    "near_duplicate_of",
    "near_duplicate_similarity",
    "near_duplicate_count",
    "near_duplicate_topics",
)


def article_item(
    bucket: str,
    key: str,
    version: str | None,
    *,
    status: str,
    uploaded_at: str,
    processed_at: str,
    size: int | None,
) -> dict[str, Any]:
    """The fields every article item has, whatever its status."""
    return {
        "pk": article_pk(bucket, key),
        "sk": article_sk(version),
        "type": "article",
        "bucket": bucket,
        "key": key,
        "version_id": version or "null",
        "status": status,
        "uploaded_at": uploaded_at,
        # The ByUploadDay index's partition: every article of a day, whatever its status.
        "upload_day": uploaded_at[:10],
        "processed_at": processed_at,
        "size": size,
        "alert_state": "none",
    }


def analysis_fields(analysis: Analysis) -> tuple[dict[str, Any], list[TopicTag]]:
    """The item fields an analysis fills in, and its topics as stored (clipped to the bounds
    above; a clipped item is flagged ``clipped_for_storage``). Topics and countries stay
    :class:`TopicTag` / :class:`PlaceTag`: the codec maps them to DynamoDB and back."""
    clipped = False
    title, cut = clip((analysis.title or "").strip(), MAX_TITLE_CHARS)
    clipped |= cut
    headline = clip((analysis.headline or "").strip(), MAX_TITLE_CHARS)[0]
    sentences = []
    for sentence in analysis.summary.sentences[:MAX_SUMMARY_SENTENCES]:
        text, cut = clip(sentence, MAX_SENTENCE_CHARS)
        clipped |= cut
        sentences.append(text)
    clipped |= len(analysis.summary.sentences) > MAX_SUMMARY_SENTENCES
    topics = [
        replace(tag, score=round(float(tag.score), 4), evidence=_stored_evidence(tag.evidence))
        for tag in sorted(analysis.topics, key=lambda t: -t.score)[:MAX_TOPICS]
    ]
    countries = [
        replace(
            place, score=round(float(place.score), 4), evidence=_stored_evidence(place.evidence)
        )
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
        "topic_labels": [t.label for t in topics],
        "top_topic": topics[0].label if topics else None,
        "countries": countries,
        "country_codes": [c.code for c in countries],
        "flags": flags,
        "format": analysis.document.format,
    }
    return fields, topics


def _stored_evidence(evidence: Sequence[str]) -> tuple[str, ...]:
    return tuple(clip(e, MAX_EVIDENCE_CHARS)[0] for e in evidence[:MAX_EVIDENCE])


def article_topics(item: Mapping[str, Any]) -> list[TopicTag]:
    """The stored article's topics, strongest first."""
    return list(item.get("topics") or ())


def article_countries(item: Mapping[str, Any]) -> list[PlaceTag]:
    """The countries the stored article is about, strongest first."""
    return list(item.get("countries") or ())


def topic_items(item: Mapping[str, Any], topics: Sequence[TopicTag]) -> list[dict[str, Any]]:
    """The article's entries (keyed by topic, :func:`entry_key`), one per topic and one per
    country."""
    return [
        {
            **_entry_keys(topic.label, item),
            "type": "topic",
            "topic": topic.label,
            "uploaded_at": item["uploaded_at"],
            "title": item.get("title"),
            "headline": item.get("headline"),
            "summary": item.get("summary"),
            "score": topic.score,
            "s3_uri": f"s3://{item['bucket']}/{item['key']}",
            "article_pk": item["pk"],
            "article_sk": item["sk"],
            # Lets the archive and digests show a re-uploaded story once (None is not stored).
            "near_duplicate_of": item.get("near_duplicate_of"),
            "country_codes": item.get("country_codes"),
        }
        for topic in topics
    ] + place_items(item)


def place_items(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One index entry per country the article is about: the archive's "articles about SD"."""
    return [
        {
            **_entry_keys(place_index_key(country.code), item),
            "type": "place",
            "topic": place_index_key(country.code),
            "place": country.code,
            "uploaded_at": item["uploaded_at"],
            "title": item.get("title"),
            "summary": item.get("summary"),
            "score": country.score,
            "s3_uri": f"s3://{item['bucket']}/{item['key']}",
            "article_pk": item["pk"],
            "article_sk": item["sk"],
            "near_duplicate_of": item.get("near_duplicate_of"),
            # The article's topics, so "--place SD --topic ceasefire" needs no second read. An
            # index entry's projection, not a topic: label and score only keep the entry small.
            "topics": [{"label": t.label, "score": t.score} for t in article_topics(item)],
            "country_codes": item.get("country_codes"),
        }
        for country in article_countries(item)
    ]


def _entry_keys(topic: str, item: Mapping[str, Any]) -> dict[str, str]:
    pk, sk = entry_key(topic, str(item["uploaded_at"]), str(item["pk"]), str(item["sk"]))
    return {"pk": pk, "sk": sk}


def article_keys(entries: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """The (pk, sk) of the articles behind topic entries, each once, in order."""
    return list(dict.fromkeys((e["article_pk"], e["article_sk"]) for e in entries))


# -- near-duplicate band members ---------------------------------------------------------------


def member_attribute(ref: str) -> str:
    """Attribute name under which a band item lists the article ``ref``."""
    return f"{MEMBER_PREFIX}{ref}"


def member_value(
    fp: Fingerprint, topics: Iterable[str], uploaded_at: str, places: Iterable[str] = ()
) -> dict[str, Any]:
    """The value stored under :func:`member_attribute` in each of the article's band items."""
    return {
        "fp": fp.encode(),
        "topics": list(topics),
        "uploaded_at": uploaded_at,
        "places": list(places),
    }


def new_band_item(band_key: str, member: str, value: Mapping[str, Any]) -> dict[str, Any]:
    """A band item listing its first member (put whole: no other article has written it)."""
    return {
        "pk": band_key,
        "sk": NEAR_BAND_SK,
        "type": "nearband",
        member: value,
        "member_count": 1,
    }


def members_from_band_items(items: Iterable[Mapping[str, Any]]) -> list[NearDuplicate]:
    """Every article listed in the band items (deduplicated; malformed members are skipped)."""
    found: dict[str, NearDuplicate] = {}
    for item in items:
        for name, value in item.items():
            if not name.startswith(MEMBER_PREFIX) or not isinstance(value, Mapping):
                continue
            ref = name[len(MEMBER_PREFIX) :]
            if ref in found:
                continue
            try:
                fp = Fingerprint.decode(str(value.get("fp", "")))
            except ValueError:
                continue
            topics = value.get("topics") or []
            places = value.get("places")
            found[ref] = NearDuplicate(
                ref=ref,
                fingerprint=fp,
                topics=tuple(str(t) for t in topics),
                uploaded_at=str(value.get("uploaded_at", "")),
                places=None if places is None else tuple(str(p) for p in places),
            )
    return list(found.values())
