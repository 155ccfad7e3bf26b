"""Near-duplicate stories through the ingest and alert handlers on moto (RELIABILITY.md 2.3): the
same story re-uploaded with edits is flagged and does not alert again, unless it adds a watched
topic, and then it alerts for that topic only."""

from __future__ import annotations

import html
import json
from typing import Any

import pytest
from awsstack import REPO, TABLE, Spy, Stack, load_handler, sqs_event

from newswatch import composition
from newswatch.adapters.dynamodb import DynamoArticleStore
from newswatch.domain.neardup import BANDS, fingerprint
from newswatch.domain.records import MAX_BAND_MEMBERS, article_ref, member_attribute
from newswatch.settings import Settings, SettingsError

OK: dict[str, list[Any]] = {"batchItemFailures": []}

HEADLINE = "US and Ukraine agree to restart peace talks after Jeddah meeting"
# Neither watched topic: the edited copy adds nothing to alert about.
EXTRA_PARAGRAPH = (
    "Markets in Kyiv reacted calmly to the announcement, and analysts said the currency was "
    "likely to stay stable while the delegations prepared their negotiating positions."
)
AID_PARAGRAPHS = (
    "Aid convoys carrying food, water and medical supplies reached besieged towns on Wednesday, "
    "and humanitarian agencies said emergency relief deliveries to displaced families would "
    "continue under the truce.",
    "The agencies appealed for more funding to keep the humanitarian aid flowing through the "
    "winter, when relief trucks struggle on the frozen roads.",
)


def paragraphs(seed_bytes: bytes) -> list[str]:
    return [p for p in seed_bytes.decode().split("\n") if p.strip()]


def edited_html_copy(seed_bytes: bytes) -> bytes:
    """The seed with a new headline, an added paragraph, other whitespace, wrapped in markup."""
    paras = paragraphs(seed_bytes)
    paras.insert(4, EXTRA_PARAGRAPH)
    body = "\n".join(
        f'<p class="story">\n   {html.escape("  ".join(p.split()))}\n</p>' for p in paras
    )
    page = (
        f"<!DOCTYPE html><html><head><title>{html.escape(HEADLINE)}</title>"
        "<style>p.story { margin: 0 }</style><script>var tracking = 1;</script></head><body>"
        f"<nav><a href='/'>Home</a></nav><article><h1>{html.escape(HEADLINE)}</h1>\n{body}"
        "</article><footer>© Example News</footer></body></html>"
    )
    return page.encode()


def copy_with_aid(seed_bytes: bytes) -> bytes:
    paras = paragraphs(seed_bytes)
    paras[3:3] = AID_PARAGRAPHS
    return "\n".join(paras).encode()


def received(stack: Stack) -> dict[str, int]:
    """Deliveries per subscriber since the last call (subscribers with none left out)."""
    counts = {name: len(stack.received(name)) for name in stack.queues}
    return {name: n for name, n in counts.items() if n}


def band_items(stack: Stack) -> list[dict[str, Any]]:
    return [i for i in stack.items() if i.get("type") == "nearband"]


def ingest_and_alert(stack: Stack, *events: dict[str, Any]) -> int:
    """Ingest each event, then run the alert function on what its stream filter passes (if
    anything); returns how many stream records reached the alert function."""
    ingest = load_handler("ingest")
    for event in events:
        assert ingest.lambda_handler(sqs_event(event)) == OK
    batch = stack.alert_batch()
    if batch["Records"]:
        assert load_handler("alert").lambda_handler(batch) == OK
    return len(batch["Records"])


def test_an_edited_copy_is_a_near_duplicate_and_does_not_alert_again(
    stack: Stack, seed_bytes: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    first = stack.put("news/jeddah.txt", seed_bytes)
    ingest_and_alert(stack, first)
    assert received(stack) == {"email-ceasefire": 1, "email-ceasefire-strong": 1}
    capsys.readouterr()

    copy = stack.put("wire/us-ukraine-talks.html", edited_html_copy(seed_bytes), "text/html")
    assert ingest_and_alert(stack, copy) == 0  # alert_state none: filtered out of the stream

    by_key = {a["key"]: a for a in stack.articles()}
    original, edited = by_key["news/jeddah.txt"], by_key["wire/us-ukraine-talks.html"]
    assert edited["status"] == "processed"  # its own summary and topics, stored in full
    assert edited["content_sha256"] != original["content_sha256"]
    assert "near_duplicate" in edited["flags"]
    assert edited["near_duplicate_of"] == article_ref(original["pk"], original["sk"])
    assert 0.5 <= edited["near_duplicate_similarity"] < 1
    assert "ceasefire" in edited["near_duplicate_topics"]
    assert edited["alert_only_topics"] == []
    assert edited["alert_state"] == "none"
    assert "near_duplicate" not in original["flags"]
    # Its topic entries (the archive and digest index) name the earlier article too.
    entries = stack.entries(edited["pk"])
    assert entries and all(i["near_duplicate_of"] == edited["near_duplicate_of"] for i in entries)
    assert all("near_duplicate_of" not in i for i in stack.entries(original["pk"]))
    assert received(stack) == {}  # no second alert, to anyone
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(entry.get("ArticlesNearDuplicate") == [1.0] for entry in emf)


def test_a_copy_that_adds_a_watched_topic_alerts_for_that_topic_only(
    stack: Stack, seed_bytes: bytes
) -> None:
    ingest_and_alert(stack, stack.put("news/jeddah.txt", seed_bytes))
    assert received(stack) == {"email-ceasefire": 1, "email-ceasefire-strong": 1}

    ingest_and_alert(stack, stack.put("news/jeddah-update.txt", copy_with_aid(seed_bytes)))

    update = next(a for a in stack.articles() if a["key"] == "news/jeddah-update.txt")
    assert "near_duplicate" in update["flags"]
    assert {"ceasefire", "aid"} <= set(update["topic_labels"])
    assert update["alert_only_topics"] == ["aid"]
    assert update["alert_state"] == "sent"
    assert update["alert_topics"] == ["aid"]
    [sms] = stack.received("sms-aid")
    assert json.loads(sms["MessageAttributes"]["topics"]["Value"]) == ["aid"]
    assert received(stack) == {}  # nobody told about the ceasefire twice

    # A third copy with the aid paragraphs adds nothing the earlier two had not.
    third = copy_with_aid(seed_bytes).replace(b"Jeddah", b"Jeddah, Saudi Arabia,", 1)
    ingest_and_alert(stack, stack.put("mirror/jeddah-update.txt", third))
    mirror = next(a for a in stack.articles() if a["key"] == "mirror/jeddah-update.txt")
    assert mirror["alert_state"] == "none"
    assert mirror["near_duplicate_count"] == 2
    assert received(stack) == {}


def test_an_unrelated_article_is_not_a_near_duplicate(stack: Stack, seed_bytes: bytes) -> None:
    other = (REPO / "seeds" / "flood-aid-displacement.html").read_bytes()
    ingest_and_alert(
        stack,
        stack.put("news/jeddah.txt", seed_bytes),
        stack.put("news/flood.html", other, "text/html"),
    )
    flood = next(a for a in stack.articles() if a["key"] == "news/flood.html")
    assert "near_duplicate" not in flood["flags"]
    assert "near_duplicate_of" not in flood and "alert_only_topics" not in flood
    assert len(stack.received("sms-aid")) == 1
    assert len(stack.received("email-ceasefire")) == 1


def test_registration_is_one_member_per_band_and_a_redelivery_adds_none(
    stack: Stack, seed_bytes: bytes
) -> None:
    ingest = load_handler("ingest")
    event = stack.put("news/jeddah.txt", seed_bytes)
    assert ingest.lambda_handler(sqs_event(event)) == OK
    bands = band_items(stack)
    [article] = stack.articles()
    member = member_attribute(article_ref(article["pk"], article["sk"]))
    assert len(bands) == BANDS
    assert {b["pk"] for b in bands} == set(fingerprint(seed_bytes.decode()).band_keys)
    assert all(b["sk"] == "band" and b["member_count"] == 1 and member in b for b in bands)
    # A member lists what its alert tells (the watched topics ceasefire and aid, at or above
    # their alert thresholds), not every tag: a later copy is compared with what was sent.
    assert bands[0][member]["topics"] == ["ceasefire"]
    assert set(article["topic_labels"]) > {"ceasefire"}
    # Band items never reach the alert function (its stream filter wants processed articles).
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in stack.alert_batch()["Records"]] == [
        article["pk"]
    ]

    assert ingest.lambda_handler(sqs_event(event, event)) == OK  # redelivered, twice

    assert [b["member_count"] for b in band_items(stack)] == [1] * BANDS
    [again] = stack.articles()
    assert "near_duplicate" not in again["flags"]  # not a near-duplicate of itself


def test_a_redelivery_completes_a_registration_cut_short(stack: Stack, seed_bytes: bytes) -> None:
    ingest = load_handler("ingest")
    deps = composition.ingest_function()

    def crash(*args: Any, **kwargs: Any) -> int:
        raise ConnectionError("the execution environment died here")

    # The band items and topic entries go in one batch after the article is stored.
    deps.store.put_entries = crash
    event = stack.put("news/jeddah.txt", seed_bytes)
    [failed] = ingest.lambda_handler(sqs_event(event))["batchItemFailures"]
    assert failed["itemIdentifier"]
    assert band_items(stack) == []  # stored, not registered
    assert [i for i in stack.items() if i["type"] == "topic"] == []
    [article] = stack.articles()

    assert load_handler("ingest").lambda_handler(sqs_event(event)) == OK
    assert [b["member_count"] for b in band_items(stack)] == [1] * BANDS
    [article] = stack.articles()
    # Registered with the fingerprint the redelivery computed: the item does not carry one.
    assert article["status"] == "processed" and "near_fingerprint" not in article
    entries = [i for i in stack.items() if i["type"] == "topic"]
    assert sorted(e["topic"] for e in entries) == sorted(article["topic_labels"])


def test_the_check_is_one_batch_get_of_the_band_keys(stack: Stack, seed_bytes: bytes) -> None:
    ingest = load_handler("ingest")
    assert ingest.lambda_handler(sqs_event(stack.put("news/jeddah.txt", seed_bytes))) == OK
    deps = composition.ingest_function()
    spy = Spy(deps.store.client, "batch_get_item")
    deps.store.client = spy
    copy = stack.put("wire/copy.html", edited_html_copy(seed_bytes), "text/html")

    assert ingest.lambda_handler(sqs_event(copy)) == OK

    # One read answers the three checks: its own key (a redelivery), the content# item of its
    # bytes (a duplicate) and its band items (a near-duplicate).
    [call] = spy.calls
    keys = call["RequestItems"][TABLE]["Keys"]
    bands = [k for k in keys if k["sk"] == {"S": "band"}]
    content = [k for k in keys if k["sk"]["S"].startswith("content#")]
    own = [k for k in keys if k["pk"]["S"] == "article#newswatch-articles-test/wire/copy.html"]
    assert len(bands) == BANDS and len(content) == 1 and len(own) == 1
    assert len(keys) == BANDS + 2
    assert content[0]["pk"]["S"].startswith("ref#nw-")  # under the alert's reference
    assert call["RequestItems"][TABLE]["ConsistentRead"] is True


def test_short_texts_are_never_near_duplicates(stack: Stack) -> None:
    ingest = load_handler("ingest")
    short = b"Ceasefire holds in the north, officials say."
    events = [stack.put(f"news/short-{i}.txt", short + b" " * i) for i in range(2)]
    assert ingest.lambda_handler(sqs_event(*events)) == OK
    assert band_items(stack) == []
    assert all("near_duplicate" not in a["flags"] for a in stack.articles())


def test_a_full_band_takes_no_more_members(stack: Stack, seed_bytes: bytes) -> None:
    store = DynamoArticleStore(stack.ddb, TABLE)
    key = fingerprint(seed_bytes.decode()).band_keys[0]
    value = {"fp": "1:AAAA", "topics": [], "uploaded_at": "2026-11-29T18:00:00.000Z"}
    added = [
        store.register_near_member([key], f"m#article#b/{i}|v#null", value)
        for i in range(MAX_BAND_MEMBERS + 2)
    ]
    assert added == [1] * MAX_BAND_MEMBERS + [0, 0]
    [band] = store.near_band_items([key])
    assert band["member_count"] == MAX_BAND_MEMBERS


def test_the_threshold_is_a_setting() -> None:
    assert Settings.from_env({}).near_dup_threshold == 0.5
    assert Settings.from_env({"NEWSWATCH_NEAR_DUP_THRESHOLD": "0.8"}).near_dup_threshold == 0.8
    for bad in ("0", "1.5", "-0.1", "high"):
        with pytest.raises(SettingsError, match="NEWSWATCH_NEAR_DUP_THRESHOLD"):
            Settings.from_env({"NEWSWATCH_NEAR_DUP_THRESHOLD": bad})


def test_a_stricter_threshold_from_the_environment_lets_the_copy_alert(
    stack: Stack, seed_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSWATCH_NEAR_DUP_THRESHOLD", "1.0")
    ingest_and_alert(stack, stack.put("news/jeddah.txt", seed_bytes))
    ingest_and_alert(stack, stack.put("wire/copy.html", edited_html_copy(seed_bytes), "text/html"))
    assert len(stack.received("email-ceasefire")) == 2
    assert all("near_duplicate" not in a["flags"] for a in stack.articles())
