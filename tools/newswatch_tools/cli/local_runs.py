"""`newswatch demo` and `newswatch local loadtest`: a private local stack in this process, files
uploaded to it, and what came out (articles, alerts, digests, the load test's counts)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from newswatch_tools.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    console,
    escape,
    progress_printer,
)

if TYPE_CHECKING:
    from newswatch_tools.local.runs import DemoResult

# The load test's default bound: generous for one machine running every function (measured about
# 0.2-0.8 s per article on 2 busy cores).
LOADTEST_BASE_SECONDS = 120.0
LOADTEST_SECONDS_PER_ARTICLE = 1.5


# -- demo and loadtest: a private stack in this process ---------------------------------------


@contextlib.contextmanager
def _functions_log(path: Path | None, prefix: str) -> Iterator[Path]:
    """Send the functions' stdout (powertools JSON logs and EMF metrics) to a file, so this
    command's own output stays readable (and parseable with --json)."""
    if path is None:
        handle, name = tempfile.mkstemp(prefix=f"newswatch-{prefix}-", suffix=".log")
        os.close(handle)
        path = Path(name)
    path.write_text("", encoding="utf-8")
    # Append mode: the functions' child processes append to the same file.
    with path.open("a", encoding="utf-8") as log, contextlib.redirect_stdout(log):
        yield path


def run_demo(args: argparse.Namespace) -> int:
    from newswatch_tools.local.runs import run_demo as demo
    from newswatch_tools.local.runs import seed_files
    from newswatch_tools.local.spec import ProjectNotFoundError, find_project_root
    from newswatch_tools.local.template import TemplateError

    err = console(stderr=True)
    try:
        root = find_project_root()
        folder = args.seeds or root / "seeds"
        seeds = seed_files(folder)
    except (ProjectNotFoundError, FileNotFoundError) as error:
        err.print(f"[red]error:[/red] {escape(str(error))}")
        return EXIT_USAGE
    if not seeds:
        err.print(f"[red]error:[/red] no files in {folder}")
        return EXIT_USAGE
    try:
        with _functions_log(args.log, "demo") as log_path:
            result = demo(
                seeds,
                timeout=args.timeout,
                progress=progress_printer(err),
                root=root,
                log_path=log_path,
            )
    except TemplateError as error:
        err.print(f"[red]error:[/red] {escape(str(error))}")
        return EXIT_USAGE
    if args.json:
        print(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
    else:
        _print_demo(result)
    err.print(f"Functions' logs: {log_path}", soft_wrap=True)
    if not result.complete:
        err.print(
            f"[red]Not everything settled within {args.timeout:.0f} s[/red]"
            + (f": no record for {', '.join(result.missing)}" if result.missing else "")
        )
        return EXIT_FAILED
    return EXIT_OK


def _print_demo(result: DemoResult) -> None:
    from rich.table import Table
    from rich.text import Text

    out = console()
    articles = Table(title=f"Articles ({len(result.articles)}, {result.seconds:.1f} s)")
    for column in ("key", "headline", "status", "top topics", "summary"):
        articles.add_column(column, overflow="fold")
    for article in result.articles:
        top = ", ".join(f"{t['label']} {t['score']:.2f}" for t in article["scores"][:3])
        summary = article["summary"] or article["error"] or ""
        articles.add_row(
            Text(article["key"]),
            # The stored headline: the title, or for an untitled article its first sentence.
            Text(article["headline"] or article["title"] or ""),
            Text(str(article["status"])),
            Text(top or "-"),
            Text(summary[:140] + ("..." if len(summary) > 140 else "")),
        )
    out.print(articles)

    alerts = Table(title="Alerts received by the demo subscribers")
    for column in ("subscriber", "filter", "article", "topics", "subject"):
        alerts.add_column(column, overflow="fold")
    for subscriber in result.subscribers:
        received = result.alerts.get(subscriber["name"], [])
        label = f"{subscriber['name']} ({subscriber['protocol']})"
        policy = "topics: " + ", ".join(subscriber["topics"])
        if not received:
            alerts.add_row(Text(label), Text(policy), "(nothing)", "", "")
        for alert in received:
            alerts.add_row(
                Text(label),
                Text(policy),
                Text(str(alert["key"])),
                Text(", ".join(alert["topics"])),
                Text(alert["subject"] or ""),
            )
    out.print(alerts)
    if any(result.digests.values()):
        digests = Table(title="Digests (the DigestFunction run once, as its schedule would)")
        for column in ("subscriber", "topics", "subject"):
            digests.add_column(column, overflow="fold")
        for name, found in result.digests.items():
            for digest in found:
                digests.add_row(
                    Text(name), Text(", ".join(digest["topics"])), Text(digest["subject"] or "")
                )
        out.print(digests)
    for subscriber in result.subscribers:
        for alert in result.alerts.get(subscriber["name"], []):
            if alert["protocol"] == "sms":
                out.print(
                    f"SMS to {escape(subscriber['name'])} ({len(alert['body'] or '')} chars): "
                    f"{escape(alert['body'] or '')}",
                    soft_wrap=True,
                )


def run_loadtest(args: argparse.Namespace) -> int:
    from newswatch_tools.local.loadtest import run_loadtest as loadtest
    from newswatch_tools.local.spec import ProjectNotFoundError
    from newswatch_tools.local.template import TemplateError

    err = console(stderr=True)
    try:
        with _functions_log(args.log, "loadtest") as log_path:
            timeout = (
                args.timeout or LOADTEST_BASE_SECONDS + LOADTEST_SECONDS_PER_ARTICLE * args.count
            )
            result = loadtest(
                args.count,
                timeout=timeout,
                data_dir=args.data,
                generated=args.generated,
                log_path=log_path,
                progress=progress_printer(err),
                ingest_workers=args.workers,
                processes=not args.in_process,
            )
    except (ProjectNotFoundError, TemplateError) as error:
        err.print(f"[red]error:[/red] {escape(str(error))}")
        return EXIT_USAGE
    print(json.dumps(result))
    err.print(f"Functions' logs: {log_path}", soft_wrap=True)
    ok = (
        result["settled"]
        and result["lost"] == 0
        and result["duplicates_alerted"] == 0
        and result["alerts_received"] == result["alerts_expected"]
    )
    return EXIT_OK if ok else EXIT_FAILED
