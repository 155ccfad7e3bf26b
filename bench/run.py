"""`make bench`: every benchmark, each in its own process, then bench/REPORT.md and the chart.

Runs bench/quality.py, bench/speed.py, bench/neardup.py, bench/ml.py and bench/places.py (those
that exist), one subprocess each, so a failure in one is reported and the others still run; their
output goes to bench/out/logs/<name>.log. Then bench/chart.py draws bench/quality-vs-speed.png
and this script writes bench/REPORT.md: the machine, the exact commands, the targets with met /
not met, every benchmark's tables and the chart.

    .venv/bin/python bench/run.py [--quick] [--only NAME[,NAME]] [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_OUT = BENCH / "out"
REPORT = BENCH / "REPORT.md"
CHART = BENCH / "quality-vs-speed.png"
BENCHMARKS = ("quality", "speed", "neardup", "ml", "places", "cost", "digest")
TITLES = {
    "quality": "Quality: summaries and topics",
    "speed": "Speed",
    "neardup": "Near-duplicate detection",
    "ml": "Transformers engine",
    "places": "Places: countries per article",
    "cost": "Cost per article on AWS, measured",
    "digest": "Digest at 50,000 articles a day",
}
PACKAGES = (
    "newswatch",
    "boto3",
    "botocore",
    "aws-lambda-powertools",
    "moto",
    "trafilatura",
    "sumy",
    "rouge-score",
    "matplotlib",
    "torch",
    "transformers",
)


@dataclass
class Run:
    name: str
    command: list[str]
    returncode: int | None = None
    seconds: float = 0.0
    stdout: str = ""
    stderr: str = ""
    skipped: str | None = None
    # Set for a benchmark not run this time whose last report is reused (its finish time).
    earlier: str | None = None
    section: str = ""

    @property
    def ok(self) -> bool:
        return self.skipped is None and self.returncode == 0

    def shown(self) -> str:
        """The command as a reader would type it from the repository root."""
        words = [".venv/bin/python" if w == sys.executable else w for w in self.command]
        return shlex.join(
            w.replace(str(REPO) + "/", "").replace(str(REPO.parent) + "/", "../") for w in words
        )


# -- running --------------------------------------------------------------------------------------


def script_options(script: Path) -> str:
    """The script's --help text ('' if it has none), to pass only options it understands."""
    done = subprocess.run(
        [sys.executable, str(script), "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.stdout if done.returncode == 0 else ""


def command_for(name: str, script: Path, quick: bool, data_dir: Path, out: Path) -> list[str]:
    options = script_options(script)
    command = [sys.executable, str(script)]
    # Defaults are left out, so the report shows the commands a reader would type.
    if "--data-dir" in options and data_dir.resolve() != DEFAULT_DATA.resolve():
        command += ["--data-dir", str(data_dir)]
    if "--out" in options and out.resolve() != DEFAULT_OUT.resolve():
        command += ["--out", str(out)]
    if quick and "--quick" in options:
        command.append("--quick")
    return command


def run_one(run: Run, logs: Path, timeout: float) -> Run:
    print(f"bench: {run.name}: {run.shown()}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        done = subprocess.run(
            run.command,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        run.returncode, run.stdout, run.stderr = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as error:
        run.returncode = -1
        run.stdout = _text(error.stdout)
        run.stderr = _text(error.stderr) + f"\ntimed out after {timeout:.0f} s"
    run.seconds = time.perf_counter() - started
    logs.mkdir(parents=True, exist_ok=True)
    (logs / f"{run.name}.log").write_text(
        f"$ {run.shown()}\n# exit {run.returncode} after {run.seconds:.1f} s\n\n"
        f"## stdout\n{run.stdout}\n## stderr\n{run.stderr}",
        encoding="utf-8",
    )
    state = "ok" if run.ok else f"FAILED (exit {run.returncode})"
    print(f"bench: {run.name}: {state} in {run.seconds:.0f} s", file=sys.stderr, flush=True)
    return run


def _text(value: str | bytes | None) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value or ""


# -- the machine ----------------------------------------------------------------------------------


def _first_match(path: str, pattern: str) -> str | None:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(pattern, text, re.MULTILINE)
    return match.group(1).strip() if match else None


def machine() -> dict[str, str]:
    memory_kb = _first_match("/proc/meminfo", r"^MemTotal:\s+(\d+)")
    os_name = _first_match("/etc/os-release", r'^PRETTY_NAME="?([^"\n]+)')
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            continue
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        # Others work in this tree: say when the code measured is not exactly the commit.
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        if changed:
            commit += f" + uncommitted changes in {len(changed)} tracked file(s)"
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "CPU": _first_match("/proc/cpuinfo", r"^model name\s*:\s*(.+)$") or platform.processor(),
        "cores": f"{os.cpu_count()} logical ({affinity} usable by this process)",
        "RAM": f"{int(memory_kb) / 1024 / 1024:.1f} GiB" if memory_kb else "unknown",
        "OS": f"{os_name or platform.system()} ({platform.platform()})",
        "Python": f"{platform.python_version()} ({sys.executable.replace(str(REPO) + '/', '')})",
        "packages": ", ".join(versions),
        "commit": commit,
    }


# -- targets --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    what: str
    target: str
    measured: str
    verdict: str  # met | not met | not measured


def _load(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _by_file(entries: Sequence[Mapping[str, Any]] | None, name: str) -> Mapping[str, Any] | None:
    for entry in entries or ():
        if entry.get("file") == name:
            return entry
    return None


def _verdict(ok: bool) -> str:
    return "met" if ok else "not met"


ROUGE = (("rouge1", "R1"), ("rouge2", "R2"), ("rougeLsum", "RLsum"))
FOCUS_TOPICS = ("ceasefire", "negotiations", "sanctions", "elections")


def targets(quality: Mapping[str, Any] | None, speed: Mapping[str, Any] | None) -> list[Target]:
    """Issue 4's and issue 12's targets next to what this run measured."""
    cnndm = _by_file((quality or {}).get("summaries"), "cnndm-dev.jsonl")
    return (
        quality_targets(quality or {})
        + untouched_targets(quality or {})
        + speed_targets(speed or {}, cnndm)
    )


def _halves(entry: Mapping[str, Any] | None) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
    halves = (entry or {}).get("halves")
    if not halves or "fit" not in halves or "untouched" not in halves:
        return None
    return halves["fit"], halves["untouched"]


def untouched_targets(quality: Mapping[str, Any]) -> list[Target]:
    """Issue 12's targets, judged on the untouched half of each dev file (fit half alongside)."""
    rows: list[Target] = []
    article = _by_file(quality.get("topics"), "cnndm-topics-dev.jsonl")
    halves = _halves(article)
    what = "Alerting tags, cnndm-topics-dev untouched half: micro precision and recall"
    if article and halves:
        fit, untouched = (h["micro"] for h in halves)
        rows.append(
            Target(
                what,
                "P >= 0.85 with R >= 0.75",
                f"P {untouched['p']:.3f}, R {untouched['r']:.3f} (fit half: P {fit['p']:.3f}, "
                f"R {fit['r']:.3f})",
                _verdict(untouched["p"] >= 0.85 and untouched["r"] >= 0.75),
            )
        )
        support = article.get("support") or {}
        frequent = sorted(label for label, n in support.items() if n > 5)
        topics = halves[1]["topics"]
        found = {t: float(topics[t]["p"]) for t in frequent if t in topics}
        rows.append(
            Target(
                "Alerting tags, cnndm-topics-dev untouched half: precision of each topic with "
                "more than 5 dev articles",
                "each >= 0.7",
                ", ".join(f"{t} {p:.3f}" for t, p in found.items()) or "-",
                _verdict(bool(found) and min(found.values()) >= 0.7),
            )
        )
    else:
        rows.append(Target(what, "P >= 0.85 with R >= 0.75", "-", "not measured"))
        rows.append(Target("Topics with > 5 dev articles: P", ">= 0.7", "-", "not measured"))
    conflict = _by_file(quality.get("topics"), "conflict-topics-dev.jsonl")
    halves = _halves(conflict)
    what = "Topics, conflict-topics-dev untouched half: F1 of " + ", ".join(FOCUS_TOPICS)
    if halves:
        fit_topics, topics = (h["topics"] for h in halves)
        found = {t: float(topics[t]["f1"]) for t in FOCUS_TOPICS if t in topics}
        fit_found = {t: float(fit_topics[t]["f1"]) for t in FOCUS_TOPICS if t in fit_topics}
        rows.append(
            Target(
                what,
                "each >= 0.75",
                ", ".join(f"{t} {f:.3f}" for t, f in found.items())
                + " (fit half: "
                + ", ".join(f"{f:.3f}" for f in fit_found.values())
                + ")",
                _verdict(len(found) == len(FOCUS_TOPICS) and min(found.values()) >= 0.75),
            )
        )
    else:
        rows.append(Target(what, "each >= 0.75", "-", "not measured"))
    cnndm = _by_file(quality.get("summaries"), "cnndm-dev.jsonl")
    halves = _halves(cnndm)
    what = "Summaries, cnndm-dev untouched half: extractive vs Lead-3"
    if halves:
        fit, untouched = halves
        deltas = {k: untouched["engine"][k] - untouched["lead3"][k] for k, _ in ROUGE}
        fit_deltas = {k: fit["engine"][k] - fit["lead3"][k] for k, _ in ROUGE}
        rows.append(
            Target(
                what,
                "each >= Lead-3",
                ", ".join(f"{label} {deltas[k]:+.2f}" for k, label in ROUGE)
                + " (fit half: "
                + ", ".join(f"{label} {fit_deltas[k]:+.2f}" for k, label in ROUGE)
                + ")",
                _verdict(all(d >= 0 for d in deltas.values())),
            )
        )
    else:
        rows.append(Target(what, "each >= Lead-3", "-", "not measured"))
    return rows


def places_targets(places: Mapping[str, Any] | None) -> list[Target]:
    """Issue 13's target: micro P >= 0.9 and R >= 0.85 on the untouched half of cnndm-places."""
    what = "Places, cnndm-places-dev untouched half: micro precision / recall"
    untouched = ((places or {}).get("quality") or {}).get("untouched")
    if not untouched:
        return [Target(what, ">= 0.9 / >= 0.85", "-", "not measured")]
    micro, fit = untouched["detector"]["micro"], places["quality"]["fit"]["detector"]["micro"]
    return [
        Target(
            what,
            ">= 0.9 / >= 0.85",
            f"P {micro['p']:.3f}, R {micro['r']:.3f}, F1 {micro['f1']:.3f} "
            f"(fit half, tuned on: P {fit['p']:.3f}, R {fit['r']:.3f})",
            _verdict(micro["p"] >= 0.9 and micro["r"] >= 0.85),
        )
    ]


def quality_targets(quality: Mapping[str, Any]) -> list[Target]:
    rows: list[Target] = []
    cnndm = _by_file(quality.get("summaries"), "cnndm-dev.jsonl")
    if cnndm:
        engine, lead = cnndm["engine"], cnndm["lead3"]
        deltas = {k: engine[k] - lead[k] for k, _ in ROUGE}
        rows.append(
            Target(
                "Summaries, cnndm-dev: extractive minus Lead-3 (same run)",
                "each >= +0.5",
                ", ".join(f"{label} {deltas[k]:+.2f}" for k, label in ROUGE)
                + " (ours "
                + "/".join(f"{engine[k]:.2f}" for k, _ in ROUGE)
                + ", Lead-3 "
                + "/".join(f"{lead[k]:.2f}" for k, _ in ROUGE)
                + ")",
                _verdict(all(d >= 0.5 for d in deltas.values())),
            )
        )
    else:
        rows.append(Target("Summaries, cnndm-dev vs Lead-3", "each >= +0.5", "-", "not measured"))
    bbc = _by_file(quality.get("summaries"), "summarization-dev.jsonl")
    if bbc:
        engine, peer = bbc["engine"], bbc["lexrank"]
        rows.append(
            Target(
                "Summaries, BBC (summarization-dev): extractive vs LexRank",
                "each >= LexRank",
                "ours "
                + "/".join(f"{engine[k]:.2f}" for k, _ in ROUGE)
                + ", LexRank "
                + "/".join(f"{peer[k]:.2f}" for k, _ in ROUGE),
                _verdict(all(engine[k] >= peer[k] for k, _ in ROUGE)),
            )
        )
    else:
        rows.append(Target("Summaries, BBC vs LexRank", "each >= LexRank", "-", "not measured"))
    topics = _by_file(quality.get("topics"), "topics-dev.jsonl")
    if topics:
        macro = float(topics["tagger"]["macro_f1"])
        rows.append(
            Target(
                "Topics, topics-dev: macro-F1",
                ">= 0.65",
                f"{macro:.3f} (keyword list {float(topics['keywords']['macro_f1']):.3f})",
                _verdict(macro >= 0.65),
            )
        )
    else:
        rows.append(Target("Topics, topics-dev: macro-F1", ">= 0.65", "-", "not measured"))
    conflict = _by_file(quality.get("topics"), "conflict-topics-dev.jsonl")
    if conflict:
        scores = conflict["tagger"]["topics"]
        found = {t: float(scores[t]["f1"]) for t in FOCUS_TOPICS if t in scores}
        rows.append(
            Target(
                "Topics, conflict-topics-dev: F1 of " + ", ".join(FOCUS_TOPICS),
                "each >= 0.6",
                ", ".join(f"{t} {f:.3f}" for t, f in found.items()),
                _verdict(len(found) == len(FOCUS_TOPICS) and min(found.values()) >= 0.6),
            )
        )
    else:
        rows.append(Target("Topics, conflict-topics-dev", "each >= 0.6", "-", "not measured"))
    return rows


def speed_targets(speed: Mapping[str, Any], cnndm: Mapping[str, Any] | None) -> list[Target]:
    rows: list[Target] = []
    throughput = speed.get("throughput")
    if throughput:
        better = None
        if cnndm:
            better = all(cnndm["engine"][k] > cnndm["lexrank"][k] for k, _ in ROUGE)
        ratio = float(throughput["ratio"])
        rows.append(
            Target(
                "Throughput, one core, cnndm-dev: pipeline / sumy LexRank, with better ROUGE",
                ">= 10x",
                f"{ratio:.2f}x ({throughput['medians']['pipeline']} vs "
                f"{throughput['medians']['lexrank']} articles/s)"
                + ("" if better is None else f"; ROUGE better than LexRank: {better}"),
                _verdict(ratio >= 10 and better is not False),
            )
        )
    else:
        rows.append(Target("Throughput vs LexRank", ">= 10x", "-", "not measured"))
    cold = speed.get("cold")
    layer = (cold or {}).get("layer") or {}
    if layer.get("functions"):
        # Judged as Lambda runs it: whole processes from the built layer (bench/cold_layer.py).
        handlers = layer["functions"]
        rows.append(
            Target(
                "Cold start: handler import / bare `import boto3`, whole process, built layer",
                "<= 1.3x (ingest)",
                f"ingest {float(handlers['ingest']['import_ratio']):.2f}x "
                f"({handlers['ingest']['import_median_ms']} vs "
                f"{layer['boto3_process_median_ms']} ms, medians of {layer['runs']}); alert "
                f"{float(handlers['alert']['import_ratio']):.2f}x, digest "
                f"{float(handlers['digest']['import_ratio']):.2f}x",
                _verdict(float(handlers["ingest"]["import_ratio"]) <= 1.3),
            )
        )
    elif cold:
        rows.append(
            Target(
                "Cold start: ingest handler import / bare `import boto3`",
                "<= 1.3x",
                f"{float(cold['ratio']):.2f}x ({cold['handler_median_ms']} vs "
                f"{cold['boto3_median_ms']} ms, medians of {cold['runs']})",
                _verdict(float(cold["ratio"]) <= 1.3),
            )
        )
    else:
        rows.append(Target("Cold start vs import boto3", "<= 1.3x", "-", "not measured"))
    package = speed.get("package")
    if package and "shipped_layer_mb" in package:
        # Judged on the layer as the template builds it (the layer's Makefile), not on the
        # unpinned, untrimmed `pip install` the section breaks down by distribution.
        shipped = float(package["shipped_layer_mb"])
        rows.append(
            Target(
                "Deployment package: the layer as shipped, unzipped (issue 4)",
                "<= 15 MB",
                f"{shipped} MB ({package['architecture']}; an untrimmed pip install: "
                f"{package['total_mb']} MB)",
                _verdict(shipped <= 15),
            )
        )
        rows.append(
            Target(
                "Layer as shipped, unzipped, with trafilatura (issue 15)",
                f"<= {package['shipped_layer_target_mb']} MB",
                f"{shipped} MB ({package['architecture']})",
                _verdict(shipped <= float(package["shipped_layer_target_mb"])),
            )
        )
    elif package:
        rows.append(
            Target(
                "Deployment package: function + layer, unzipped, without boto3",
                "<= 15 MB",
                f"{package['total_mb']} MB ({package['architecture']})",
                _verdict(float(package["total_mb"]) <= 15),
            )
        )
    else:
        rows.append(Target("Deployment package", "<= 15 MB", "-", "not measured"))
    memory = speed.get("memory")
    rows.append(
        Target(
            "Peak memory of one ingest invocation",
            "(reported)",
            f"{memory['handler_invocation_mb']} MB (bare `import boto3`: "
            f"{memory['boto3_import_mb']} MB)"
            if memory
            else "-",
            "reported" if memory else "not measured",
        )
    )
    e2e = (speed.get("e2e") or {}).get("burst")
    if e2e:
        alert = e2e["upload_to_delivery"] if e2e["upload_to_delivery"].get("n") else {}
        paced = (speed.get("e2e") or {}).get("paced") or {}
        paced_alert = (paced.get("upload_to_delivery") or {}) if paced else {}
        rows.append(
            Target(
                f"End to end, local stack, {e2e['uploads']} uploads in a burst",
                "(reported)",
                f"{e2e['articles_per_minute']} articles/min upload -> stored; upload -> alert "
                + (
                    f"median {alert['median_s']} s, p95 {alert['p95_s']} s (n={alert['n']})"
                    if alert
                    else "not measured (no alert delivered)"
                )
                + (
                    f"; paced (1 every {paced['interval_s']} s): upload -> stored median "
                    f"{paced['upload_to_stored']['median_s']} s, upload -> alert median "
                    f"{paced_alert['median_s']} s (n={paced_alert['n']})"
                    if paced and paced_alert.get("n") and paced["upload_to_stored"].get("n")
                    else ""
                ),
                "reported",
            )
        )
    else:
        rows.append(Target("End to end on the local stack", "(reported)", "-", "not measured"))
    return rows


# -- the report -----------------------------------------------------------------------------------


def shift_headings(text: str, top: int = 3) -> str:
    """Headings moved so the shallowest becomes level ``top`` (fenced code is left alone)."""
    lines = text.splitlines()
    fence = False
    levels = []
    for line in lines:
        if line.startswith("```"):
            fence = not fence
        elif not fence and (match := re.match(r"(#+) ", line)):
            levels.append(len(match.group(1)))
    if not levels:
        return text
    shift = top - min(levels)
    out = []
    fence = False
    for line in lines:
        if line.startswith("```"):
            fence = not fence
        elif not fence and (match := re.match(r"(#+) ", line)):
            hashes = "#" * max(1, len(match.group(1)) + shift)
            out.append(hashes + line[len(match.group(1)) :])
            continue
        out.append(line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def section_text(run: Run, out: Path, started: float) -> str:
    """What a benchmark reported: its bench/out/<name>.md if this run wrote it, else its stdout."""
    md = out / f"{run.name}.md"
    if md.is_file() and md.stat().st_mtime >= started:
        text = md.read_text(encoding="utf-8")
    else:
        text = run.stdout
    # Drop the script's own title line; the report gives each benchmark its heading.
    lines = text.strip().splitlines()
    if lines and lines[0].startswith("#"):
        lines = lines[1:]
    return shift_headings("\n".join(lines).strip() + "\n")


def render(
    runs: Sequence[Run],
    *,
    found: Sequence[Target],
    host: Mapping[str, str],
    out: Path,
    started: float,
    invocation: str,
    chart_note: str,
    stale: Sequence[str] = (),
) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark report",
        "",
        f"Generated by `{invocation}` (`make bench`) on {stamp}, commit `{host['commit']}`. "
        "Numbers are ratios against a baseline measured in the same run or medians of several "
        "runs; the evaluation data is read from ../shared/data (see its README), never copied "
        "here. Logs of each benchmark: bench/out/logs/.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *[f"| {key} | {value} |" for key, value in host.items() if key != "commit"],
        "",
        "## Commands",
        "",
        "```",
        *[f"{run.shown()}    # {_state(run)}" for run in runs],
        ".venv/bin/python bench/chart.py",
        "```",
        "",
        "## Targets (issues 4 and 12)",
        "",
        "| what | target | measured | verdict |",
        "|---|---|---|---|",
        *[
            f"| {t.what} | {t.target} | {t.measured} | "
            f"{'**' + t.verdict + '**' if t.verdict in ('met', 'not met') else t.verdict} |"
            for t in found
        ],
        "",
        *[f"Note: {note}." for note in stale],
        "",
        "## Quality vs speed",
        "",
        f"![Quality vs speed on cnndm-dev]({CHART.name})",
        "",
        chart_note,
        "",
    ]
    for run in runs:
        lines += [f"## {TITLES.get(run.name, run.name)} (`bench/{run.name}.py`)", ""]
        if run.skipped:
            lines += [f"Not run: {run.skipped}.", ""]
            continue
        if run.earlier:
            lines += [f"*Not run this time: the tables of its run of {run.earlier}.*", ""]
        if not run.ok:
            tail = (run.stderr.strip().splitlines() or ["(no output)"])[-1]
            lines += [
                f"**Failed** (exit {run.returncode} after {run.seconds:.0f} s): `{tail}`; "
                f"full output in bench/out/logs/{run.name}.log.",
                "",
            ]
        text = run.section or (section_text(run, out, started) if run.stdout or run.ok else "")
        if text.strip():
            lines += [text.rstrip(), ""]
    return "\n".join(lines).rstrip() + "\n"


def _state(run: Run) -> str:
    if run.earlier:
        return f"not run this time; tables from its run of {run.earlier}"
    if run.skipped:
        return f"not run: {run.skipped}"
    if run.ok:
        return f"ok, {run.seconds:.0f} s"
    return f"FAILED, exit {run.returncode}"


def save_section(run: Run, out: Path, started: float) -> None:
    """Keep what a benchmark reported, so a later ``--only`` run can show it unchanged."""
    run.section = section_text(run, out, started) if run.stdout or run.ok else ""
    record = asdict(run) | {
        "earlier": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "stdout": "",
        "stderr": "\n".join(run.stderr.strip().splitlines()[-5:]),
    }
    folder = out / "sections"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{run.name}.json").write_text(json.dumps(record, indent=2), encoding="utf-8")


def earlier_section(name: str, out: Path) -> Run | None:
    """The last report of a benchmark not run this time: what run.py kept of it, else the
    bench/out/<name>.md the script itself wrote (run by hand)."""
    data = _load(out / "sections" / f"{name}.json")
    if data is not None and data.get("returncode") == 0:
        return Run(**{key: data[key] for key in Run.__dataclass_fields__ if key in data})
    md = out / f"{name}.md"
    if not md.is_file():
        return None
    written = datetime.fromtimestamp(md.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
    run = Run(name, [sys.executable, str(BENCH / f"{name}.py")], returncode=0)
    run.earlier = f"{written} (bench/out/{md.name}, run outside bench/run.py)"
    run.section = section_text(run, out, started=0.0)
    return run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smoke run: fewer repetitions")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help=f"run only these benchmarks ({', '.join(BENCHMARKS)}); repeat or comma-separate",
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--report", type=Path, default=REPORT)
    parser.add_argument("--timeout", type=float, default=3600.0, help="per benchmark, seconds")
    args = parser.parse_args(argv)
    only = [n.strip() for spec in args.only for n in spec.split(",") if n.strip()]
    unknown = sorted(set(only) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {BENCHMARKS}")
    chosen = only or list(BENCHMARKS)
    invocation = "python bench/run.py" + "".join(f" {a}" for a in (argv or sys.argv[1:]))

    started = time.time()
    load_before = os.getloadavg()
    runs: list[Run] = []
    for name in BENCHMARKS:
        if name not in chosen:
            previous = earlier_section(name, args.out)
            if previous is not None:
                runs.append(previous)
            continue
        script = BENCH / f"{name}.py"
        if not script.is_file():
            runs.append(Run(name, [sys.executable, str(script)], skipped="the script is absent"))
            continue
        command = command_for(name, script, args.quick, args.data_dir, args.out)
        done = run_one(Run(name, command), args.out / "logs", args.timeout)
        save_section(done, args.out, started)
        runs.append(done)

    chart = run_one(
        Run("chart", [sys.executable, str(BENCH / "chart.py"), "--out", str(args.out)]),
        args.out / "logs",
        300,
    )
    chart_lines = chart.stdout.strip().splitlines() or chart.stderr.strip().splitlines()
    chart_note = chart_lines[-1] if chart_lines else "no output"
    # Figures from earlier runs count only when the chosen benchmarks did not run this time.
    quality = _load(args.out / "quality.json")
    speed = _load(args.out / "speed.json")
    stale = [
        f"bench/out/{path.name} predates this run (written "
        f"{datetime.fromtimestamp(path.stat().st_mtime, UTC):%Y-%m-%d %H:%M UTC}); its figures "
        "are shown as they were"
        for path in (args.out / "quality.json", args.out / "speed.json", args.out / "places.json")
        if path.is_file() and path.stat().st_mtime < started
    ]
    text = render(
        runs,
        found=targets(quality, speed) + places_targets(_load(args.out / "places.json")),
        host=machine()
        | {
            "load average": (
                f"{load_before[0]:.1f} when the run started, {os.getloadavg()[0]:.1f} at the end "
                "(1-minute; other work on this shared machine slows every timing)"
            )
        },
        out=args.out,
        started=started,
        invocation=invocation,
        chart_note=f"Chart: `{chart_note}`",
        stale=stale,
    )
    args.report.write_text(text, encoding="utf-8")
    print(f"wrote {args.report}", file=sys.stderr)
    failed = [
        run.name for run in [*runs, chart] if not run.ok and not run.skipped and not run.earlier
    ]
    if failed:
        print(f"bench: failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
