"""`newswatch local loadtest`: N varied articles through the whole local flow, then the count.

The articles come from the evaluation data in ``../shared/data`` (read in place, never copied) when
it is there, else they are generated. They are written in four formats (text, Markdown, HTML,
JSON) and uploaded to the bucket; the run then waits, bounded, and compares what was stored and
alerted with what should have been:

- ``lost``: uploaded objects with no record at all (in any status);
- ``alerts_expected``: processed records whose watched topics score at least the threshold;
- ``alerts_received``: deliveries to a subscriber whose filter policy is every watched topic;
- ``duplicates_alerted``: deliveries beyond the first for the same object.
"""

from __future__ import annotations

import html
import json
import random
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newswatch_tools import environment
from newswatch_tools.local.runs import Progress, Upload, put_all, wait_until_settled
from newswatch_tools.local.spec import find_project_root, load_spec
from newswatch_tools.local.stack import LocalStack
from newswatch_tools.local.subscribers import Subscriber

if TYPE_CHECKING:
    from newswatch.settings import Settings

# Long articles first in each round, so small runs still carry full stories.
DATA_FILES = (
    "summarization-dev.jsonl",
    "cnndm-dev.jsonl",
    "conflict-topics-dev.jsonl",
    "topics-dev.jsonl",
)
FORMATS = ("txt", "md", "html", "json")
CONTENT_TYPES = {
    "txt": "text/plain",
    "md": "text/markdown",
    "html": "text/html",
    "json": "application/json",
}


def shared_data_dir(root: Path | None = None) -> Path:
    explicit = environment.shared_data()
    if explicit is not None:
        return explicit
    try:
        base = root or find_project_root()
    except FileNotFoundError:
        base = Path.cwd()
    return base.parent / "shared" / "data"


def _rows(path: Path) -> list[tuple[str | None, str]]:
    rows: list[tuple[str | None, str]] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            text = str(row.get("text") or "").strip()
            if not text:
                continue
            title = row.get("title")
            if not title and "\n" in text:
                # BBC rows: the first line is the headline.
                first, rest = text.split("\n", 1)
                if len(first) < 150:
                    title, text = first.strip(), rest.strip()
            rows.append((str(title) if title else None, text))
    return rows


def data_articles(folder: Path) -> list[tuple[str | None, str]]:
    """Rows of the evaluation files, interleaved so any prefix mixes every kind."""
    sources = [_rows(folder / name) for name in DATA_FILES if (folder / name).is_file()]
    mixed: list[tuple[str | None, str]] = []
    for index in range(max((len(s) for s in sources), default=0)):
        mixed.extend(source[index] for source in sources if index < len(source))
    return mixed


_SUBJECTS = ("Officials", "Residents", "Aid workers", "The ministry", "Reporters", "Mediators")
_PLACES = (
    "Aldmoor",
    "Brenfield",
    "Carrow",
    "Dunmere",
    "Eastvale",
    "Fenwick",
    "Galloway",
    "Harwick",
    "Ilford",
    "Jarrow",
    "Kestrel Bay",
    "Lindale",
    "Marsh End",
    "Northam",
    "Oakridge",
    "Penrose",
)
_WORDS = (
    "morning",
    "evening",
    "river",
    "bridge",
    "market",
    "school",
    "hospital",
    "road",
    "village",
    "harbour",
    "valley",
    "station",
    "council",
    "district",
    "square",
    "hill",
    "border",
    "camp",
    "depot",
    "airport",
    "factory",
    "library",
    "stadium",
    "church",
    "clinic",
    "warehouse",
)
_SENTENCES = {
    "ceasefire": (
        "{s} in {p} said a ceasefire between the armed groups took effect near the {w} at {n}:00.",
        "Both sides agreed to a truce around {p} and to exchange {n} prisoners by the {w}.",
        "Monitors posted at the {w} in {p} will report any violation of the ceasefire.",
    ),
    "aid": (
        "{s} said {n} trucks with food, water and medical supplies reached the {w} in {p}.",
        "Humanitarian agencies in {p} appealed for funding to keep aid flowing to the {w}.",
        "Emergency relief reached {n} families sheltering in the {w} of {p}.",
    ),
    "displacement": (
        "{s} said {n} people fled their homes near the {w} and now live in camps outside {p}.",
        "Refugees arriving in {p} described queues at the {w} reception centre.",
    ),
    "economy": (
        "{s} in {p} said the {w} reopened after the central bank kept rates at {n} percent.",
        "Exporters near the {w} in {p} reported {n} new orders after the currency weakened.",
    ),
    "sport": (
        "{s} said the {p} team won the final at the {w} after {n} minutes of extra time.",
        "The {p} striker scored twice near the {w} end and the coach praised the squad.",
    ),
}


def generated_articles(count: int, seed: int = 7) -> list[tuple[str | None, str]]:
    """Plain-worded articles mixing watched and unwatched themes, for when no data is present.

    Every sentence gets its own place, numbers and nouns, so two articles share few word
    sequences and are not near-duplicates of each other (which would not alert twice).
    """
    rng = random.Random(seed)
    themes = list(_SENTENCES)
    articles: list[tuple[str | None, str]] = []
    for index in range(count):
        chosen = rng.sample(themes, k=rng.randint(1, 2))
        sentences = []
        for theme in chosen:
            for template in _SENTENCES[theme]:
                sentences.append(
                    template.format(
                        s=rng.choice(_SUBJECTS),
                        p=rng.choice(_PLACES),
                        w=rng.choice(_WORDS),
                        n=rng.randint(2, 9999),
                    )
                )
        filler = " ".join(rng.choice(_WORDS) for _ in range(12))
        sentences.append(f"Report {index + 1} also mentioned the {filler}.")
        rng.shuffle(sentences)
        title = f"{rng.choice(_PLACES)} report {index + 1}: {' and '.join(chosen)}"
        articles.append((title, " ".join(sentences)))
    return articles


def render(title: str | None, text: str, fmt: str) -> bytes:
    heading = title or ""
    if fmt == "md":
        body = (f"# {heading}\n\n" if heading else "") + text
    elif fmt == "html":
        paragraphs = "".join(
            f"<p>{html.escape(p)}</p>" for p in re.split(r"\n\s*\n|\n", text) if p.strip()
        )
        body = (
            f"<!DOCTYPE html><html><head><title>{html.escape(heading)}</title></head><body>"
            f"<article><h1>{html.escape(heading)}</h1>{paragraphs}</article></body></html>"
        )
    elif fmt == "json":
        body = json.dumps({"title": heading, "text": text}, ensure_ascii=False)
    else:
        body = (f"{heading}\n\n" if heading else "") + text
    return body.encode("utf-8")


def build_uploads(count: int, data_dir: Path | None) -> tuple[list[Upload], str]:
    """N uploads and where their text came from ("shared-data" or "generated")."""
    pool = data_articles(data_dir) if data_dir is not None and data_dir.is_dir() else []
    source = "shared-data" if pool else "generated"
    if not pool:
        pool = generated_articles(count)
    uploads = []
    for index in range(count):
        title, text = pool[index % len(pool)]
        if index >= len(pool):
            # A second pass over the pool must not be byte-identical (that is a duplicate).
            text = f"{text}\n\nFollow-up {index // len(pool)}."
        fmt = FORMATS[index % len(FORMATS)]
        key = f"loadtest/{index:05d}.{fmt}"
        uploads.append(Upload(key, render(title, text, fmt), CONTENT_TYPES[fmt]))
    return uploads, source


def expected_alert_topics(item: dict[str, Any], settings: Settings) -> set[str]:
    """The topics a stored record should alert for (the rule of the alert service): its topics
    at or above their alert threshold; for a near-duplicate, only those listed in
    ``alert_only_topics`` (what its earlier copies lacked); none when the hourly cap held it."""
    from newswatch.usecases.alert import alert_topics

    if item.get("alert_state") == "held":
        return set()
    return {t.label for t in alert_topics(item, settings)}


def _chunks(items: list[Upload], size: int) -> Iterator[list[Upload]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def run_loadtest(
    count: int,
    *,
    timeout: float = 600.0,
    root: Path | None = None,
    data_dir: Path | None = None,
    progress: Progress | None = None,
    ingest_workers: int | None = None,
    generated: bool = False,
    log_path: Path | None = None,
    processes: bool = True,
) -> dict[str, Any]:
    from newswatch.settings import Settings
    from newswatch.usecases.alert import alert_policy

    root = root or find_project_root()
    uploads, source = build_uploads(
        count, None if generated else (data_dir or shared_data_dir(root))
    )
    # The alert decision's inputs, exactly as the deployed AlertFunction would read them.
    settings = Settings.from_env(load_spec(root).alert.environment)
    audit = Subscriber("all-watched", "email", alert_policy(settings).labels)
    with LocalStack(
        root,
        write_state=False,
        subscribers=(audit,),
        ingest_workers=ingest_workers,
        log_path=log_path,
        processes=processes,
    ) as stack:
        if progress is not None:
            progress(f"local stack up at {stack.endpoint_url}; uploading {count} {source} articles")
        started = time.monotonic()
        for chunk in _chunks(uploads, 100):
            put_all(stack, chunk)
        settled = wait_until_settled(
            stack, [u.key for u in uploads], timeout, poll_seconds=2.0, progress=progress
        )
        seconds = time.monotonic() - started
        status = stack.status()

    by_key: dict[str, list[dict[str, Any]]] = {}
    for item in settled.items:
        by_key.setdefault(item["key"], []).append(item)
    statuses = Counter(str(item.get("status")) for item in settled.items)
    expected = sum(1 for item in settled.items if expected_alert_topics(item, settings))
    held = sum(1 for item in settled.items if item.get("alert_state") == "held")
    deliveries = settled.deliveries.get(audit.name, [])
    per_key = Counter(str(d.get("key")) for d in deliveries)
    return {
        "uploaded": count,
        "stored": len(by_key),
        "failed": statuses.get("failed", 0),
        "alerts_expected": expected,
        "alerts_received": len(deliveries),
        "duplicates_alerted": sum(n - 1 for n in per_key.values() if n > 1),
        "lost": count - len(by_key),
        "seconds": round(seconds, 1),
        "statuses": dict(sorted(statuses.items())),
        "near_duplicates": sum(
            1 for i in settled.items if "near_duplicate" in (i.get("flags") or ())
        ),
        "alerts_held": held,
        "source": source,
        "settled": settled.complete,
        "dead_letter_queue": status["queues"].get("IngestDeadLetterQueue", {}).get("visible", 0),
        "alert_failure_queue": status["queues"].get("AlertFailureQueue", {}).get("visible", 0),
    }
