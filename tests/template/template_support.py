"""Helpers for the template tests: template.yaml as written, the tools of the ``.tools`` venv (sam,
cfn-lint, checkov) and how to run them without reaching the network. A module of its own (not
conftest) so test modules can import it unambiguously."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from newswatch_tools.local import template

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
TOOLS_BIN = REPO / ".tools" / "bin"
TRANSLATE = Path(__file__).with_name("sam_translate.py")


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    return template.load_template(path)


def find_tool(name: str) -> str:
    """A tool from PATH (`make pytest` puts .tools/bin there), else .tools/bin; skip if absent."""
    found = shutil.which(name) or (str(TOOLS_BIN / name) if (TOOLS_BIN / name).exists() else None)
    if found is None:
        pytest.skip(f"{name} is not installed: `make tools` installs sam, cfn-lint and checkov")
    return found


def run(
    command: list[str], env: Mapping[str, str], cwd: Path = REPO, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        check=False,
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def resources_of_type(cfn: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in cfn["Resources"].items()
        if resource["Type"] == kind
    }
