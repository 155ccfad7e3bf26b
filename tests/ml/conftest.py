"""Fixtures for the transformers engine: a tiny random BART built offline, once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

SEED_ARTICLE = Path(__file__).resolve().parents[2] / "seeds" / "jeddah-ceasefire-talks.txt"


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread() -> Iterator[None]:
    # On a shared 2-core machine, torch's spinning worker threads make tiny models 10x slower.
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def article_text() -> str:
    return SEED_ARTICLE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, article_text: str) -> Path:
    from newswatch.engines.tiny import build_tiny_seq2seq

    return build_tiny_seq2seq(tmp_path_factory.mktemp("tiny-bart"), article_text)
