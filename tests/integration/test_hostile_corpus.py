"""The hostile-input corpus (bench/hostile_corpus.py, issue 14) through the real IngestFunction
handler on moto, with the template's memory, timeout, batch size and per-article budget.

Every case ends as a ``failed`` record with its error code or as a correct extraction; no
message is retried (nothing would reach the dead-letter queue); every article's child process
stayed within its ceiling. A batch of ten with one hostile file stores nine articles and one
failure, whichever limit (a bounded parser, the memory ceiling, the time budget) stops it.
"""

from __future__ import annotations

from typing import Any

import pytest
from awsstack import SPEC, Stack, load_handler, sqs_event

from newswatch import composition
from newswatch.adapters.lambda_context import LocalContext

BATCH_SIZE = SPEC.ingest_source.batch_size  # 10 in template.yaml
pytestmark = pytest.mark.timeout(900)


@pytest.fixture
def ingest(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The handler with the template's per-article settings."""
    for name, value in SPEC.ingest.environment.items():
        if name.startswith(("NEWSWATCH_ARTICLE_", "NEWSWATCH_MAX_ARTICLE_BYTES")):
            monkeypatch.setenv(name, str(value))
    return load_handler("ingest")


def invoke(ingest: Any, bodies: list[dict[str, Any]], context: Any = None) -> Any:
    """One SQS batch, with the context Lambda gives the template's function."""
    return ingest.lambda_handler(sqs_event(*bodies), context or SPEC.ingest.context())


def usages(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """What each analysed article's child used, from the handler's log lines."""
    found = (getattr(record, "article_usage", None) for record in caplog.records)
    return [usage for usage in found if usage]


def healthy_article(place: str) -> bytes:
    return (
        f"Flooding in {place} forced hundreds of residents to leave their homes on Monday. "
        f"The river in {place} rose two metres overnight after three days of heavy rain. "
        f"Aid agencies in {place} handed out food and blankets to displaced families.\n"
        f"Engineers said the embankment north of {place} would be repaired within a week. "
        f"Schools in {place} stay closed until the water recedes, the council said."
    ).encode()


PLACES = ("Aldmoor", "Brenfield", "Carrow", "Dunmere", "Eastvale", "Fenwick", "Galloway", "Harwick")


def test_the_template_gives_each_article_a_budget() -> None:
    env = SPEC.ingest.environment
    assert float(env["NEWSWATCH_ARTICLE_SECONDS"]) < SPEC.ingest.timeout_seconds
    assert SPEC.ingest.memory_mb == 512 and BATCH_SIZE == 10


def test_every_hostile_input_ends_as_a_clear_record_within_the_functions_limits(
    stack: Stack, ingest: Any, caplog: pytest.LogCaptureFixture, hostile_corpus: Any
) -> None:
    corpus = hostile_corpus
    bodies = [stack.put(case.key, case.build()) for case in corpus.CASES]
    for start in range(0, len(bodies), BATCH_SIZE):
        # Nothing retried: every outcome is final, nothing can reach the dead-letter queue.
        assert invoke(ingest, bodies[start : start + BATCH_SIZE]) == {"batchItemFailures": []}

    records = {record["key"]: record for record in stack.articles()}
    for case in corpus.CASES:
        record = records.pop(case.key)
        assert (record["status"], record.get("error_code")) == (case.status, case.code), (
            case.name,
            record.get("error"),
        )
        if case.status == "failed":
            assert record["error"] and len(record["error"]) <= 500
            assert record["alert_state"] == "none" and "topics" not in record
        elif case.check:
            assert case.check(record) is None, (case.name, case.check(record))
    assert records == {}

    # Every article was analysed in its child, within the function's limits.
    measured = usages(caplog)
    assert len(measured) == len(corpus.CASES)
    ceiling = int(SPEC.ingest.memory_mb * 0.6)
    budget = float(SPEC.ingest.environment["NEWSWATCH_ARTICLE_SECONDS"])
    for usage in measured:
        assert usage["ceiling_mb"] == ceiling and usage["peak_mb"] <= ceiling
        assert usage["budget_seconds"] <= budget


def _batch_of_ten(stack: Stack, hostile_key: str, hostile: bytes) -> list[dict[str, Any]]:
    jeddah = (
        b"Negotiators from both sides met in Jeddah on Tuesday to discuss a ceasefire proposal.\n"
        b"The proposal includes a prisoner exchange and humanitarian corridors for aid convoys.\n"
        b"Diplomats said a second round of talks could begin next week in the Saudi city."
    )
    bodies = [stack.put(f"batch/{place}.txt", healthy_article(place)) for place in PLACES[:5]]
    bodies.append(stack.put(hostile_key, hostile))  # in the middle of the batch
    bodies += [stack.put(f"batch/{place}.txt", healthy_article(place)) for place in PLACES[5:]]
    bodies.append(stack.put("batch/jeddah.txt", jeddah))
    assert len(bodies) == 10
    return bodies


def _nine_and_one(stack: Stack, hostile_key: str) -> dict[str, Any]:
    records = {record["key"]: record for record in stack.articles()}
    failed = records.pop(hostile_key)
    assert [r["status"] for r in records.values()] == ["processed"] * 9
    assert records["batch/jeddah.txt"]["alert_state"] == "pending"  # it still alerts
    return failed


def test_a_batch_of_ten_with_one_hostile_file_stores_nine_articles_and_one_failure(
    stack: Stack, ingest: Any, hostile_corpus: Any
) -> None:
    pdf = hostile_corpus.pdf_shared_content_stream()
    bodies = _batch_of_ten(stack, "batch/shared-stream.pdf", pdf)
    assert invoke(ingest, bodies) == {"batchItemFailures": []}
    failed = _nine_and_one(stack, "batch/shared-stream.pdf")
    assert failed["error_code"] == "too_complex"


def test_the_memory_ceiling_stops_what_no_parser_bound_caught(
    stack: Stack, ingest: Any, monkeypatch: pytest.MonkeyPatch, hostile_corpus: Any
) -> None:
    # The shared-stream PDF decodes 70 MB before its page cap can look at it.
    monkeypatch.setenv("NEWSWATCH_ARTICLE_MEMORY_MB", "48")
    composition.reset()  # a new execution environment reads the new setting
    pdf = hostile_corpus.pdf_shared_content_stream()
    bodies = _batch_of_ten(stack, "batch/shared-stream.pdf", pdf)
    assert invoke(ingest, bodies) == {"batchItemFailures": []}
    failed = _nine_and_one(stack, "batch/shared-stream.pdf")
    assert failed["error_code"] == "too_complex" and "48 MB of memory" in failed["error"]


def test_the_time_budget_stops_what_no_parser_bound_caught(
    stack: Stack, ingest: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Just under the tag limit: trafilatura needs about 2.5 s for it here; the budget is the
    # setting's minimum, 1 s, so the page overruns it on any machine this suite runs on.
    page = b"<html><body>" + b"<p>a " * 39_000 + b"</body></html>"
    monkeypatch.setenv("NEWSWATCH_ARTICLE_SECONDS", "1")
    composition.reset()  # a new execution environment reads the new setting
    bodies = _batch_of_ten(stack, "batch/slow.html", page)
    assert invoke(ingest, bodies) == {"batchItemFailures": []}
    failed = _nine_and_one(stack, "batch/slow.html")
    assert failed["error_code"] == "too_complex" and "time budget" in failed["error"]


def test_an_invocation_short_of_time_retries_its_articles_instead_of_failing_them(
    stack: Stack, ingest: Any
) -> None:
    bodies = [stack.put(f"late/{place}.txt", healthy_article(place)) for place in PLACES[:3]]
    # 5 s left is the reserve for storing a record: no time to give any article its budget.
    short = LocalContext(memory_limit_in_mb=SPEC.ingest.memory_mb, timeout_seconds=5)
    response = invoke(ingest, bodies, short)
    assert len(response["batchItemFailures"]) == 3
    assert stack.articles() == []  # nothing judged
    assert invoke(ingest, bodies) == {"batchItemFailures": []}  # the redelivery
    assert [r["status"] for r in stack.articles()] == ["processed"] * 3
