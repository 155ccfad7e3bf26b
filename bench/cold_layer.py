"""Cold import of the ingest handler as Lambda runs it: the layer `sam build` ships (precompiled,
trimmed) at /opt/python, the function at /var/task, boto3 from the runtime, in the local stand-in
for the python3.12 base image. Each sample is a whole fresh interpreter process (start, import,
exit), ``import boto3`` and ``import app`` alternating in the same run; medians and their ratio.

    make sam-local                       # builds .aws-sam/local-<arch> and the image once
    .venv/bin/python bench/cold_layer.py [--runs 15]

bench/speed.py's cold section measures the same import in the venv, from sources, where
setuptools' editable finder and the X-Ray-traced environment add costs Lambda does not have.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = 1.3  # at most: handler import / bare boto3 import, whole process (issue 15)

# Runs inside the container: fresh interpreters, alternating, timed from outside each process.
DRIVER = """
import json, statistics, subprocess, sys, time
runs = int(sys.argv[1])
samples = {"boto3": [], "app": []}
for _ in range(runs):
    for module in ("boto3", "app"):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
        samples[module].append(time.perf_counter() - started)
print(json.dumps({k: [round(1000 * s, 1) for s in v] for k, v in samples.items()}))
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    arch = "x86_64" if platform.machine().lower() in ("x86_64", "amd64") else "arm64"
    build = REPO / ".aws-sam" / f"local-{arch}"
    image = f"newswatch/lambda-python:3.12-{arch}"
    if not (build / "CoreLayer" / "python").is_dir():
        sys.exit(f"no {build.relative_to(REPO)}: run `make sam-local` first")
    command = [
        "docker", "run", "--rm",
        "-v", f"{build / 'CoreLayer'}:/opt:ro",
        "-v", f"{build / 'IngestFunction'}:/var/task:ro",
        "-w", "/var/task",
        # What the bootstrap sets, plus what the template gives IngestFunction.
        "-e", "PYTHONPATH=/var/task:/opt/python/lib/python3.12/site-packages:/opt/python",
        "-e", "AWS_REGION=us-east-1",
        "-e", "POWERTOOLS_SERVICE_NAME=newswatch",
        "-e", "POWERTOOLS_METRICS_NAMESPACE=newswatch",
        "-e", "NEWSWATCH_TABLE=newswatch-ArticlesTable",
        "--entrypoint", "/var/lang/bin/python3.12",
        image, "-c", DRIVER, str(args.runs),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(done.stderr)
    samples = json.loads(done.stdout.strip().splitlines()[-1])

    def median(values: list[float]) -> float:
        ordered = sorted(values)
        middle = len(ordered) // 2
        return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2

    boto3_ms, app_ms = median(samples["boto3"]), median(samples["app"])
    ratio = round(app_ms / boto3_ms, 3)
    print(
        json.dumps(
            {
                "runs": args.runs,
                "architecture": arch,
                "boto3_process_median_ms": boto3_ms,
                "handler_process_median_ms": app_ms,
                "ratio": ratio,
                "target": TARGET,
                "verdict": "met" if ratio <= TARGET else "not met",
                "samples_ms": samples,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
