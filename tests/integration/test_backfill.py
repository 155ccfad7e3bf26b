"""`newswatch backfill` on moto: re-tagging stored articles after a taxonomy change, with no
duplicate alert for an article that was already alerted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from awsstack import BUCKET, TABLE, Stack, load_handler, sqs_event

from newswatch_tools.cli import main

# No topic alerts on it; the crowds in Jeddah make it an article about Saudi Arabia (a final
# played in Jeddah would not: a venue is no subject).
SPORT = (
    b"The home side won the cup final on Saturday after extra time. "
    b"The striker scored twice in the second half. Fans filled the stadium for the match. "
    b"Thousands lined the streets in Jeddah to greet the players on Sunday. "
    b"The league resumes next month."
)

# The team changed its mind: "Jeddah" now means aid, and only "truce" means ceasefire.
NEW_TAXONOMY = """
topics:
  - label: aid
    description: Anything in Jeddah, for this test.
    patterns: ["jeddah"]
  - label: ceasefire
    description: Only the word truce, for this test.
    patterns: ["truces?"]
"""


@pytest.fixture
def cli_env(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path / "local.json"
    outputs = {"ArticlesTableName": TABLE, "ArticlesBucketName": BUCKET}
    state.write_text(json.dumps({"endpoint_url": None, "region": "us-east-1", "outputs": outputs}))
    monkeypatch.setenv("NEWSWATCH_LOCAL_STATE", str(state))
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text(NEW_TAXONOMY)
    return taxonomy


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _ingest_and_alert(stack: Stack, seed_bytes: bytes) -> None:
    ingest, alert = load_handler("ingest"), load_handler("alert")
    events = [stack.put("news/jeddah.txt", seed_bytes), stack.put("sport/final.txt", SPORT)]
    assert ingest.lambda_handler(sqs_event(*events)) == {"batchItemFailures": []}
    alert.lambda_handler(stack.alert_batch())


def test_backfill_retags_without_alerting_twice(
    stack: Stack, seed_bytes: bytes, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _ingest_and_alert(stack, seed_bytes)
    assert len(stack.received("email-ceasefire")) == 1
    assert stack.received("sms-aid") == []
    before = {a["key"]: a for a in stack.articles()}
    # No topic alert; the crowds in Jeddah gave it a place alert (SA) for place subscribers.
    assert before["sport/final.txt"]["alert_topics"] == []
    assert before["sport/final.txt"]["alert_state"] == "sent"

    capsys.readouterr()  # the handlers' JSON logs
    assert main(["backfill", f"s3://{BUCKET}/", "--taxonomy", str(cli_env), "--json"]) == 0
    rows = {r["key"]: r for r in _lines(capsys.readouterr().out)}
    assert rows["news/jeddah.txt"] == {
        "key": "news/jeddah.txt",
        "status": "reprocessed",
        "topics": ["aid"],
    }
    assert rows["sport/final.txt"]["topics"] == ["aid"]

    after = {a["key"]: a for a in stack.articles()}
    seed = after["news/jeddah.txt"]
    assert seed["topic_labels"] == ["aid"]
    # Its ceasefire subscribers were told already; aid was never sent: it alerts for aid only.
    assert (seed["alert_state"], seed["alert_only_topics"]) == ("pending", ["aid"])
    assert seed["alert_topics_before"] == ["ceasefire"]
    assert seed["alerted_at"] == before["news/jeddah.txt"]["alerted_at"]
    assert seed["uploaded_at"] == before["news/jeddah.txt"]["uploaded_at"]
    # Only its place alert went out: its new topic may alert (a repeat for place subscribers).
    assert after["sport/final.txt"]["alert_state"] == "pending"

    # The archive index follows: the seed's old topic entries are gone, the new ones are there.
    topic_entries = [i for i in stack.items() if i["type"] == "topic"]
    assert sorted((i["topic"], i["s3_uri"].rsplit("/", 1)[1]) for i in topic_entries) == [
        ("aid", "final.txt"),
        ("aid", "jeddah.txt"),
    ]

    load_handler("alert").lambda_handler(stack.alert_batch())
    assert stack.received("email-ceasefire") == []  # no second alert for the seed
    # Each article's first alert for aid: the seed's (a topic it was never sent for) and the
    # sport article's (only its place alert had gone out).
    received = stack.received("sms-aid")
    assert len(received) == 2
    assert any("cup final" in sms["Message"].lower() for sms in received)
    assert stack.articles() and all(
        a["alert_state"] == "sent" for a in stack.articles() if a["key"] == "news/jeddah.txt"
    )
    # Another backfill with the same taxonomy sends nothing again.
    assert main(["backfill", f"s3://{BUCKET}/", "--taxonomy", str(cli_env), "--json"]) == 0
    load_handler("alert").lambda_handler(stack.alert_batch())
    assert stack.received("sms-aid") == [] and stack.received("email-ceasefire") == []


def test_dry_run_changes_nothing(
    stack: Stack, seed_bytes: bytes, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _ingest_and_alert(stack, seed_bytes)
    stack.put("new/unseen.txt", SPORT + b" A late goal.")
    before = stack.items()
    capsys.readouterr()
    assert main(["backfill", f"s3://{BUCKET}/", "--dry-run", "--json"]) == 0
    rows = {r["key"]: r["status"] for r in _lines(capsys.readouterr().out)}
    assert rows == {
        "news/jeddah.txt": "would reprocess (processed)",
        "sport/final.txt": "would reprocess (processed)",
        "new/unseen.txt": "would ingest",
    }
    assert stack.items() == before


def test_backfill_ingests_objects_never_stored_and_reports_bad_locations(
    stack: Stack, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.put("late/arrival.txt", SPORT)
    assert main(["backfill", f"s3://{BUCKET}/late/", "--json"]) == 0
    assert _lines(capsys.readouterr().out) == [
        {"key": "late/arrival.txt", "status": "processed", "topics": []}
    ]
    assert main(["backfill", "bucket-without-scheme"]) == 2
    assert "not an s3://bucket/prefix" in capsys.readouterr().err
