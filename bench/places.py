"""Places benchmark: country quality on both halves of cnndm-places-dev, and what the place data
costs (zip size, cold start, time per article).

Quality: ``newswatch eval places`` (the deployed pipeline) on the fixed split's fit half (tuned
on) and untouched half (quoted), next to a names-only baseline (a country counts when its ISO
name appears anywhere). Cost: the gazetteer file and the module zipped as in the layer; the
import of newswatch.domain.places and the first detection (which reads the gazetteer), each in
a fresh interpreter against a bare ``import boto3`` in the same run (medians); whether importing
the ingest handler loads the place data (it must not); detection time per article against the
topic tagger's on the same articles.

    .venv/bin/python bench/places.py [--data-dir ../shared/data] [--out bench/out] [--quick]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FILE = "cnndm-places-dev.jsonl"


def names_baseline(rows: Sequence[dict[str, Any]]) -> list[set[str]]:
    """A country whenever its ISO short name occurs in the text."""
    from newswatch.domain.places import load_gazetteer

    countries = load_gazetteer().countries
    patterns = {code: re.compile(rf"\b{re.escape(name)}\b") for code, name in countries.items()}
    return [{code for code, p in patterns.items() if p.search(str(r["text"]))} for r in rows]


def quality(path: Path) -> dict[str, Any]:
    from newswatch.composition import build_analyzer
    from newswatch_tools.evaluation import HALVES, read_jsonl
    from newswatch_tools.evaluation_places import (
        evaluate_places,
        gold_countries,
        score_places,
        split_half,
    )

    rows = read_jsonl(path, ("text", "countries"))
    pipeline = build_analyzer()
    result: dict[str, Any] = {"file": path.name, "rows": len(rows)}
    for name, half in zip(HALVES, split_half(rows), strict=True):
        ours = evaluate_places(half, pipeline).as_json()
        baseline = score_places([gold_countries(r) for r in half], names_baseline(half)).as_json()
        result[name] = {"rows": len(half), "detector": ours, "names_baseline": baseline}
    return result


def _median_seconds(code: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
        )
        times.append(float(done.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


_TIMED = "import time; t = time.perf_counter(); {body}; print(time.perf_counter() - t)"


def cold_start(repeat: int) -> dict[str, Any]:
    boto3 = _median_seconds(_TIMED.format(body="import boto3"), repeat)
    # What the first record adds: the handler has imported boto3, the pipeline builds the rest.
    module = _median_seconds(
        "import boto3, newswatch.analyzer; " + _TIMED.format(body="import newswatch.domain.places"),
        repeat,
    )
    first = _median_seconds(
        "from newswatch.domain.places import PlaceDetector; import time; "
        "d = PlaceDetector(); t = time.perf_counter(); "
        "d.detect(['Fighting resumed in Sudan.']); print(time.perf_counter() - t)",
        repeat,
    )
    handler = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.path.insert(0, 'functions/ingest'); import app; "
            "print('newswatch.domain.places' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
    ).stdout.strip()
    return {
        "repeat": repeat,
        "boto3_import_ms": round(1000 * boto3, 1),
        "places_import_ms": round(1000 * module, 1),
        "first_detection_ms": round(1000 * first, 1),
        "first_detection_vs_boto3": round(first / boto3, 3),
        "handler_import_loads_places": handler == "True",
    }


def size() -> dict[str, Any]:
    package = REPO / "layers/core/newswatch/domain"
    files = [package / "places.tsv", package / "places.py"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for f in files:
            archive.write(f, f.name)
    return {
        "files": [str(f.relative_to(REPO)) for f in files],
        "unzipped_bytes": sum(f.stat().st_size for f in files),
        "zipped_bytes": len(buffer.getvalue()),
    }


def per_article(path: Path, rounds: int) -> dict[str, Any]:
    from newswatch.domain.places import PlaceDetector
    from newswatch.domain.sentences import split_sentences
    from newswatch.domain.tagger import PatternTagger
    from newswatch_tools.evaluation import read_jsonl

    articles = [split_sentences(str(r["text"])) for r in read_jsonl(path, ("text",))]
    detector, tagger = PlaceDetector(), PatternTagger()
    detector.detect(articles[0])
    tagger.tag(articles[0])
    best = {"places": float("inf"), "tagger": float("inf")}
    for _ in range(rounds):  # interleaved, best of rounds: the machine is shared
        for name, run in (("places", detector.detect), ("tagger", tagger.tag)):
            started = time.perf_counter()
            for sentences in articles:
                run(sentences)
            best[name] = min(best[name], time.perf_counter() - started)
    n = len(articles)
    return {
        "articles": n,
        "places_ms_per_article": round(1000 * best["places"] / n, 3),
        "tagger_ms_per_article": round(1000 * best["tagger"] / n, 3),
        "places_vs_tagger": round(best["places"] / best["tagger"], 2),
    }


def markdown(report: dict[str, Any]) -> str:
    q, cold, zipped, speed = (
        report["quality"],
        report["cold_start"],
        report["size"],
        report["speed"],
    )
    lines = [
        "# Places",
        "",
        f"`{report['command']}`; data: ../shared/data/{q['file']} ({q['rows']} rows), split by "
        "`newswatch_tools.evaluation_places.split_half` (fixed seed). Tuned on the fit half only; "
        "the untouched half is the figure to quote. Same numbers: "
        f"`newswatch eval places ../shared/data/{q['file']} --half untouched`.",
        "",
        "| half | rows | detector P | R | F1 | names-only P | R | F1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for half in ("fit", "untouched"):
        ours, base = q[half]["detector"]["micro"], q[half]["names_baseline"]["micro"]
        lines.append(
            f"| {half} | {q[half]['rows']} | {ours['p']:.3f} | {ours['r']:.3f} | {ours['f1']:.3f} "
            f"| {base['p']:.3f} | {base['r']:.3f} | {base['f1']:.3f} |"
        )
    lines += [
        "",
        "| cost | measured |",
        "|---|---|",
        f"| place data in the layer ({', '.join(zipped['files'])}) | "
        f"{zipped['unzipped_bytes'] / 1e6:.2f} MB unzipped, {zipped['zipped_bytes'] / 1e6:.2f} MB "
        "zipped |",
        "| import newswatch.domain.places after boto3 and newswatch.analyzer (fresh interpreter, "
        f"median of {cold['repeat']}) | "
        f"{cold['places_import_ms']} ms (bare `import boto3`: {cold['boto3_import_ms']} ms) |",
        f"| first detection, gazetteer read included | {cold['first_detection_ms']} ms "
        f"({cold['first_detection_vs_boto3']}x `import boto3`) |",
        f"| ingest handler import loads the place data | {cold['handler_import_loads_places']} |",
        f"| detection per article ({speed['articles']} articles, best of rounds) | "
        f"{speed['places_ms_per_article']} ms ({speed['places_vs_tagger']}x the topic tagger's "
        f"{speed['tagger_ms_per_article']} ms) |",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    path = args.data_dir / FILE
    if not path.exists():
        print(f"no {FILE} in {args.data_dir}", file=sys.stderr)
        return 2
    report = {
        "command": "python bench/places.py " + " ".join(argv or sys.argv[1:]),
        "quality": quality(path),
        "cold_start": cold_start(3 if args.quick else 7),
        "size": size(),
        "speed": per_article(path, 2 if args.quick else 5),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "places.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    text = markdown(report)
    (args.out / "places.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
