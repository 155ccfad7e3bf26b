"""Fresh child interpreters in the ingest function's environment, as Lambda would start them:
the template's settings, what the Lambda runtime sets (tracing active, dummy credentials), and
nothing of the caller's AWS or newswatch settings."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from speed_stats import last_json_line

REPO = Path(__file__).resolve().parents[1]
# A trace header as Lambda sets it with Tracing: Active (not sampled: no segments are sent).
TRACE_HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"


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
