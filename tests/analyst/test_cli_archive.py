"""`newswatch articles` / `newswatch show` against a moto table with the template's key schema."""

from __future__ import annotations

import functools
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from newswatch.adapters.dynamodb import DynamoArticleStore
from newswatch.domain.records import reference_pk
from newswatch.domain.reference import article_reference
from newswatch_tools.cli import main
from newswatch_tools.cli.archive import MomentError, parse_moment

REPO = Path(__file__).resolve().parents[2]
REGION, TABLE = "us-east-1", "articles"  # as tests/analyst/conftest.py makes them


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_parse_moment() -> None:
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert parse_moment("7d", now) == "2026-11-22T12:00:00.000Z"
    assert parse_moment("90m", now) == "2026-11-29T10:30:00.000Z"
    assert parse_moment("2026-11-01", now) == "2026-11-01"
    assert parse_moment("2026-11-01T10:00:00+01:00", now) == "2026-11-01T09:00:00.000Z"
    with pytest.raises(MomentError, match="neither a duration"):
        parse_moment("last week", now)
    with pytest.raises(MomentError, match="before the calendar starts"):
        parse_moment("999999d", now)  # an error, not an OverflowError traceback


def test_limit_and_report_paths_are_checked(
    archive_stack: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):  # argparse: --limit must be positive
        main(["articles", "--limit", "0"])
    missing = tmp_path / "no-such-folder" / "r.html"
    assert main(["report", "--since", "30d", "--html", str(missing)]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_articles_of_one_topic_newest_first_in_a_range(
    archive_stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["articles", "--topic", "ceasefire", "--since", "2026-09-01", "--json"]
    assert main(args) == 0
    rows = _lines(capsys.readouterr().out)
    assert [r["s3_uri"] for r in rows] == [
        f"s3://{archive_stack}/mid.txt",
        f"s3://{archive_stack}/old.txt",
    ]
    assert rows[0]["topics"] == ["ceasefire", "aid"]
    assert rows[0]["scores"] == {"ceasefire": 0.6, "aid": 0.5}
    assert rows[0]["key"] == "mid.txt" and rows[0]["status"] == "processed"

    assert main([*args[:4], "2026-11-01", "--until", "2026-11-27", "--json"]) == 0
    assert [r["s3_uri"] for r in _lines(capsys.readouterr().out)] == [
        f"s3://{archive_stack}/mid.txt"
    ]


def test_articles_across_topics_are_listed_once_with_all_their_topics(
    archive_stack: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["articles", "--since", "2026-09-01", "--limit", "2", "--json"]) == 0
    rows = _lines(capsys.readouterr().out)
    assert [r["s3_uri"].rsplit("/", 1)[1] for r in rows] == ["new.txt", "mid.txt"]
    assert sorted(rows[1]["topics"]) == ["aid", "ceasefire"]
    both = ["articles", "--topic", "aid", "--topic", "ceasefire", "--since", "2026-09-01"]
    assert main([*both, "--json"]) == 0
    rows = _lines(capsys.readouterr().out)
    assert [r["key"] for r in rows] == ["new.txt", "mid.txt", "old.txt"]  # mid.txt once
    assert main(["articles", "--since", "2026-09-01"]) == 0
    out = capsys.readouterr().out
    assert "Title of old.txt" in out and "3 articles" in out


def test_show_prints_summary_topics_evidence_and_alert_state(
    archive_stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", "mid.txt"]) == 0
    out = capsys.readouterr().out
    for expected in ["Title of mid.txt", "Summary of mid.txt.", "ceasefire", "aid!", "alert: sent"]:
        assert expected in out
    assert main(["show", "missing.txt"]) == 2
    assert "no article" in capsys.readouterr().err


def test_show_accepts_the_reference_an_alert_carries(
    archive_stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = article_reference(archive_stack, "mid.txt", None)
    state = json.loads(Path(os.environ["NEWSWATCH_LOCAL_STATE"]).read_text(encoding="utf-8"))
    table = state["outputs"]["ArticlesTableName"]
    store = DynamoArticleStore(boto3.client("dynamodb", region_name=state["region"]), table)
    # A pointer as earlier versions wrote it for each alert (alerts now name the content item).
    article = {"article_pk": f"article#{archive_stack}/mid.txt", "article_sk": "v#null"}
    store.put_entries(
        [{"pk": reference_pk(reference), "sk": "ref", "type": "reference", **article}]
    )

    assert main(["show", reference.upper()]) == 0  # as typed from a phone
    out = capsys.readouterr().out
    assert "Title of mid.txt" in out and "Summary of mid.txt." in out
    assert main(["show", "nw-aaaaaaaaaa"]) == 2
    assert "no alert was sent with reference" in capsys.readouterr().err


# -- the whole archive, as ingest stores it ---------------------------------------------------

FRENCH = (
    "Les négociations entre les deux délégations ont repris lundi à Genève. Les médiateurs ont "
    "présenté une nouvelle proposition de cessez-le-feu. Les deux parties doivent répondre avant "
    "la fin de la semaine. Un accord permettrait l'ouverture de couloirs humanitaires."
)


@functools.cache
def _pipeline() -> Any:
    """One pipeline for the module's tests: building it (taxonomy, tagger index) takes a while."""
    from newswatch.composition import analyzer_from_settings
    from newswatch.settings import Settings

    return analyzer_from_settings(Settings.from_env({"NEWSWATCH_TABLE": TABLE}))


@pytest.fixture
def ingested(archive_stack: str, seed_bytes: bytes) -> dict[str, str]:
    """Articles of every status stored by the real ingest use case (moto S3 and DynamoDB)."""
    import boto3

    from newswatch.adapters.dynamodb import DynamoArticleStore
    from newswatch.adapters.s3 import S3ArticleSource
    from newswatch.settings import Settings
    from newswatch.usecases.ingest import ingest_object

    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=archive_stack)
    store = DynamoArticleStore(boto3.client("dynamodb", region_name=REGION), TABLE)
    settings = Settings.from_env({"NEWSWATCH_TABLE": TABLE})
    pipeline = _pipeline()
    untagged = (REPO / "seeds" / "harbour-cup-final.md").read_bytes()
    files = {
        "news/jeddah.txt": seed_bytes,  # processed, tagged
        "news/copy-of-jeddah.txt": seed_bytes,  # duplicate
        "news/broken.pdf": b"%PDF-1.7 not really a pdf",  # failed
        "sport/harbour-cup-final.md": untagged,  # processed, no topic
        "fr/geneve.txt": FRENCH.encode(),  # another language: not tagged
    }
    statuses = {}
    for n, (key, body) in enumerate(files.items()):
        s3.put_object(Bucket=archive_stack, Key=key, Body=body)
        outcome = ingest_object(
            archive_stack,
            key,
            None,
            f"2026-11-29T10:0{n}:00.000Z",
            len(body),
            source=S3ArticleSource(s3),
            store=store,
            analyzer=pipeline,
            settings=settings,
            near_index=store,
        )
        statuses[key] = outcome.status
    return statuses


def test_articles_lists_every_stored_article_whatever_its_status(
    ingested: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert set(ingested.values()) == {"processed", "duplicate", "failed"}

    assert main(["articles", "--since", "2026-11-29", "--until", "2026-11-29", "--json"]) == 0
    rows = {r["key"]: r for r in _lines(capsys.readouterr().out)}

    assert {k: r["status"] for k, r in rows.items()} == ingested
    assert "ceasefire" in rows["news/jeddah.txt"]["topics"]
    assert rows["sport/harbour-cup-final.md"]["topics"] == []
    assert "language_not_tagged" in rows["fr/geneve.txt"]["flags"]
    assert rows["news/broken.pdf"]["error_code"]
    assert rows["news/copy-of-jeddah.txt"]["duplicate_of"] == rows["news/jeddah.txt"]["s3_uri"]
    # Newest first, each with a headline derived from its text where it has no title.
    assert list(rows) == list(reversed(list(ingested)))
    assert rows["fr/geneve.txt"]["headline"].startswith("Les négociations entre")
    assert not any(r["headline"].endswith((".txt", ".md", ".pdf")) for r in rows.values())


def test_articles_filters_by_status_and_topic(
    ingested: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    since = ["--since", "2026-11-29", "--json"]
    assert main(["articles", "--status", "failed", *since]) == 0
    assert [r["key"] for r in _lines(capsys.readouterr().out)] == ["news/broken.pdf"]
    assert main(["articles", "--status", "failed", "--status", "duplicate", *since]) == 0
    assert sorted(r["status"] for r in _lines(capsys.readouterr().out)) == ["duplicate", "failed"]
    assert main(["articles", "--topic", "ceasefire", *since]) == 0
    assert [r["key"] for r in _lines(capsys.readouterr().out)] == ["news/jeddah.txt"]
    assert main(["articles", "--topic", "ceasefire", "--status", "failed", *since]) == 0
    assert _lines(capsys.readouterr().out) == []


def test_the_table_shows_key_status_and_topics(
    ingested: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    assert main(["articles", "--since", "2026-11-29"]) == 0
    out = capsys.readouterr().out
    assert "5 articles" in out
    for text in ["news/broken.pdf", "failed", "duplicate", "fr/geneve.txt", "language_not_tag"]:
        assert text in out


def test_an_unknown_topic_is_refused_with_the_known_ones(
    archive_stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["articles", "--topic", "ceasfire"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "unknown topic 'ceasfire'" in err
    assert "ceasefire" in err and "sanctions" in err


def test_show_accepts_a_key_and_the_s3_uri_articles_prints(
    ingested: dict[str, str], capsys: pytest.CaptureFixture[str], archive_stack: str
) -> None:
    assert main(["articles", "--since", "2026-11-29", "--status", "processed", "--json"]) == 0
    uris = [r["s3_uri"] for r in _lines(capsys.readouterr().out)]
    assert f"s3://{archive_stack}/fr/geneve.txt" in uris
    for uri in uris:
        assert main(["show", uri]) == 0, uri
        assert uri in capsys.readouterr().out
    assert main(["show", "fr/geneve.txt"]) == 0
    out = capsys.readouterr().out
    assert "flags" in out and "language_not_tagged" in out and "too_short" not in out
    assert main(["show", "s3://other-bucket/fr/geneve.txt"]) == 2
    assert "no article s3://other-bucket/fr/geneve.txt" in capsys.readouterr().err
    assert main(["show", "s3://just-a-bucket"]) == 2


def test_show_prints_a_failure_without_none_fields(
    ingested: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", "news/broken.pdf"]) == 0
    out = capsys.readouterr().out
    assert "status failed" in out
    assert "None" not in out
    assert main(["show", "news/copy-of-jeddah.txt"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "duplicate of s3://" in out and "news/jeddah.txt" in out
