"""Cold start: what each handler's import loads, in a fresh interpreter as Lambda starts one.

The import is what every cold start pays before the first event (bench/cold_layer.py measures
it against a bare ``import boto3``). What only some events or the first record need is imported
there: the analyzer and its per-article budget (ingest's first record), powertools' event data
classes (the first S3 or EventBridge notification), the ingest use case, the gazetteer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import app
print(json.dumps(sorted(sys.modules)))
"""

# Never loaded by any handler's import.
NOT_AT_IMPORT = (
    "boto3",
    "newswatch.analyzer",
    "newswatch.budget",
    "newswatch.domain.places",
    "newswatch.domain.tagger",
    "newswatch.extract",
    "aws_lambda_powertools.utilities.data_classes",
    "aws_lambda_powertools.utilities.batch",
    "asyncio",
)


def modules_after_import(function: str) -> set[str]:
    env = {
        **os.environ,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "NEWSWATCH_TABLE": "articles",
        "NEWSWATCH_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(REPO / "functions" / function)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("function", ["ingest", "alert", "digest"])
def test_handler_import_leaves_what_the_first_event_needs_to_the_first_event(
    function: str,
) -> None:
    loaded = modules_after_import(function)
    assert {"aws_lambda_powertools.logging", "aws_lambda_powertools.metrics"} <= loaded
    assert sorted(m for m in NOT_AT_IMPORT if m in loaded) == []


def test_ingest_handler_import_leaves_the_use_case_to_the_first_record() -> None:
    loaded = modules_after_import("ingest")
    assert "newswatch.usecases.ingest" not in loaded
    assert "newswatch.usecases.alert" not in loaded


def test_the_event_data_classes_come_with_the_first_notification() -> None:
    code = (
        "import json, sys; from newswatch.adapters.s3_events import parse_payload; "
        "before = 'aws_lambda_powertools.utilities.data_classes' in sys.modules; "
        "found = parse_payload(json.load(open('events/s3-put.json'))); "
        "print(before, 'aws_lambda_powertools.utilities.data_classes' in sys.modules, "
        "len(found.objects))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert done.stdout.split() == ["False", "True", "1"]
