"""IngestFunction on moto, driven with the events/ payloads: what is stored, once, for every kind
of delivery and every kind of file."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from awsstack import BUCKET, TABLE, Stack, capture_logs, load_handler, s3_event, sqs_event

from newswatch import composition
from newswatch.adapters.dynamodb import DynamoArticleStore
from newswatch.adapters.s3 import S3ArticleSource
from newswatch.budget import BudgetedAnalyzer
from newswatch.composition import analyzer_from_settings
from newswatch.domain.records import article_pk
from newswatch.ports import ObjectHead
from newswatch.settings import Settings
from newswatch.usecases.ingest import ingest_object, normalize_event_time

OK: dict[str, list[Any]] = {"batchItemFailures": []}


def test_processed_article_is_stored_with_the_data_model_fields(
    stack: Stack, seed_bytes: bytes
) -> None:
    ingest = load_handler("ingest")
    event = stack.put("news/jeddah.txt", seed_bytes, content_type="text/plain")
    version = event["Records"][0]["s3"]["object"]["versionId"]

    assert ingest.lambda_handler(sqs_event(event)) == OK

    [article] = stack.articles()
    assert article["pk"] == f"article#{BUCKET}/news/jeddah.txt"
    assert article["sk"] == f"v#{version}"
    assert article["bucket"] == BUCKET and article["key"] == "news/jeddah.txt"
    assert article["version_id"] == version
    assert article["status"] == "processed"
    assert article["alert_state"] == "pending"
    assert article["content_sha256"] == hashlib.sha256(seed_bytes).hexdigest()
    assert article["uploaded_at"] == "2026-11-29T18:00:00.000Z"
    assert article["processed_at"].endswith("Z")
    assert article["size"] == len(seed_bytes)
    assert article["format"] == "txt"
    assert article["language"] == "en"
    assert article["word_count"] > 500
    assert article["summary_engine"] == "extractive"
    assert 50 < len(article["summary"]) <= 3 * 1500
    assert "sentences" not in article  # the summary is stored once
    assert "ceasefire" in article["topic_labels"]
    assert article["top_topic"] == article["topics"][0].label
    scores = [t.score for t in article["topics"]]
    assert all(isinstance(s, float) and 0 < s <= 1 for s in scores)
    assert scores == sorted(scores, reverse=True)
    assert all(t.evidence for t in article["topics"])
    assert "error" not in article and "duplicate_of" not in article

    # One topic entry per tag, keyed by the topic: one Query on the table's keys finds it.
    topic_items = [i for i in stack.items() if i["type"] == "topic"]
    assert sorted(i["topic"] for i in topic_items) == sorted(article["topic_labels"])
    found = stack.ddb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :t",
        ExpressionAttributeValues={":t": {"S": "entries#ceasefire"}},
        ScanIndexForward=False,
    )["Items"]
    assert [i["article_sk"]["S"] for i in found] == [article["sk"]]
    assert found[0]["s3_uri"]["S"] == f"s3://{BUCKET}/news/jeddah.txt"


def test_plain_s3_event_with_an_encoded_key_is_decoded(stack: Stack, seed_bytes: bytes) -> None:
    ingest = load_handler("ingest")
    key = "news/Jeddah talks + truce ü.txt"
    event = stack.put(key, seed_bytes)
    assert "+%2B+" in event["Records"][0]["s3"]["object"]["key"]  # as S3 sends it

    response = ingest.lambda_handler(event)

    assert response == {"outcomes": [{"key": key, "status": "processed"}]}
    [article] = stack.articles()
    assert article["key"] == key
    assert article["pk"] == article_pk(BUCKET, key)


def test_the_same_notification_delivered_three_times_stores_one_item(
    stack: Stack, seed_bytes: bytes
) -> None:
    ingest = load_handler("ingest")
    event = stack.put("news/jeddah.txt", seed_bytes)

    for _ in range(2):
        assert ingest.lambda_handler(sqs_event(event)) == OK
    # ...and once more twice in one batch.
    assert ingest.lambda_handler(sqs_event(event, event)) == OK

    assert len(stack.articles()) == 1
    stream = stack.alert_batch()
    assert len(stream["Records"]) == 1  # one INSERT, so one alert can follow


def test_concurrent_deliveries_of_one_object_store_one_item(
    stack: Stack, seed_bytes: bytes
) -> None:
    event = stack.put("news/jeddah.txt", seed_bytes)
    obj = event["Records"][0]["s3"]["object"]
    settings = Settings.from_env()
    pipeline = analyzer_from_settings(settings)
    store = DynamoArticleStore(stack.ddb, TABLE)
    workers = 4
    # Every worker has read the object (and found no item) before any of them writes.
    barrier = threading.Barrier(workers)

    class RacingSource(S3ArticleSource):
        def fetch(
            self, bucket: str, key: str, version_id: str | None, max_bytes: int
        ) -> tuple[ObjectHead, bytes]:
            fetched = super().fetch(bucket, key, version_id, max_bytes)
            barrier.wait(timeout=30)
            return fetched

    statuses: list[str] = []

    def deliver() -> None:
        outcome = ingest_object(
            BUCKET,
            "news/jeddah.txt",
            obj["versionId"],
            "2026-11-29T18:00:00.000Z",
            obj["size"],
            source=RacingSource(stack.s3),
            store=store,
            analyzer=pipeline,
            settings=settings,
        )
        statuses.append(outcome.status)

    threads = [threading.Thread(target=deliver) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == ["already_stored"] * (workers - 1) + ["processed"]
    assert len(stack.articles()) == 1
    assert len(stack.alert_batch()["Records"]) == 1


# The loser may see the winner's content claim before the winner's article is written (two
# writes since the transaction went): it is still the duplicate. The interleaving is pinned
# deterministically in tests/unit/test_usecases_ingest.py.
def test_the_same_bytes_under_two_keys_at_once_store_one_original(
    stack: Stack, seed_bytes: bytes
) -> None:
    keys = ["news/jeddah.txt", "mirror/jeddah.txt"]
    events = [stack.put(key, seed_bytes) for key in keys]
    settings = Settings.from_env()
    pipeline = analyzer_from_settings(settings)
    store = DynamoArticleStore(stack.ddb, TABLE)
    # Both have read the object and found no earlier copy before either writes.
    barrier = threading.Barrier(len(keys))

    class RacingSource(S3ArticleSource):
        def fetch(
            self, bucket: str, key: str, version_id: str | None, max_bytes: int
        ) -> tuple[ObjectHead, bytes]:
            fetched = super().fetch(bucket, key, version_id, max_bytes)
            barrier.wait(timeout=30)
            return fetched

    statuses: list[str] = []

    def deliver(key: str, event: dict[str, Any]) -> None:
        obj = event["Records"][0]["s3"]["object"]
        outcome = ingest_object(
            BUCKET,
            key,
            obj["versionId"],
            None,
            obj["size"],
            source=RacingSource(stack.s3),
            store=store,
            analyzer=pipeline,
            settings=settings,
        )
        statuses.append(outcome.status)

    threads = [
        threading.Thread(target=deliver, args=pair) for pair in zip(keys, events, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == ["duplicate", "processed"]
    by_status = {a["status"]: a for a in stack.articles()}
    original = by_status["processed"]
    assert by_status["duplicate"]["duplicate_of"] == f"{original['pk']}|{original['sk']}"
    assert len(stack.alert_batch()["Records"]) == 1


def test_same_content_under_another_key_is_a_duplicate(stack: Stack, seed_bytes: bytes) -> None:
    ingest = load_handler("ingest")
    first = stack.put("news/jeddah.txt", seed_bytes)
    again = stack.put("mirror/copy-of-jeddah.txt", seed_bytes)

    assert ingest.lambda_handler(sqs_event(first)) == OK
    assert ingest.lambda_handler(sqs_event(again)) == OK

    by_key = {a["key"]: a for a in stack.articles()}
    original, copy = by_key["news/jeddah.txt"], by_key["mirror/copy-of-jeddah.txt"]
    assert copy["status"] == "duplicate"
    assert copy["duplicate_of"] == f"{original['pk']}|{original['sk']}"
    assert copy["alert_state"] == "none"
    assert copy.get("title") == original.get("title")
    assert copy["topic_labels"] == original["topic_labels"]
    # No topic entries for the copy: the archive lists the story once.
    assert stack.entries(copy["pk"]) == []
    # The stream filter passes only processed articles: the copy never reaches the alert function.
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in stack.alert_batch()["Records"]] == [
        original["pk"]
    ]


def test_a_new_version_with_the_same_bytes_is_a_duplicate(stack: Stack, seed_bytes: bytes) -> None:
    ingest = load_handler("ingest")
    first = stack.put("news/jeddah.txt", seed_bytes)
    second = stack.put("news/jeddah.txt", seed_bytes)
    assert ingest.lambda_handler(sqs_event(first, second)) == OK
    statuses = sorted(a["status"] for a in stack.articles())
    assert statuses == ["duplicate", "processed"]


def test_an_object_deleted_before_processing_is_skipped(stack: Stack, seed_bytes: bytes) -> None:
    ingest = load_handler("ingest")
    event = stack.put("news/gone.txt", seed_bytes)
    version = event["Records"][0]["s3"]["object"]["versionId"]
    stack.s3.delete_object(Bucket=BUCKET, Key="news/gone.txt", VersionId=version)

    assert ingest.lambda_handler(sqs_event(event)) == OK

    [article] = stack.articles()
    assert article["status"] == "skipped"
    assert article["error_code"] == "object_not_found"
    assert "deleted before it could be processed" in article["error"]
    assert article["sk"] == f"v#{version}"


def test_bad_files_are_recorded_failed_and_the_rest_of_the_batch_succeeds(
    stack: Stack, seed_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSWATCH_MAX_ARTICLE_BYTES", str(len(seed_bytes) + 100))
    ingest = load_handler("ingest")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    events = [
        stack.put("bad/empty.txt", b""),
        stack.put("bad/picture.txt", png),
        stack.put("good/jeddah.txt", seed_bytes),
        stack.put("bad/huge.txt", seed_bytes + b" padding" * 100),
    ]

    assert ingest.lambda_handler(sqs_event(*events)) == OK

    by_key = {a["key"]: a for a in stack.articles()}
    assert by_key["good/jeddah.txt"]["status"] == "processed"
    expected = {
        "bad/empty.txt": "empty_file",
        "bad/picture.txt": "unsupported_format",
        "bad/huge.txt": "too_large",
    }
    for key, code in expected.items():
        item = by_key[key]
        assert item["status"] == "failed", key
        assert item["error_code"] == code, key
        assert item["error"], key
        assert item["alert_state"] == "none"
    assert "NEWSWATCH_MAX_ARTICLE_BYTES" in by_key["bad/huge.txt"]["error"]


def test_an_object_over_the_limit_is_read_no_further(stack: Stack, seed_bytes: bytes) -> None:
    event = stack.put("big.txt", seed_bytes)
    obj = event["Records"][0]["s3"]["object"]
    reads: list[int] = []

    class CountingSource(S3ArticleSource):
        def fetch(
            self, bucket: str, key: str, version_id: str | None, max_bytes: int
        ) -> tuple[ObjectHead, bytes]:
            head, data = super().fetch(bucket, key, version_id, max_bytes)
            reads.append(len(data))
            assert head.size == len(seed_bytes)  # the whole object's size, from Content-Range
            return head, data

    settings = Settings.from_env({"NEWSWATCH_MAX_ARTICLE_BYTES": "1000"})
    outcome = ingest_object(
        BUCKET,
        "big.txt",
        obj["versionId"],
        None,
        obj["size"],
        source=CountingSource(stack.s3),
        store=DynamoArticleStore(stack.ddb, TABLE),
        analyzer=analyzer_from_settings(settings),
        settings=settings,
    )
    assert (outcome.status, outcome.error_code) == ("failed", "too_large")
    assert reads == [1001]  # one ranged GetObject: the limit and one byte, never the rest


def test_test_events_and_folder_markers_are_ignored(stack: Stack, seed_bytes: bytes) -> None:
    ingest = load_handler("ingest")
    test_event = {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2026-11-29T18:00:00.000Z",
        "Bucket": BUCKET,
        "RequestId": "5582815E1AEA5ADF",
        "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
    }
    folder = s3_event("news/", size=0)
    good = stack.put("news/jeddah.txt", seed_bytes)

    assert ingest.lambda_handler(sqs_event(test_event, folder, good)) == OK
    assert ingest.lambda_handler(test_event) == {"outcomes": []}

    assert [a["key"] for a in stack.articles()] == ["news/jeddah.txt"]


def test_a_message_that_is_not_json_is_reported_not_dropped(stack: Stack) -> None:
    ingest = load_handler("ingest")
    event = sqs_event({"Records": []}, message_ids=["not-json"])
    event["Records"][0]["body"] = "this is not an S3 notification"
    response = ingest.lambda_handler(event)
    assert response == {"batchItemFailures": [{"itemIdentifier": "not-json"}]}


def test_logs_carry_the_key_as_correlation_id_and_never_the_text(
    stack: Stack, seed_bytes: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    ingest = load_handler("ingest")
    log_buffer = capture_logs(ingest)
    event = stack.put("news/jeddah.txt", seed_bytes)
    ingest.lambda_handler(sqs_event(event))

    log_text = log_buffer.getvalue()
    logs = [json.loads(line) for line in log_text.splitlines() if line.startswith("{")]
    article_logs = [entry for entry in logs if entry.get("message") == "article processed"]
    assert article_logs and article_logs[0]["correlation_id"] == "news/jeddah.txt"
    [article] = stack.articles()
    for sentence in article["summary"].split(". "):
        assert sentence[:60] not in log_text
    # Metrics go to stdout in the embedded metric format.
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(entry.get("ArticlesProcessed") == [1.0] for entry in emf)


def test_a_key_of_the_maximum_length_with_unicode_is_stored(
    stack: Stack, seed_bytes: bytes
) -> None:
    ingest = load_handler("ingest")
    stem = "news/" + "é" * 300 + " " + "+" * 100
    key = stem + "x" * (1024 - len(stem.encode()) - len(".txt")) + ".txt"
    assert len(key.encode()) == 1024  # S3's limit
    assert ingest.lambda_handler(sqs_event(stack.put(key, seed_bytes))) == OK
    [article] = stack.articles()
    assert article["key"] == key and article["status"] == "processed"


def test_failures_are_counted_with_their_error_code(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    ingest = load_handler("ingest")
    capsys.readouterr()
    assert ingest.lambda_handler(sqs_event(stack.put("bad/empty.txt", b""))) == OK
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    by_code = [
        entry
        for entry in emf
        if entry.get("error_code") == "empty_file" and entry.get("ArticlesFailed") == [1.0]
    ]
    assert by_code, emf
    assert any("error_code" not in entry and entry.get("ArticlesFailed") == [1.0] for entry in emf)


def test_an_unexpected_analysis_error_is_recorded_without_its_message(
    stack: Stack, seed_bytes: bytes
) -> None:
    ingest = load_handler("ingest")
    log_buffer = capture_logs(ingest)

    class BuggyAnalyzer:
        def analyze_bytes(
            self, data: bytes, name: str, content_type: str | None = None, deadline: Any = None
        ) -> Any:
            raise ValueError(f"cannot handle {data[:40]!r}")  # quotes the article

    # As the composition root builds it: the analysis runs in the budget's child process.
    composition.ingest_function().analyzer = BudgetedAnalyzer(BuggyAnalyzer())
    event = stack.put("news/jeddah.txt", seed_bytes)

    assert ingest.lambda_handler(sqs_event(event)) == OK

    [article] = stack.articles()
    assert article["status"] == "failed"
    assert article["error_code"] == "internal_error"
    assert article["error"] == "unexpected ValueError while analysing"
    assert "In a significant" not in log_buffer.getvalue()


@pytest.mark.parametrize(
    ("event_time", "expected"),
    [
        ("2026-11-29T18:00:00.000Z", "2026-11-29T18:00:00.000Z"),
        ("2026-11-29T19:00:00+01:00", "2026-11-29T18:00:00.000Z"),
        ("2026-11-29T18:00:00", "2026-11-29T18:00:00.000Z"),
        ("yesterday", "2026-11-30T09:30:00.000Z"),
        (None, "2026-11-30T09:30:00.000Z"),
    ],
)
def test_upload_time_is_iso_utc_with_milliseconds(event_time: str | None, expected: str) -> None:
    fallback = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
    assert normalize_event_time(event_time, fallback) == expected
