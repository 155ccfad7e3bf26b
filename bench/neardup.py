"""Precision and recall of the near-duplicate detector on pairs built from ../shared/data.

Positives: an article against an edited copy of itself (changed headline, a paragraph added from
another article, different whitespace, wrapped in HTML markup, a few words changed, and all of
those at once). Negatives: every pair of different articles (CNN/DailyMail and BBC, including
same-category BBC pairs, which are topically close), plus each copy-with-an-added-paragraph
against the article the paragraph came from.

A pair counts as detected the way the service detects it: the two fingerprints share a band key
(the one-read lookup would find the earlier article) and the estimated similarity reaches the
threshold. ``--no-bands`` drops the band condition to show what the LSH lookup costs in recall.

Then every text of the data files is stored, in order, in simulated band items (as DynamoDB
bills them: a new band item is one write unit, a join is billed per started KB of the whole band
item, about 470 bytes a member, a full band is skipped), with the service's bands and with the six
bands of two values they replaced: write units and joins (one UpdateItem each) per article.

    .venv/bin/python bench/neardup.py [--data-dir ../shared/data] [--seed 7]
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import sys
import time
from collections import Counter
from itertools import combinations
from pathlib import Path

from newswatch.domain.neardup import (
    BANDS,
    DEFAULT_THRESHOLD,
    ROWS,
    Fingerprint,
    fingerprint,
    similarity,
)
from newswatch.domain.records import MAX_BAND_MEMBERS

DATA_FILES = ("cnndm-dev.jsonl", "summarization-dev.jsonl")
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
EDITS = ("headline", "paragraph", "whitespace", "html", "words", "all")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def load_articles(data_dir: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for name in DATA_FILES:
        with (data_dir / name).open(encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.strip())
    return rows


def _headline_of(article: dict[str, str]) -> str:
    title = article.get("title")
    if title:
        return title
    return " ".join(article["text"].split()[:10])


def change_headline(text: str, new_headline: str) -> str:
    first, sep, rest = text.partition("\n\n")
    # BBC texts start with the headline on its own line; CNN/DM texts have none, so prepend one.
    if sep and len(first) < 200:
        return f"{new_headline}\n\n{rest}"
    return f"{new_headline}\n\n{text}"


def add_paragraph(text: str, source: str, rng: random.Random) -> str:
    theirs = _SENTENCE_END.split(source)
    start = rng.randrange(max(1, len(theirs) - 3))
    paragraph = " ".join(theirs[start : start + 3])
    ours = _SENTENCE_END.split(text)
    at = rng.randrange(1, len(ours) + 1)
    return " ".join(ours[:at]) + f"\n\n{paragraph}\n\n" + " ".join(ours[at:])


def change_whitespace(text: str, rng: random.Random) -> str:
    return re.sub(r"\s+", lambda _: rng.choice((" ", "  ", "\n", "\t", " \n ", "\r\n")), text)


def wrap_html(text: str, headline: str) -> str:
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    body = "\n".join(
        f'<p class="story-body__text">{html.escape(p).replace("’", "&#8217;")}</p>'
        for p in paragraphs
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(headline)}</title><style>p {{ margin: 0 }}</style>"
        "<script>window.dataLayer = [];</script></head>\n"
        f"<body><article><h1>{html.escape(headline)}</h1>\n{body}\n</article></body></html>"
    )


def change_words(text: str, rng: random.Random, count: int = 5) -> str:
    words = text.split(" ")
    for _ in range(count):
        words[rng.randrange(len(words))] = rng.choice(
            ("officials", "reported", "new", "major", "local", "several", "Tuesday")
        )
    return " ".join(words)


def edited(
    kind: str, article: dict[str, str], other: dict[str, str], rng: random.Random
) -> tuple[str, str]:
    """The edited text and (for an added paragraph) the article the paragraph came from."""
    text = article["text"]
    if kind == "headline":
        return change_headline(text, _headline_of(other)), ""
    if kind == "paragraph":
        return add_paragraph(text, other["text"], rng), other["id"]
    if kind == "whitespace":
        return change_whitespace(text, rng), ""
    if kind == "html":
        return wrap_html(text, _headline_of(article)), ""
    if kind == "words":
        return change_words(text, rng), ""
    text = change_headline(text, _headline_of(other))
    text = add_paragraph(text, other["text"], rng)
    text = change_words(text, rng)
    return wrap_html(change_whitespace(text, rng), _headline_of(article)), other["id"]


def detected(a: Fingerprint, b: Fingerprint, threshold: float, bands: bool) -> bool:
    if bands and not set(a.band_keys) & set(b.band_keys):
        return False
    return similarity(a, b) >= threshold


Pairs = list[tuple[str, Fingerprint, Fingerprint]]


def build_pairs(articles: list[dict[str, str]], rng: random.Random) -> tuple[Pairs, Pairs]:
    """(kind, fingerprint, fingerprint) positive and negative pairs."""
    originals = {a["id"]: fingerprint(a["text"]) for a in articles}
    positives: Pairs = []
    negatives: Pairs = []
    for article in articles:
        for kind in EDITS:
            other = rng.choice([a for a in articles if a["id"] != article["id"]])
            text, source_id = edited(kind, article, other, rng)
            copy = fingerprint(text)
            positives.append((kind, originals[article["id"]], copy))
            if source_id:
                negatives.append(("copy vs paragraph source", originals[source_id], copy))
    for first, second in combinations(articles, 2):
        same_category = first.get("category") == second.get("category")
        kind = (
            "BBC same category"
            if first["id"].startswith("bbc") and same_category
            else "different articles"
        )
        negatives.append((kind, originals[first["id"]], originals[second["id"]]))
    return positives, negatives


def print_summary(positives: Pairs, negatives: Pairs, bands: bool) -> None:
    print("| threshold | TP | FN | FP | precision | recall | F1 |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for threshold in THRESHOLDS:
        tp = sum(detected(a, b, threshold, bands) for _, a, b in positives)
        fp = sum(detected(a, b, threshold, bands) for _, a, b in negatives)
        fn = len(positives) - tp
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / len(positives)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        mark = " (default)" if threshold == DEFAULT_THRESHOLD else ""
        print(
            f"| {threshold:.1f}{mark} | {tp} | {fn} | {fp} | {precision:.3f} | {recall:.3f} "
            f"| {f1:.3f} |"
        )


def print_breakdown(positives: Pairs, negatives: Pairs, bands: bool) -> None:
    header = " | ".join(f"{t:.1f}" for t in THRESHOLDS)
    print("\nRecall per edit at each threshold:\n")
    print(f"| edit | n | {header} |")
    print("|---|---:|" + "---:|" * len(THRESHOLDS))
    for kind in EDITS:
        pairs = [(a, b) for k, a, b in positives if k == kind]
        cells = [
            f"{sum(detected(a, b, t, bands) for a, b in pairs) / len(pairs):.3f}"
            for t in THRESHOLDS
        ]
        print(f"| {kind} | {len(pairs)} | " + " | ".join(cells) + " |")

    print("\nNegatives: highest estimated similarity, false positives at each threshold:\n")
    print(f"| negatives | n | max similarity | {header} |")
    print("|---|---:|---:|" + "---:|" * len(THRESHOLDS))
    for kind, count in Counter(kind for kind, _, _ in negatives).items():
        pairs = [(a, b) for k, a, b in negatives if k == kind]
        top = max(similarity(a, b) for a, b in pairs)
        cells = [str(sum(detected(a, b, t, bands) for a, b in pairs)) for t in THRESHOLDS]
        print(f"| {kind} | {count} | {top:.3f} | " + " | ".join(cells) + " |")


VOLUME_FILES = (
    "cnndm-dev.jsonl", "cnndm-places-dev.jsonl", "cnndm-topics-dev.jsonl",
    "conflict-topics-dev.jsonl", "summarization-dev.jsonl", "topics-dev.jsonl",
)  # fmt: skip
MEMBER_BYTES = 470
BAND_ITEM_BYTES = 40


def print_volume(data_dir: Path) -> None:
    texts: list[str] = []
    for name in VOLUME_FILES:
        path = data_dir / name
        if path.exists():
            with path.open(encoding="utf-8") as handle:
                texts += [json.loads(line).get("text") or "" for line in handle if line.strip()]
    prints = [fp for fp in map(fingerprint, dict.fromkeys(t for t in texts if t)) if fp.comparable]
    print(f"\nBand items at volume: {len(prints)} texts of the data files stored in order\n")
    print("| bands | write units per article | joins per article | largest band (members) |")
    print("|---|---:|---:|---:|")
    for bands, rows in ((BANDS, ROWS), (6, 2)):
        members: Counter[tuple[int, tuple[int, ...]]] = Counter()
        units = joins = 0
        for fp in prints:
            for band in range(bands):
                key = (band, fp.signature[band * rows : (band + 1) * rows])
                count = members[key]
                if count >= MAX_BAND_MEMBERS:
                    continue
                size = BAND_ITEM_BYTES + MEMBER_BYTES * (count + 1)
                units += -(-size // 1024)
                joins += count > 0
                members[key] = count + 1
        mark = " (the service's)" if (bands, rows) == (BANDS, ROWS) else ""
        print(
            f"| {bands} of {rows}{mark} | {units / len(prints):.2f} | {joins / len(prints):.3f} "
            f"| {max(members.values())} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    default_data = next(
        (
            up / "shared" / "data"
            for up in Path(__file__).resolve().parents
            if (up / "shared" / "data").is_dir()
        ),
        Path(__file__).resolve().parents[2] / "shared" / "data",
    )
    parser.add_argument("--data-dir", type=Path, default=default_data)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-bands", action="store_true", help="ignore the band lookup")
    args = parser.parse_args(argv)
    if not (args.data_dir / DATA_FILES[0]).exists():
        print(f"no evaluation data in {args.data_dir}", file=sys.stderr)
        return 2
    articles = load_articles(args.data_dir)
    started = time.perf_counter()
    for article in articles[:50]:
        fingerprint(article["text"])
    fingerprint_ms = (time.perf_counter() - started) * 1000 / 50
    positives, negatives = build_pairs(articles, random.Random(args.seed))
    bands = not args.no_bands
    print(
        f"{len(articles)} articles, {len(positives)} positive pairs, {len(negatives)} negative "
        f"pairs; fingerprint {fingerprint_ms:.1f} ms/article; band lookup "
        f"{'on' if bands else 'off'}; seed {args.seed}\n"
    )
    print_summary(positives, negatives, bands)
    print_breakdown(positives, negatives, bands)
    print_volume(args.data_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
