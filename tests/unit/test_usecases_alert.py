"""The alert and digest use cases over the in-memory fakes: the claim, its lease and release, the
hourly cap, and digests sent at most once. The same rules run through moto in tests/integration
and tests/analyst."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from fakes import FakeArchive, FakeClock, FakeDigestMarks, FakePublisher, FakeTable

from newswatch.domain.models import TopicTag
from newswatch.domain.records import article_item, entry_key, topic_items
from newswatch.settings import Settings
from newswatch.usecases.alert import (
    AlertInProgressError,
    AlertOutcome,
    AlertPublishError,
    alert_record,
    lease_for,
)
from newswatch.usecases.digest import DigestPublishError, send_digests

SETTINGS = Settings(watched_topics=("ceasefire", "aid"), alert_lease_seconds=60)


def stored_article(
    table: FakeTable, key: str, topics: dict[str, float], **extra: Any
) -> dict[str, Any]:
    item = article_item(
        "articles",
        key,
        "v1",
        status="processed",
        uploaded_at="2026-11-29T18:00:00.000Z",
        processed_at="2026-11-29T18:00:01.000Z",
        size=100,
    )
    tags = [TopicTag(label, score) for label, score in topics.items()]
    item.update(
        title=f"Story {key}",
        summary="Negotiators met.",
        topics=tags,
        topic_labels=list(topics),
        alert_state="pending",
        **extra,
    )
    table.put_article(item, topic_items(item, tags))
    return item


def alert(
    table: FakeTable,
    publisher: FakePublisher,
    item: dict[str, Any],
    clock: FakeClock,
    settings: Settings = SETTINGS,
    *,
    lease_seconds: float | None = None,
) -> AlertOutcome:
    return alert_record(
        item,
        store=table,
        publisher=publisher,
        settings=settings,
        clock=clock,
        lease_seconds=lease_seconds,
    )


def state(table: FakeTable, item: dict[str, Any]) -> str:
    stored = table.get(item["pk"], item["sk"])
    assert stored is not None
    return str(stored["alert_state"])


def test_pending_to_sent_once_however_often_the_record_is_replayed() -> None:
    table, publisher, clock = FakeTable(), FakePublisher(), FakeClock()
    item = stored_article(table, "a.txt", {"ceasefire": 0.9, "sanctions": 0.8})
    first = alert(table, publisher, item, clock)
    assert (first.status, first.topics) == ("published", ("ceasefire",))
    assert first.marked
    assert state(table, item) == "sent"
    for _ in range(3):
        assert alert(table, publisher, item, clock).status == "already_done"
    assert len(publisher.messages) == 1


def test_concurrent_replays_publish_once() -> None:
    table, publisher, clock = FakeTable(), FakePublisher(), FakeClock()
    item = stored_article(table, "a.txt", {"aid": 0.9})
    barrier = threading.Barrier(5)
    results: list[str] = []

    def replay() -> None:
        barrier.wait()
        try:
            results.append(alert(table, publisher, item, clock).status)
        except AlertInProgressError:
            results.append("busy")

    threads = [threading.Thread(target=replay) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("published") == 1
    assert len(publisher.messages) == 1


def test_an_unwatched_article_is_marked_none_and_not_published() -> None:
    table, publisher, clock = FakeTable(), FakePublisher(), FakeClock()
    item = stored_article(table, "a.txt", {"sanctions": 0.9})
    assert alert(table, publisher, item, clock).status == "not_watched"
    assert state(table, item) == "none"
    assert publisher.messages == []


def test_only_pending_processed_articles_are_work() -> None:
    table, publisher, clock = FakeTable(), FakePublisher(), FakeClock()
    item = stored_article(table, "a.txt", {"aid": 0.9})
    for change in ({"alert_state": "sending"}, {"status": "duplicate"}, {"type": "topic"}):
        assert alert(table, publisher, {**item, **change}, clock).status == "ignored"
    assert publisher.messages == []


def test_a_failed_publish_releases_the_claim_to_retry_and_the_retry_publishes_once() -> None:
    table, publisher, clock = FakeTable(), FakePublisher(), FakeClock()
    item = stored_article(table, "a.txt", {"aid": 0.9})
    publisher.fail = ConnectionError("SNS is down")
    with pytest.raises(AlertPublishError):
        alert(table, publisher, item, clock)
    assert state(table, item) == "retry"
    publisher.fail = None
    assert alert(table, publisher, item, clock).status == "published"
    assert state(table, item) == "sent"
    assert len(publisher.messages) == 1


def test_a_live_claim_makes_the_replay_wait_and_an_expired_one_is_taken_over() -> None:
    table, publisher, clock = FakeTable(), FakePublisher(), FakeClock()
    item = stored_article(table, "a.txt", {"aid": 0.9})
    now = int(clock.now().timestamp())
    # A claimer that died right after claiming: its lease runs 30 s.
    assert table.claim_alert(item["pk"], item["sk"], "dead", now, now + 30) == "claimed"
    with pytest.raises(AlertInProgressError):
        alert(table, publisher, item, clock)
    clock.advance(seconds=31)
    assert alert(table, publisher, item, clock).status == "published"
    # The dead claimer lost its claim: it can neither finish nor release it.
    assert table.release_alert(item["pk"], item["sk"], "dead") is False
    assert len(publisher.messages) == 1


def test_the_lease_is_the_invocations_time_left_plus_a_margin() -> None:
    table, publisher, clock = FakeTable(), FakePublisher(), FakeClock()
    item = stored_article(table, "a.txt", {"aid": 0.9})
    publisher.fail = ConnectionError("down")
    claims: list[int] = []
    real_claim = table.claim_alert

    def spy(pk: str, sk: str, token: str, now: int, lease_until: int) -> str:
        claims.append(lease_until - now)
        return real_claim(pk, sk, token, now, lease_until)

    table.claim_alert = spy  # type: ignore[method-assign]
    with pytest.raises(AlertPublishError):
        alert(table, publisher, item, clock, lease_seconds=lease_for(10_000))
    with pytest.raises(AlertPublishError):
        alert(table, publisher, item, clock)  # no Lambda context: the settings' lease
    assert claims == [12, 60]
    assert lease_for(None) is None


def test_the_hourly_cap_holds_topics_back_and_resets_the_next_hour() -> None:
    table, publisher, clock = FakeTable(), FakePublisher(), FakeClock()
    capped = Settings(watched_topics=("ceasefire", "aid"), max_alerts_per_topic_per_hour=1)
    first = stored_article(table, "1.txt", {"ceasefire": 0.9, "aid": 0.5})
    second = stored_article(table, "2.txt", {"ceasefire": 0.9, "aid": 0.8})
    third = stored_article(table, "3.txt", {"ceasefire": 0.9})
    assert alert(table, publisher, first, clock, capped).topics == ("ceasefire", "aid")
    partly = alert(table, publisher, second, clock, capped)
    assert (partly.status, partly.topics, partly.held_topics) == ("held", (), ("ceasefire", "aid"))
    assert state(table, second) == "held"
    hour = clock.now().strftime("%Y-%m-%dT%H")
    assert table.quota_used("ceasefire", hour) == 1
    clock.advance(hours=1)
    assert alert(table, publisher, third, clock, capped).status == "published"
    assert len(publisher.messages) == 2


def test_a_failed_publish_gives_its_quota_back() -> None:
    table, publisher, clock = FakeTable(), FakePublisher(), FakeClock()
    capped = Settings(watched_topics=("aid",), max_alerts_per_topic_per_hour=1)
    item = stored_article(table, "a.txt", {"aid": 0.9})
    publisher.fail = ConnectionError("down")
    with pytest.raises(AlertPublishError):
        alert(table, publisher, item, clock, capped)
    assert table.quota_used("aid", clock.now().strftime("%Y-%m-%dT%H")) == 0
    publisher.fail = None
    assert alert(table, publisher, item, clock, capped).status == "published"


def test_a_near_duplicate_alerts_only_for_its_new_topics() -> None:
    table, publisher, clock = FakeTable(), FakePublisher(), FakeClock()
    item = stored_article(
        table, "copy.txt", {"ceasefire": 0.9, "aid": 0.8}, alert_only_topics=["aid"]
    )
    assert alert(table, publisher, item, clock).topics == ("aid",)


# -- digests -------------------------------------------------------------------------------------


def test_a_digest_goes_out_once_per_period_and_the_next_covers_only_what_is_new() -> None:
    table, publisher, marks, clock = FakeTable(), FakePublisher(), FakeDigestMarks(), FakeClock()
    stored_article(table, "a.txt", {"aid": 0.9})
    archive = FakeArchive(table)

    def run() -> list[tuple[str, int, bool]]:
        results = send_digests(
            archive=archive, marks=marks, publisher=publisher, topics=["aid", "ceasefire"],
            now=clock.now(), first_period=timedelta(days=1),
        )  # fmt: skip
        return [(r.topic, r.articles, r.message_id is not None) for r in results]

    assert run() == [("aid", 1, True), ("ceasefire", 0, False)]
    assert run() == [("aid", 0, False), ("ceasefire", 0, False)]
    clock.advance(hours=1)
    late = stored_article(table, "b.txt", {"aid": 0.7})
    late_entry = table.items[entry_key("aid", late["uploaded_at"], late["pk"], late["sk"])]
    late_entry["uploaded_at"] = "2026-11-29T18:30:00.000Z"
    assert run() == [("aid", 1, True), ("ceasefire", 0, False)]
    assert [m.kind for m in publisher.messages] == ["digest", "digest"]


def test_a_digest_whose_period_another_run_claimed_is_not_sent() -> None:
    table, publisher, marks, clock = FakeTable(), FakePublisher(), FakeDigestMarks(), FakeClock()
    stored_article(table, "a.txt", {"aid": 0.9})

    now = int(clock.now().timestamp())
    # Another run holds a live claim on the period.
    assert marks.claim("aid", None, "x", token="other", now=now, lease_until=now + 60)
    results = send_digests(
        archive=FakeArchive(table), marks=marks, publisher=publisher, topics=["aid"],
        now=clock.now(),
    )  # fmt: skip
    assert results == []
    assert publisher.messages == []
    # Once its lease has run out (it died), the period is taken over and sent once.
    clock.advance(seconds=61)
    results = send_digests(
        archive=FakeArchive(table), marks=marks, publisher=publisher, topics=["aid"],
        now=clock.now(),
    )  # fmt: skip
    assert [(r.topic, r.articles) for r in results] == [("aid", 1)]
    assert len(publisher.messages) == 1


def test_a_failed_digest_publish_releases_its_period_for_the_next_run() -> None:
    table, publisher, marks, clock = FakeTable(), FakePublisher(), FakeDigestMarks(), FakeClock()
    stored_article(table, "a.txt", {"aid": 0.9})
    publisher.fail = ConnectionError("SNS is down")
    with pytest.raises(DigestPublishError):
        send_digests(
            archive=FakeArchive(table), marks=marks, publisher=publisher, topics=["aid"],
            now=clock.now(),
        )  # fmt: skip
    assert marks.last_until("aid") is None and marks.claims == {}
    publisher.fail = None
    results = send_digests(
        archive=FakeArchive(table), marks=marks, publisher=publisher, topics=["aid"],
        now=clock.now(),
    )  # fmt: skip
    assert [r.articles for r in results] == [1]
    assert marks.last_until("aid") == results[0].until
