"""The fakes keep the conditions of the adapters they stand in for (mypy checks their signatures
against the ports: ``make typecheck`` runs it on tests/fakes.py)."""

from __future__ import annotations

import pytest
from fakes import FakeSource, FakeTable, check_protocols

from newswatch.ports import AlertClaim, ObjectNotFoundError, PutResult


def test_every_fake_is_its_port() -> None:
    check_protocols()


def test_the_table_fake_keeps_the_adapters_conditions() -> None:
    table = FakeTable()
    item = {"pk": "article#b/k", "sk": "v#1", "type": "article", "status": "processed",
            "content_sha256": "abc", "alert_state": "pending"}  # fmt: skip
    assert table.put_article(item, claim_content=True) == PutResult.STORED
    assert table.put_article(item) == PutResult.EXISTS
    other = {**item, "pk": "article#b/other"}
    assert table.put_article(other, claim_content=True) == PutResult.CONTENT_TAKEN
    assert table.find_original("abc") == item
    assert table.find_original("abc", exclude=("article#b/k", "v#1")) is None
    assert table.claim_alert("article#b/k", "v#1", "t1", now=100, lease_until=160) == "claimed"
    assert table.claim_alert("article#b/k", "v#1", "t2", now=150, lease_until=210) == "busy"
    assert table.claim_alert("article#b/k", "v#1", "t2", now=161, lease_until=221) == "claimed"
    assert table.release_alert("article#b/k", "v#1", "t1") is False
    assert table.mark_alerted(
        "article#b/k", "v#1", token="t2", topics=["aid"], message_id="m", alerted_at="now"
    )
    assert table.claim_alert("article#b/k", "v#1", "t3", now=999, lease_until=1000) == (
        AlertClaim.DONE
    )
    assert table.claim_alert("article#b/missing", "v#1", "t", 0, 1) == AlertClaim.MISSING
    assert [table.take_alert_quota("aid", "h", 2, 0) for _ in range(3)] == [True, True, False]
    assert table.register_near_member(["nearband#0#a"], "m#x", {"fp": "f"}) == 1
    assert table.register_near_member(["nearband#0#a"], "m#x", {"fp": "f"}) == 0


def test_the_source_fake_reports_a_deleted_object() -> None:
    source = FakeSource()
    source.put("b", "k", b"data", "v1")
    assert source.read("b", "k", "v1", max_bytes=2) == b"dat"
    with pytest.raises(ObjectNotFoundError):
        source.head("b", "k", "v2")
