"""The default install and the zip function must not pay for torch or transformers.

Each check runs in a fresh interpreter, where sys.modules shows exactly what an import pulled in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.ml

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "tokenizers", "safetensors", "all_minilm_l6_v2")

PROBE = """
import importlib, json, sys
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
handler = sys.argv[2]
if handler:
    # As Lambda does: the function's folder on the path, then `import app`.
    sys.path.insert(0, handler)
    importlib.import_module("app")
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in json.loads(sys.argv[3]))))
"""


def loaded_heavy_modules(modules: list[str], handler: Path | None = None) -> list[str]:
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "NEWSWATCH_TABLE": "articles",
        "NEWSWATCH_ENGINE": "transformers",
        "NEWSWATCH_TAGGER": "hybrid",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            PROBE,
            json.dumps(modules),
            str(handler or ""),
            json.dumps(HEAVY),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_the_package_the_pipeline_and_the_engines_modules_import_nothing_heavy() -> None:
    modules = [
        "newswatch",
        "newswatch.analyzer",
        "newswatch.composition",
        "newswatch.settings",
        "newswatch.usecases.ingest",
        "newswatch.usecases.reprocess",
        "newswatch.usecases.alert",
        "newswatch.usecases.digest",
        # Even the engines load their libraries only when a model is actually used.
        "newswatch.engines.abstractive",
        "newswatch.engines.semantic",
        "newswatch.engines.zeroshot",
    ]
    assert loaded_heavy_modules(modules) == []


def test_the_zip_ingest_handler_imports_nothing_heavy() -> None:
    handler = ROOT / "functions" / "ingest"
    if not (handler / "app.py").is_file():
        pytest.skip("functions/ingest/app.py is not there")
    assert loaded_heavy_modules([], handler) == []


def test_the_probe_does_see_heavy_imports() -> None:
    # Guards the two tests above against a probe that could never find anything.
    assert "torch" in loaded_heavy_modules(["torch"])
