"""Countries per article on moto: stored on the article item, indexed by place entries, and the
archive's "articles about SD" answered by one Query per country."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from awsstack import REPO, TABLE, Stack, load_handler, sqs_event

from newswatch.adapters.archive import Archive
from newswatch.domain.subscriptions import filter_policy

SUDAN = (REPO / "seeds" / "sudan-ceasefire-darfur.txt").read_bytes()
UKRAINE = (REPO / "seeds" / "jeddah-ceasefire-talks.txt").read_bytes()
OK: dict[str, list[Any]] = {"batchItemFailures": []}


def _ingest(stack: Stack, key: str, body: bytes) -> dict[str, Any]:
    ingest = load_handler("ingest")
    assert ingest.lambda_handler(sqs_event(stack.put(key, body))) == OK
    return next(a for a in stack.articles() if a["key"] == key)


def test_countries_are_stored_with_codes_names_scores_and_evidence(stack: Stack) -> None:
    article = _ingest(stack, "news/sudan.txt", SUDAN)
    assert article["country_codes"] == ["SD"]
    [sudan] = article["countries"]
    assert sudan.code == "SD" and sudan.name == "Sudan"
    assert 0 < sudan.score <= 1
    assert any("Darfur" in sentence for sentence in sudan.evidence)
    [entry] = [i for i in stack.items() if i["type"] == "place"]
    assert entry["topic"] == "place#SD" and entry["place"] == "SD"
    assert {t["label"] for t in entry["topics"]} == set(article["topic_labels"])


def test_articles_by_place_come_from_the_index_not_a_scan(stack: Stack) -> None:
    _ingest(stack, "news/sudan.txt", SUDAN)
    _ingest(stack, "news/ukraine.txt", UKRAINE)
    calls: list[str] = []
    stack.ddb.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.append(model.name)
    )
    archive = Archive(stack.ddb, TABLE)

    about_sudan = archive.articles(None, places=["SD"])
    assert [r["s3_uri"].rsplit("/", 1)[1] for r in about_sudan] == ["sudan.txt"]
    assert about_sudan[0]["places"][0]["code"] == "SD"
    assert [r["s3_uri"].rsplit("/", 1)[1] for r in archive.articles(None, places=["UA"])] == [
        "ukraine.txt"
    ]
    # Topic and place: both must match.
    both = archive.articles(["ceasefire"], places=["SD", "UA"])
    assert sorted(r["s3_uri"].rsplit("/", 1)[1] for r in both) == ["sudan.txt", "ukraine.txt"]
    assert archive.articles(["sanctions"], places=["SD"]) == []
    assert set(calls) == {"Query"}


def test_reprocessing_replaces_the_place_entries(stack: Stack) -> None:
    """A backfill whose detector finds no country leaves no stale place entry behind."""
    from newswatch.adapters.backfill import DynamoBackfillStore
    from newswatch.adapters.s3 import S3ArticleSource
    from newswatch.composition import build_analyzer
    from newswatch.settings import Settings
    from newswatch.usecases.reprocess import reprocess_object

    article = _ingest(stack, "news/sudan.txt", SUDAN)
    analyzer = build_analyzer()
    analyzer.places = None
    reprocess_object(
        article["bucket"],
        article["key"],
        article["version_id"],
        source=S3ArticleSource(stack.s3),
        store=DynamoBackfillStore(stack.ddb, TABLE),
        analyzer=analyzer,
        settings=Settings.from_env(),
    )
    [again] = stack.articles()
    assert again["country_codes"] == [] and again["topic_labels"] == article["topic_labels"]
    assert [i for i in stack.items() if i["type"] == "place"] == []


def test_digests_respect_a_subscribers_places(stack: Stack) -> None:
    from newswatch.adapters.digest_marks import DynamoDigestMarks
    from newswatch.adapters.sns import SnsAlertPublisher
    from newswatch.usecases.digest import send_digests

    stack.subscribe(
        "digest-ceasefire-sd", filter_policy(["ceasefire"], kinds=("digest",), places=["SD"])
    )
    stack.subscribe("digest-sd", filter_policy([], kinds=("digest",), places=["SD"]))
    stack.subscribe("digest-ceasefire-all", filter_policy(["ceasefire"], kinds=("digest",)))
    _ingest(stack, "news/sudan.txt", SUDAN)
    _ingest(stack, "news/ukraine.txt", UKRAINE)

    send_digests(
        archive=Archive(stack.ddb, TABLE),
        marks=DynamoDigestMarks(stack.ddb, TABLE),
        publisher=SnsAlertPublisher(stack.sns, stack.topic_arn),
        topics=["ceasefire", "aid"],
        now=datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
        first_period=timedelta(days=2),
        places={"SD": "Sudan", "UA": "Ukraine", "FR": "France"},
    )

    def bodies(name: str) -> list[str]:
        return [m["Message"] for m in stack.received(name)]

    # (SQS stand-ins receive the default body: what the digest is about and how many articles.)
    assert bodies("digest-ceasefire-sd") == [
        "newswatch digest ceasefire in Sudan: 1 article 2026-11-28T12:00:00.000Z to "
        "2026-11-30T12:00:00.000Z"
    ]
    [sudan] = bodies("digest-sd")  # every topic about Sudan, in one digest
    assert sudan.startswith("newswatch digest Sudan: 1 article")
    [everywhere] = bodies("digest-ceasefire-all")  # a topic-only subscriber: as before
    assert everywhere.startswith("newswatch digest ceasefire: 2 articles")


# An article about Sudan that no topic alerts on.
SUDAN_MUSEUM = b"""Khartoum museum reopens its doors

The National Museum of Sudan in Khartoum reopened to visitors on Saturday after two years of \
restoration work on its galleries and gardens.

Sudanese archaeologists have catalogued thousands of objects from the kingdoms of Kush and \
Meroe, many of them shown to the public for the first time.

Curators in Khartoum said school groups from across Sudan had already booked visits for the \
coming months, and that a travelling exhibition would tour Port Sudan and Kassala next year.

The museum's director thanked the volunteers who spent their weekends cleaning statues and \
repainting the halls.
"""


@pytest.fixture
def place_subscribers(stack: Stack) -> Stack:
    stack.subscribe("ceasefire-in-sudan", filter_policy(["ceasefire"], places=["SD"]))
    stack.subscribe("about-sudan", filter_policy([], places=["SD"]))
    stack.subscribe("about-ukraine", filter_policy([], places=["UA"]))
    return stack


def _alert(stack: Stack) -> None:
    batch = stack.alert_batch()
    if batch["Records"]:
        assert load_handler("alert").lambda_handler(batch) == OK


def test_a_ceasefire_subscriber_in_sudan_gets_the_sudan_article_not_the_ukraine_one(
    place_subscribers: Stack,
) -> None:
    stack = place_subscribers
    _ingest(stack, "news/sudan.txt", SUDAN)
    _ingest(stack, "news/ukraine.txt", UKRAINE)
    _alert(stack)

    [sudan] = _alerts(stack, "ceasefire-in-sudan")
    assert sudan["key"] == "news/sudan.txt"
    assert [p["code"] for p in sudan["places"]] == ["SD"]
    assert "ceasefire" in [t["label"] for t in sudan["topics"]]
    assert stack.received("ceasefire-in-sudan") == []
    # Topic subscribers without places still get both ceasefire stories, with their places.
    everywhere = {a["key"]: a["places"] for a in _alerts(stack, "email-ceasefire")}
    assert sorted(everywhere) == ["news/sudan.txt", "news/ukraine.txt"]
    assert "UA" in [p["code"] for p in everywhere["news/ukraine.txt"]]


def _alerts(stack: Stack, subscriber: str) -> list[dict[str, Any]]:
    """The JSON alerts a subscriber queue received, each checked against docs/alert.schema.json."""
    import jsonschema

    schema = json.loads((REPO / "docs" / "alert.schema.json").read_text(encoding="utf-8"))
    alerts = [json.loads(m["Message"]) for m in stack.received(subscriber)]
    for alert in alerts:
        jsonschema.validate(alert, schema)
    return alerts


def test_a_place_only_subscriber_gets_every_article_about_the_country_once(
    place_subscribers: Stack,
) -> None:
    stack = place_subscribers
    _ingest(stack, "news/sudan.txt", SUDAN)
    _ingest(stack, "news/ukraine.txt", UKRAINE)
    museum = _ingest(stack, "culture/museum.txt", SUDAN_MUSEUM)
    assert museum["country_codes"] == ["SD"]
    assert not {"ceasefire", "aid"} & set(museum["topic_labels"])
    batch = stack.alert_batch()
    alert = load_handler("alert")
    assert alert.lambda_handler(batch) == OK
    assert alert.lambda_handler(batch) == OK  # a replayed batch sends nothing twice
    # The same object delivered again, and the same bytes under another key: no new alert.
    _ingest(stack, "culture/museum.txt", SUDAN_MUSEUM)
    _ingest(stack, "culture/museum-copy.txt", SUDAN_MUSEUM)
    _alert(stack)

    about_sudan = sorted(
        (a["key"], [t["label"] for t in a["topics"]]) for a in _alerts(stack, "about-sudan")
    )
    assert [key for key, _ in about_sudan] == ["culture/museum.txt", "news/sudan.txt"]
    assert about_sudan[0][1] == []  # the museum: a place alert, no topic
    assert [a["key"] for a in _alerts(stack, "about-ukraine")] == ["news/ukraine.txt"]
    # The museum article reached no topic subscriber.
    assert all(a["key"] != "culture/museum.txt" for a in _alerts(stack, "email-ceasefire"))
    stored = [a for a in stack.articles() if a["key"] == "culture/museum.txt"]
    [original] = [a for a in stored if a["status"] == "processed"]  # the re-upload: a duplicate
    assert original["alert_state"] == "sent" and original["alert_topics"] == []
