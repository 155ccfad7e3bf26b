"""The transformers engine next to the default one: latency, peak memory and topic quality.

- Latency and peak memory: each engine runs in its own fresh process (so ru_maxrss is its own),
  builds its analyzer with ``newswatch.composition.build_analyzer`` (model loading timed
  separately) and runs ``Analyzer.analyze_document`` on the first N cnndm-dev articles, one at a
  time, on CPU with a fixed number of torch threads. Reported: setup time, per-article median and
  p95, the ratio to the extractive engine's median measured in the same run, and peak RSS.
  Models: no checkpoint can be downloaded here, so the transformers engine runs (a) the tiny
  random BART of the tests and (b) a random-weight model with distilbart-cnn-12-6's exact
  architecture (12+6 layers, d_model 1024, 50k vocabulary, 1,024-token input): same parameter
  count and FLOPs per token as the real checkpoint, so its latency and memory are what the real
  model costs, except that random weights never stop early (every summary runs to max_length:
  an upper bound). ``--model-dir DIR`` adds a real checkpoint when you have one.
  The semantic and hybrid taggers are timed the same way (MiniLM embeddings of every sentence).
- Topic F1: ``newswatch_tools.evaluation.evaluate_topics`` (the pipeline, as deployed; P/R/F1
  per gold label, macro-F1 over the labels present in the file) for the pattern, semantic and hybrid
  taggers on topics-dev.jsonl and conflict-topics-dev.jsonl. The semantic scores are computed once
  and shared by the semantic and hybrid runs.

Writes bench/out/ml.json and bench/out/ml.md.

    .venv/bin/python bench/ml.py [--articles 5] [--threads 1] [--only latency,topics]
                                 [--model-dir DIR] [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "bench" / "out"
SEED = REPO / "seeds" / "jeddah-ceasefire-talks.txt"
TOPIC_FILES = ("topics-dev.jsonl", "conflict-topics-dev.jsonl")
LATENCY_FILE = "cnndm-dev.jsonl"
TAGGERS = ("pattern", "semantic", "hybrid")

# Random-weight checkpoints built locally (newswatch.engines.tiny), by name.
RANDOM_MODELS: dict[str, dict[str, Any]] = {
    "tiny-random-bart": {"max_positions": 64, "d_model": 16, "layers": 1},
    "distilbart-cnn-12-6-shape": {
        "max_positions": 1024,
        "d_model": 1024,
        "layers": 12,
        "decoder_layers": 6,
        "heads": 16,
        "ffn_dim": 4096,
        "vocab_size": 50264,
    },
}


# -- child: one engine in a fresh process ------------------------------------------------------


def run_child(kind: str, model_dir: str | None, data_dir: Path, articles: int) -> dict[str, Any]:
    started = time.perf_counter()
    from newswatch.composition import build_analyzer
    from newswatch_tools.evaluation import read_jsonl, row_document

    if kind == "extractive":
        pipeline = build_analyzer()
    elif kind == "transformers":
        pipeline = build_analyzer(engine="transformers", model_dir=model_dir)
        pipeline.summarizer.primary.load()  # type: ignore[attr-defined]
    else:
        pipeline = build_analyzer(tagger=kind)
        pipeline.tagger.tag(["Warm-up: load the embedding model and the topic prototypes."])
    setup_s = time.perf_counter() - started

    rows = read_jsonl(data_dir / LATENCY_FILE, required=("text",))[:articles]
    latencies: list[float] = []
    engines: set[str] = set()
    words = 0
    for row in rows:
        document = row_document(row)
        t0 = time.perf_counter()
        analysis = pipeline.analyze_document(document)
        latencies.append(time.perf_counter() - t0)
        engines.add(analysis.summary.engine)
        words += analysis.word_count
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "kind": kind,
        "model_dir": model_dir,
        "setup_s": round(setup_s, 3),
        "articles": len(latencies),
        "mean_words": round(words / max(len(latencies), 1)),
        "latency_s": [round(x, 4) for x in latencies],
        "median_s": round(statistics.median(latencies), 4),
        "p95_s": round(_p95(latencies), 4),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "summary_engines": sorted(engines),
        # Other work on the machine slows every row; the 1-minute load average says how much.
        "load_average": round(os.getloadavg()[0], 2),
    }


def _p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def spawn(
    kind: str, model_dir: Path | None, data_dir: Path, articles: int, threads: int
) -> dict[str, Any]:
    env = {
        **os.environ,
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    command = [
        sys.executable,
        __file__,
        "--child",
        kind,
        "--data-dir",
        str(data_dir),
        "--articles",
        str(articles),
    ]
    if model_dir is not None:
        command += ["--model-dir", str(model_dir)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{kind} child failed:\n{result.stderr[-4000:]}")
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def random_model(name: str, out: Path) -> Path:
    from newswatch.engines.tiny import build_tiny_seq2seq

    directory = out / "models" / name
    if not (directory / "config.json").is_file():
        corpus = SEED.read_text(encoding="utf-8")
        build_tiny_seq2seq(directory, corpus, name=name, **RANDOM_MODELS[name])
    return directory


def latency_section(
    data_dir: Path, out: Path, articles: int, threads: int, model_dir: Path | None
) -> dict[str, Any]:
    runs: list[dict[str, Any]] = []
    baseline = spawn("extractive", None, data_dir, articles, threads)
    baseline["label"] = "extractive (default)"
    runs.append(baseline)
    models = [(name, random_model(name, out)) for name in RANDOM_MODELS]
    if model_dir is not None:
        models.append((model_dir.name, model_dir))
    for name, directory in models:
        print(f"latency: transformers {name} ...", file=sys.stderr)
        run = spawn("transformers", directory, data_dir, articles, threads)
        run["label"] = f"transformers: {name}"
        runs.append(run)
    for tagger in ("semantic", "hybrid"):
        print(f"latency: {tagger} tagger ...", file=sys.stderr)
        run = spawn(tagger, None, data_dir, articles, threads)
        run["label"] = f"{tagger} tagger (extractive summary)"
        runs.append(run)
    for run in runs:
        run["median_vs_extractive"] = round(run["median_s"] / baseline["median_s"], 1)
    return {"threads": threads, "file": LATENCY_FILE, "runs": runs}


# -- topics ------------------------------------------------------------------------------------


def topics_section(data_dir: Path) -> dict[str, Any]:
    import torch

    from newswatch.composition import build_analyzer
    from newswatch.domain.tagger import PatternTagger
    from newswatch.domain.taxonomy import load_taxonomy
    from newswatch.engines.semantic import HybridTagger, SemanticTagger, SentenceEncoder
    from newswatch_tools.evaluation import evaluate_topics, read_jsonl

    class CachedEncoder(SentenceEncoder):
        """Each distinct sentence is embedded once for the semantic and the hybrid runs."""

        def __init__(self) -> None:
            super().__init__()
            self.cache: dict[str, Any] = {}

        def encode(self, texts: Sequence[str]) -> Any:
            missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
            if missing:
                for text, vector in zip(missing, super().encode(missing), strict=True):
                    self.cache[text] = vector
            if not texts:
                return super().encode([])
            return torch.stack([self.cache[t] for t in texts])

        def prime(self, texts: Sequence[str]) -> None:
            # Length-sorted batches pad little: one pass over a file instead of one per row.
            missing = sorted({t for t in texts if t not in self.cache}, key=len)
            for start in range(0, len(missing), 64):
                self.encode(missing[start : start + 64])

    from newswatch.domain.sentences import split_sentences

    taxonomy = load_taxonomy()
    encoder = CachedEncoder()
    semantic = SemanticTagger(taxonomy, encoder=encoder)
    taggers = {
        "pattern": PatternTagger(taxonomy),
        "semantic": semantic,
        "hybrid": HybridTagger(PatternTagger(taxonomy), semantic),
    }
    results: dict[str, Any] = {}
    for name in TOPIC_FILES:
        path = data_dir / name
        rows = read_jsonl(path, required=("text", "project_topics"))
        started = time.perf_counter()
        encoder.prime([s.strip() for row in rows for s in split_sentences(str(row["text"]))])
        embed_s = time.perf_counter() - started
        per_tagger: dict[str, Any] = {"embedding_seconds": round(embed_s, 1)}
        for label, tagger in taggers.items():
            pipeline = build_analyzer()
            pipeline.tagger = tagger
            started = time.perf_counter()
            scores = evaluate_topics(rows, pipeline)
            per_tagger[label] = {
                **scores.as_json(),
                "seconds": round(time.perf_counter() - started, 1),
            }
            print(f"topics: {name} {label} macro-F1 {scores.macro_f1:.3f}", file=sys.stderr)
        results[name] = per_tagger
    return results


# -- report ------------------------------------------------------------------------------------


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Transformers engine benchmark",
        "",
        f"{report['generated']} · Python {report['python']} · {report['machine']} · "
        f"`{report['command']}`",
        "",
    ]
    latency = report.get("latency")
    if latency:
        lines += [
            f"## Latency and peak memory ({latency['file']}, first "
            f"{latency['runs'][0]['articles']} articles, "
            f"{latency['runs'][0]['mean_words']} words on average; torch threads: "
            f"{latency['threads']})",
            "",
            "Each row is a fresh process: setup = imports + pipeline + model load; per article = "
            "`Analyzer.analyze_document` (segment, language, summarize, tag); load = the "
            "machine's 1-minute load average when the run ended (other work slows every row).",
            "",
            "| engine | setup s | median s/article | p95 s | x extractive | peak RSS MB | load |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for run in latency["runs"]:
            lines.append(
                f"| {run['label']} | {run['setup_s']:.2f} | {run['median_s']:.3f} | "
                f"{run['p95_s']:.3f} | {run['median_vs_extractive']} | {run['peak_rss_mb']:.0f} | "
                f"{run.get('load_average', '')} |"
            )
        lines += [
            "",
            "The distilbart-cnn-12-6-shaped model has the real checkpoint's architecture with "
            "random weights: the same memory and compute per token, but it never ends a summary "
            "early, so its latency is the upper bound for max_length 142 with 4 beams. The tiny "
            "model takes only 64 input tokens, so each article becomes a dozen chunks and two or "
            "three reduce passes: its row exercises the map-reduce path, it is no model's cost.",
            "",
        ]
    topics = report.get("topics")
    if topics:
        lines += [
            "## Topic quality (macro-F1 over the labels present in each file)",
            "",
            "| file | pattern | semantic | hybrid | hybrid >= pattern |",
            "|---|---:|---:|---:|:---:|",
        ]
        for name, per in topics.items():
            p, s, h = (per[t]["macro_f1"] for t in TAGGERS)
            lines.append(f"| {name} | {p:.3f} | {s:.3f} | {h:.3f} | {'yes' if h >= p else 'NO'} |")
        for name, per in topics.items():
            lines += [
                "",
                f"### {name}: F1 per topic (precision / recall)",
                "",
                "| topic | support | pattern | semantic | hybrid |",
                "|---|---:|---:|---:|---:|",
            ]
            for label, score in per["pattern"]["topics"].items():
                cells = [
                    f"{per[t]['topics'][label]['f1']:.2f} "
                    f"({per[t]['topics'][label]['p']:.2f} / {per[t]['topics'][label]['r']:.2f})"
                    for t in TAGGERS
                ]
                lines.append(f"| {label} | {score['support']} | " + " | ".join(cells) + " |")
        lines += [
            "",
            "The semantic tagger's cosine calibration and the hybrid's weights were chosen on "
            "these same dev files, so these figures are optimistic for them; the held-out halves "
            "are the fair test.",
        ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--articles", type=int, default=5, help="cnndm-dev articles timed")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--model-dir", type=Path, help="also time a real local checkpoint")
    parser.add_argument("--only", default="latency,topics", help="latency, topics or both")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--render", type=Path, help="rewrite the .md of an existing ml*.json")
    args = parser.parse_args(argv)

    if args.render:
        report = json.loads(args.render.read_text(encoding="utf-8"))
        args.render.with_suffix(".md").write_text(markdown(report))
        return 0

    if args.child:
        if args.threads:
            import torch

            torch.set_num_threads(args.threads)
        model_dir = str(args.model_dir) if args.model_dir else None
        print(json.dumps(run_child(args.child, model_dir, args.data_dir, args.articles)))
        return 0

    if not args.data_dir.is_dir():
        print(f"no evaluation data in {args.data_dir}", file=sys.stderr)
        return 2
    sections = {s.strip() for s in args.only.split(",") if s.strip()}
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "command": "python bench/ml.py " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    if "latency" in sections:
        report["latency"] = latency_section(
            args.data_dir, args.out, args.articles, args.threads, args.model_dir
        )
    if "topics" in sections:
        import torch

        torch.set_num_threads(args.threads)
        report["topics"] = topics_section(args.data_dir)
    suffix = "" if sections == {"latency", "topics"} else "-" + "-".join(sorted(sections))
    (args.out / f"ml{suffix}.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / f"ml{suffix}.md").write_text(markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
