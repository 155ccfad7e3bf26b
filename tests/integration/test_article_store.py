"""DynamoArticleStore on moto: the conditional writes the pipeline's guarantees rest on."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import pytest
from awsstack import TABLE, Stack

from newswatch.adapters.archive import Archive
from newswatch.adapters.dynamodb import DynamoArticleStore
from newswatch.adapters.dynamodb_codec import deserialize_item, serialize_item, unpack
from newswatch.domain.models import PlaceTag, TopicTag
from newswatch.domain.records import article_pk, content_key, entry_keys, topic_items
from newswatch.ports import AlertClaim, PutResult, TimeRange


def article(key: str, version: str = "1", sha: str = "abc", **extra: Any) -> dict[str, Any]:
    item = {
        "pk": article_pk("b", key),
        "sk": f"v#{version}",
        "type": "article",
        "bucket": "b",
        "key": key,
        "version_id": version,
        "status": "processed",
        "content_sha256": sha,
        "uploaded_at": f"2026-11-29T18:00:0{version}.000Z",
        "alert_state": "pending",
    }
    item.update(extra)
    return item


@pytest.fixture
def store(stack: Stack) -> DynamoArticleStore:
    return DynamoArticleStore(stack.ddb, TABLE)


def test_serialize_item_stores_floats_as_decimals_and_drops_what_dynamodb_rejects() -> None:
    image = serialize_item(
        {
            "pk": "a",
            "score": 0.1234567891,
            "nan": float("nan"),
            "scores": [0.5, float("inf")],
            "none": None,
            "topic": "",  # an index key may not be empty
            "flag": True,
        }
    )
    assert image == {
        "pk": {"S": "a"},
        "score": {"N": "0.123457"},
        "scores": {"L": [{"N": "0.5"}]},
        "flag": {"BOOL": True},
    }


def test_an_articles_long_fields_are_stored_packed_and_read_back_unchanged(
    stack: Stack, store: DynamoArticleStore
) -> None:
    evidence = ["Both sides agreed to a ceasefire in Jeddah on Tuesday, mediators said."] * 3
    topics = [{"label": "ceasefire", "score": 0.91, "iptc": "20000", "evidence": evidence}]
    countries = [{"code": "SA", "name": "Saudi Arabia", "score": 0.8, "evidence": evidence}]
    summary = " ".join(evidence)
    item = article("k", summary=summary, topics=topics, countries=countries, topic_labels=["x"])
    wire = serialize_item(item)
    assert {"summary", "topics", "countries"}.isdisjoint(wire) and "B" in wire["packed"]
    assert wire["topic_labels"] == {"L": [{"S": "x"}]}  # what indexes and filters read stays
    store.put_article(item)

    # Read back through GetItem, a stream image (base64 text, as Lambda receives it) and the
    # bytes powertools decodes it to: the same fields, numbers as Decimal as DynamoDB gives them.
    stored = store.get(item["pk"], item["sk"])
    assert stored is not None and "packed" not in stored
    assert stored["summary"] == summary
    assert stored["topics"] == [TopicTag("ceasefire", 0.91, "20000", tuple(evidence))]
    assert stored["countries"] == [PlaceTag("SA", "Saudi Arabia", 0.8, tuple(evidence))]
    raw = stack.ddb.get_item(TableName=TABLE, Key={"pk": wire["pk"], "sk": wire["sk"]})["Item"]
    as_text = base64.b64encode(raw["packed"]["B"]).decode()
    for packed in (as_text, raw["packed"]["B"]):
        image = unpack({**deserialize_item({"pk": raw["pk"]}), "packed": packed})
        assert image["summary"] == summary
        assert image["topics"] == [dict(topics[0], score=Decimal("0.91"))]
    # Much smaller than the fields it holds (the evidence repeats the summary, as it often does).
    assert len(raw["packed"]["B"]) < len(summary) + 2 * len("".join(evidence))


def test_an_articles_small_fields_travel_packed_and_its_keys_name_its_object() -> None:
    item = article("news/a|b.txt", word_count=420, format="txt", summary_engine="extractive")
    wire = serialize_item(item)
    # Nothing filters or indexes them: packed. Bucket, key and version: in pk and sk only.
    assert {"content_sha256", "word_count", "format", "summary_engine"}.isdisjoint(wire)
    assert {"bucket", "key", "version_id"}.isdisjoint(wire)
    read = deserialize_item(wire)
    assert {k: read[k] for k in item} == dict(item, word_count=Decimal(420))
    # Without a version id the keys say "null", as the item does.
    unversioned = article("k", version="null")
    assert deserialize_item(serialize_item(unversioned))["version_id"] == "null"
    # An item whose fields do not match its keys keeps them (nothing is guessed).
    odd = dict(article("k"), bucket="other")
    assert {"bucket", "key", "version_id"} <= set(serialize_item(odd))
    assert deserialize_item(serialize_item(odd))["bucket"] == "other"


def test_one_item_per_object_version(store: DynamoArticleStore) -> None:
    assert store.put_article(article("k")) == PutResult.STORED
    assert store.put_article(article("k")) == PutResult.EXISTS
    assert store.put_article(article("k", version="2", sha="def")) == PutResult.STORED
    assert [v["sk"] for v in store.versions("b", "k")] == ["v#1", "v#2"]
    stored = store.get_article("b", "k", "1")
    assert stored is not None and stored["status"] == "processed"
    assert store.get_article("b", "k", "9") is None


def test_the_first_article_claims_its_bytes(store: DynamoArticleStore) -> None:
    first = article("first.txt")
    assert store.put_article(first, claim_content=True) == PutResult.STORED
    second = article("second.txt")
    assert store.put_article(second, claim_content=True) == PutResult.CONTENT_TAKEN
    assert store.get(second["pk"], second["sk"]) is None  # the whole transaction was cancelled

    found = store.find_original("abc", exclude=(second["pk"], second["sk"]))
    assert found is not None and found["key"] == "first.txt"
    assert store.find_original("abc", exclude=(first["pk"], first["sk"])) is None
    assert store.find_original("unknown") is None


def test_only_a_processed_article_named_by_a_content_item_is_an_original(
    stack: Stack, store: DynamoArticleStore
) -> None:
    # Without a content item nothing is an original: no index is queried.
    stack.ddb.put_item(TableName=TABLE, Item=serialize_item(article("old.txt", sha="legacy")))
    assert store.find_original("legacy") is None
    bad = article("bad.txt", version="2", sha="bad", status="failed")
    stack.ddb.put_item(TableName=TABLE, Item=serialize_item(bad))
    pk, sk = content_key("bad")
    stack.ddb.put_item(
        TableName=TABLE,
        Item=serialize_item({"pk": pk, "sk": sk, "article_pk": bad["pk"], "article_sk": bad["sk"]}),
    )
    assert store.find_original("bad") is None  # a failed article is nobody's original


def test_alert_claim_states(store: DynamoArticleStore) -> None:
    item = article("k")
    store.put_article(item)
    pk, sk = item["pk"], item["sk"]

    assert store.claim_alert(pk, sk, "t1", now=100, lease_until=160) == AlertClaim.CLAIMED
    assert store.claim_alert(pk, sk, "t2", now=150, lease_until=210) == AlertClaim.BUSY
    assert store.claim_alert(pk, sk, "t2", now=161, lease_until=221) == AlertClaim.CLAIMED
    # The first claimer lost its claim: it can neither release nor finish it.
    assert store.release_alert(pk, sk, "t1") is False
    marked = store.mark_alerted(
        pk, sk, token="t1", topics=["aid"], message_id="m", alerted_at="now"
    )
    assert marked is False
    assert store.mark_alerted(pk, sk, token="t2", topics=["aid"], message_id="m2", alerted_at="now")
    assert store.claim_alert(pk, sk, "t3", now=999, lease_until=1000) == AlertClaim.DONE
    assert store.claim_alert("article#b/none", "v#1", "t", now=1, lease_until=2) == (
        AlertClaim.MISSING
    )
    stored = store.get(pk, sk)
    assert stored is not None
    assert stored["alert_state"] == "sent" and stored["alert_message_id"] == "m2"
    assert stored["alert_topics"] == ["aid"]


def test_hourly_quota_counts_to_the_limit_and_takes_returns(store: DynamoArticleStore) -> None:
    hour = "2026-11-29T18"
    assert store.take_alert_quota("aid", hour, 2, expires_at=1)
    assert store.take_alert_quota("aid", hour, 2, expires_at=1)
    assert not store.take_alert_quota("aid", hour, 2, expires_at=1)
    assert store.take_alert_quota("aid", "2026-11-29T19", 2, expires_at=1)
    store.return_alert_quota("aid", hour)
    assert store.take_alert_quota("aid", hour, 2, expires_at=1)
    counter = store.get("alertcap#aid", f"hour#{hour}")
    assert counter is not None and counter["sent"] == Decimal(2)


def test_a_topics_entries_are_one_query_on_the_tables_keys_bounded_inclusively(
    stack: Stack, store: DynamoArticleStore
) -> None:
    times = ["2026-11-28T23:59:59.999Z", "2026-11-29T08:00:00.000Z", "2026-11-29T09:30:00.000Z"]
    for n, at in enumerate(times):
        sudan = [PlaceTag("SD", "Sudan", 0.8, ())]
        item = article(f"k{n}.txt", uploaded_at=at, topic_labels=["aid"], country_codes=["SD"])
        item["countries"] = sudan
        store.put_article(item, topic_items(item, [TopicTag("aid", 0.5)]))
    archive = Archive(stack.ddb, TABLE)

    def listed(topic: str, since: str | None = None, until: str | None = None) -> list[str]:
        return [e["uploaded_at"] for e in archive.topic_entries(topic, TimeRange(since, until))]

    assert listed("aid") == times[::-1]  # newest first
    assert listed("place#SD") == times[::-1]  # a country's entries, the same way
    # Both bounds inclusive, to the millisecond; a day as the upper bound is the whole day.
    assert listed("aid", times[1], times[2]) == times[:0:-1]
    assert listed("aid", until=times[1]) == times[1::-1]
    assert listed("aid", since="2026-11-29", until="2026-11-29") == times[:0:-1]
    assert listed("aid", until="2026-11-28") == times[:1]
    assert listed("ceasefire") == []
    # A backfill that drops a topic deletes its entry: the stored article names its entries.
    stored = store.get(article_pk("b", "k0.txt"), "v#1")
    assert stored is not None
    assert {
        (e["pk"], e["sk"])
        for e in stack.items()
        if e["type"] in ("topic", "place") and e["article_pk"] == stored["pk"]
    } == set(entry_keys(stored))
