"""DynamoArticleStore on moto: the conditional writes the pipeline's guarantees rest on."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from awsstack import TABLE, Stack

from newswatch.adapters.dynamodb import DynamoArticleStore
from newswatch.adapters.dynamodb_codec import serialize_item
from newswatch.domain.records import article_pk
from newswatch.ports import AlertClaim, PutResult


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
    # Without a content# item nothing is an original: no index is queried.
    stack.ddb.put_item(TableName=TABLE, Item=serialize_item(article("old.txt", sha="legacy")))
    assert store.find_original("legacy") is None
    bad = article("bad.txt", version="2", sha="bad", status="failed")
    stack.ddb.put_item(TableName=TABLE, Item=serialize_item(bad))
    stack.ddb.put_item(
        TableName=TABLE,
        Item=serialize_item(
            {"pk": "content#bad", "sk": "first", "article_pk": bad["pk"], "article_sk": bad["sk"]}
        ),
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
