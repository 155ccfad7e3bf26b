"""The bad-input catalogue (issue 6, point 3) through the IngestFunction handler on moto.

Every kind of object that cannot be read arrives in the same SQS batches as a good article. Each
leaves one record with a clear status, reason and error code (folder markers and test events leave
none), is counted in the ArticlesFailed / ArticlesSkipped metric with its error_code dimension, is
never reported for retry (retrying the same bytes fails the same way), and the good article is
processed as if it had been alone.
"""

from __future__ import annotations

import gzip
import json
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from awsstack import BUCKET, Stack, load_handler, s3_event, sqs_event

from newswatch import composition
from newswatch.domain.records import article_pk

MAX_BYTES = 256 * 1024  # NEWSWATCH_MAX_ARTICLE_BYTES for this test, so "too large" stays small
BATCH_SIZE = 10  # the IngestFunction's SQS BatchSize in template.yaml

TEST_EVENT = {
    "Service": "Amazon S3",
    "Event": "s3:TestEvent",
    "Time": "2026-11-29T18:00:00.000Z",
    "Bucket": BUCKET,
    "RequestId": "5582815E1AEA5ADF",
    "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
}


def short_article(place: str) -> bytes:
    return (
        f"Flooding in {place} forced hundreds of residents to leave their homes on Monday. "
        f"The river in {place} rose two metres overnight after three days of heavy rain. "
        f"Engineers said the embankment north of {place} would be repaired within a week. "
        f"Schools in {place} stay closed until the water recedes, the council said."
    ).encode()


def long_key() -> str:
    stem = "uploads/" + "ü" * 200 + " + "
    key = stem + "x" * (1024 - len(stem.encode()) - len(".txt")) + ".txt"
    assert len(key.encode()) == 1024  # S3's maximum key length
    return key


# key -> (status, error_code, words the reason must contain); None: no record at all.
EXPECTED: dict[str, tuple[str, str | None, str] | None] = {
    "bad/empty.txt": ("failed", "empty_file", "empty"),
    "bad/garbage.bin": ("failed", "unsupported_format", "binary"),
    "bad/garbage.txt": ("failed", "unsupported_format", "binary data"),
    "bad/photo.png": ("failed", "unsupported_format", "image"),
    "bad/photo-named-as.txt": ("failed", "unsupported_format", "image"),
    "bad/truncated.pdf": ("failed", "corrupt_file", "PDF"),
    "bad/encrypted.pdf": ("failed", "encrypted_file", "password"),
    "bad/corrupt.docx": ("failed", "corrupt_file", "Word document"),
    "bad/bomb.txt.gz": ("failed", "too_large", "limit"),
    "bad/huge.txt": ("failed", "too_large", "NEWSWATCH_MAX_ARTICLE_BYTES"),
    "bad/no-article.html": ("failed", "no_text", "no article text"),
    "bad/not-an-article.json": ("failed", "not_an_article", "no article text"),
    "bad/list.json": ("failed", "not_an_article", "list"),
    "bad/deleted.txt": ("skipped", "object_not_found", "deleted"),
    "folder/": None,
    "folder/sub/": None,
    # Not bad, just awkward names: stored under the exact, decoded key.
    "odd/with spaces in the name.txt": ("processed", None, ""),
    "odd/a+b=c & d.txt": ("processed", None, ""),
    "odd/ünïcødé 東京 🌊.txt": ("processed", None, ""),
    long_key(): ("processed", None, ""),
    # Invalid UTF-8 that is still an article: the stray bytes are replaced and it is read.
    "odd/stray-bytes.txt": ("processed", None, ""),
}


def catalogue(
    seed_bytes: bytes, pdf_builder: Callable[..., bytes], docx_builder: Callable[..., bytes]
) -> dict[str, bytes]:
    rng = random.Random(7)
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(2048))
    pdf = pdf_builder()
    docx = docx_builder()
    broken_docx = bytearray(docx[: len(docx) * 2 // 3])
    return {
        "bad/empty.txt": b"",
        "bad/garbage.bin": bytes(rng.randrange(256) for _ in range(4096)),
        "bad/garbage.txt": bytes(rng.randrange(128, 256) for _ in range(4096)),
        "bad/photo.png": png,
        "bad/photo-named-as.txt": png,
        "bad/truncated.pdf": pdf[: len(pdf) // 2],
        "bad/encrypted.pdf": pdf_builder(user_password="secret"),
        "bad/corrupt.docx": bytes(broken_docx),
        # 64 MiB of text in ~64 KB: decompression stops at the limit.
        "bad/bomb.txt.gz": gzip.compress(b"ceasefire " * (64 * 1024 * 1024 // 10)),
        "bad/huge.txt": (seed_bytes * (MAX_BYTES // len(seed_bytes) + 1))[: MAX_BYTES + 1],
        "bad/no-article.html": (
            b"<!DOCTYPE html><html><head><title>Home</title><script>var a = 1;</script></head>"
            b"<body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav></body></html>"
        ),
        "bad/not-an-article.json": json.dumps({"status": "ok", "count": 3}).encode(),
        "bad/list.json": b"[1, 2, 3]",
        "bad/deleted.txt": short_article("Dunmere"),
        "folder/sub/": b"",
        "odd/with spaces in the name.txt": short_article("Aldmoor"),
        "odd/a+b=c & d.txt": short_article("Brenfield"),
        "odd/ünïcødé 東京 🌊.txt": short_article("Carrow"),
        long_key(): short_article("Eastvale"),
        "odd/stray-bytes.txt": seed_bytes[:3000] + b"\xff\xfe\xc3\x28\xa0\xa1" + seed_bytes[3000:],
    }


def emf_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]


@pytest.fixture
def bad_objects(
    seed_bytes: bytes, pdf_builder: Callable[..., bytes], docx_builder: Callable[..., bytes]
) -> dict[str, bytes]:
    return catalogue(seed_bytes, pdf_builder, docx_builder)


@pytest.fixture
def ingest(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("NEWSWATCH_MAX_ARTICLE_BYTES", str(MAX_BYTES))
    return load_handler("ingest")


def test_every_bad_input_is_recorded_counted_and_never_blocks_the_batch(
    stack: Stack,
    ingest: Any,
    seed_bytes: bytes,
    bad_objects: dict[str, bytes],
    capsys: pytest.CaptureFixture[str],
) -> None:
    bodies: list[dict[str, Any]] = []
    for key, data in bad_objects.items():
        bodies.append(stack.put(key, data))
        if len(bodies) == 4:
            bodies.append(stack.put("good/jeddah.txt", seed_bytes))  # in the first batch
    stack.s3.delete_object(
        Bucket=BUCKET,
        Key="bad/deleted.txt",
        VersionId=next(
            b["Records"][0]["s3"]["object"]["versionId"]
            for b in bodies
            if b["Records"][0]["s3"]["object"]["key"] == "bad/deleted.txt"
        ),
    )
    bodies.append(s3_event("folder/", size=0))  # a console "create folder" notification
    bodies.append(TEST_EVENT)
    capsys.readouterr()

    responses = [
        ingest.lambda_handler(sqs_event(*bodies[start : start + BATCH_SIZE]))
        for start in range(0, len(bodies), BATCH_SIZE)
    ]

    # Nothing is retried: every failure here is permanent.
    assert responses == [{"batchItemFailures": []}] * len(responses)
    records = {a["key"]: a for a in stack.articles()}
    good = records.pop("good/jeddah.txt")
    assert good["status"] == "processed" and "ceasefire" in good["topic_labels"]
    assert good["alert_state"] == "pending"
    for key, expected in EXPECTED.items():
        if expected is None:
            assert key not in records, key
            continue
        status, code, reason_words = expected
        record = records.pop(key)
        assert record["pk"] == article_pk(BUCKET, key)
        assert (record["status"], record.get("error_code")) == (status, code), (key, record)
        if status != "processed":
            assert reason_words in record["error"], (key, record["error"])
            assert len(record["error"]) <= 500
            assert record["alert_state"] == "none"
            assert "topics" not in record and "summary" not in record
    assert records == {}, "records nobody expected"

    # One ArticlesFailed / ArticlesSkipped metric with the error_code dimension per bad object.
    counted = Counter(
        (name, entry["error_code"])
        for entry in emf_lines(capsys.readouterr().out)
        if "error_code" in entry
        for name in ("ArticlesFailed", "ArticlesSkipped")
        if name in entry
    )
    wanted = Counter(
        ("ArticlesFailed" if e[0] == "failed" else "ArticlesSkipped", e[1])
        for e in EXPECTED.values()
        if e is not None and e[0] != "processed"
    )
    assert counted == wanted


def test_a_redelivered_bad_input_keeps_its_one_record(
    stack: Stack, ingest: Any, pdf_builder: Callable[..., bytes]
) -> None:
    event = stack.put("bad/encrypted.pdf", pdf_builder(user_password="secret"))
    for _ in range(3):
        assert ingest.lambda_handler(sqs_event(event, event)) == {"batchItemFailures": []}
    [record] = stack.articles()
    assert (record["status"], record["error_code"]) == ("failed", "encrypted_file")


def test_an_object_over_the_limit_is_refused_from_its_size_alone(
    stack: Stack, ingest: Any, seed_bytes: bytes
) -> None:
    event = stack.put("bad/huge.txt", b"x" * (MAX_BYTES + 1))
    deps = composition.ingest_function()
    reads: list[str] = []
    real_read = deps.source.read

    def counting_read(*args: Any, **kwargs: Any) -> bytes:
        reads.append(args[1])
        data: bytes = real_read(*args, **kwargs)
        return data

    deps.source.read = counting_read
    assert ingest.lambda_handler(sqs_event(event)) == {"batchItemFailures": []}
    assert reads == []
    [record] = stack.articles()
    assert record["error_code"] == "too_large" and record["size"] == MAX_BYTES + 1
