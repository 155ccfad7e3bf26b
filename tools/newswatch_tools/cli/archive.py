"""`newswatch articles` and `newswatch show`: read the archive, every stored article."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from newswatch.domain.timeutil import iso_utc
from newswatch_tools.cli.common import EXIT_OK, EXIT_USAGE, parse_places, positive_int
from newswatch_tools.cli.connect import (
    Connection,
    StackNotFoundError,
    add_connection_args,
    connect,
)

_DURATION = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class MomentError(ValueError):
    pass


def parse_moment(text: str, now: datetime) -> str:
    """'7d', '12h', '30m', '2w' ago, or an ISO date/time, as an ISO-8601 UTC string."""
    text = text.strip()
    match = _DURATION.match(text)
    if match:
        try:
            return iso_utc(now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))}))
        except OverflowError:  # 999999d: before year 1
            raise MomentError(f"{text!r} reaches back before the calendar starts") from None
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


STATUSES = ("processed", "failed", "duplicate", "skipped", "retracted")


def register(subparsers: Any) -> None:
    articles = subparsers.add_parser(
        "articles",
        help="list every stored article (any status), newest first",
        description="Every article stored in the time range, whatever its status (processed, "
        "failed, duplicate, skipped, retracted: deleted from the bucket; tagged or not; any "
        "language), with its key, status and topics. One DynamoDB Query per day (ByUploadDay "
        "index), or per topic (--topic) or country (--place) on its entries.",
    )
    articles.add_argument("--topic", action="append", help="a topic (repeatable); default: all")
    articles.add_argument(
        "--status", action="append", choices=STATUSES, help="only this status (repeatable)"
    )
    articles.add_argument(
        "--place",
        action="append",
        help="a country the articles are about: ISO code or name, e.g. SD or Sudan (repeatable, "
        "or comma-separated); with --topic, both must match",
    )
    articles.add_argument("--since", default="7d", help="7d, 12h, 30m or an ISO date (default 7d)")
    articles.add_argument("--until", help="a duration ago or an ISO date (default: now)")
    articles.add_argument(
        "--limit", type=positive_int, default=50, help="at most N articles (default 50)"
    )
    articles.add_argument("--taxonomy", type=Path, help="the deployment's taxonomy file")
    articles.add_argument("--json", action="store_true", help="one JSON object per article")
    add_connection_args(articles)
    articles.set_defaults(func=run_articles)

    show = subparsers.add_parser(
        "show",
        help="one article with its summary, topics, flags and alerts",
        description="ARTICLE is an object key in the articles bucket, an s3://bucket/key URI "
        "(as `newswatch articles --json` prints) or an alert's reference (nw-..., as the SMS, "
        "email and JSON alerts give it; that version only).",
    )
    show.add_argument(
        "article", metavar="ARTICLE", help="an object key, an s3:// URI or an alert's nw- reference"
    )
    show.add_argument("--bucket", help="the bucket of a bare key (default: the stack's bucket)")
    show.add_argument("--json", action="store_true")
    add_connection_args(show)
    show.set_defaults(func=run_show)


def _error(message: str) -> int:
    from rich.console import Console

    Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False)
    return EXIT_USAGE


def run_articles(args: argparse.Namespace) -> int:
    from newswatch.adapters.archive import Archive
    from newswatch.domain.taxonomy import load_taxonomy
    from newswatch.ports import TimeRange

    now = datetime.now(UTC)
    known = list(load_taxonomy(args.taxonomy).labels)
    unknown = [t for t in args.topic or () if t not in known]
    if unknown:
        return _error(
            f"unknown topic{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"the topics are: {', '.join(known)}"
        )
    try:
        window = TimeRange(
            since=parse_moment(args.since, now) if args.since else None,
            until=parse_moment(args.until, now) if args.until else None,
        )
        conn = connect(args)
    except (MomentError, StackNotFoundError) as error:
        return _error(str(error))
    if not window.since:
        return _error("--since needs a duration like 7d or an ISO date")
    try:
        places = parse_places(args.place or ())
    except ValueError as error:
        return _error(str(error))
    archive = Archive(conn.client("dynamodb"), conn.output("ArticlesTableName"))
    statuses = args.status or ()
    if places:
        rows = archive.place_articles(
            places, args.topic, window, statuses=statuses, limit=args.limit
        )
    elif args.topic:
        rows = archive.tagged_articles(args.topic, window, statuses=statuses, limit=args.limit)
    else:
        rows = archive.recent_articles(window, statuses=statuses, limit=args.limit)
    listed = [_article_row(row) for row in rows]
    if args.json:
        for row in listed:
            print(json.dumps(row, ensure_ascii=False))
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from newswatch.domain.headline import shorten

    table = Table(title=f"{len(listed)} articles", title_justify="left")
    table.add_column("uploaded", no_wrap=True)
    table.add_column("key", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("headline", overflow="fold")
    table.add_column("topics", overflow="fold")
    # The places column only when some article has places (items stored before them have none).
    with_places = any(row["places"] for row in listed)
    if with_places:
        table.add_column("places", overflow="fold")
    notes = [_notes(row) for row in listed]
    if any(notes):
        table.add_column("notes", overflow="fold")
    for row, note in zip(listed, notes, strict=True):
        table.add_row(
            str(row["uploaded_at"] or "")[:16].replace("T", " "),
            Text(row["key"] or ""),
            row["status"] or "",
            Text(shorten(row["headline"], TABLE_HEADLINE_CHARS)),
            ", ".join(row["topics"]) or "-",
            *([", ".join(row["places"])] if with_places else []),
            *([Text(note)] if any(notes) else []),
        )
    Console().print(table)
    if len(listed) == args.limit:
        Console(stderr=True).print(f"(the newest {args.limit}; --limit shows more)")
    return EXIT_OK


# The table shows the start of a headline; --json and `show` give all of it.
TABLE_HEADLINE_CHARS = 60


def _notes(row: dict[str, Any]) -> str:
    """What else a reader of the listing should know: flags, the error, what it duplicates."""
    notes = list(row["flags"])
    if row["error_code"]:
        notes.append(f"error: {row['error_code']}")
    if row["duplicate_of"]:
        notes.append(f"copy of {_ref_text(row['duplicate_of']).rsplit('/', 1)[-1]}")
    return ", ".join(notes)


def _article_row(item: dict[str, Any]) -> dict[str, Any]:
    """One listed article: what ``articles --json`` prints and the table shows."""
    from newswatch.domain.headline import headline_of

    labels = item.get("topic_labels")
    if labels is None:
        labels = [t["label"] for t in item.get("topics") or ()]
    row = {
        "s3_uri": f"s3://{item.get('bucket')}/{item.get('key')}",
        "key": item.get("key"),
        "version_id": item.get("version_id"),
        "uploaded_at": item.get("uploaded_at"),
        "status": item.get("status"),
        "headline": headline_of(item),
        "title": item.get("title"),
        "topics": list(labels),
        "places": list(item.get("country_codes") or ()),
        "flags": list(item.get("flags") or ()),
        "language": item.get("language"),
        "error_code": item.get("error_code"),
        # the s3:// URI `show` takes, as s3_uri is (the stored pointer is a table key)
        "duplicate_of": _ref_text(item["duplicate_of"]) if item.get("duplicate_of") else None,
    }
    if item.get("retracted_at"):
        row["retracted_at"] = item["retracted_at"]
    if item.get("topics"):  # a full item (topic listing): the scores too
        row["scores"] = {t["label"]: t.get("score") for t in item["topics"]}
    return row


# -- show -------------------------------------------------------------------------------------


class ArticleRefError(ValueError):
    pass


@dataclass(frozen=True)
class ArticleRef:
    """The article an argument of ``show`` names; ``version_id`` when it names one version."""

    bucket: str
    key: str
    version_id: str | None = None


def _from_alert_reference(
    text: str, default_bucket: str | None, conn: Connection
) -> ArticleRef | None:
    """The short reference an alert (SMS, email, JSON) names the article version by (nw-...)."""
    from newswatch.domain.reference import is_reference, normalize_reference

    if not is_reference(text):
        return None
    from newswatch.adapters.dynamodb import DynamoArticleStore
    from newswatch.usecases.alert import find_by_reference

    store = DynamoArticleStore(conn.client("dynamodb"), conn.output("ArticlesTableName"))
    found = find_by_reference(store, normalize_reference(text))
    if found is None:
        raise ArticleRefError(f"no alert was sent with reference {text!r} on this stack")
    return ArticleRef(str(found["bucket"]), str(found["key"]), found.get("version_id"))


def _from_s3_uri(text: str, default_bucket: str | None, conn: Connection) -> ArticleRef | None:
    if not text.startswith("s3://"):
        return None
    bucket, _, key = text[len("s3://") :].partition("/")
    if not bucket or not key:
        raise ArticleRefError(f"{text!r} is not s3://bucket/key")
    return ArticleRef(bucket, key)


def _from_key(text: str, default_bucket: str | None, conn: Connection) -> ArticleRef | None:
    if default_bucket is None:
        raise ArticleRefError(f"no bucket for the key {text!r}: pass --bucket")
    return ArticleRef(default_bucket, text)


# How `show` reads its argument, tried in order; each returns the article, or None when the text
# is not of its form. A new form of reference is one more function here.
ARTICLE_REFERENCES: tuple[Callable[[str, str | None, Connection], ArticleRef | None], ...] = (
    _from_alert_reference,
    _from_s3_uri,
    _from_key,
)


def resolve_article(text: str, default_bucket: str | None, conn: Connection) -> ArticleRef:
    """The article an argument of ``show`` names."""
    text = text.strip()
    for resolve in ARTICLE_REFERENCES:
        found = resolve(text, default_bucket, conn)
        if found is not None:
            return found
    raise ArticleRefError(f"{text!r} names no article")


def run_show(args: argparse.Namespace) -> int:
    from newswatch.adapters.archive import Archive

    try:
        conn = connect(args)
        default_bucket = args.bucket or conn.output("ArticlesBucketName")
        ref = resolve_article(args.article, default_bucket, conn)
    except (StackNotFoundError, ArticleRefError) as error:
        return _error(str(error))
    versions = Archive(conn.client("dynamodb"), conn.output("ArticlesTableName")).article(
        ref.bucket, ref.key
    )
    if ref.version_id is not None:
        versions = [v for v in versions if v.get("version_id") == ref.version_id]
    if not versions:
        return _error(f"no article s3://{ref.bucket}/{ref.key} in the archive")
    if args.json:
        print(json.dumps(versions, default=str, ensure_ascii=False))
        return EXIT_OK
    from rich.console import Console
    from rich.panel import Panel

    console = Console()
    for article in versions:
        console.print(Panel(_article_text(article, ref.bucket, ref.key), expand=False))
    return EXIT_OK


def _facts(*pairs: tuple[str, Any]) -> str:
    """``name value`` pairs, leaving out the ones without a value (never "None")."""
    return "  ".join(f"{name} {value}" for name, value in pairs if value not in (None, "", []))


def _article_text(article: dict[str, Any], bucket: str, key: str) -> str:
    from rich.markup import escape

    from newswatch.domain.headline import headline_of

    version = article.get("version_id")
    lines = [
        f"[bold]{escape(headline_of(article))}[/bold]",
        escape(f"s3://{bucket}/{key}" + (f"  version {version}" if version else "")),
        escape(
            _facts(
                ("status", article.get("status")),
                ("language", article.get("language")),
                ("words", article.get("word_count")),
                ("uploaded", article.get("uploaded_at")),
            )
        ),
    ]
    if article.get("status") == "retracted":
        was = article.get("retracted_from")
        text = f"retracted (deleted from the bucket) at {article.get('retracted_at')}"
        lines.append(f"[red]{escape(text + (f'; it was {was}' if was else ''))}[/red]")
    if article.get("flags"):
        lines.append("flags " + escape(", ".join(article["flags"])))
    if article.get("error") or article.get("error_code"):
        error = ": ".join(str(p) for p in (article.get("error_code"), article.get("error")) if p)
        lines.append(f"[red]{escape(error)}[/red]")
    if article.get("duplicate_of"):
        lines.append(escape(f"duplicate of {_ref_text(article['duplicate_of'], version=True)}"))
    if article.get("near_duplicate_of"):
        similarity = article.get("near_duplicate_similarity")
        lines.append(
            escape(
                f"near-duplicate of {_ref_text(article['near_duplicate_of'])}"
                + (f" (similarity {similarity:.2f})" if similarity is not None else "")
            )
        )
    if article.get("summary"):
        lines += ["", escape(article["summary"])]
    for topic in article.get("topics", []):
        iptc = f" ({topic['iptc']})" if topic.get("iptc") else ""
        lines.append(f"\n[cyan]{escape(topic['label'])}[/cyan] {topic['score']:.2f}{iptc}")
        lines += [f"  • {escape(sentence)}" for sentence in topic.get("evidence", [])]
    for country in article.get("countries", []):
        lines.append(
            f"\n[green]{escape(country['name'])}[/green] ({country['code']}) {country['score']:.2f}"
        )
        lines += [f"  • {escape(sentence)}" for sentence in country.get("evidence", [])]
    if article.get("status") == "processed" or article.get("retracted_from") == "processed":
        lines.append(
            f"\nalert: {article.get('alert_state', 'none')}"
            + (f" at {article['alerted_at']}" if article.get("alerted_at") else "")
            + (f" for {', '.join(article['alert_topics'])}" if article.get("alert_topics") else "")
        )
    return "\n".join(lines)


def _ref_text(ref: str, version: bool = False) -> str:
    """``article#bucket/key|v#version`` (how items point at each other) as s3://bucket/key,
    with ``version``: and the version it names (a re-upload's original is the same key)."""
    pk, _, sk = ref.partition("|")
    if not pk.startswith("article#"):
        return ref
    text = "s3://" + pk.removeprefix("article#")
    named = sk.removeprefix("v#")
    return f"{text} version {named}" if version and named and named != "null" else text
