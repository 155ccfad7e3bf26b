"""Cold start of the three handlers as Lambda runs them: the layer `sam build` ships (precompiled,
trimmed) at /opt/python, each function's code at /var/task, boto3 from the runtime, in the local
stand-in for the python3.12 base image. Each sample is a whole fresh interpreter process (start,
import, exit), all samples alternating in the same run; medians and their ratios to a bare
``import boto3``.

    make sam-local                       # builds .aws-sam/local-<arch> and the image once
    .venv/bin/python bench/cold_layer.py [--runs 15] [--build DIR] [--before OTHER_BUILD]
                                         [--also-import MODULE]

Per function, two samples:

- ``import``: ``import app`` and then ``import boto3``. The handlers import boto3 only when their
  first invocation builds its clients (newswatch.composition), so ``import app`` alone would not
  count what every cold start pays; boto3 is added back. The target (issue 15): at most 1.3x.
- ``ready``: ``import app`` and then what the first invocation builds and imports before its
  first AWS request: the function's clients; for ingest also the analyzer (taxonomy, tagger,
  summarizer), the reading of an S3 notification (powertools' event data classes) and the
  ingest use case; for alert the stream image's codec; for digest its use case, the taxonomy
  and the gazetteer modules. Its baseline imports boto3 and creates the same clients. Reported,
  not targeted: what the handler's import leaves to the first event shows here, so a module
  moved from the import to the first invocation lowers ``import`` but not ``ready``.

``--also-import MODULE`` adds, per function, ``import app; import boto3; import MODULE``: what
importing that module at module level would add to the handler's import (e.g. powertools' batch
module, ``aws_lambda_powertools.utilities.batch``, which the handlers no longer import).

bench/speed.py's cold section measures the import in the venv, from sources, where setuptools'
editable finder and the X-Ray-traced environment add costs Lambda does not have.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TARGET = 1.3  # at most: handler import (with boto3) / bare boto3 import, whole process (issue 15)

# An S3 notification as the ingest function's first message carries it (events/s3-put.json's shape).
S3_PUT = {
    "Records": [
        {
            "eventSource": "aws:s3",
            "eventName": "ObjectCreated:Put",
            "eventTime": "2026-01-01T00:00:00.000Z",
            "s3": {"bucket": {"name": "articles"}, "object": {"key": "a.txt", "size": 1}},
        }
    ]
}
# Each function: its build folder, the clients its composition root creates, and what its first
# invocation builds and imports before its first AWS request.
FUNCTIONS = {
    "ingest": (
        "IngestFunction",
        ("s3", "dynamodb"),
        "app.ingest_function().budgeted_analyzer(); "
        f"app.read_delivery({S3_PUT!r}); import newswatch.usecases.ingest",
    ),
    "alert": (
        "AlertFunction",
        ("dynamodb", "sns"),
        "app.alert_function(); import newswatch.adapters.dynamodb_codec",
    ),
    "digest": (
        "DigestFunction",
        ("dynamodb", "sns"),
        "app.digest_function(); import newswatch.usecases.digest, newswatch.domain.taxonomy, "
        "newswatch.domain.places",
    ),
}


def samples(build: str, prefix: str = "") -> dict[str, tuple[str, str]]:
    """name -> (the build's mount point and function folder, Python code run in a fresh
    process); the baselines only with no prefix."""
    found: dict[str, tuple[str, str]] = {} if prefix else {"boto3": (f"{build}/", "import boto3")}
    for name, (folder, clients, code) in FUNCTIONS.items():
        made = "; ".join(f"boto3.client({c!r})" for c in clients)
        found[f"{prefix}{name}.import"] = (f"{build}/{folder}", "import app; import boto3")
        found[f"{prefix}{name}.ready"] = (f"{build}/{folder}", f"import app; {code}")
        if not prefix:
            found[f"{name}.ready.baseline"] = (f"{build}/", f"import boto3; {made}")
    return found


# Runs inside the container: fresh interpreters, alternating, timed from outside each process.
# A build is mounted at /<build>: its layer at /<build>/CoreLayer, each function beside it.
DRIVER = """
import json, os, subprocess, sys, time
runs, plan = int(sys.argv[1]), json.loads(sys.argv[2])
times = {name: [] for name in plan}
for _ in range(runs):
    for name, (task, code) in plan.items():
        build = task.split("/")[1]
        layer = f"/{build}/CoreLayer/python/lib/python3.12/site-packages:/{build}/CoreLayer/python"
        env = dict(os.environ, PYTHONPATH=f"{task.rstrip('/')}:{layer}")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=task, env=env)
        times[name].append(time.perf_counter() - started)
print(json.dumps({k: [round(1000 * s, 1) for s in v] for k, v in times.items()}))
"""


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


class NotMeasurableError(RuntimeError):
    """No build or no Docker engine: what to run first."""


def measure(
    runs: int = 15,
    build: Path | None = None,
    before: Path | None = None,
    also_import: str | None = None,
) -> dict[str, Any]:
    """The samples in one container run: medians and ratios per function (see the module doc).
    Raises NotMeasurableError when the build or the image is missing."""
    arch = "x86_64" if platform.machine().lower() in ("x86_64", "amd64") else "arm64"
    build = build or REPO / ".aws-sam" / f"local-{arch}"
    image = f"newswatch/lambda-python:3.12-{arch}"
    for folder in (build, before):
        if folder is not None and not (folder / "CoreLayer" / "python").is_dir():
            raise NotMeasurableError(f"no layer in {folder}: run `make sam-local` first")
    mounts = ["-v", f"{build.resolve()}:/after:ro"]
    plan = samples("/after")
    if before is not None:
        mounts += ["-v", f"{before.resolve()}:/before:ro"]
        plan |= samples("/before", prefix="before:")
    if also_import:
        for name, (folder, _, _) in FUNCTIONS.items():
            code = f"import app; import boto3; import {also_import}"
            plan[f"{name}.import+also"] = (f"/after/{folder}", code)
    command = [
        "docker", "run", "--rm", *mounts,
        # What the template gives the functions, and a region and credentials for the clients
        # (creating a client sends no request).
        "-e", "AWS_REGION=us-east-1", "-e", "AWS_DEFAULT_REGION=us-east-1",
        "-e", "AWS_ACCESS_KEY_ID=cold", "-e", "AWS_SECRET_ACCESS_KEY=cold",
        "-e", "POWERTOOLS_SERVICE_NAME=newswatch",
        "-e", "POWERTOOLS_METRICS_NAMESPACE=newswatch",
        "-e", "NEWSWATCH_TABLE=newswatch-ArticlesTable",
        "-e", "NEWSWATCH_TOPIC_ARN=arn:aws:sns:us-east-1:123456789012:newswatch-alerts",
        "--entrypoint", "/var/lang/bin/python3.12",
        image, "-c", DRIVER, str(runs), json.dumps(plan),
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise NotMeasurableError("no docker command: run `make invoke-image` first") from None
    if done.returncode != 0:
        raise NotMeasurableError(f"the container run failed: {done.stderr.strip()[-500:]}")
    times = json.loads(done.stdout.strip().splitlines()[-1])
    medians = {name: median(values) for name, values in times.items()}
    boto3_ms = medians["boto3"]
    functions: dict[str, dict[str, Any]] = {}
    for name in FUNCTIONS:
        ready_base = medians[f"{name}.ready.baseline"]
        for prefix in ("", "before:") if before else ("",):
            functions[f"{prefix}{name}"] = {
                "import_median_ms": medians[f"{prefix}{name}.import"],
                "import_ratio": round(medians[f"{prefix}{name}.import"] / boto3_ms, 3),
                "ready_median_ms": medians[f"{prefix}{name}.ready"],
                "ready_baseline_median_ms": ready_base,
                "ready_ratio": round(medians[f"{prefix}{name}.ready"] / ready_base, 3),
            }
        if also_import:
            also = medians[f"{name}.import+also"]
            functions[name] |= {
                "also_import": also_import,
                "import_with_it_median_ms": also,
                "import_with_it_ratio": round(also / boto3_ms, 3),
            }
    ratio = functions["ingest"]["import_ratio"]
    return {
        "runs": runs,
        "architecture": arch,
        "boto3_process_median_ms": boto3_ms,
        "handler_process_median_ms": functions["ingest"]["import_median_ms"],
        "ratio": ratio,
        "target": TARGET,
        "verdict": "met" if ratio <= TARGET else "not met",
        "functions": functions,
        "samples_ms": times,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--build", type=Path, help="a `sam build` folder (default .aws-sam/local-<arch>)"
    )
    parser.add_argument(
        "--before", type=Path, help="another build, measured in the same run (before/after)"
    )
    parser.add_argument(
        "--also-import", metavar="MODULE", help="also measure each handler's import plus MODULE's"
    )
    args = parser.parse_args(argv)
    try:
        result = measure(args.runs, args.build, args.before, args.also_import)
    except NotMeasurableError as error:
        sys.exit(str(error))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
