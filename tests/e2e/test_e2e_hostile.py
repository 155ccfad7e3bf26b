"""Hostile files on the local stack (issue 14): a batch of ten with one hostile file stores nine
articles and one failure; nothing is retried into the dead-letter queue, and the ingest function's
execution environment (its own process, the template's memory and timeout) survives to serve the
next upload."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from e2e_stack import LocalStackProcess, wait_for
from test_e2e_flow import unique_article, upload

pytestmark = pytest.mark.timeout(600)


def queue_depth(stack: LocalStackProcess, name: str) -> int:
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.state["queues"][name],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


@pytest.mark.parametrize(
    ("hostile_key", "build", "code"),
    [
        ("shared-stream.pdf", "pdf_shared_content_stream", "too_complex"),
        ("parts-inflate-1gib.docx", "docx_parts_inflate_to_1gib", None),
        ("endless-line.txt", "endless_line", "not_an_article"),
    ],
)
def test_a_batch_of_ten_with_one_hostile_file_stores_nine_and_one_failure(
    local_stack: LocalStackProcess,
    hostile_corpus: Any,
    hostile_key: str,
    build: str,
    code: str | None,
) -> None:
    # Another test dead-letters a message on purpose: compare with the depth before.
    dead_before = queue_depth(local_stack, "IngestDeadLetterQueue")
    prefix = f"e2e-hostile/{uuid.uuid4().hex[:8]}/"
    keys = [f"{prefix}article-{i}.txt" for i in range(9)]
    for key in keys[:4]:
        upload(local_stack, key, unique_article("sport"))
    upload(local_stack, prefix + hostile_key, getattr(hostile_corpus, build)())
    for key in keys[4:]:
        upload(local_stack, key, unique_article("sport"))

    def stored() -> dict[str, dict[str, Any]] | None:
        items = {key: local_stack.article_items(key) for key in [*keys, prefix + hostile_key]}
        return {k: v[0] for k, v in items.items()} if all(items.values()) else None

    records: dict[str, dict[str, Any]] = wait_for(stored, timeout=300)
    hostile = records.pop(prefix + hostile_key)
    assert [r["status"] for r in records.values()] == ["processed"] * 9
    if code is None:  # a correct extraction of what the file declares
        assert hostile["status"] == "processed", hostile.get("error")
    else:
        assert (hostile["status"], hostile.get("error_code")) == ("failed", code)
    # Nothing retried into the dead-letter queue; the ingest queue drains.
    wait_for(lambda: queue_depth(local_stack, "IngestQueue") == 0, timeout=120)
    assert queue_depth(local_stack, "IngestDeadLetterQueue") == dead_before
