"""The Lambda layer's requirements.txt and pyproject's default dependencies stay in step."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# boto3 comes with the Lambda runtime; rich is only for the CLI.
NOT_IN_LAYER = {"boto3", "rich"}

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;#]*)")


def parse(lines: list[str]) -> dict[str, str]:
    """{canonical name: version specifier} (extras may differ: the layer can ask for more)."""
    found: dict[str, str] = {}
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = _REQUIREMENT.match(line)
        assert match, f"unparsable requirement: {line!r}"
        name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
        assert name not in found, f"{name} listed twice"
        found[name] = match.group(3).replace(" ", "")
    return found


def test_layer_requirements_match_default_dependencies() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    default = parse(pyproject["project"]["dependencies"])
    layer = parse((REPO_ROOT / "layers/core/requirements.txt").read_text().splitlines())
    expected = {name: spec for name, spec in default.items() if name not in NOT_IN_LAYER}
    assert set(layer) == set(expected)
    assert layer == expected, "same versions in the layer as in pyproject"
    assert set(default) >= NOT_IN_LAYER


def test_parse_handles_extras_markers_and_comments() -> None:
    parsed = parse(["# comment", "", "Foo_Bar[x,y] >=1.0, <2  # why", "baz; python_version>'3'"])
    assert parsed == {"foo-bar": ">=1.0,<2", "baz": ""}
