"""Speed, throughput: ``Analyzer.analyze_bytes`` against sumy LexRank on the same cnndm-dev texts,
alternating, in a child process pinned to one CPU (this script is that child), plus the
pipeline's stages timed one by one.

    .venv/bin/python bench/speed_throughput.py [--repeats 5] [--limit N]   # the child alone
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from speed_env import REPO
from speed_stats import TARGETS, last_json_line, median, met

DEFAULT_DATA = REPO.parent / "shared" / "data"


def throughput_child(data_dir: Path, repeats: int, limit: int | None) -> dict[str, Any]:
    """Runs in a process pinned to one CPU: ours and LexRank alternating over the same texts."""
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    from quality import sumy_summarizer  # bench/quality.py, beside this script

    from newswatch.composition import build_analyzer
    from newswatch.domain.language import detect_language
    from newswatch.domain.sentences import split_sentences
    from newswatch.domain.summarize import lead_sentences
    from newswatch.extract import extract_document
    from newswatch_tools.evaluation import read_jsonl

    rows = read_jsonl(data_dir / "cnndm-dev.jsonl", ("text",))[:limit]
    texts = [str(row["text"]) for row in rows]
    blobs = [text.encode("utf-8") for text in texts]
    analyzer = build_analyzer()
    length = analyzer.options.length
    lexrank = sumy_summarizer("lexrank")
    textrank = sumy_summarizer("textrank")
    # One article through each engine. "pipeline" is what the Lambda runs; the others are
    # summarizers alone (segmentation + summary, or sumy's parse + summary) for the chart.
    engines: dict[str, Callable[[bytes, str], object]] = {
        "pipeline": lambda blob, _: analyzer.analyze_bytes(blob, "article.txt", "text/plain"),
        "lexrank": lambda _, text: lexrank(text, 3),
        "extractive": lambda _, text: analyzer.summarizer.summarize(
            split_sentences(text), length, title=None
        ),
        "lead3": lambda _, text: lead_sentences(split_sentences(text), 3),
        "textrank": lambda _, text: textrank(text, 3),
    }
    for blob, text in zip(blobs[:5], texts[:5], strict=True):  # warm caches and lazy imports
        for run in engines.values():
            run(blob, text)

    speeds: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(repeats):
        for name, run in engines.items():
            started = time.perf_counter()
            for blob, text in zip(blobs, texts, strict=True):
                run(blob, text)
            speeds[name].append(len(blobs) / (time.perf_counter() - started))

    # Where our time goes: the pipeline's stages timed one by one over the same articles.
    stages = dict.fromkeys(("extract", "segment", "language", "summarize", "tag"), 0.0)
    for blob in blobs:
        t0 = time.perf_counter()
        document = extract_document(
            blob, "article.txt", "text/plain", max_bytes=analyzer.options.max_bytes
        )
        t1 = time.perf_counter()
        sentences = split_sentences(document.text)
        t2 = time.perf_counter()
        detect_language(document.text)
        t3 = time.perf_counter()
        analyzer.summarizer.summarize(sentences, length, title=document.title)
        t4 = time.perf_counter()
        analyzer.tagger.tag(sentences, title=document.title)
        t5 = time.perf_counter()
        for stage, seconds in zip(
            stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True
        ):
            stages[stage] += seconds
    return {
        "cpu": cpu,
        "affinity": sorted(os.sched_getaffinity(0)),
        "articles": len(blobs),
        "mean_words": round(sum(len(t.split()) for t in texts) / max(len(texts), 1), 1),
        "articles_per_s": {k: [round(v, 2) for v in runs] for k, runs in speeds.items()},
        "stage_ms_per_article": {k: round(1000 * v / len(blobs), 3) for k, v in stages.items()},
    }


def bench_throughput(data_dir: Path, repeats: int, limit: int | None) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--data-dir",
            str(data_dir),
            "--repeats",
            str(repeats),
            *(["--limit", str(limit)] if limit else []),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"throughput child failed: {done.stderr.strip()[-2000:]}")
    result = last_json_line(done.stdout)
    runs = result["articles_per_s"]
    ours, peer = median(runs["pipeline"]), median(runs["lexrank"])
    pairwise = [a / b for a, b in zip(runs["pipeline"], runs["lexrank"], strict=True)]
    result.update(
        {
            "repeats": repeats,
            "medians": {name: round(median(values), 2) for name, values in runs.items()},
            "ratio": round(ours / peer, 2),
            "ratio_pairwise_median": round(median(pairwise), 2),
            "target": TARGETS["throughput_ratio"],
        }
    )
    result["verdict"] = met(result["ratio"], TARGETS["throughput_ratio"])
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    print(json.dumps(throughput_child(args.data_dir, args.repeats, args.limit)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
