"""Runs on a fresh in-process stack: the demo (the seed articles) and the load test.

Both upload files to the articles bucket like a user would, then wait, bounded, until the table
and the subscribers' inboxes have settled: every object has a record, no alert is still pending,
and every alert that was sent has reached each subscriber whose filter policy matches it.
"""

from __future__ import annotations

import mimetypes
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newswatch.domain.records import article_topics
from newswatch_tools.local.stack import LocalStack
from newswatch_tools.local.subscribers import Subscriber

# Alert states that are final: "sent", or "none" (nothing watched, or not a processed article).
UNSETTLED_ALERT_STATES = frozenset({"pending", "sending", "retry"})
Progress = Callable[[str], None]
# What deciding "settled" needs; full items (summaries, topics) are read once at the end.
WAIT_FIELDS = ("key", "status", "alert_state", "alert_topics")


@dataclass(frozen=True)
class Upload:
    key: str
    body: bytes
    content_type: str | None = None


@dataclass
class Settled:
    """What the table and the inboxes held when the run stopped waiting."""

    items: list[dict[str, Any]]
    deliveries: dict[str, list[dict[str, Any]]]
    complete: bool
    seconds: float
    missing: list[str] = field(default_factory=list)


def upload_files(paths: Iterable[Path], prefix: str = "") -> list[Upload]:
    uploads = []
    for path in sorted(paths):
        content_type, _ = mimetypes.guess_type(path.name)
        uploads.append(Upload(prefix + path.name, path.read_bytes(), content_type))
    return uploads


def seed_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def put_all(stack: LocalStack, uploads: Sequence[Upload]) -> None:
    s3 = stack.s3
    for upload in uploads:
        extra = {"ContentType": upload.content_type} if upload.content_type else {}
        s3.put_object(Bucket=stack.bucket, Key=upload.key, Body=upload.body, **extra)  # type: ignore[arg-type]


def _expected_deliveries(
    items: Iterable[dict[str, Any]], subscribers: Sequence[Subscriber]
) -> Counter[str]:
    """How many alerts each subscriber's filter policy selects among the alerts sent."""
    expected: Counter[str] = Counter()
    for item in items:
        if item.get("alert_state") != "sent":
            continue
        topics = set(item.get("alert_topics") or ())
        for subscriber in subscribers:
            if topics & set(subscriber.topics):
                expected[subscriber.name] += 1
    return expected


def wait_until_settled(
    stack: LocalStack,
    keys: Sequence[str],
    timeout: float,
    poll_seconds: float = 0.5,
    progress: Progress | None = None,
) -> Settled:
    assert stack.inbox is not None, "start() the stack first"
    started = time.monotonic()
    wanted = set(keys)
    last_note = ""
    while True:
        elapsed = time.monotonic() - started
        backlog = stack.queue_backlog()
        caught_up = stack.alert_poller is not None and stack.alert_poller.caught_up
        if (backlog or not caught_up) and elapsed < timeout:
            # Scanning the table is the expensive check: first wait for the ingest queue to drain
            # and the alert function to reach the end of the stream.
            note = (
                f"{backlog} message(s) in the ingest queue"
                if backlog
                else "alert function reading the stream"
            )
            if progress is not None and note != last_note:
                progress(note)
                last_note = note
            time.sleep(poll_seconds)
            continue
        items = [item for item in stack.items(WAIT_FIELDS) if item.get("key") in wanted]
        stored = {item["key"] for item in items}
        deliveries = stack.inbox.snapshot()
        expected = _expected_deliveries(items, stack.subscribers)
        received = {name: len(found) for name, found in deliveries.items()}
        settled = (
            stored == wanted
            and not any(item.get("alert_state") in UNSETTLED_ALERT_STATES for item in items)
            and all(received.get(name, 0) >= count for name, count in expected.items())
        )
        elapsed = time.monotonic() - started
        if settled or elapsed >= timeout:
            items = [item for item in stack.items() if item.get("key") in wanted]
            return Settled(items, deliveries, settled, elapsed, sorted(wanted - stored))
        note = f"{len(stored)}/{len(wanted)} stored, {sum(received.values())} alert deliveries"
        if progress is not None and note != last_note:
            progress(note)
            last_note = note
        time.sleep(poll_seconds)


# -- the demo --------------------------------------------------------------------------------


def _topics(item: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"label": t.label, "score": round(t.score, 3)} for t in article_topics(item)]


@dataclass
class DemoResult:
    articles: list[dict[str, Any]]
    alerts: dict[str, list[dict[str, Any]]]
    subscribers: list[dict[str, Any]]
    complete: bool
    seconds: float
    missing: list[str]
    # Per subscriber, the digests the scheduled DigestFunction sent when run once at the end.
    digests: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The documented ``newswatch demo --json`` shape (plus the digests)."""
        return {
            "articles": [
                {k: a[k] for k in ("key", "status", "topics", "summary")} for a in self.articles
            ],
            "alerts": {
                name: [{k: d[k] for k in ("key", "topics", "subject")} for d in found]
                for name, found in self.alerts.items()
            },
            "digests": {
                name: [{k: d[k] for k in ("topics", "subject")} for d in found]
                for name, found in self.digests.items()
            },
        }


def _kind(delivery: dict[str, Any]) -> str:
    return str((delivery.get("attributes") or {}).get("kind") or "alert")


def run_digest(stack: LocalStack, timeout: float, progress: Progress | None = None) -> bool:
    """Run the digest once, as its schedule would, and wait until its deliveries arrived."""
    assert stack.inbox is not None
    if stack.spec is None or stack.spec.digest is None:
        return True
    sent = stack.invoke_digest().get("digests") or []
    # The demo subscribers follow topics; digests by place (with a "place") are for others.
    topics = [str(d["topic"]) for d in sent if not d.get("place")]
    places = sorted({str(d["place"]) for d in sent if d.get("place")})
    if progress is not None:
        progress(
            f"digest run: {len(topics)} topic digest(s) ({', '.join(topics) or 'none'}), "
            f"{len(sent) - len(topics)} by place ({', '.join(places) or 'none'})"
        )
    expected = {s.name: sum(1 for topic in topics if topic in s.topics) for s in stack.subscribers}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = stack.inbox.snapshot()
        if all(
            sum(1 for d in got.get(name, []) if _kind(d) == "digest") >= count
            for name, count in expected.items()
        ):
            return True
        time.sleep(0.1)
    return False


def _delivery(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": d.get("key"),
        "topics": d.get("topics") or [],
        "subject": d.get("subject"),
        "protocol": d.get("protocol"),
        "body": d.get("body"),
    }


def run_demo(
    seeds: Sequence[Path],
    timeout: float = 120.0,
    progress: Progress | None = None,
    root: Path | None = None,
    log_path: Path | None = None,
) -> DemoResult:
    """Bring a stack up on a free port, put every seed file in the bucket, wait, run the digest
    once, stop."""
    uploads = upload_files(seeds)
    started = time.monotonic()
    with LocalStack(root, write_state=False, log_path=log_path) as stack:
        if progress is not None:
            progress(f"local stack up at {stack.endpoint_url}; uploading {len(uploads)} file(s)")
        put_all(stack, uploads)
        settled = wait_until_settled(
            stack, [u.key for u in uploads], timeout, poll_seconds=0.25, progress=progress
        )
        digested = run_digest(stack, timeout=30.0, progress=progress) if settled.complete else True
        assert stack.inbox is not None
        deliveries = stack.inbox.snapshot()
        subscribers = [
            {"name": s.name, "protocol": s.protocol, "topics": list(s.topics)}
            for s in stack.subscribers
        ]
    order = {u.key: i for i, u in enumerate(uploads)}
    articles = [
        {
            "key": item["key"],
            "status": item.get("status"),
            "title": item.get("title"),
            "headline": item.get("headline"),
            "topics": [t["label"] for t in _topics(item)],
            "scores": _topics(item),
            "summary": item.get("summary") or "",
            "error": item.get("error") or item.get("error_code"),
            "alert_state": item.get("alert_state"),
        }
        for item in sorted(settled.items, key=lambda i: order.get(i["key"], len(order)))
    ]
    return DemoResult(
        articles=articles,
        alerts={
            name: [_delivery(d) for d in found if _kind(d) != "digest"]
            for name, found in deliveries.items()
        },
        digests={
            name: [_delivery(d) for d in found if _kind(d) == "digest"]
            for name, found in deliveries.items()
        },
        subscribers=subscribers,
        complete=settled.complete and digested,
        seconds=time.monotonic() - started,
        missing=settled.missing,
    )
