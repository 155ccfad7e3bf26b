"""Fixtures for the template tests: template.yaml as written and as the SAM translator turns it
into plain CloudFormation, and the environment the tools run in."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from template_support import TEMPLATE, TOOLS_BIN, TRANSLATE, load_template, run


@pytest.fixture(scope="session")
def tool_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for sam/checkov: no telemetry, no weekly PyPI version check, no AWS endpoint."""
    sam_dir = tmp_path_factory.mktemp("sam-cli")
    # SAM CLI checks PyPI for a newer version at most once a week, remembered in metadata.json.
    (sam_dir / "metadata.json").write_text(
        json.dumps(
            {"telemetryEnabled": False, "installationId": "test", "lastVersionCheck": time.time()}
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.update(
        SAM_CLI_TELEMETRY="0",
        __SAM_CLI_APP_DIR=str(sam_dir),
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        PATH=f"{TOOLS_BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    """template.yaml as written (SAM resources, short tags in long form)."""
    return load_template()


@pytest.fixture(scope="session")
def transformed(tool_env: dict[str, str]) -> dict[str, Any]:
    """template.yaml after the SAM transform: the CloudFormation that AWS would deploy."""
    python = str(TOOLS_BIN / "python")
    probe = [python, "-c", "import samtranslator"]
    if not Path(python).exists() or run(probe, tool_env).returncode != 0:
        pytest.skip("samtranslator is not importable from the .tools venv (`make tools`)")
    result = run([python, str(TRANSLATE), str(TEMPLATE)], tool_env, timeout=120)
    assert result.returncode == 0, f"SAM translator failed:\n{result.stderr}"
    data: dict[str, Any] = json.loads(result.stdout)
    return data
