"""Helpers for the template tests: template.yaml as written, the tools of the ``.tools`` venv (sam,
cfn-lint, checkov) and how to run them without reaching the network. A module of its own (not
conftest) so test modules can import it unambiguously."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping
from importlib import metadata
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


# The SDK the Lambda python3.12 runtime provides (constraints.txt pins its stand-in).
RUNTIME_SDK = ("boto3", "botocore", "s3transfer")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_sdk_conflicts(versions: Mapping[str, str]) -> list[str]:
    """Where ``versions`` ({distribution: version}, e.g. what a layer carries) break a range that
    boto3, botocore or s3transfer declare (as installed here, for Python 3.12 on Linux)."""
    from packaging.requirements import Requirement

    found = []
    environment = {"python_version": "3.12", "python_full_version": "3.12.1", "extra": ""}
    wanted = {canonical(k): v for k, v in versions.items()}
    for dist in RUNTIME_SDK:
        for line in metadata.requires(dist) or []:
            requirement = Requirement(line)
            if requirement.marker is not None and not requirement.marker.evaluate(environment):
                continue
            version = wanted.get(canonical(requirement.name))
            if version is not None and not requirement.specifier.contains(
                version, prereleases=True
            ):
                found.append(f"{requirement.name} {version} breaks {dist}'s {requirement}")
    return found
