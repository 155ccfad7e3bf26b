"""`newswatch articles` and `newswatch show`: read the archive of processed articles."""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from newswatch.domain.timeutil import iso_utc
from newswatch_tools.cli.common import parse_places
from newswatch_tools.cli.connect import StackNotFoundError, add_connection_args, connect

_DURATION = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class MomentError(ValueError):
    pass


def parse_moment(text: str, now: datetime) -> str:
    """'7d', '12h', '30m', '2w' ago, or an ISO date/time, as an ISO-8601 UTC string."""
    text = text.strip()
    match = _DURATION.match(text)
    if match:
        delta = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        return iso_utc(now - delta)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise MomentError(
            f"{text!r} is neither a duration like 7d, 12h, 30m nor an ISO date like 2026-11-01"
        ) from None
    if len(text) == 10:  # a bare date stays a date, so --until 2026-11-01 covers that whole day
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return iso_utc(moment)


def register(subparsers: Any) -> None:
    articles = subparsers.add_parser(
        "articles", help="list stored articles, newest first, by topic and time"
    )
    articles.add_argument("--topic", action="append", help="a topic (repeatable); default: all")
    articles.add_argument(
        "--place",
        action="append",
        help="a country the articles are about: ISO code or name, e.g. SD or Sudan (repeatable, "
        "or comma-separated); with --topic, both must match",
    )
    articles.add_argument("--since", default="7d", help="7d, 12h, 30m or an ISO date (default 7d)")
    articles.add_argument("--until", help="a duration ago or an ISO date (default: now)")
    articles.add_argument("--limit", type=int, default=50, help="at most N articles (default 50)")
    articles.add_argument("--taxonomy", type=Path, help="the deployment's taxonomy file")
    articles.add_argument("--json", action="store_true", help="one JSON object per article")
    add_connection_args(articles)
    articles.set_defaults(func=run_articles)

    show = subparsers.add_parser("show", help="one article with its summary, topics and alerts")
    show.add_argument(
        "key", help="the object key in the articles bucket, or an alert's reference (nw-...)"
    )
    show.add_argument("--bucket", help="the bucket (default: the stack's articles bucket)")
    show.add_argument("--json", action="store_true")
    add_connection_args(show)
    show.set_defaults(func=run_show)


def _error(message: str) -> int:
    from rich.console import Console

    Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False)
    return 2


def run_articles(args: argparse.Namespace) -> int:
    from newswatch.adapters.archive import Archive, TimeRange
    from newswatch.domain.taxonomy import load_taxonomy

    now = datetime.now(UTC)
    try:
        window = TimeRange(
            since=parse_moment(args.since, now) if args.since else None,
            until=parse_moment(args.until, now) if args.until else None,
        )
        conn = connect(args)
    except (MomentError, StackNotFoundError) as error:
        return _error(str(error))
    try:
        places = parse_places(args.place or ())
    except ValueError as error:
        return _error(str(error))
    # By place, any topic (or none) unless --topic narrows it; by topic, every label by default.
    topics = args.topic or (None if places else list(load_taxonomy(args.taxonomy).labels))
    archive = Archive(conn.client("dynamodb"), conn.output("ArticlesTableName"))
    rows = archive.articles(topics, window, args.limit, places=places)
    if args.json:
        for row in rows:
            print(json.dumps(_article_row(row)))
        return 0
    from rich.console import Console
    from rich.table import Table

    # The places column only when some article has places (items stored before them have none).
    with_places = any(row.get("country_codes") for row in rows)
    columns = ["uploaded", "title", "topics", *(["places"] if with_places else []), "summary"]
    table = Table(*columns, title=f"{len(rows)} articles")
    for row in rows:
        places = [", ".join(row.get("country_codes") or ())] if with_places else []
        table.add_row(
            row["uploaded_at"][:16].replace("T", " "),
            row.get("title") or row["s3_uri"].rsplit("/", 1)[-1],
            ", ".join(f"{t['label']} {float(t['score'] or 0):.2f}" for t in row["topics"]),
            *places,
            _clip(row.get("summary", ""), 120),
        )
    Console().print(table)
    return 0


def _article_row(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "s3_uri": entry.get("s3_uri"),
        "title": entry.get("title"),
        "uploaded_at": entry.get("uploaded_at"),
        "topics": entry["topics"],
        "places": list(entry.get("country_codes") or ()),
        "summary": entry.get("summary"),
    }


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rsplit(" ", 1)[0] + "…"


def run_show(args: argparse.Namespace) -> int:
    from newswatch.adapters.archive import Archive
    from newswatch.domain.reference import is_reference, normalize_reference

    try:
        conn = connect(args)
        bucket = args.bucket or conn.output("ArticlesBucketName")
    except StackNotFoundError as error:
        return _error(str(error))
    only_version = None
    if is_reference(args.key):
        # The short reference an alert (SMS, email, JSON) names the article version by.
        from newswatch.adapters.dynamodb import DynamoArticleStore
        from newswatch.service import find_by_reference

        store = DynamoArticleStore(conn.client("dynamodb"), conn.output("ArticlesTableName"))
        found = find_by_reference(store, normalize_reference(args.key))
        if found is None:
            return _error(f"no alert was sent with reference {args.key!r} on this stack")
        bucket, args.key, only_version = found["bucket"], found["key"], found.get("version_id")
    versions = Archive(conn.client("dynamodb"), conn.output("ArticlesTableName")).article(
        bucket, args.key
    )
    if only_version is not None:
        versions = [v for v in versions if v.get("version_id") == only_version]
    if not versions:
        return _error(f"no article s3://{bucket}/{args.key} in the archive")
    if args.json:
        print(json.dumps(versions, default=str))
        return 0
    from rich.console import Console
    from rich.markup import escape
    from rich.panel import Panel

    console = Console()
    for article in versions:
        lines = [
            f"[bold]{escape(article.get('title') or args.key)}[/bold]",
            f"s3://{bucket}/{args.key}  version {article.get('version_id')}",
            f"status {article.get('status')}  language {article.get('language')}  "
            f"words {article.get('word_count')}  uploaded {article.get('uploaded_at')}",
        ]
        if article.get("error"):
            lines.append(f"[red]{article.get('error_code')}: {escape(article['error'])}[/red]")
        if article.get("duplicate_of"):
            lines.append(f"duplicate of {article['duplicate_of']}")
        if article.get("summary"):
            lines += ["", escape(article["summary"])]
        for topic in article.get("topics", []):
            lines.append(
                f"\n[cyan]{topic['label']}[/cyan] {topic['score']:.2f} ({topic.get('iptc')})"
            )
            lines += [f"  • {escape(sentence)}" for sentence in topic.get("evidence", [])]
        for country in article.get("countries", []):
            lines.append(
                f"\n[green]{escape(country['name'])}[/green] ({country['code']}) "
                f"{country['score']:.2f}"
            )
            lines += [f"  • {escape(sentence)}" for sentence in country.get("evidence", [])]
        lines.append(
            f"\nalert: {article.get('alert_state', 'none')}"
            + (f" at {article['alerted_at']}" if article.get("alerted_at") else "")
            + (f" for {', '.join(article['alert_topics'])}" if article.get("alert_topics") else "")
        )
        console.print(Panel("\n".join(lines), expand=False))
    return 0
