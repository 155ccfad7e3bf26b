"""`newswatch summarize PATH...`: summarize and tag article files offline, no AWS involved.

Files and folders (recursively). One bad file prints its error and the rest go on; the exit code
is 1 when any file failed, 2 when the options themselves are wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newswatch_tools.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, positive_int, score

if TYPE_CHECKING:
    from rich.console import Console

    from newswatch.budget import BudgetedAnalyzer
    from newswatch.domain.models import Analysis
    from newswatch.ports import ArticleAnalyzer


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "summarize",
        help="summarize and tag article files or folders (offline)",
        description="Summarize article files (.txt .md .html .json .pdf .docx, optionally .gz) "
        "and tag their topics. Folders are read recursively. Defaults come from the NEWSWATCH_* "
        "environment variables, like the deployed functions.",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders")
    parser.add_argument("--json", action="store_true", help="one JSON object per file on stdout")
    parser.add_argument("--sentences", type=positive_int, help="summary length in sentences")
    parser.add_argument("--words", type=positive_int, help="summary word budget")
    parser.add_argument("--taxonomy", type=Path, metavar="FILE", help="your own taxonomy YAML")
    parser.add_argument("--min-score", type=score, help="lowest topic score reported (0..1)")
    parser.add_argument("--max-bytes", type=positive_int, help="largest file (and unzipped size)")
    parser.add_argument("--engine", choices=("extractive", "transformers"), help="summarizer")
    parser.add_argument("--model-dir", type=Path, help="local model folder (transformers engine)")
    parser.add_argument("--tagger", choices=("pattern", "semantic", "hybrid"), help="topic tagger")
    parser.set_defaults(func=run_summarize)


def run_summarize(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape

    from newswatch.domain.errors import NewswatchError

    err = Console(stderr=True, highlight=False)
    try:
        analyzer = _analyzer(args)
    except (NewswatchError, ValueError) as error:  # a bad taxonomy, SettingsError
        err.print(f"[red]error:[/red] {escape(str(error))}")
        return EXIT_USAGE
    files = list(iter_files(args.paths))
    if not files:
        err.print("[red]error:[/red] no files to summarize")
        return EXIT_FAILED
    out = Console(highlight=False)
    failed = 0
    with _Progress(err, show=any(p.is_dir() for p in args.paths), total=len(files)) as advance:
        # When stdout is the same terminal as the progress bar, print through the bar's console
        # so the two do not overwrite each other; otherwise stdout stays clean for pipes.
        sink = err if (out.is_terminal and err.is_terminal) else out
        for path in files:
            record = summarize_path(analyzer, path, max_bytes=analyzer.options.max_bytes)
            failed += record["status"] != "ok"
            if args.json:
                line = json.dumps(record, ensure_ascii=False)
                if sink is out:
                    sys.stdout.write(line + "\n")
                    sys.stdout.flush()
                else:
                    sink.print(line, markup=False, soft_wrap=True)
            else:
                print_record(sink, record)
            advance()
    if failed and not args.json:
        err.print(f"[red]{failed} of {len(files)} file(s) failed[/red]")
    return EXIT_FAILED if failed else EXIT_OK


def _analyzer(args: argparse.Namespace) -> BudgetedAnalyzer:
    from newswatch.composition import budgeted, build_analyzer
    from newswatch.domain.models import SummaryLength
    from newswatch.settings import Settings

    settings = Settings.from_env()
    # The deployed function's per-article budget, so a file fails here as it would there.
    analyzer = build_analyzer(
        engine=args.engine or settings.engine,
        tagger=args.tagger or settings.tagger,
        taxonomy_path=args.taxonomy or settings.taxonomy_path,
        min_score=settings.min_topic_score if args.min_score is None else args.min_score,
        length=SummaryLength(
            sentences=args.sentences or settings.summary_sentences, words=args.words
        ),
        max_bytes=args.max_bytes or settings.max_article_bytes,
        model_dir=args.model_dir or settings.model_dir,
    )
    return budgeted(analyzer, settings)


class _Progress:
    """A rich progress bar on stderr for folders; a no-op otherwise or when stderr is no tty."""

    def __init__(self, console: Console, *, show: bool, total: int) -> None:
        from rich.progress import Progress

        self._bar = Progress(
            console=console,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
            disable=not (show and console.is_terminal),
        )
        self._task = self._bar.add_task("summarizing", total=total)

    def __enter__(self) -> Callable[[], None]:
        self._bar.start()
        return lambda: self._bar.advance(self._task)

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()


def iter_files(paths: list[Path]) -> Iterator[Path]:
    """Files as given, folders recursively in name order, skipping hidden files and folders."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and not hidden:
                    yield child
        else:
            yield path  # a missing file is reported as a failed record


def summarize_path(analyzer: ArticleAnalyzer, path: Path, *, max_bytes: int) -> dict[str, Any]:
    from newswatch.domain.errors import NewswatchError, TooLargeError

    try:
        size = path.stat().st_size
        if size > max_bytes:
            # Refuse before reading: a huge file must not be loaded to be rejected.
            raise TooLargeError(f"the file is {size} bytes, over the limit of {max_bytes} bytes")
        analysis = analyzer.analyze_bytes(path.read_bytes(), path.name)
    except NewswatchError as error:
        return failure_record(path, error.code, error.message)
    except OSError as error:
        return failure_record(path, "unreadable", f"cannot read the file: {error.strerror}")
    except Exception as error:  # a bug must not stop the other files
        return failure_record(path, "internal_error", f"{type(error).__name__}: {error}")
    return analysis_record(path, analysis)


def analysis_record(path: Path, analysis: Analysis) -> dict[str, Any]:
    return {
        "path": str(path),
        "title": analysis.title,
        "headline": analysis.headline,
        "language": analysis.language,
        "word_count": analysis.word_count,
        "content_sha256": analysis.content_sha256,
        "format": analysis.document.format,
        "summary": analysis.summary.text,
        "sentences": list(analysis.summary.sentences),
        "summary_engine": analysis.summary.engine,
        "topics": [
            {
                "label": tag.label,
                "score": round(tag.score, 3),
                "iptc": tag.iptc,
                "evidence": list(tag.evidence),
            }
            for tag in analysis.topics
        ],
        "flags": list(analysis.flags),
        "status": "ok",
        "error": None,
        "error_code": None,
    }


def failure_record(path: Path, code: str, message: str) -> dict[str, Any]:
    return {
        "path": str(path),
        "title": None,
        "headline": None,
        "language": None,
        "word_count": None,
        "content_sha256": None,
        "format": None,
        "summary": None,
        "sentences": [],
        "summary_engine": None,
        "topics": [],
        "flags": [],
        "status": "failed",
        "error": message,
        "error_code": code,
    }


def print_record(console: Console, record: dict[str, Any]) -> None:
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    path = escape(record["path"])
    if record["status"] != "ok":
        console.print(
            f"[red]✗ {path}[/red]  {escape(record['error'])} [dim]({record['error_code']})"
        )
        return
    facts = f"{record['language']} · {record['word_count']} words · {record['summary_engine']}"
    if record["flags"]:
        facts += " · " + ", ".join(record["flags"])
    body = Table.grid(padding=(0, 1))
    body.add_row(Text(facts, style="dim"))
    body.add_row(Text(record["summary"] or "(no summary)"))
    if record["topics"]:
        topics = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
        topics.add_column("topic")
        topics.add_column("score", justify="right")
        topics.add_column("IPTC", style="dim")
        topics.add_column("evidence", overflow="fold")
        for tag in record["topics"]:
            evidence = tag["evidence"][0] if tag["evidence"] else ""
            if len(evidence) > 120:
                evidence = evidence[:117] + "..."
            topics.add_row(tag["label"], f"{tag['score']:.2f}", tag["iptc"] or "", evidence)
        body.add_row(topics)
    else:
        body.add_row(Text("no topics", style="dim"))
    title = Text(record["headline"] or "(no text)", style="bold")
    console.print(
        Panel(body, title=title, title_align="left", subtitle=path, subtitle_align="right")
    )
