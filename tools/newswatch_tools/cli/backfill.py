"""`newswatch backfill s3://bucket/prefix`: analyse stored objects again, e.g. after the taxonomy
changed. It runs the same service code as the ingest function, here, with this machine's settings
(``NEWSWATCH_*`` variables and the options below), and never alerts twice: an article whose alert
was sent keeps it; one that never alerted is decided again by the alert function."""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from newswatch_tools.cli.connect import StackNotFoundError, add_connection_args, connect


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "backfill",
        help="re-process existing objects (e.g. after a taxonomy change), without duplicate alerts",
    )
    parser.add_argument("location", help="s3://bucket/prefix (the prefix may be empty)")
    parser.add_argument("--dry-run", action="store_true", help="list what would be processed")
    parser.add_argument("--taxonomy", type=Path, help="the taxonomy to tag with")
    parser.add_argument("--limit", type=int, help="at most N objects")
    parser.add_argument("--json", action="store_true", help="one JSON line per object")
    add_connection_args(parser)
    parser.set_defaults(func=run_backfill)


def parse_location(location: str) -> tuple[str, str]:
    if not location.startswith("s3://") or len(location) <= len("s3://"):
        raise ValueError(f"{location!r} is not an s3://bucket/prefix location")
    bucket, _, prefix = location[len("s3://") :].partition("/")
    return bucket, prefix


def latest_objects(s3: Any, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
    """The current version of every object under ``prefix`` (folder markers left out)."""
    paginator = s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for version in page.get("Versions", []):
            if version.get("IsLatest") and not version["Key"].endswith("/"):
                yield version


def run_backfill(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import Progress

    from newswatch.adapters.backfill import DynamoBackfillStore
    from newswatch.composition import backfill
    from newswatch.domain.records import article_pk, article_sk
    from newswatch.settings import Settings

    console = Console(stderr=True)
    try:
        bucket, prefix = parse_location(args.location)
        conn = connect(args)
        table = conn.output("ArticlesTableName")
    except (ValueError, StackNotFoundError) as error:
        console.print(f"[red]error:[/red] {error}", highlight=False)
        return 2
    settings = Settings.from_env()
    if args.taxonomy:
        settings = dataclasses.replace(settings, taxonomy_path=args.taxonomy)
    s3 = conn.client("s3")
    dynamodb = conn.client("dynamodb")
    store = DynamoBackfillStore(dynamodb, table)
    objects = list(latest_objects(s3, bucket, prefix))[: args.limit]
    run = None if args.dry_run else backfill(s3, dynamodb, table, settings)
    counts: Counter[str] = Counter()
    with Progress(console=console, transient=True, disable=args.json) as progress:
        task = progress.add_task(f"backfill s3://{bucket}/{prefix}", total=len(objects))
        for obj in objects:
            version = None if obj.get("VersionId") in (None, "null") else obj["VersionId"]
            if run is None:
                stored = store.get(article_pk(bucket, obj["Key"]), article_sk(version))
                status = f"would reprocess ({stored['status']})" if stored else "would ingest"
                row = {"key": obj["Key"], "status": status}
            else:
                outcome = run.reprocess(bucket, obj["Key"], version)
                status = outcome.status
                row = {"key": obj["Key"], "status": status, "topics": list(outcome.topics)}
                if outcome.reason:
                    row["reason"] = outcome.reason
            counts[status] += 1
            if args.json:
                print(json.dumps(row))
            progress.advance(task)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    console.print(
        f"{'dry run: ' if args.dry_run else ''}{len(objects)} objects: {summary or 'none'}"
    )
    return 0
