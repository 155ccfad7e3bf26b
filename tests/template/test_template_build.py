"""`sam build` builds the layer and the zip functions from template.yaml and samconfig.toml.

It runs on a copy of the project (template, samconfig, functions, the newswatch package) in a
temporary directory, with python3.12 from pyenv as the runtime needs. The default variant leaves out
layers/core/requirements.txt, so pip has nothing to download and the test stays offline; the slow
variant builds the real layer, downloading the arm64 wheels from PyPI.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from template_support import REPO, find_tool, load_template, run

pytestmark = pytest.mark.tools

ZIP_FUNCTIONS = ("IngestFunction", "AlertFunction", "DigestFunction")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".mypy_cache")


def _copy_project(dest: Path, *, with_requirements: bool) -> None:
    template = load_template()
    for name in ZIP_FUNCTIONS:
        props = template["Resources"][name]["Properties"]
        handler = REPO / props["CodeUri"] / (props["Handler"].rpartition(".")[0] + ".py")
        if not handler.exists():
            pytest.skip(f"{handler.relative_to(REPO)} is not written yet")
    for name in ("template.yaml", "samconfig.toml"):
        shutil.copy2(REPO / name, dest / name)
    shutil.copytree(REPO / "functions", dest / "functions", ignore=IGNORE)
    layer = dest / "layers" / "core"
    shutil.copytree(REPO / "layers" / "core" / "newswatch", layer / "newswatch", ignore=IGNORE)
    # layers/core/Makefile builds the layer, with the repository's constraints.txt.
    shutil.copy2(REPO / "layers" / "core" / "Makefile", layer / "Makefile")
    shutil.copy2(REPO / "constraints.txt", dest / "constraints.txt")
    requirements = layer / "requirements.txt"
    if with_requirements:
        shutil.copy2(REPO / "layers" / "core" / "requirements.txt", requirements)
    else:
        requirements.write_text("# nothing to download\n")


def _build(project: Path, tool_env: dict[str, str]) -> Path:
    sam = find_tool("sam")
    if shutil.which("pyenv", path=tool_env.get("PATH")) is None and not shutil.which("python3.12"):
        pytest.skip("no python3.12 for the python3.12 runtime (pyenv install 3.12)")
    env = {**tool_env, "PYENV_VERSION": "3.12.1", "LAYER_ARCH": "arm64"}
    build_dir = project / ".aws-sam" / "build"
    result = run(
        [sam, "build", "--build-dir", str(build_dir), "--cache-dir", str(project / ".cache")],
        env,
        cwd=project,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Build Succeeded" in result.stdout + result.stderr
    return build_dir


def _check_artifacts(build_dir: Path) -> dict[str, Any]:
    built = load_template(build_dir / "template.yaml")
    resources = built["Resources"]
    for name in ZIP_FUNCTIONS:
        assert resources[name]["Properties"]["CodeUri"] == name
        assert (build_dir / name / "app.py").is_file()
    layer = resources["CoreLayer"]["Properties"]
    assert layer["ContentUri"] == "CoreLayer"
    # The layer's Makefile puts the package under python/, which Lambda mounts on sys.path.
    assert (build_dir / "CoreLayer" / "python" / "newswatch" / "__init__.py").is_file()
    assert (build_dir / "CoreLayer" / "python" / "newswatch" / "taxonomy.yaml").is_file()
    # The developer tools (tools/newswatch_tools) are not deployed with the runtime.
    package = build_dir / "CoreLayer" / "python" / "newswatch"
    assert not (build_dir / "CoreLayer" / "python" / "newswatch_tools").exists()
    for tool in ("cli", "local", "bench", "evaluation.py", "report.py"):
        assert not (package / tool).exists(), tool
    # samconfig.toml excludes the image function (it needs Docker); it is left as written.
    assert not (build_dir / "IngestMlFunction").exists()
    assert resources["IngestMlFunction"]["Properties"]["ImageUri"] == {"Ref": "IngestMlImageUri"}
    return built


def test_sam_build_builds_layer_and_functions(tmp_path: Path, tool_env: dict[str, str]) -> None:
    _copy_project(tmp_path, with_requirements=False)
    _check_artifacts(_build(tmp_path, tool_env))


@pytest.mark.slow
def test_sam_build_with_dependencies_for_arm64(tmp_path: Path, tool_env: dict[str, str]) -> None:
    """The real layer: every runtime dependency, as arm64 wheels (downloads from PyPI)."""
    _copy_project(tmp_path, with_requirements=True)
    build_dir = _build(tmp_path, tool_env)
    _check_artifacts(build_dir)
    python = build_dir / "CoreLayer" / "python"
    for package in ("aws_lambda_powertools", "trafilatura", "pypdf", "docx", "yaml", "newswatch"):
        assert (python / package).is_dir(), package
    assert not (python / "torch").exists() and not (python / "transformers").exists()
    # The runtime's boto3 must not be paired with another botocore from the layer (/opt/python
    # comes first on sys.path).
    assert not (python / "botocore").exists()
    binaries = [p.name for p in python.rglob("*.so")]
    assert binaries, "expected compiled extensions (lxml, PyYAML, charset-normalizer)"
    assert all("x86_64" not in name for name in binaries)
    assert any("aarch64" in name for name in binaries)
