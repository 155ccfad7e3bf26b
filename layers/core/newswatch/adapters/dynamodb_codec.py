"""The one codec between plain Python items and DynamoDB's wire format (AttributeValues).

Writes: floats become Decimals (DynamoDB rejects floats), NaN/infinity and None are left out, tuples
become lists, and an empty string is never written to an index key. Reads: :func:`deserialize_item`
keeps DynamoDB's Decimals (what the use cases compare scores with); :func:`plain` turns them into
int or float for the archive's readers (JSON, the CLI, the report).

Topics and countries: an article item holds :class:`TopicTag` / :class:`PlaceTag` values
(:mod:`newswatch.domain.records`); they are written as maps and an article item read back holds
tags again, so the tagger's form reaches the alert unchanged. :func:`plain` gives their maps, the
form JSON readers need.

Every write of an article item (the put, the alert's claim and its "sent" mark) is billed per
started kilobyte of it, so the item is kept small without any caller seeing the difference:

- its long fields (:data:`PACKED_FIELDS`: the summary, the topics and countries with their
  evidence sentences, and a few small fields nothing queries) are stored as one zlib-compressed
  JSON Binary attribute (``packed``); nothing queries, filters or projects them;
- ``bucket``, ``key`` and ``version_id`` are not stored: its keys already hold them
  (``article#<bucket>/<key>``, ``v#<version>``);

and every read (:func:`deserialize_item`, hence :func:`plain`) puts them back (:func:`unpack`).
"""

from __future__ import annotations

import base64
import json
import math
import zlib
from collections.abc import Mapping
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from newswatch.domain.models import PlaceTag, TopicTag

# Attributes that are index keys: DynamoDB rejects an empty or NULL value for them.
INDEX_KEYS = frozenset({"uploaded_at", "topic", "upload_day"})

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_dynamo(value: Any) -> Any:
    """Plain Python -> what TypeSerializer accepts: floats become Decimals, tuples lists."""
    if isinstance(value, bool):
        return value
    if isinstance(value, TopicTag | PlaceTag):
        return to_dynamo(tag_map(value))
    if isinstance(value, float):
        # DynamoDB has no NaN or infinity; such a value is left out rather than fail the write.
        return Decimal(str(round(value, 6))) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [v for v in (to_dynamo(v) for v in value) if v is not None]
    return value


def serialize_value(value: Any) -> Any:
    """One attribute value in wire format (``{"M": {...}}``, ``{"S": ...}``, ...)."""
    return _serializer.serialize(to_dynamo(value))


def serialize_item(item: Mapping[str, Any]) -> dict[str, Any]:
    clean = {
        k: v
        for k, v in to_dynamo(item).items()
        if v is not None and not (k in INDEX_KEYS and v == "")
    }
    if clean.get("type") == "article":
        clean = pack(clean)
    return {k: _serializer.serialize(v) for k, v in clean.items()}


def deserialize_item(image: Mapping[str, Any]) -> dict[str, Any]:
    """A wire-format item (a GetItem answer or a stream image) as Python, numbers as Decimal,
    an article's topics and countries as :class:`TopicTag` / :class:`PlaceTag`."""
    item = unpack({k: _deserializer.deserialize(_binary(v)) for k, v in image.items()})
    if item.get("type") == "article":
        if "topics" in item:
            item["topics"] = [topic_tag(t) for t in item["topics"]]
        if "countries" in item:
            item["countries"] = [place_tag(c) for c in item["countries"]]
    return item


# -- the packed fields of an article item -------------------------------------------------------

PACKED = "packed"
PACKED_FIELDS = (
    "summary", "topics", "countries", "summary_engine", "content_sha256", "word_count", "format",
    "reprocessed_at", "size", "error", "near_duplicate_similarity",
    "near_duplicate_count", "near_duplicate_topics", "alert_only_topics",
)  # fmt: skip
# Fields an article's keys hold; not stored, derived on every read.
KEY_FIELDS = ("bucket", "key", "version_id")
ARTICLE_PK_PREFIX = "article#"


def pack(item: Mapping[str, Any]) -> dict[str, Any]:
    """``item`` (already :func:`to_dynamo`'d) with its :data:`PACKED_FIELDS` in one Binary and
    without the :data:`KEY_FIELDS` its keys hold."""
    body = {name: item[name] for name in PACKED_FIELDS if name in item}
    rest = {name: value for name, value in item.items() if name not in body}
    if _key_fields(rest) == {name: rest.get(name) for name in KEY_FIELDS}:
        rest = {name: value for name, value in rest.items() if name not in KEY_FIELDS}
    if not body:
        return rest
    text = json.dumps(body, default=_decimal_json, ensure_ascii=False, separators=(",", ":"))
    return {**rest, PACKED: zlib.compress(text.encode("utf-8"), 9)}


def _key_fields(item: Mapping[str, Any]) -> dict[str, Any]:
    """The bucket, key and version id an article item's keys hold (none for other items)."""
    pk, sk = str(item.get("pk", "")), str(item.get("sk", ""))
    if not pk.startswith(ARTICLE_PK_PREFIX) or "/" not in pk or not sk.startswith("v#"):
        return {}
    bucket, _, key = pk[len(ARTICLE_PK_PREFIX) :].partition("/")
    return {"bucket": bucket, "key": key, "version_id": sk[2:]}


def _binary(value: Any) -> Any:
    """A wire value with a Binary as bytes: a stream record's JSON carries it as base64 text,
    which boto3's deserializer rejects."""
    if isinstance(value, Mapping) and isinstance(value.get("B"), str):
        return {"B": base64.b64decode(value["B"])}
    return value


def unpack(item: Mapping[str, Any]) -> dict[str, Any]:
    """``item`` with its packed fields put back (numbers as Decimal, as DynamoDB returns them);
    the packed value as boto3's Binary, bytes or base64 text."""
    item = {**_key_fields(item), **item}
    if PACKED not in item:
        return item
    raw = item[PACKED]
    raw = getattr(raw, "value", raw)
    if isinstance(raw, str):
        raw = base64.b64decode(raw)
    body = json.loads(zlib.decompress(bytes(raw)), parse_float=Decimal, parse_int=Decimal)
    rest = {name: value for name, value in item.items() if name != PACKED}
    return {**rest, **body}


def _decimal_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def tag_map(tag: TopicTag | PlaceTag) -> dict[str, Any]:
    """How a topic or a country is stored: its fields as a map, without the empty ones."""
    return {
        k: list(v) if isinstance(v, tuple) else v for k, v in asdict(tag).items() if v is not None
    }


def topic_tag(stored: Mapping[str, Any]) -> TopicTag:
    iptc = stored.get("iptc")
    return TopicTag(
        label=str(stored["label"]),
        score=float(stored.get("score", 0)),
        iptc=str(iptc) if iptc else None,
        evidence=tuple(str(e) for e in stored.get("evidence") or ()),
    )


def place_tag(stored: Mapping[str, Any]) -> PlaceTag:
    return PlaceTag(
        code=str(stored["code"]),
        name=str(stored.get("name") or stored["code"]),
        score=float(stored.get("score", 0)),
        evidence=tuple(str(e) for e in stored.get("evidence") or ()),
    )


def plain(item: Mapping[str, Any]) -> dict[str, Any]:
    """A wire-format item as plain Python: Decimals become int or float, sets sorted lists,
    topics and countries their stored maps."""
    return {key: _plain_value(value) for key, value in deserialize_item(item).items()}


def _plain_value(value: Any) -> Any:
    if isinstance(value, TopicTag | PlaceTag):
        return tag_map(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain_value(v) for k, v in value.items()}
    if isinstance(value, set):
        return sorted(_plain_value(v) for v in value)
    return value


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def is_condition_failure(error: ClientError) -> bool:
    return error_code(error) == "ConditionalCheckFailedException"
