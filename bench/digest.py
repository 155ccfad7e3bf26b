"""One DigestFunction run at volume: 50,000 articles a day over 15 topics.

On moto: a day of articles is written straight into moto's table (the template's keys; a topic's
entries keyed by it): every article item (a realistic summary, topics, evidence) and its topic
entries, 1.5 topics an article on average over 15 topics (2% held back by the hourly cap with
``--cap``).
Then ``newswatch.usecases.digest.send_digests`` runs once, as the scheduled function does,
through boto3 on moto with the request recorder of bench/cost.py: CPU seconds of the run (moto's
own work included, so an upper bound; wall time on a shared machine says little), the requests by
API and the read units DynamoDB would serve.

On fakes, for memory: the same volume served by an in-memory archive that builds each Query page
(1 MB, about 1,000 entries) as it is read, like boto3's paginator; tracemalloc's peak while
``send_digests`` runs, next to the previous implementation (every entry listed, then every article
fetched) run on the same fake in the same process.

    .venv/bin/python bench/digest.py [--articles 50000] [--topics 15] [--cap] [--moto-articles 5000]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
SUMMARY = (
    "Negotiators met on Tuesday to discuss a ceasefire proposal that would halt fighting along "
    "the front line for thirty days. The proposal includes a prisoner exchange and the opening "
    "of humanitarian corridors into besieged towns. Diplomats said a second round could begin "
    "next week if both delegations agree on the monitoring mechanism."
)


def _cost_module() -> Any:
    spec = importlib.util.spec_from_file_location("bench_cost", REPO / "bench" / "cost.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_cost"] = module
    spec.loader.exec_module(module)
    return module


def _seed(table: Any, articles: int, topics: list[str], day: datetime, cap: bool) -> int:
    """A day of articles and their topic entries, written into moto's table directly."""
    from newswatch.adapters.dynamodb_codec import serialize_item
    from newswatch.domain.records import entry_key

    rng = random.Random(7)
    entries = 0
    for i in range(articles):
        at = day + timedelta(seconds=86_400 * i / articles)
        uploaded = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        labels = rng.sample(topics, 2 if i % 2 else 1)
        pk, sk = f"article#bucket/day/{i:06d}.html", f"v#{i:032x}"
        tags = [
            {"label": t, "score": 0.5, "iptc": None, "evidence": [SUMMARY[:200]]} for t in labels
        ]
        article = {
            "pk": pk, "sk": sk, "type": "article", "status": "processed", "bucket": "bucket",
            "key": f"day/{i:06d}.html", "uploaded_at": uploaded, "title": f"Story {i}",
            "summary": SUMMARY, "topics": tags, "topic_labels": labels,
            "alert_state": "held" if cap and i % 50 == 0 else "none",
        }  # fmt: skip
        if cap and i % 50 == 0:
            article["alert_held_topics"] = labels
        table.put_item(serialize_item(article))
        for label in labels:
            entry_pk, entry_sk = entry_key(label, uploaded, pk, sk)
            entry = {
                "pk": entry_pk, "sk": entry_sk, "type": "topic", "topic": label,
                "uploaded_at": uploaded, "title": f"Story {i}", "summary": SUMMARY,
                "score": 0.3 + (i % 70) / 100, "s3_uri": f"s3://bucket/day/{i:06d}.html",
                "article_pk": pk, "article_sk": sk,
            }  # fmt: skip
            table.put_item(serialize_item(entry))
            entries += 1
    return entries


def run(articles: int, topic_count: int, cap: bool) -> dict[str, Any]:
    import boto3
    from moto import mock_aws
    from moto.dynamodb.models import dynamodb_backends

    from newswatch.adapters.archive import Archive
    from newswatch.adapters.digest_marks import DynamoDigestMarks
    from newswatch.usecases.digest import send_digests
    from newswatch_tools.local.spec import load_spec

    cost = _cost_module()
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    os.environ.pop("AWS_ENDPOINT_URL", None)
    spec = load_spec(REPO)
    name = spec.table_name
    topics = [f"topic-{i:02d}" for i in range(topic_count)]
    now = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
    key_names = tuple(k["AttributeName"] for k in spec.table["KeySchema"])
    recorder = cost.Recorder(name, key_names, cost.indexes_of(spec.table))
    with mock_aws():
        boto3.setup_default_session(region_name=REGION)
        recorder.install(boto3.DEFAULT_SESSION)
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(**dict(spec.table, TableName=name))
        sns = boto3.client("sns")
        topic_arn = sns.create_topic(Name="alerts")["TopicArn"]
        table = dynamodb_backends[cost.ACCOUNT][REGION].get_table(name)
        started = time.perf_counter()
        entries = _seed(table, articles, topics, now - timedelta(days=1), cap)
        seed_seconds = time.perf_counter() - started

        from newswatch.adapters.sns import SnsAlertPublisher

        recorder.phase = "digest"
        started = time.process_time()
        results = send_digests(
            archive=Archive(dynamodb, name),
            marks=DynamoDigestMarks(dynamodb, name),
            publisher=SnsAlertPublisher(sns, topic_arn),
            topics=topics,
            now=now,
            held_lookup=cap,
        )
        seconds = time.process_time() - started
        recorder.phase = None
    tally = recorder.tallies["digest"]
    return {
        "articles_per_day": articles,
        "topics": topic_count,
        "topic_entries": entries,
        "hourly_cap": cap,
        "digests_sent": sum(1 for r in results if r.message_id),
        "articles_in_digests": sum(r.articles for r in results),
        "cpu_seconds_on_moto": round(seconds, 1),
        "requests": dict(sorted(tally.requests.items())),
        "read_units": tally.read_units,
        "write_units": tally.write_units,
        "seed_seconds": round(seed_seconds, 1),
    }


class FakeArchive:
    """The archive's two reads at volume, built as they are read (one 1 MB page at a time)."""

    PAGE = 1000

    def __init__(self, articles: int, topics: list[str]) -> None:
        self.articles = articles
        self.topics = topics

    def _labels(self, i: int) -> list[str]:
        first = i % len(self.topics)
        return [self.topics[first]] + (
            [self.topics[(first + 7) % len(self.topics)]] if i % 2 else []
        )

    def topic_entries(self, topic: str, window: Any = None, limit: Any = None) -> Any:
        for start in range(self.articles - 1, -1, -self.PAGE):  # newest first
            page = [
                {
                    "pk": f"article#bucket/{i:06d}",
                    "sk": "v#null",
                    "topic": topic,
                    "uploaded_at": f"2026-12-02T{i * 24 // self.articles:02d}:00:{i % 60:02d}Z",
                    "title": f"Story {i}",
                    "summary": SUMMARY,
                    "score": 0.3 + (i % 70) / 100,
                    "s3_uri": f"s3://bucket/{i:06d}",
                    "article_pk": f"article#bucket/{i:06d}",
                    "article_sk": "v#null",
                }
                for i in range(start, max(-1, start - self.PAGE), -1)
                if topic in self._labels(i)
            ]
            yield from page

    def fetch(self, keys: Any) -> list[dict[str, Any]]:
        return [
            {
                "pk": pk,
                "sk": sk,
                "bucket": "bucket",
                "key": pk[-6:],
                "summary": SUMMARY,
                "topics": [{"label": "x", "score": 0.5, "evidence": [SUMMARY[:200]]}],
                "alert_held_topics": [],
            }
            for pk, sk in keys
        ]


class _Marks:
    def last_until(self, topic: str) -> None:
        return None

    def claim(self, *args: Any, **kwargs: Any) -> bool:
        return True

    def commit(self, *args: Any) -> bool:
        return True

    def release(self, *args: Any) -> None:
        return None

    advance = claim


class _Publisher:
    def publish(self, message: Any) -> str:
        return "id"


def previous_send_digests(archive: Any, topics: list[str], now: datetime) -> int:
    """The implementation before issue 15 (every entry listed, every article fetched), kept as
    the memory baseline: the same reads in the same order, without SNS or the marks."""
    from newswatch.domain.digest import render_digest
    from newswatch.domain.records import article_keys
    from newswatch.ports import TimeRange

    sent = 0
    for topic in topics:
        entries = list(archive.topic_entries(topic, TimeRange(None, None)))
        held = frozenset(
            f"s3://{a.get('bucket')}/{a.get('key')}"
            for a in archive.fetch(article_keys(entries))
            if topic in (a.get("alert_held_topics") or ())
        )
        render_digest(topic, entries, ("a", "b"), held)
        sent += 1
    return sent


def memory_on_fakes(articles: int, topic_count: int) -> dict[str, Any]:
    from newswatch.usecases.digest import send_digests

    topics = [f"topic-{i:02d}" for i in range(topic_count)]
    now = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
    peaks = {}
    for name in ("previous", "current"):
        archive: Any = FakeArchive(articles, topics)
        tracemalloc.start()
        started = time.process_time()
        if name == "previous":
            previous_send_digests(archive, topics, now)
        else:
            send_digests(
                archive=archive, marks=_Marks(), publisher=_Publisher(), topics=topics, now=now,
                held_lookup=True,
            )  # fmt: skip
        seconds = time.process_time() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        peaks[name] = {"peak_mb": round(peak / 2**20, 1), "cpu_seconds": round(seconds, 1)}
    return peaks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--topics", type=int, default=15)
    parser.add_argument("--cap", action="store_true", help="the hourly cap is on (2%% held)")
    parser.add_argument("--skip-moto", action="store_true", help="the fakes only (memory)")
    parser.add_argument(
        "--moto-articles",
        type=int,
        default=5_000,
        help="articles a day on moto (default 5,000: moto reads its whole table for every index "
        "Query, so 50,000 takes most of an hour on two shared cores)",
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"memory_on_fakes": memory_on_fakes(args.articles, args.topics)}
    if not args.skip_moto:
        result["moto"] = run(args.moto_articles, args.topics, args.cap)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "digest.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "digest.md").write_text(markdown(result, args))
    print(json.dumps(result))
    return 0


def markdown(result: dict[str, Any], args: argparse.Namespace) -> str:
    fakes = result["memory_on_fakes"]
    lines = [
        f"{args.articles:,} articles a day over {args.topics} topics, one DigestFunction run "
        "(256 MB, 120 s timeout in template.yaml).",
        "",
        "| on fakes (tracemalloc) | peak Python memory | CPU seconds |",
        "|---|---:|---:|",
        f"| previous implementation (every entry listed, every article fetched) | "
        f"{fakes['previous']['peak_mb']} MB | {fakes['previous']['cpu_seconds']} |",
        f"| current (entries shown kept, the rest counted) | {fakes['current']['peak_mb']} MB | "
        f"{fakes['current']['cpu_seconds']} |",
    ]
    moto = result.get("moto")
    if moto:
        apis = ", ".join(f"{k} {v}" for k, v in moto["requests"].items())
        lines += [
            "",
            f"On moto ({moto['articles_per_day']:,} articles, {moto['topic_entries']:,} topic "
            "entries, hourly cap "
            f"{'on: 2% held' if moto['hourly_cap'] else 'off'}): {moto['digests_sent']} digests "
            f"covering {moto['articles_in_digests']:,} entries in "
            f"{moto['cpu_seconds_on_moto']} CPU seconds (moto's own work included); requests: "
            f"{apis}; {moto['read_units']:,.0f} read units.",
        ]
    lines += [
        "",
        "The previous implementation also fetched every article of the period with BatchGetItem "
        f"({args.articles * 3 // 2:,} keys: {args.articles * 3 // 200:,} requests a run, whether "
        "or not the hourly cap was on); the current one reads at most the 50 articles each "
        "message shows, and only with the cap on.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
