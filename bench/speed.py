"""Speed benchmark: throughput on one core, cold import, peak memory, package size, end to end.

Every figure is a ratio against a baseline measured in the same run, or a median of several runs:

- throughput: ``Analyzer.analyze_bytes`` (extract + segment + language + summarize + tag, built
  by ``newswatch.composition.build_analyzer()``) on every cnndm-dev article as .txt bytes, next to
  sumy LexRank (3 sentences, bench/quality.py's NLTK-free tokenizer) on the same texts,
  alternating, in one child process pinned to one CPU; articles/s are medians over the repetitions;
- cold start: importing functions/ingest/app.py as Lambda does (``import app`` with the function
  folder on sys.path and the template's environment) in a fresh interpreter, next to a bare
  ``import boto3`` in a fresh interpreter, alternating; medians; plus the heavy modules the import
  leaves unloaded;
- peak memory: ru_maxrss of a fresh process that imports the handler and runs one SQS-shaped
  ingest of the seed article against a moto server (in this process, so the emulator's memory is
  not counted), next to a fresh interpreter that only imports boto3;
- package size: the layer built like ``sam build`` (pip for the template's architecture and
  Python 3.12, binary wheels only, no bytecode; cached under bench/out/package/) plus
  layers/core/newswatch and functions/ingest, unzipped, per distribution, without the AWS SDK the
  Lambda runtime already has;
- end to end: N uploads to the local stack (newswatch_tools.local), articles per minute from the
  first upload to the last stored item, and per-article upload -> stored and upload -> alert
  latencies (median, p95) from the items' processed_at/alerted_at and the subscriber's delivery
  timestamps.

Writes bench/out/speed.json and bench/out/speed.md.

    .venv/bin/python bench/speed.py [--quick] [--only throughput,cold,memory,package,e2e]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_OUT = BENCH / "out"
SEED = REPO / "seeds" / "jeddah-ceasefire-talks.txt"
SECTIONS = ("throughput", "cold", "memory", "package", "e2e")
# Imported only when a format or engine needs them; the handler's import must not load them.
HEAVY_MODULES = ("trafilatura", "pypdf", "docx", "torch", "transformers", "langdetect")
# The Lambda Python runtime ships these; a layer does not need to carry them.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath")
TARGETS = {
    "throughput_ratio": 10.0,  # at least, ours / LexRank articles per second
    "cold_import_ratio": 1.3,  # at most, handler import / bare boto3 import
    "package_mb": 15.0,  # at most, unzipped, without boto3
    "shipped_layer_mb": 40.0,  # at most: the layer `sam build` makes, unzipped (issue 15)
}
# A trace header as Lambda sets it with Tracing: Active (not sampled: no segments are sent).
TRACE_HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"


# -- small helpers (unit tested) ------------------------------------------------------------------


def median(values: Iterable[float]) -> float:
    data = list(values)
    if not data:
        raise ValueError("median of no values")
    return float(statistics.median(data))


def percentile(values: Iterable[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between the closest ranks."""
    data = sorted(values)
    if not data:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"q must be between 0 and 100, got {q}")
    position = (len(data) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return data[low] + (data[high] - data[low]) * (position - low)


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def epoch(timestamp: str) -> float:
    """Seconds since the epoch of an ISO-8601 timestamp ('Z' or an offset; naive means UTC)."""
    moment = datetime.fromisoformat(timestamp.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        from datetime import UTC

        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def met(value: float | None, target: float, at_most: bool = False) -> str:
    if value is None:
        return "not measured"
    return "met" if (value <= target if at_most else value >= target) else "not met"


def distribution_sizes(site: Path) -> dict[str, int]:
    """Bytes on disk per installed distribution in a ``pip install -t`` folder, from each
    ``*.dist-info/RECORD``; files no RECORD lists are counted under ``(unlisted)``."""
    sizes: dict[str, int] = {}
    listed: set[Path] = set()
    for record in sorted(site.glob("*.dist-info/RECORD")):
        name = record.parent.name.split("-")[0].lower().replace("_", "-")
        total = 0
        for line in record.read_text(encoding="utf-8").splitlines():
            relative = line.rsplit(",", 2)[0] if line.count(",") >= 2 else line
            path = (site / relative).resolve()
            if relative and path.is_file() and path not in listed:
                listed.add(path)
                total += path.stat().st_size
        sizes[name] = sizes.get(name, 0) + total
    unlisted = sum(
        p.stat().st_size for p in site.rglob("*") if p.is_file() and p.resolve() not in listed
    )
    if unlisted:
        sizes["(unlisted)"] = unlisted
    return sizes


def _norm(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirement(text: str) -> tuple[str, set[str], str | None]:
    """(normalised name, extras, the extra its marker asks for or None) of a requirement line
    such as ``lxml[html_clean]>=4.4`` or ``cryptography>=43 ; extra == "crypto"``."""
    import re

    spec, _, marker = text.partition(";")
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?", spec)
    if match is None:
        raise ValueError(f"not a requirement: {text!r}")
    extras = {_norm(e) for e in (match.group(2) or "").split(",") if e.strip()}
    wanted = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
    return _norm(match.group(1)), extras, _norm(wanted.group(1)) if wanted else None


def dependency_graph(site: Path, direct: Sequence[str]) -> dict[str, set[str]]:
    """Installed distribution -> the installed distributions it requires, with the extras that
    were asked for (``direct`` requirement lines and requirements of requirements) and no others."""
    metadata = {
        _norm(m.parent.name.split("-")[0]): [
            line.split(":", 1)[1]
            for line in m.read_text(encoding="utf-8", errors="replace").splitlines()
            if line.startswith("Requires-Dist:")
        ]
        for m in sorted(site.glob("*.dist-info/METADATA"))
    }
    extras: dict[str, set[str]] = {name: set() for name in metadata}
    for line in direct:
        name, wanted, _ = parse_requirement(line)
        extras.setdefault(name, set()).update(wanted)
    graph: dict[str, set[str]] = {name: set() for name in metadata}
    changed = True
    while changed:
        changed = False
        for name, lines in metadata.items():
            for line in lines:
                child, child_extras, marker_extra = parse_requirement(line)
                if child not in metadata or child == name:
                    continue
                if marker_extra is not None and marker_extra not in extras[name]:
                    continue
                if child not in graph[name] or not child_extras <= extras[child]:
                    graph[name].add(child)
                    extras[child].update(child_extras)
                    changed = True
    return graph


def reachable(graph: Mapping[str, set[str]], start: str) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for child in graph.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def exclusive_closure(graph: Mapping[str, set[str]], roots: Sequence[str]) -> dict[str, set[str]]:
    """Root -> the distributions only it brings in (what dropping that requirement removes)."""
    closures = {root: reachable(graph, root) for root in roots}
    return {
        root: closure - set().union(*(c for other, c in closures.items() if other != root))
        for root, closure in closures.items()
    }


def tree_size(folder: Path, skip: Sequence[str] = ("__pycache__",)) -> int:
    return sum(
        p.stat().st_size
        for p in folder.rglob("*")
        if p.is_file() and not any(part in skip for part in p.relative_to(folder).parts)
    )


def mb(size: float) -> float:
    return round(size / 1_000_000, 2)


def last_json_line(output: str) -> dict[str, Any]:
    """The last line of a child's stdout that is a JSON object (logs may precede it)."""
    for raw in reversed(output.strip().splitlines()):
        line = raw.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    raise ValueError("no JSON object in the child's output")


def summarize_latencies(seconds: Sequence[float]) -> dict[str, float | int]:
    if not seconds:
        return {"n": 0}
    return {
        "n": len(seconds),
        "median_s": round(median(seconds), 3),
        "p95_s": round(percentile(seconds, 95), 3),
        "max_s": round(max(seconds), 3),
    }


def load_bench_module(name: str) -> Any:
    """bench/<name>.py (the scripts are not a package), registered under ``bench_<name>``."""
    import importlib.util

    module_name = f"bench_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, BENCH / f"{name}.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load bench/{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


# -- environments ---------------------------------------------------------------------------------


def lambda_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without AWS/newswatch settings, plus what the template and the
    Lambda runtime set for IngestFunction (tracing active, dummy credentials)."""
    from newswatch_tools.local.spec import load_spec

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "NEWSWATCH_", "POWERTOOLS_", "_X_AMZN"))
    }
    env.update({k: v for k, v in load_spec(REPO).ingest.environment.items() if v})
    env.update(
        {
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_LAMBDA_FUNCTION_NAME": "newswatch-IngestFunction",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
            "LAMBDA_TASK_ROOT": str(REPO / "functions" / "ingest"),
            "_X_AMZN_TRACE_ID": TRACE_HEADER,
        }
    )
    env.update(extra or {})
    return env


def run_child(
    code: str, env: Mapping[str, str], timeout: float = 300
) -> tuple[dict[str, Any], float]:
    """Run ``python -c code`` in a fresh interpreter; its last JSON line and the wall time."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=dict(env),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"child failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return last_json_line(done.stdout), wall


# -- throughput -----------------------------------------------------------------------------------


def throughput_child(data_dir: Path, repeats: int, limit: int | None) -> dict[str, Any]:
    """Runs in a process pinned to one CPU: ours and LexRank alternating over the same texts."""
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    sumy_summarizer = load_bench_module("quality").sumy_summarizer
    from newswatch.composition import build_analyzer
    from newswatch.domain.language import detect_language
    from newswatch.domain.sentences import split_sentences
    from newswatch.domain.summarize import lead_sentences
    from newswatch.extract import extract_document
    from newswatch_tools.evaluation import read_jsonl

    rows = read_jsonl(data_dir / "cnndm-dev.jsonl", ("text",))[:limit]
    texts = [str(row["text"]) for row in rows]
    blobs = [text.encode("utf-8") for text in texts]
    pipeline = build_analyzer()
    length = pipeline.options.length
    lexrank = sumy_summarizer("lexrank")
    textrank = sumy_summarizer("textrank")
    # One article through each engine. "pipeline" is what the Lambda runs; the others are
    # summarizers alone (segmentation + summary, or sumy's parse + summary) for the chart.
    engines: dict[str, Callable[[bytes, str], object]] = {
        "pipeline": lambda blob, _: pipeline.analyze_bytes(blob, "article.txt", "text/plain"),
        "lexrank": lambda _, text: lexrank(text, 3),
        "extractive": lambda _, text: pipeline.summarizer.summarize(
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
            blob, "article.txt", "text/plain", max_bytes=pipeline.options.max_bytes
        )
        t1 = time.perf_counter()
        sentences = split_sentences(document.text)
        t2 = time.perf_counter()
        detect_language(document.text)
        t3 = time.perf_counter()
        pipeline.summarizer.summarize(sentences, length, title=document.title)
        t4 = time.perf_counter()
        pipeline.tagger.tag(sentences, title=document.title)
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
            "--child-throughput",
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


# -- cold start -----------------------------------------------------------------------------------

_COLD_HANDLER = """
import importlib, json, sys, time
sys.path.insert(0, {folder!r})
started = time.perf_counter()
importlib.import_module("app")
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "loaded": [m for m in {heavy!r} if m in sys.modules],
                   "modules": len(sys.modules)}}))
"""
_COLD_BOTO3 = """
import json, sys, time
started = time.perf_counter()
import boto3
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "loaded": [], "modules": len(sys.modules)}))
"""


def import_profile(env: Mapping[str, str], top: int = 12) -> list[dict[str, Any]]:
    """Where the handler import's time goes: self time summed per top-level package, from one
    ``python -X importtime`` run (indicative: one run, and -X importtime adds overhead)."""
    code = _COLD_HANDLER.format(folder=str(REPO / "functions" / "ingest"), heavy=HEAVY_MODULES)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        env=dict(env),
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    return importtime_by_package(done.stderr)[:top]


def importtime_by_package(stderr: str) -> list[dict[str, Any]]:
    """``-X importtime`` lines summed per top-level package (self time), biggest first."""
    totals: dict[str, int] = {}
    counts: dict[str, int] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) != 3 or not parts[0].isdigit():
            continue  # the header line
        package = parts[2].split(".")[0]
        totals[package] = totals.get(package, 0) + int(parts[0])
        counts[package] = counts.get(package, 0) + 1
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])
    return [
        {"package": name, "self_ms": round(us / 1000, 1), "modules": counts[name]}
        for name, us in ranked
    ]


def bench_cold(runs: int) -> dict[str, Any]:
    env = lambda_env()
    handler_code = _COLD_HANDLER.format(
        folder=str(REPO / "functions" / "ingest"), heavy=HEAVY_MODULES
    )
    # The same import with tracing off: how much of the cost is the X-Ray SDK's.
    untraced_env = {**env, "POWERTOOLS_TRACE_DISABLED": "true"}
    handler: list[float] = []
    baseline: list[float] = []
    untraced: list[float] = []
    handler_wall: list[float] = []
    baseline_wall: list[float] = []
    loaded: set[str] = set()
    modules = 0
    run_child(_COLD_BOTO3, env)  # one untimed round warms the OS file cache for both
    run_child(handler_code, env)
    for _ in range(runs):
        result, wall = run_child(_COLD_BOTO3, env)
        baseline.append(result["seconds"])
        baseline_wall.append(wall)
        result, wall = run_child(handler_code, env)
        handler.append(result["seconds"])
        handler_wall.append(wall)
        loaded.update(result["loaded"])
        modules = int(result["modules"])
        untraced.append(run_child(handler_code, untraced_env)[0]["seconds"])
    value = median(handler) / median(baseline)
    return {
        "runs": runs,
        "handler_import_ms": [round(1000 * s, 1) for s in handler],
        "boto3_import_ms": [round(1000 * s, 1) for s in baseline],
        "handler_median_ms": round(1000 * median(handler), 1),
        "boto3_median_ms": round(1000 * median(baseline), 1),
        "ratio": round(value, 2),
        "process_wall_ratio": round(median(handler_wall) / median(baseline_wall), 2),
        "untraced_median_ms": round(1000 * median(untraced), 1),
        "untraced_ratio": round(median(untraced) / median(baseline), 2),
        "handler_process_median_ms": round(1000 * median(handler_wall), 1),
        "boto3_process_median_ms": round(1000 * median(baseline_wall), 1),
        "heavy_loaded": sorted(loaded),
        "heavy_not_loaded": [m for m in HEAVY_MODULES if m not in loaded],
        "modules_after_import": modules,
        "top_imports": import_profile(env),
        "target": TARGETS["cold_import_ratio"],
        "verdict": met(value, TARGETS["cold_import_ratio"], at_most=True),
    }


# -- peak memory ----------------------------------------------------------------------------------

_MEMORY_HANDLER = """
import importlib, json, sys
sys.path.insert(0, {folder!r})
app = importlib.import_module("app")
response = app.lambda_handler(json.loads({event!r}))
{peak}
print(json.dumps({{"maxrss_kb": peak_kb(), "response": response}}))
"""
# Peak RSS of this process image. Linux keeps ru_maxrss across execve, so a child started from a
# big parent would report the parent's peak; VmHWM belongs to the new address space.
_PEAK_KB = """
def peak_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""
_MEMORY_BOTO3 = f"""
import json
import boto3
{_PEAK_KB}
print(json.dumps({{"maxrss_kb": peak_kb()}}))
"""
_MEMORY_BOTO3_CLIENTS = f"""
import json
import boto3
boto3.client("s3"), boto3.client("dynamodb")
{_PEAK_KB}
print(json.dumps({{"maxrss_kb": peak_kb()}}))
"""


def sqs_event(bucket: str, key: str, version_id: str | None, size: int) -> dict[str, Any]:
    """events/sqs-s3-put.json with its S3 notification pointed at the given object."""
    event: dict[str, Any] = json.loads((REPO / "events" / "sqs-s3-put.json").read_text())
    record = event["Records"][0]
    notification = json.loads(record["body"])
    s3 = notification["Records"][0]["s3"]
    s3["bucket"]["name"] = bucket
    s3["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
    s3["object"]["key"] = key
    s3["object"]["size"] = size
    if version_id:
        s3["object"]["versionId"] = version_id
    notification["Records"][0]["eventTime"] = datetime.now().astimezone().isoformat()
    record["body"] = json.dumps(notification)
    event["Records"] = [record]
    return event


def bench_memory(runs: int) -> dict[str, Any]:
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    from newswatch_tools.local.spec import load_spec

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    try:
        env = lambda_env({"AWS_ENDPOINT_URL": endpoint})
        spec = load_spec(REPO)
        # Names of our own: moto's backends are per process, and the e2e section's local stack
        # later creates the template's names in this same process.
        bucket = "newswatch-bench-articles"

        def client(name: str) -> Any:
            return boto3.client(
                name,  # type: ignore[call-overload]
                endpoint_url=endpoint,
                region_name="us-east-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )

        s3 = client("s3")
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        env["NEWSWATCH_TOPIC_ARN"] = client("sns").create_topic(Name="newswatch-bench-alerts")[
            "TopicArn"
        ]
        body = SEED.read_bytes()
        handler_kb: list[int] = []
        responses: list[Any] = []
        stored: list[str | None] = []
        for index in range(runs):
            # A table per run: in a shared one the same seed would be a duplicate the second
            # time, a shorter path than the full analysis measured here.
            table = f"newswatch-bench-memory-{index}"
            client("dynamodb").create_table(**dict(spec.table, TableName=table))
            key = f"bench/{index}-{SEED.name}"
            version = s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/plain")
            event = sqs_event(bucket, key, version.get("VersionId"), len(body))
            code = _MEMORY_HANDLER.format(
                folder=str(REPO / "functions" / "ingest"), event=json.dumps(event), peak=_PEAK_KB
            )
            result, _ = run_child(code, {**env, "NEWSWATCH_TABLE": table})
            handler_kb.append(int(result["maxrss_kb"]))
            responses.append(result["response"])
            stored += [
                item.get("status", {}).get("S")
                for item in client("dynamodb").scan(TableName=table)["Items"]
                if item.get("type", {}).get("S") == "article"
            ]
    finally:
        # Leave moto's in-process state empty for the sections that follow.
        import urllib.request

        reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(reset, timeout=10).close()
        server.stop()
    boto3_kb = [int(run_child(_MEMORY_BOTO3, env)[0]["maxrss_kb"]) for _ in range(runs)]
    clients_kb = [int(run_child(_MEMORY_BOTO3_CLIENTS, env)[0]["maxrss_kb"]) for _ in range(runs)]
    handler_mb = median(handler_kb) / 1024
    boto3_mb = median(boto3_kb) / 1024
    return {
        "seed": SEED.name,
        "runs": runs,
        "handler_invocation_mb": round(handler_mb, 1),
        "boto3_import_mb": round(boto3_mb, 1),
        "boto3_two_clients_mb": round(median(clients_kb) / 1024, 1),
        "ratio": round(handler_mb / boto3_mb, 2),
        "handler_maxrss_kb": handler_kb,
        "stored_statuses": stored,
        "batch_item_failures": [r.get("batchItemFailures") for r in responses],
    }


# -- package size ---------------------------------------------------------------------------------


def template_architecture() -> str:
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    # CloudFormation short tags (!Ref, !Sub, ...) carry no information needed here.
    _Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load((REPO / "template.yaml").read_text(), Loader=_Loader)
    function = template["Resources"]["IngestFunction"]["Properties"]
    architectures = (
        function.get("Architectures")
        or template.get("Globals", {}).get("Function", {}).get("Architectures")
        or ["x86_64"]
    )
    if architectures[0] is None:  # !Ref Architecture: the parameter's default (what is deployed)
        return str(template["Parameters"]["Architecture"]["Default"])
    return str(architectures[0])


def build_layer(out: Path, architecture: str, python: str = "3.12") -> tuple[Path, list[str]]:
    """``pip install -r layers/core/requirements.txt -t DIR`` for Lambda's platform, cached by
    the requirements' content; returns the folder and the command.

    Distributions published only as source (langdetect) are built into pure-Python wheels first,
    as ``sam build`` builds them, and offered through ``--find-links``.
    """
    import hashlib
    import re
    import shutil

    requirements = REPO / "layers" / "core" / "requirements.txt"
    platform = "manylinux2014_aarch64" if architecture == "arm64" else "manylinux2014_x86_64"
    digest = hashlib.sha256(requirements.read_bytes() + platform.encode()).hexdigest()[:12]
    target = out / "package" / f"layer-{architecture}-py{python}-{digest}"
    wheels = out / "package" / "sdist-wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    command = [
        *pip,
        "install",
        "--quiet",
        "--no-compile",
        "-r",
        str(requirements),
        "-t",
        str(target),
        "--platform",
        platform,
        "--python-version",
        python,
        "--implementation",
        "cp",
        "--only-binary=:all:",
        "--find-links",
        str(wheels),
    ]
    if (target / ".complete").exists():
        return target, command
    wheels.mkdir(parents=True, exist_ok=True)
    for _ in range(10):
        shutil.rmtree(target, ignore_errors=True)
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode == 0:
            (target / ".complete").write_text("ok\n")
            return target, command
        missing = re.search(r"No matching distribution found for (\S+)", done.stderr)
        if missing is None:
            raise RuntimeError(f"pip failed: {done.stderr.strip()[-2000:]}")
        # Only a source distribution: build its wheel here (pure Python only).
        subprocess.run(
            [*pip, "wheel", "--quiet", "--no-deps", "-w", str(wheels), missing.group(1)],
            check=True,
            capture_output=True,
            text=True,
        )
    raise RuntimeError("pip kept finding source-only distributions")


def build_shipped_layer(out: Path, architecture: str) -> tuple[Path, str]:
    """The layer exactly as ``sam build`` makes it (layers/core/Makefile: pinned, trimmed,
    precompiled), cached by its inputs; returns its ``python/`` folder and the command."""
    import hashlib

    core = REPO / "layers" / "core"
    digest = hashlib.sha256(architecture.encode())
    inputs = [REPO / "constraints.txt", core / "Makefile", core / "requirements.txt"]
    inputs += sorted(
        p for p in (core / "newswatch").rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    for path in inputs:
        digest.update(path.read_bytes())
    target = out / "package" / f"corelayer-{architecture}-{digest.hexdigest()[:12]}"
    command = (
        f"make -f layers/core/Makefile build-CoreLayer ARTIFACTS_DIR={target} "
        f"LAYER_ARCH={architecture}"
    )
    if not (target / ".complete").exists():
        env = {**os.environ, "ARTIFACTS_DIR": str(target), "LAYER_ARCH": architecture}
        make = ["make", "-s", "-f", str(core / "Makefile"), "build-CoreLayer"]
        subprocess.run(make, check=True, cwd=REPO, env=env, capture_output=True, text=True)
        (target / ".complete").write_text("ok\n")
    return target / "python", command


def requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def bench_package(out: Path) -> dict[str, Any]:
    architecture = template_architecture()
    site, command = build_layer(out, architecture)
    sizes = distribution_sizes(site)
    sizes.pop("(unlisted)", None)  # pip's own bookkeeping (.complete, bin/ shims) is not shipped
    direct = requirement_lines(REPO / "layers" / "core" / "requirements.txt")
    roots = [parse_requirement(line)[0] for line in direct]
    graph = dependency_graph(site, direct)
    parents = {
        name: sorted(p for p, children in graph.items() if name in children) for name in graph
    }
    ours = {
        "newswatch (layer)": tree_size(REPO / "layers" / "core" / "newswatch"),
        "functions/ingest": tree_size(REPO / "functions" / "ingest"),
    }
    sdk = {name: size for name, size in sizes.items() if name in RUNTIME_PROVIDED}
    shipped = {name: size for name, size in sizes.items() if name not in RUNTIME_PROVIDED}
    shipped.update(ours)
    total = sum(shipped.values())
    biggest = sorted(shipped.items(), key=lambda kv: -kv[1])
    only = exclusive_closure(graph, roots)
    savings: dict[str, dict[str, Any]] = {
        root: {
            "mb": mb(sum(shipped.get(n, 0) for n in names)),
            "distributions": sorted(n for n in names if n in shipped),
        }
        for root, names in only.items()
    }
    shipped_dir, shipped_command = build_shipped_layer(out, architecture)
    shipped_bytes = sum(p.stat().st_size for p in shipped_dir.rglob("*") if p.is_file())
    return {
        "architecture": architecture,
        "python": "3.12",
        "shipped_layer_command": shipped_command,
        "shipped_layer_mb": mb(shipped_bytes),
        "shipped_layer_mib": round(shipped_bytes / 2**20, 1),
        "shipped_layer_target_mb": TARGETS["shipped_layer_mb"],
        "shipped_layer_verdict": met(mb(shipped_bytes), TARGETS["shipped_layer_mb"], at_most=True),
        "command": " ".join(["pip", *command[4:]]).replace(str(REPO) + "/", ""),
        "total_mb": mb(total),
        "sdk_excluded_mb": mb(sum(sdk.values())),
        "sdk_excluded": {k: mb(v) for k, v in sorted(sdk.items(), key=lambda kv: -kv[1])},
        "sdk_required_by": sorted(
            {p for name in sdk for p in parents.get(name, []) if p not in RUNTIME_PROVIDED}
        ),
        "with_sdk_mb": mb(total + sum(sdk.values())),
        "distributions_mb": {name: mb(size) for name, size in biggest},
        "required_by": {
            name: (["requirements.txt"] if name in roots else []) + parents.get(name, [])
            for name, _ in biggest
        },
        "dropping_saves": dict(sorted(savings.items(), key=lambda kv: -float(kv[1]["mb"]))),
        "target": TARGETS["package_mb"],
        "verdict": met(mb(total), TARGETS["package_mb"], at_most=True),
    }


# -- end to end -----------------------------------------------------------------------------------


def phase_figures(settled: Any, uploaded: Mapping[str, float], subscriber: str) -> dict[str, Any]:
    """Throughput and per-article latencies of one batch of uploads, from its settled items
    (processed_at, alerted_at) and the subscriber's deliveries (SNS timestamps)."""
    items = {str(item["key"]): item for item in settled.items if item.get("key") in uploaded}
    stored_at = {
        k: epoch(str(i["processed_at"])) for k, i in items.items() if i.get("processed_at")
    }
    alerted_at = {k: epoch(str(i["alerted_at"])) for k, i in items.items() if i.get("alerted_at")}
    delivered_at: dict[str, float] = {}
    for delivery in settled.deliveries.get(subscriber, []):
        key, stamp = delivery.get("key"), delivery.get("timestamp")
        if key in uploaded and stamp:
            delivered_at.setdefault(str(key), epoch(str(stamp)))
    first = min(uploaded.values())
    span = max(stored_at.values()) - first if stored_at else 0.0
    statuses: dict[str, int] = {}
    for item in items.values():
        statuses[str(item.get("status"))] = statuses.get(str(item.get("status")), 0) + 1
    return {
        "uploads": len(uploaded),
        "upload_seconds": round(max(uploaded.values()) - first, 2),
        "stored": len(stored_at),
        "statuses": dict(sorted(statuses.items())),
        "settled": settled.complete,
        "missing": [k for k in settled.missing if k in uploaded][:10],
        "articles_per_minute": round(60 * len(stored_at) / span, 1) if span else None,
        "first_upload_to_last_stored_s": round(span, 2),
        "upload_to_stored": summarize_latencies([stored_at[k] - uploaded[k] for k in stored_at]),
        "upload_to_alerted_at": summarize_latencies(
            [alerted_at[k] - uploaded[k] for k in alerted_at]
        ),
        "upload_to_delivery": summarize_latencies(
            [delivered_at[k] - uploaded[k] for k in delivered_at]
        ),
        "stored_to_alerted_at": summarize_latencies(
            [alerted_at[k] - stored_at[k] for k in alerted_at if k in stored_at]
        ),
        "alerts_sent": len(alerted_at),
        "deliveries": len(delivered_at),
    }


def bench_e2e(
    count: int, data_dir: Path, timeout: float, paced: int, interval: float
) -> dict[str, Any]:
    """``count`` uploads in a burst, then (same stack, once the burst has settled) ``paced``
    more, one every ``interval`` seconds: the latency an article sees without a queue ahead."""
    from newswatch.settings import Settings
    from newswatch.usecases.alert import alert_policy
    from newswatch_tools.local.loadtest import build_uploads
    from newswatch_tools.local.runs import wait_until_settled
    from newswatch_tools.local.spec import load_spec
    from newswatch_tools.local.stack import LocalStack
    from newswatch_tools.local.subscribers import Subscriber

    uploads, source = build_uploads(count + paced, data_dir if data_dir.is_dir() else None)
    settings = Settings.from_env(load_spec(REPO).alert.environment)
    audit = Subscriber("all-watched", "email", alert_policy(settings).labels)
    result: dict[str, Any] = {"source": source, "load_before": round(os.getloadavg()[0], 2)}
    with LocalStack(REPO, write_state=False, subscribers=(audit,)) as stack:
        result["ingest_workers"] = stack.ingest_workers or (
            stack.spec.ingest_source.max_concurrency if stack.spec else None
        )
        for phase, batch, gap in (
            ("burst", uploads[:count], 0.0),
            ("paced", uploads[count:], interval),
        ):
            if not batch:
                continue
            uploaded: dict[str, float] = {}
            started = time.monotonic()
            for index, upload in enumerate(batch):
                if gap:
                    time.sleep(max(0.0, started + index * gap - time.monotonic()))
                extra = {"ContentType": upload.content_type} if upload.content_type else {}
                stack.s3.put_object(Bucket=stack.bucket, Key=upload.key, Body=upload.body, **extra)  # type: ignore[arg-type]
                uploaded[upload.key] = time.time()
            settled = wait_until_settled(stack, list(uploaded), timeout, poll_seconds=0.5)
            result[phase] = phase_figures(settled, uploaded, audit.name)
            if gap:
                result[phase]["interval_s"] = gap
    result["load_after"] = round(os.getloadavg()[0], 2)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--quick", action="store_true", help="fewer runs and uploads (smoke test)")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--repeats", type=int, default=None, help="throughput repetitions")
    parser.add_argument("--cold-runs", type=int, default=None)
    parser.add_argument("--count", type=int, default=None, help="end-to-end uploads")
    parser.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child-throughput", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_throughput:
        print(json.dumps(throughput_child(args.data_dir, args.repeats or 5, args.limit)))
        return 0

    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    quick = args.quick
    command = "python bench/speed.py" + (" " + " ".join(argv or sys.argv[1:])).rstrip()
    report: dict[str, Any] = {"command": command, "quick": quick, "errors": {}}
    runners: dict[str, Callable[[], dict[str, Any]]] = {
        "throughput": lambda: bench_throughput(
            args.data_dir,
            args.repeats or (2 if quick else 5),
            args.limit or (20 if quick else None),
        ),
        "cold": lambda: bench_cold(args.cold_runs or (3 if quick else 7)),
        "memory": lambda: bench_memory(1 if quick else 3),
        "package": lambda: bench_package(args.out),
        "e2e": lambda: bench_e2e(
            args.count or (20 if quick else 200),
            args.data_dir,
            120.0 if quick else 900.0,
            paced=5 if quick else 30,
            interval=1.0,
        ),
    }
    for section in SECTIONS:
        if section not in chosen:
            continue
        print(f"speed: {section} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            report[section] = runners[section]()
        except Exception as error:  # one failed section must not hide the others
            import traceback

            report["errors"][section] = traceback.format_exc()
            print(f"speed: {section} failed: {error}", file=sys.stderr, flush=True)
        else:
            report[section]["bench_seconds"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "speed.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    text = load_bench_module("speed_report").markdown(report)
    (args.out / "speed.md").write_text(text, encoding="utf-8")
    print(text)
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
