"""An alert that cannot be published is retried from the stream, then reported to the alert
failure queue; the stored article keeps its unsent alert, so nothing is lost silently.

A stack of its own: the test deletes the alerts topic to make every publish fail.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from e2e_stack import REPO_ROOT, LocalStackProcess, local_stack_process, wait_for


@pytest.fixture(scope="module")
def broken_topic_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    with local_stack_process(tmp_path_factory.mktemp("broken-topic")) as stack:
        stack.client("sns").delete_topic(TopicArn=stack.state["topic_arn"])
        yield stack


def test_an_alert_that_keeps_failing_goes_to_the_failure_queue_and_stays_unsent(
    broken_topic_stack: LocalStackProcess,
) -> None:
    stack = broken_topic_stack
    key = "failing-alert/jeddah-ceasefire-talks.txt"
    body = (REPO_ROOT / "seeds" / "jeddah-ceasefire-talks.txt").read_bytes()
    stack.client("s3").put_object(Bucket=stack.state["bucket"], Key=key, Body=body)
    sqs = stack.client("sqs")

    def reported() -> list[dict[str, Any]]:
        messages = sqs.receive_message(
            QueueUrl=stack.state["queues"]["AlertFailureQueue"], MaxNumberOfMessages=10
        ).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    # MaximumRetryAttempts (template.yaml) retries with a growing pause, then the report.
    failures = wait_for(reported, timeout=120, interval=1.0)
    info = failures[0]["DDBStreamBatchInfo"]
    assert info["streamArn"] == stack.state["stream_arn"]
    assert info["batchSize"] >= 1
    assert failures[0]["requestContext"]["condition"] == "RetryAttemptsExhausted"

    (item,) = stack.article_items(key)
    assert item["status"] == "processed"
    # Not sent, and not given up: each failed publish releases the claim to "retry" (an image the
    # stream filter does not pass, so it does not cycle), and a retry may hold the claim right now.
    assert item["alert_state"] in {"retry", "sending"}
    assert "alerted_at" not in item
