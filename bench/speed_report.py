"""bench/speed.py's report: the measurements of one run (bench/out/speed.json) as the Markdown
section of bench/REPORT.md. Imported by speed.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ENGINE_LABELS = {
    "pipeline": (
        "**newswatch pipeline**",
        "`analyze_bytes`: extract + segment + language + summarize + tag",
    ),
    "lexrank": ("**sumy LexRank**, 3 sentences", "parse + summarize"),
    "extractive": ("newswatch extractive summarizer", "segment + summarize"),
    "lead3": ("Lead-3", "segment + first 3 sentences"),
    "textrank": ("sumy TextRank, 3 sentences", "parse + summarize"),
}


def _cold_layer_lines(layer: Mapping[str, Any] | None) -> list[str]:
    """The three handlers as Lambda runs them (bench/cold_layer.py), or why they were not run."""
    if not layer:
        return []
    title = "#### The three handlers as Lambda runs them (the target's measure)"
    if "skipped" in layer:
        return [title, "", f"Not measured: {layer['skipped']}.", ""]
    names = {"ingest": "IngestFunction", "alert": "AlertFunction", "digest": "DigestFunction"}
    return [
        title,
        "",
        f"`bench/cold_layer.py`: the layer and functions `sam build` made ({layer['architecture']}"
        ", precompiled and trimmed) in the local stand-in for the python3.12 Lambda image, boto3 "
        f"from its runtime; each sample a whole fresh process (start, import, exit), all "
        f"alternating, medians of {layer['runs']}. *import*: `import app; import boto3` (the "
        "handlers import boto3 with their first client); *ready*: the import plus the clients "
        "and what the first event builds and imports before its first AWS request (for ingest "
        "the analyzer), against boto3 plus the same clients.",
        "",
        f"Bare `import boto3`: {layer['boto3_process_median_ms']} ms.",
        "",
        "| function | import ms | import / `import boto3` | ready ms | ready / boto3 + clients |",
        "|---|---:|---:|---:|---:|",
        *[
            f"| {names[name]} | {f['import_median_ms']} | **{f['import_ratio']:.2f}x** "
            f"| {f['ready_median_ms']} | {f['ready_ratio']:.2f}x "
            f"({f['ready_baseline_median_ms']} ms) |"
            for name, f in layer["functions"].items()
            if name in names
        ],
        "",
        f"Ingest: **{layer['ratio']:.2f}x**; target <= {layer['target']}x: **{layer['verdict']}**.",
        "",
    ]


def _latency_table(phase: Mapping[str, Any]) -> list[str]:
    return [
        "| latency (s) | n | median | p95 | max |",
        "|---|---:|---:|---:|---:|",
        _latency_row("upload -> stored", phase["upload_to_stored"]),
        _latency_row("upload -> alert marked sent (alerted_at)", phase["upload_to_alerted_at"]),
        _latency_row(
            "upload -> alert published (SNS message timestamp)", phase["upload_to_delivery"]
        ),
        _latency_row("stored -> alert marked sent", phase["stored_to_alerted_at"]),
        "",
    ]


def _latency_row(name: str, stats: Mapping[str, Any]) -> str:
    if not stats.get("n"):
        return f"| {name} | 0 | | | |"
    return f"| {name} | {stats['n']} | {stats['median_s']} | {stats['p95_s']} | {stats['max_s']} |"


def markdown(report: Mapping[str, Any]) -> str:
    lines = ["## Speed", "", f"Command: `{report['command']}`", ""]
    errors: Mapping[str, str] = report.get("errors", {})
    for section, error in errors.items():
        lines += [f"**{section}: failed** - `{error.splitlines()[-1] if error else ''}`", ""]
    if t := report.get("throughput"):
        lines += [
            f"### Throughput on one core (cnndm-dev, {t['articles']} articles, "
            f"{t['mean_words']} words on average)",
            "",
            f"One child process pinned to CPU {t['cpu']} (`os.sched_setaffinity`), no threads; "
            f"the engines take turns over the same texts, {t['repeats']} repetitions after a "
            "warm-up; medians. The ratio compares the whole pipeline with LexRank; the "
            "summarizer-only rows feed the quality-vs-speed chart.",
            "",
            "| engine | what is timed per article | articles/s (median) | runs |",
            "|---|---|---:|---|",
            *[
                f"| {ENGINE_LABELS[name][0]} | {ENGINE_LABELS[name][1]} | {t['medians'][name]} "
                f"| {', '.join(map(str, runs))} |"
                for name, runs in t["articles_per_s"].items()
            ],
            "",
            f"**Ratio: {t['ratio']}x** (median of per-repetition ratios "
            f"{t['ratio_pairwise_median']}x); "
            f"target >= {t['target']}x: **{t['verdict']}**.",
            "",
            "Where our time goes (ms per article, stages timed one by one):",
            "",
            "| " + " | ".join(t["stage_ms_per_article"]) + " | total |",
            "|" + "---:|" * (len(t["stage_ms_per_article"]) + 1),
            "| "
            + " | ".join(f"{v:.2f}" for v in t["stage_ms_per_article"].values())
            + f" | {sum(t['stage_ms_per_article'].values()):.2f} |",
            "",
        ]
    if c := report.get("cold"):
        lines += [
            "### Cold start: importing the ingest handler",
            "",
            f"Fresh interpreter each time, {c['runs']} runs each, alternating; `import app` and "
            "then `import boto3` (the handler imports boto3 with its first client) with "
            "functions/ingest on sys.path and IngestFunction's environment from template.yaml "
            "(Tracing: Active, so powertools' Tracer loads the X-Ray SDK). Import time measured "
            "inside the child; process wall time (interpreter start to exit) beside it.",
            "",
            "| import | median ms | process wall median ms |",
            "|---|---:|---:|",
            f"| `import boto3` (baseline) | {c['boto3_median_ms']} "
            f"| {c['boto3_process_median_ms']} |",
            f"| ingest handler (`functions/ingest/app.py`) + boto3 | {c['handler_median_ms']} "
            f"| {c['handler_process_median_ms']} |",
            f"| the same, tracing off (`POWERTOOLS_TRACE_DISABLED=true`) "
            f"| {c['untraced_median_ms']} | |",
            "",
            f"**Ratio: {c['ratio']}x** (process wall: {c['process_wall_ratio']}x); target <= "
            f"{c['target']}x: **{c['verdict']}**. With tracing off: {c['untraced_ratio']}x.",
            "",
            f"Heavy modules not loaded by the import: {', '.join(c['heavy_not_loaded']) or 'none'}"
            f"; loaded: {', '.join(c['heavy_loaded']) or 'none'}. "
            f"{c['modules_after_import']} modules in sys.modules after the import.",
            "",
            "Where the handler import's time goes: self time per top-level package, one "
            "`python -X importtime` run (indicative; the flag adds overhead):",
            "",
            "| package | modules | self ms |",
            "|---|---:|---:|",
            *[f"| {r['package']} | {r['modules']} | {r['self_ms']} |" for r in c["top_imports"]],
            "",
            *_cold_layer_lines(c.get("layer")),
        ]
    if m := report.get("memory"):
        lines += [
            "### Peak memory of one ingest invocation",
            "",
            f"Peak RSS (VmHWM) of a fresh process, median of {m['runs']}: the handler imported and "
            "invoked once with an events/sqs-s3-put.json-shaped event for "
            f"seeds/{m.get('seed', 'jeddah-ceasefire-talks.txt')} (moto server in the parent "
            "process, so the emulator is not counted). Stored statuses: "
            f"{', '.join(map(str, m['stored_statuses']))}.",
            "",
            "| process | peak RSS MB |",
            "|---|---:|",
            f"| python + `import boto3` (baseline) | {m['boto3_import_mb']} |",
            f"| python + `import boto3` + s3 and dynamodb clients | {m['boto3_two_clients_mb']} |",
            f"| ingest handler: import + one invocation | {m['handler_invocation_mb']} |",
            "",
            f"Ratio to the bare boto3 import: {m['ratio']}x.",
            "",
        ]
    if p := report.get("package"):
        lines += [
            f"### Deployment package ({p['architecture']}, Python {p['python']}, unzipped)",
            "",
            f"Layer built like `sam build`: `{p['command']}`, plus layers/core/newswatch and "
            "functions/ingest (no `__pycache__`). The Lambda runtime's AWS SDK "
            f"({', '.join(p['sdk_excluded']) or 'none'}: {p['sdk_excluded_mb']} MB, required by "
            f"{', '.join(p.get('sdk_required_by', [])) or '-'}; `sam build` would put it in the "
            "layer) is excluded from the total.",
            "",
            f"**Total: {p['total_mb']} MB** (with the SDK: {p['with_sdk_mb']} MB); target <= "
            f"{p['target']} MB: **{p['verdict']}**.",
            "",
            *(
                [
                    f"**The layer as shipped** (`{p['shipped_layer_command']}`: pinned by "
                    "constraints.txt, unused data and modules dropped, extensions stripped, "
                    f"precompiled): **{p['shipped_layer_mb']} MB** ({p['shipped_layer_mib']} MiB) "
                    f"unzipped; target <= {p['shipped_layer_target_mb']} MB: "
                    f"**{p['shipped_layer_verdict']}**.",
                    "",
                ]
                if "shipped_layer_mb" in p
                else []
            ),
            "| distribution | MB | required by |",
            "|---|---:|---|",
            *[
                f"| {name} | {size} | {', '.join(p['required_by'].get(name, [])) or '-'} |"
                for name, size in p["distributions_mb"].items()
            ],
            "",
            "What each requirement alone brings in (the distributions no other requirement "
            "needs), i.e. what dropping or replacing it would save:",
            "",
            "| requirement | MB | distributions |",
            "|---|---:|---|",
            *[
                f"| {name} | {s['mb']} | {', '.join(s['distributions'])} |"
                for name, s in p["dropping_saves"].items()
            ],
            "",
        ]
    if e := report.get("e2e"):
        b = e["burst"]
        lines += [
            f"### End to end on the local stack ({b['uploads']} uploads, {e['source']})",
            "",
            "`newswatch_tools.local.LocalStack`: moto server, SQS and stream pollers and "
            f"{e['ingest_workers']} ingest workers, all in one Python process on this machine "
            "(the uploads, the emulator and the handlers share its GIL). Upload time = when "
            "put_object returned; stored = the item's processed_at; alert = its alerted_at and "
            "the SNS message timestamp (publish time) of the alert as delivered to a subscriber "
            "of every watched topic.",
            "",
            f"Burst: the {b['uploads']} objects were put one after the other as fast as the "
            f"stack took them ({b['upload_seconds']} s), so latencies include the queue wait. "
            f"Statuses: {b['statuses']}; settled: {b['settled']}.",
            "",
            f"**{b['articles_per_minute']} articles/minute** from the first upload to the last "
            f"stored item ({b['stored']} stored in {b['first_upload_to_last_stored_s']} s). "
            f"1-minute load average {e.get('load_before')} before, {e.get('load_after')} after "
            "(2 cores; other work on the machine slows this section most).",
            "",
            *_latency_table(b),
        ]
        if p := e.get("paced"):
            lines += [
                f"Paced: then {p['uploads']} more, one every {p['interval_s']} s, on the same "
                "stack once the burst had settled: the latency without a queue ahead. "
                f"Statuses: {p['statuses']}; settled: {p['settled']}.",
                "",
                *_latency_table(p),
            ]
    return "\n".join(lines) + "\n"
