"""Selecting the transformers engine and the semantic/hybrid taggers: build, CLI and stored item."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from newswatch.composition import analyzer_from_settings, build_analyzer
from newswatch.engines.abstractive import (
    FLAG_FALLBACK_ERROR,
    FallbackSummarizer,
    GenerationSettings,
    TransformersSummarizer,
    load_model,
)
from newswatch.engines.semantic import HybridTagger, SemanticTagger
from newswatch.ports import ObjectHead
from newswatch.settings import Settings, SettingsError
from newswatch.usecases.ingest import ingest_object
from newswatch_tools.cli import main

pytestmark = pytest.mark.ml


class MemorySource:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def head(self, bucket: str, key: str, version_id: str | None) -> ObjectHead:
        return ObjectHead(size=len(self.data), version_id=version_id, content_type="text/plain")

    def read(self, bucket: str, key: str, version_id: str | None, max_bytes: int) -> bytes:
        return self.data

    def fetch(
        self, bucket: str, key: str, version_id: str | None, max_bytes: int
    ) -> tuple[ObjectHead, bytes]:
        return self.head(bucket, key, version_id), self.data


class MemoryStore:
    """Just enough of the ArticleStore protocol for ingest."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        return next((i for i in self.items if (i["pk"], i["sk"]) == (pk, sk)), None)

    def find_original(
        self, content_sha256: str, exclude: tuple[str, str] | None = None
    ) -> dict[str, Any] | None:
        return None

    def put_article(
        self,
        item: Mapping[str, Any],
        topic_items: Sequence[Mapping[str, Any]] = (),
        *,
        claim_content: bool = False,
        new_items: Sequence[Mapping[str, Any]] = (),
    ) -> str:
        self.items.append(dict(item))
        return "stored"


def test_settings_select_the_transformers_engine(tiny_model_dir: Path) -> None:
    settings = Settings.from_env(
        {"NEWSWATCH_ENGINE": "transformers", "NEWSWATCH_MODEL_DIR": str(tiny_model_dir)}
    )
    pipeline = analyzer_from_settings(settings)
    assert isinstance(pipeline.summarizer, FallbackSummarizer)
    assert pipeline.summarizer.name == "transformers:tiny-random-bart"


def test_the_transformers_engine_needs_a_model_folder(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="model folder"):
        build_analyzer(engine="transformers")
    with pytest.raises(SettingsError, match="model folder"):
        build_analyzer(engine="transformers", model_dir=tmp_path)


def test_semantic_and_hybrid_taggers_are_built() -> None:
    pytest.importorskip("all_minilm_l6_v2")
    assert isinstance(build_analyzer(tagger="semantic").tagger, SemanticTagger)
    assert isinstance(build_analyzer(tagger="hybrid").tagger, HybridTagger)


def test_the_stored_item_records_the_engine_and_the_fallback(
    tiny_model_dir: Path, tmp_path: Path, seed_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = GenerationSettings(num_beams=1, min_length=4, max_length=12)
    working = build_analyzer()
    working.summarizer = FallbackSummarizer(
        TransformersSummarizer(tiny_model_dir, fast), working.summarizer
    )
    store = MemoryStore()
    ingest_object(
        "bucket",
        "news/a.txt",
        "v1",
        "2026-11-29T18:00:00.000Z",
        len(seed_bytes),
        source=MemorySource(seed_bytes),
        store=store,
        analyzer=working,
        settings=Settings(),
    )
    [item] = store.items
    assert item["status"] == "processed"
    assert item["summary_engine"] == "transformers:tiny-random-bart"
    assert FLAG_FALLBACK_ERROR not in item["flags"]

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("simulated model failure")

    monkeypatch.setattr(load_model(tiny_model_dir).model, "generate", broken)
    ingest_object(
        "bucket",
        "news/a.txt",
        "v2",
        "2026-11-29T18:00:00.000Z",
        len(seed_bytes),
        source=MemorySource(seed_bytes),
        store=store,
        analyzer=working,
        settings=Settings(),
    )
    fallback = store.items[-1]
    assert fallback["status"] == "processed"
    assert fallback["summary_engine"] == "extractive"
    assert FLAG_FALLBACK_ERROR in fallback["flags"]
    assert fallback["summary"]


def test_cli_summarize_with_the_transformers_engine(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = tmp_path / "short.txt"
    article.write_text(
        "The ceasefire began at dawn. Talks resume in Jeddah on Tuesday. Aid lorries crossed "
        "the border. Both sides said the truce was holding. Officials will meet again next week.",
        encoding="utf-8",
    )
    code = main(
        [
            "summarize",
            "--engine",
            "transformers",
            "--model-dir",
            str(tiny_model_dir),
            "--sentences",
            "2",
            "--json",
            str(article),
        ]
    )
    assert code == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["summary_engine"] == "transformers:tiny-random-bart"
    assert record["summary"]


def test_cli_rejects_a_missing_model_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = tmp_path / "a.txt"
    article.write_text("One. Two. Three. Four. Five.", encoding="utf-8")
    code = main(
        ["summarize", "--engine", "transformers", "--model-dir", str(tmp_path), str(article)]
    )
    assert code == 2
    assert "model folder" in capsys.readouterr().err


def test_cli_hybrid_tagger_finds_the_paraphrase(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("all_minilm_l6_v2")
    article = tmp_path / "front.txt"
    article.write_text("The guns fell silent along the front.", encoding="utf-8")
    assert main(["summarize", "--tagger", "hybrid", "--json", str(article)]) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "ceasefire" in [t["label"] for t in record["topics"]]


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_the_ingest_handler_hands_the_invocation_deadline_to_the_engine(
    tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util
    import sys

    from newswatch.adapters.lambda_context import LocalContext

    handler = Path(__file__).resolve().parents[2] / "functions" / "ingest" / "app.py"
    for name, value in {
        "NEWSWATCH_ENGINE": "transformers",
        "NEWSWATCH_MODEL_DIR": str(tiny_model_dir),
        "NEWSWATCH_TABLE": "articles",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("ingest_app_deadline", handler)
    assert spec is not None and spec.loader is not None
    app = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, app)
    spec.loader.exec_module(app)

    from newswatch import composition

    context = LocalContext(timeout_seconds=5.0)
    # An s3:TestEvent is a delivery with no object (an empty Records list is refused as no S3
    # notification), so the invocation runs without touching AWS.
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent"}
    assert app.lambda_handler(test_event, context) == {"outcomes": []}
    # The budget is cut from the invocation's time; each article's analysis gets its deadline
    # as an argument in its child process (tests/unit/test_usecases_ingest.py checks it arrives).
    budgeted = composition.ingest_function().budgeted_analyzer()
    assert budgeted.remaining_ms == context.get_remaining_time_in_millis
    assert isinstance(budgeted.analyzer.summarizer, FallbackSummarizer)
