"""Subscribers on the local stack, as a user meets them: `newswatch subscribe` for every topic of
the default taxonomy (and one subscriber to three topics with a min-score), articles uploaded to
the bucket, and `newswatch local inbox --json` read back: each subscriber received exactly the
alerts its filter selects, one per article."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from e2e_stack import LocalStackProcess, local_stack_process, run_cli, wait_for

from newswatch.domain.taxonomy import load_taxonomy
from newswatch.settings import Settings
from newswatch.usecases.alert import alert_topics
from newswatch_tools.local.spec import load_spec

TOPICS = load_taxonomy().labels
SEVERAL = ("sanctions", "displacement", "negotiations")
SEVERAL_MIN = 0.5


def article_about(topic: str) -> bytes:
    """A short article on one topic, written from the taxonomy's own description and examples."""
    entry = load_taxonomy().get(topic)
    assert entry is not None
    return f"{entry.description}\n\n{' '.join(entry.examples)}\n".encode()


def subscribe(env: dict[str, str], *args: str) -> dict[str, Any]:
    result = run_cli("subscribe", *args, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    created: dict[str, Any] = json.loads(result.stdout.splitlines()[0])
    return created


def stored(stack: LocalStackProcess, keys: list[str]) -> list[dict[str, Any]] | None:
    """The articles once every one is stored and its alert decided, else None."""
    items = [item for key in keys for item in stack.article_items(key)]
    if len(items) < len(keys):
        return None
    if any(item.get("alert_state") in ("pending", "sending", "retry") for item in items):
        return None
    return items


def test_each_subscriber_receives_exactly_what_its_filter_selects(tmp_path: Path) -> None:
    with local_stack_process(tmp_path) as stack:
        env = {"NEWSWATCH_LOCAL_STATE": str(stack.state_path)}
        endpoints: dict[str, str] = {}  # endpoint -> the topic it follows
        for number, topic in enumerate(TOPICS):
            if number % 2:
                endpoint = f"+4477009001{number:02d}"
                subscribe(env, "--sms", endpoint, "--topics", topic)
            else:
                endpoint = f"{topic}@example.org"
                subscribe(env, "--email", endpoint, "--topics", topic)
            endpoints[endpoint] = topic
        several = subscribe(
            env,
            "--email",
            "desk@example.org",
            "--topics",
            ",".join(SEVERAL),
            "--min-score",
            str(SEVERAL_MIN),
        )

        s3 = stack.client("s3")
        keys = [f"e2e-subscribers/{topic}.txt" for topic in TOPICS]
        for topic, key in zip(TOPICS, keys, strict=True):
            s3.put_object(Bucket=stack.state["bucket"], Key=key, Body=article_about(topic))
        items = wait_for(lambda: stored(stack, keys), timeout=180)

        # What each article alerts for, by the alert function's own rule and configuration.
        settings = Settings.from_env(load_spec().alert.environment)
        carried = {
            item["key"]: {t.label: t.score for t in alert_topics(item, settings)} for item in items
        }
        expected = {
            endpoint: sorted(key for key, topics in carried.items() if topic in topics)
            for endpoint, topic in endpoints.items()
        }
        expected["desk@example.org"] = sorted(
            key
            for key, topics in carried.items()
            if any(topics.get(topic, 0.0) >= SEVERAL_MIN for topic in SEVERAL)
        )
        want = sum(len(found) for found in expected.values())

        def inbox() -> list[dict[str, Any]] | None:
            result = run_cli("local", "inbox", "--json", timeout=120, env=env)
            assert result.returncode == 0, result.stderr
            entries: list[dict[str, Any]] = json.loads(result.stdout)
            mine = [e for e in entries if e["endpoint"] in expected]
            return mine if len(mine) >= want else None

        deliveries = wait_for(inbox, timeout=120)

    received: dict[str, list[str]] = {endpoint: [] for endpoint in expected}
    for entry in deliveries:
        received[entry["endpoint"]].append(entry["key"])
        assert entry["kind"] == "alert"
        body_names_it = entry["reference"] in entry["body"]
        assert body_names_it, entry  # the email and the SMS both carry the short reference
        if entry["endpoint"] == "desk@example.org":
            assert entry["subscription_id"] == several["id"]
            assert entry["topics"] == sorted(SEVERAL) and entry["min_score"] == SEVERAL_MIN
    # Every topic of the taxonomy reached its subscriber, and nothing else did.
    for endpoint, topic in endpoints.items():
        assert f"e2e-subscribers/{topic}.txt" in received[endpoint], (topic, received[endpoint])
    assert {e: sorted(keys) for e, keys in received.items()} == expected
    # One alert per article, never one per matching topic.
    for endpoint, keys_received in received.items():
        assert max(Counter(keys_received).values(), default=1) == 1, endpoint
    assert received["desk@example.org"], "the three-topic subscriber received nothing"
    sms = [e for e in deliveries if e["protocol"] == "sms"]
    assert sms and all(len(e["body"]) <= 160 for e in sms)
