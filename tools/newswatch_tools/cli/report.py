"""`newswatch report`: write the analyst's HTML report for a period."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from newswatch.domain.timeutil import iso_utc
from newswatch_tools.cli.archive import MomentError, parse_moment
from newswatch_tools.cli.connect import StackNotFoundError, add_connection_args, connect


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report", help="write a self-contained HTML report: topics per day, latest articles, alerts"
    )
    parser.add_argument("--since", default="30d", help="30d, 12h or an ISO date (default 30d)")
    parser.add_argument("--until", help="a duration ago or an ISO date (default: now)")
    parser.add_argument("--topic", action="append", help="only these topics (repeatable)")
    parser.add_argument("--taxonomy", type=Path, help="the deployment's taxonomy file")
    parser.add_argument("--html", type=Path, required=True, help="where to write the page")
    add_connection_args(parser)
    parser.set_defaults(func=run_report)


def run_report(args: argparse.Namespace) -> int:
    from rich.console import Console

    from newswatch.adapters.archive import Archive
    from newswatch.domain.records import article_keys
    from newswatch.domain.taxonomy import load_taxonomy
    from newswatch.ports import TimeRange
    from newswatch_tools.html_report import render_report

    console = Console(stderr=True)
    now = datetime.now(UTC)
    try:
        since = parse_moment(args.since, now)
        until = parse_moment(args.until, now) if args.until else iso_utc(now)
        conn = connect(args)
    except (MomentError, StackNotFoundError) as error:
        console.print(f"[red]error:[/red] {error}", highlight=False)
        return 2
    archive = Archive(conn.client("dynamodb"), conn.output("ArticlesTableName"))
    window = TimeRange(since, until)
    entries = [
        entry
        for topic in args.topic or load_taxonomy(args.taxonomy).labels
        for entry in archive.topic_entries(topic, window)
    ]
    articles = archive.fetch(article_keys(entries))
    page = render_report(
        entries=entries,
        articles=articles,
        period=(date.fromisoformat(since[:10]), date.fromisoformat(until[:10])),
        generated_at=now.strftime("%Y-%m-%d %H:%M UTC"),
    )
    try:
        args.html.write_text(page, encoding="utf-8")
    except OSError as error:
        console.print(f"[red]error:[/red] cannot write {args.html}: {error.strerror}")
        return 2
    console.print(
        f"wrote {args.html} ({len(articles)} articles, "
        f"{sum(a.get('alert_state') == 'sent' for a in articles)} alerts)"
    )
    return 0
