"""The ingest and reprocess use cases over the in-memory fakes: one item per object version under
repeated and concurrent deliveries, duplicates, near-duplicate bands, failures recorded, backfill
never alerting twice. The same rules are tested through moto in tests/integration."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeClock, FakeSource, FakeTable

from newswatch.composition import build_analyzer
from newswatch.domain.records import MAX_BAND_MEMBERS, article_pk, article_sk
from newswatch.settings import Settings
from newswatch.usecases.ingest import IngestOutcome, ingest_object
from newswatch.usecases.reprocess import reprocess_object

BUCKET = "articles"
SETTINGS = Settings(watched_topics=("ceasefire", "aid"))
ANALYZER = build_analyzer()


def ingest(
    source: FakeSource, table: FakeTable, key: str, version: str | None = "v1", **kw: Any
) -> IngestOutcome:
    return ingest_object(
        BUCKET,
        key,
        version,
        "2026-11-29T18:00:00.000Z",
        None,
        source=source,
        store=table,
        analyzer=kw.pop("analyzer", ANALYZER),
        settings=kw.pop("settings", SETTINGS),
        near_index=kw.pop("near_index", table),
        clock=FakeClock(),
        **kw,
    )


@pytest.fixture
def source(seed_bytes: bytes) -> FakeSource:
    objects = FakeSource()
    objects.put(BUCKET, "news/jeddah.txt", seed_bytes, "v1")
    return objects


def test_a_redelivery_is_answered_from_the_table(source: FakeSource, seed_bytes: bytes) -> None:
    table = FakeTable()
    first = ingest(source, table, "news/jeddah.txt")
    assert first.status == "processed"
    assert "ceasefire" in first.topics
    for _ in range(3):
        again = ingest(source, table, "news/jeddah.txt")
        assert (again.status, again.stored_status) == ("already_stored", "processed")
    assert len(table.articles()) == 1
    assert table.articles()[0]["alert_state"] == "pending"
    # Topic entries were written with the article, one per topic.
    topics = table.of_type("topic")
    assert {t["topic"] for t in topics} == set(first.topics)
    # Without a near-duplicate index the table answers before S3 is read at all; with one, its
    # lookup (after the analysis) does, saving a read on every first delivery.
    reads = source.reads
    assert ingest(source, table, "news/jeddah.txt", near_index=None).status == "already_stored"
    assert source.reads == reads


def test_concurrent_deliveries_of_one_version_store_one_item(source: FakeSource) -> None:
    table = FakeTable()
    outcomes: list[IngestOutcome] = []
    barrier = threading.Barrier(6)

    def deliver() -> None:
        barrier.wait()
        outcomes.append(ingest(source, table, "news/jeddah.txt"))

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.status for o in outcomes).count("processed") == 1
    assert {o.status for o in outcomes} <= {"processed", "already_stored"}
    assert len(table.articles()) == 1


def test_an_unversioned_event_is_keyed_on_the_objects_own_version(source: FakeSource) -> None:
    table = FakeTable()
    outcome = ingest(source, table, "news/jeddah.txt", version=None)
    assert (outcome.version_id, outcome.sk) == ("v1", article_sk("v1"))
    assert ingest(source, table, "news/jeddah.txt", version=None).status == "already_stored"


def test_the_same_bytes_under_another_key_are_a_duplicate_that_never_alerts(
    source: FakeSource, seed_bytes: bytes
) -> None:
    table = FakeTable()
    source.put(BUCKET, "copy/jeddah.txt", seed_bytes, "v9")
    original = ingest(source, table, "news/jeddah.txt")
    copy = ingest(source, table, "copy/jeddah.txt", version="v9")
    assert copy.status == "duplicate"
    assert copy.duplicate_of == f"{original.pk}|{original.sk}"
    stored = table.get(copy.pk, copy.sk)
    assert stored is not None and stored["alert_state"] == "none"
    # A listing shows the copy with its original's topics and places.
    first = table.get(original.pk, original.sk)
    assert first is not None and first["country_codes"]
    assert stored["topic_labels"] == first["topic_labels"]
    assert stored["country_codes"] == first["country_codes"]


def test_concurrent_uploads_of_the_same_bytes_store_one_original(seed_bytes: bytes) -> None:
    source, table = FakeSource(), FakeTable()
    keys = [f"burst/{i}.txt" for i in range(5)]
    for key in keys:
        source.put(BUCKET, key, seed_bytes, "v1")
    barrier = threading.Barrier(len(keys))
    outcomes: list[IngestOutcome] = []

    def deliver(key: str) -> None:
        barrier.wait()
        outcomes.append(ingest(source, table, key))

    threads = [threading.Thread(target=deliver, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.status for o in outcomes) == ["duplicate"] * 4 + ["processed"]


@pytest.mark.parametrize("near_index", [True, False], ids=["near-index", "no-near-index"])
def test_a_copy_that_sees_the_claim_before_the_original_is_written_is_its_duplicate(
    source: FakeSource, seed_bytes: bytes, near_index: bool
) -> None:
    # The interleaving the moto race test hit one run in five: the first upload has claimed the
    # bytes, the second has read that claim (or lost its own claim) before the first upload's
    # article is written. The second must end "duplicate" of the first, not raise.
    table = FakeTable()
    index = table if near_index else None
    source.put(BUCKET, "mirror/jeddah.txt", seed_bytes, "v7")
    copies: list[IngestOutcome] = []

    def copy_arrives() -> None:
        del table.between_claim_and_article  # the copy's own writes run through
        copies.append(ingest(source, table, "mirror/jeddah.txt", version="v7", near_index=index))

    table.between_claim_and_article = copy_arrives  # type: ignore[method-assign]
    original = ingest(source, table, "news/jeddah.txt", near_index=index)
    [copy] = copies
    assert (original.status, copy.status) == ("processed", "duplicate")
    assert copy.duplicate_of == f"{original.pk}|{original.sk}"
    stored_copy, stored_original = table.get(copy.pk, copy.sk), table.get(original.pk, original.sk)
    assert stored_copy is not None and stored_original is not None
    assert stored_copy["alert_state"] == "none"
    # Described by its own analysis of the same bytes: what the original stored.
    for name in ("headline", "summary", "language", "topic_labels"):
        assert stored_copy[name] == stored_original[name], name
    # A redelivery of the copy, once the original is written, changes nothing.
    assert ingest(source, table, "mirror/jeddah.txt", version="v7").status == "already_stored"
    assert sorted(a["status"] for a in table.articles()) == ["duplicate", "processed"]


def test_a_deleted_object_is_stored_as_skipped_and_too_large_as_failed(
    source: FakeSource,
) -> None:
    table = FakeTable()
    gone = ingest(source, table, "news/gone.txt")
    assert (gone.status, gone.error_code) == ("skipped", "object_not_found")
    small = Settings(max_article_bytes=100)
    big = ingest(source, table, "news/jeddah.txt", settings=small)
    assert (big.status, big.error_code) == ("failed", "too_large")
    assert {a["status"] for a in table.articles()} == {"skipped", "failed"}


def test_an_unreadable_file_is_recorded_with_its_reason(source: FakeSource) -> None:
    table = FakeTable()
    source.put(BUCKET, "bad.pdf", b"%PDF-1.4 not really a pdf", "v1")
    outcome = ingest(source, table, "bad.pdf")
    assert outcome.status == "failed"
    assert outcome.error_code and outcome.reason
    stored = table.get(article_pk(BUCKET, "bad.pdf"), article_sk("v1"))
    assert stored is not None and stored["error_code"] == outcome.error_code


def test_the_deadline_reaches_the_analyzer(source: FakeSource) -> None:
    seen: list[Any] = []

    class Recording:
        def analyze_bytes(
            self, data: bytes, name: str, content_type: str | None = None, deadline: Any = None
        ) -> Any:
            seen.append(deadline)
            return ANALYZER.analyze_bytes(data, name, content_type)

    def deadline() -> int:
        return 1000

    ingest(source, FakeTable(), "news/jeddah.txt", analyzer=Recording(), deadline=deadline)
    assert seen == [deadline]


# -- near-duplicate bands ------------------------------------------------------------------------


@pytest.fixture
def with_edited_copy(source: FakeSource, seed_bytes: bytes) -> FakeSource:
    """The seed and, as news/jeddah-edited.txt, a copy of it with a few words changed."""
    edited = seed_bytes.replace(b"Jeddah", b"Jiddah", 2) + b"\nOne more closing line.\n"
    source.put(BUCKET, "news/jeddah-edited.txt", edited, "v1")
    return source


def test_an_edited_copy_is_a_near_duplicate_that_alerts_only_for_new_topics(
    with_edited_copy: FakeSource,
) -> None:
    source, table = with_edited_copy, FakeTable()
    first = ingest(source, table, "news/jeddah.txt")
    second = ingest(source, table, "news/jeddah-edited.txt")
    assert second.status == "processed"
    assert second.near_duplicate_of == f"{first.pk}|{first.sk}"
    stored = table.get(second.pk, second.sk)
    assert stored is not None
    assert "near_duplicate" in stored["flags"]
    # Same watched topics as the first copy: nothing new to alert about.
    assert stored["alert_only_topics"] == []
    assert stored["alert_state"] == "none"
    # Both are registered in their bands, once each, however often they are redelivered.
    ingest(source, table, "news/jeddah-edited.txt")
    bands = table.of_type("nearband")
    assert bands
    assert all(
        band["member_count"] == len([k for k in band if k.startswith("m#")]) for band in bands
    )


WIRE_STORY = (
    "Aid agencies warn of famine in {c}\n\n"
    "Aid agencies warned on Tuesday that famine is spreading across {c} after a third failed "
    "harvest, and appealed for emergency food aid for two million people. "
    "The World Food Programme said its stocks in {c} would run out within weeks. "
    "Relief convoys have been delayed on the roads into the worst-hit districts of {c}. "
    "Officials in {c} said clinics were treating hundreds of malnourished children every day. "
    "Donors have pledged less than a third of the money the United Nations asked for. "
    "Families in {c} are selling livestock and seed to buy food, aid workers said. "
    "The agencies called on donors to act before the lean season begins next month."
)


def test_the_same_wire_story_about_another_country_is_news_for_that_country() -> None:
    source, table = FakeSource(), FakeTable()
    texts = {
        "wire/1.txt": WIRE_STORY.format(c="Somalia"),
        "wire/2.txt": WIRE_STORY.format(c="Chad"),
        "wire/3.txt": WIRE_STORY.format(c="Somalia") + " Updated at noon.",
    }
    for key, text in texts.items():
        source.put(BUCKET, key, text.encode(), "v1")
    somalia, chad, again = (ingest(source, table, key) for key in texts)
    stored: dict[str, Any] = {o.key: table.get(o.pk, o.sk) for o in (somalia, chad, again)}
    assert stored[chad.key]["country_codes"] == ["TD"]
    # Chad's story is not Somalia's near-duplicate: it alerts (aid, and Chad's subscribers).
    assert "near_duplicate" not in stored[chad.key].get("flags", [])
    assert stored[chad.key]["alert_state"] == "pending"
    # The Somalia story again is: nothing new for anyone.
    assert again.near_duplicate_of == f"{somalia.pk}|{somalia.sk}"
    assert stored[again.key]["alert_state"] == "none"


def test_a_full_band_is_not_asked_to_take_a_copy_that_is_still_found(
    with_edited_copy: FakeSource,
) -> None:
    source, table = with_edited_copy, FakeTable()
    first = ingest(source, table, "news/jeddah.txt")
    for band in table.of_type("nearband"):  # as if a common phrase had filled every band
        table.items[(band["pk"], band["sk"])]["member_count"] = MAX_BAND_MEMBERS
    table.calls.clear()

    second = ingest(source, table, "news/jeddah-edited.txt")

    assert second.near_duplicate_of == f"{first.pk}|{first.sk}"  # found through them
    # No join of a full band: each would be billed per KB of the whole band item, for nothing.
    assert "register_near_member" not in table.calls


def test_a_redelivery_completes_the_entries_a_crash_left_unwritten(source: FakeSource) -> None:
    table = FakeTable()

    def crash() -> None:
        raise ConnectionError("the invocation died between the article and its entries")

    table.between_writes = crash  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        ingest(source, table, "news/jeddah.txt")
    assert len(table.articles()) == 1
    assert table.of_type("nearband") == [] and table.of_type("topic") == []
    del table.between_writes
    assert ingest(source, table, "news/jeddah.txt").status == "already_stored"
    assert table.of_type("nearband") and table.of_type("topic")
    assert len(table.articles()) == 1


def test_an_article_no_watched_topic_matches_is_stored_with_no_alert_pending(
    source: FakeSource,
) -> None:
    table = FakeTable()
    unwatched = Settings(watched_topics=("sanctions",))
    nowhere = build_analyzer()
    nowhere.places = None  # about no country: no place alert either
    outcome = ingest(source, table, "news/jeddah.txt", settings=unwatched, analyzer=nowhere)
    stored = table.get(outcome.pk, outcome.sk)
    assert stored is not None and stored["alert_state"] == "none"
    # About a country (Saudi Arabia, from Jeddah): its place alert is still due.
    placed = FakeTable()
    about_sa = ingest(source, placed, "news/jeddah.txt", settings=unwatched)
    stored = placed.get(about_sa.pk, about_sa.sk)
    assert stored is not None and stored["country_codes"] and stored["alert_state"] == "pending"
    watched = ingest(source, FakeTable(), "news/jeddah.txt")
    assert watched.status == "processed"


# -- reprocess (backfill) -----------------------------------------------------------------------


def test_a_backfill_keeps_a_sent_alert_and_re_arms_one_never_sent(source: FakeSource) -> None:
    table = FakeTable()
    first = ingest(source, table, "news/jeddah.txt")
    item = table.items[(first.pk, first.sk)]
    # A topic alert went out (an article whose only alert was a place alert has no alert_topics).
    item.update(alert_state="sent", alert_topics=["ceasefire"], alert_message_id="m-1")
    again = reprocess_object(
        BUCKET, "news/jeddah.txt", "v1",
        source=source, store=table, analyzer=ANALYZER, settings=SETTINGS, clock=FakeClock(),
    )  # fmt: skip
    assert again.status == "reprocessed"
    stored = table.get(first.pk, first.sk)
    assert stored is not None
    assert (stored["alert_state"], stored["alert_message_id"]) == ("sent", "m-1")
    assert "reprocessed_at" in stored

    item = table.items[(first.pk, first.sk)]
    item["alert_state"] = "none"
    reprocess_object(
        BUCKET, "news/jeddah.txt", "v1",
        source=source, store=table, analyzer=ANALYZER, settings=SETTINGS, clock=FakeClock(),
    )  # fmt: skip
    stored = table.get(first.pk, first.sk)
    assert stored is not None and stored["alert_state"] == "pending"


def test_a_backfill_alerts_once_for_a_watched_topic_never_sent(source: FakeSource) -> None:
    watching = Settings(watched_topics=("ceasefire", "negotiations"))
    table = FakeTable()
    first = ingest(source, table, "news/jeddah.txt", settings=watching)
    item = table.items[(first.pk, first.sk)]
    assert "negotiations" in item["topic_labels"]
    # Sent for ceasefire only (negotiations joined the watched topics, or the taxonomy, later).
    item.update(alert_state="sent", alert_topics=["ceasefire"], alert_message_id="m-1")

    def backfill() -> dict[str, Any]:
        reprocess_object(
            BUCKET, "news/jeddah.txt", "v1",
            source=source, store=table, analyzer=ANALYZER, settings=watching, clock=FakeClock(),
        )  # fmt: skip
        return table.items[(first.pk, first.sk)]

    stored = backfill()
    assert stored["alert_state"] == "pending"
    assert stored["alert_only_topics"] == ["negotiations"]
    assert stored["alert_topics_before"] == ["ceasefire"]
    assert stored["alert_places_sent"]  # a repeat: place-only subscribers were told already
    # The alert function sends it and marks it; no later backfill sends either topic again.
    stored.update(alert_state="sent", alert_topics=["negotiations"], alert_message_id="m-2")
    again = backfill()
    assert (again["alert_state"], again["alert_message_id"]) == ("sent", "m-2")


def test_a_backfill_remembers_a_place_alert_across_backfills(source: FakeSource) -> None:
    table = FakeTable()
    first = ingest(source, table, "news/jeddah.txt")
    table.items[(first.pk, first.sk)].update(alert_state="sent", alert_message_id="m-1")
    for _ in range(2):  # the second backfill sees the first one's record
        reprocess_object(
            BUCKET, "news/jeddah.txt", "v1",
            source=source, store=table, analyzer=ANALYZER, settings=SETTINGS, clock=FakeClock(),
        )  # fmt: skip
        item = table.items[(first.pk, first.sk)]
        assert item["alert_places_sent"]
        item["alert_state"] = "none"  # the alert function found no new topic to send


def test_a_backfill_of_an_object_never_stored_ingests_it(source: FakeSource) -> None:
    table = FakeTable()
    outcome = reprocess_object(
        BUCKET, "news/jeddah.txt", None,
        source=source, store=table, analyzer=ANALYZER, settings=SETTINGS, clock=FakeClock(),
    )  # fmt: skip
    assert outcome.status == "processed"
    assert len(table.articles()) == 1


def test_a_near_duplicate_backfilled_does_not_resend_what_its_earlier_copies_sent() -> None:
    from newswatch.usecases.reprocess import rearm_for_new_topics

    # An edited copy (sent nothing: its earlier copy had aid and displacement) gains casualties.
    stored = {
        "alert_state": "sent",
        "alert_topics": ["casualties"],  # sent by the first backfill
        "alert_topics_before": [],
        "near_duplicate_topics": ["aid", "displacement"],
    }
    item = {**stored, "topic_labels": ["aid", "casualties", "displacement"]}
    rearm_for_new_topics(item, stored, ["aid", "casualties", "displacement"])
    assert item["alert_state"] == "sent"  # a second backfill: nothing new for anyone


def test_an_update_alerts_for_a_topic_its_earlier_copy_had_only_below_its_alert_threshold(
    with_edited_copy: FakeSource, tmp_path: Path
) -> None:
    # The first copy is tagged negotiations, but no subscriber was told: that day negotiations
    # alerted only from 0.999 (a stand-in for a score under its alert threshold). Tagged or not,
    # what a later copy is compared with is what the earlier one's alert told.
    from importlib.resources import files

    import yaml

    taxonomy = yaml.safe_load(files("newswatch").joinpath("taxonomy.yaml").read_text("utf-8"))
    for topic in taxonomy["topics"]:
        if topic["label"] == "negotiations":
            topic["alert_threshold"] = 0.999
    strict = tmp_path / "taxonomy.yaml"
    strict.write_text(yaml.safe_dump(taxonomy), encoding="utf-8")
    watched = ("ceasefire", "negotiations")
    source, table = with_edited_copy, FakeTable()
    first = ingest(
        source, table, "news/jeddah.txt",
        settings=Settings(watched_topics=watched, taxonomy_path=strict),
    )  # fmt: skip
    assert "negotiations" in table.items[(first.pk, first.sk)]["topic_labels"]
    second = ingest(
        source, table, "news/jeddah-edited.txt", settings=Settings(watched_topics=watched)
    )
    stored = table.get(second.pk, second.sk)
    assert stored is not None and second.near_duplicate_of == f"{first.pk}|{first.sk}"
    assert stored["alert_only_topics"] == ["negotiations"]
    assert stored["alert_state"] == "pending"
