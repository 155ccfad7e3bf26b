"""Assemble a :class:`~newswatch.pipeline.Pipeline` from plain options or from :class:`Settings`.

The CLI, the Lambda handlers and the benchmarks all build their pipeline here, so an engine or
tagger choice means the same thing everywhere. Engines are imported only when chosen.
"""

from __future__ import annotations

from pathlib import Path

from newswatch.budget import BudgetedAnalyzer
from newswatch.domain.models import SummaryLength
from newswatch.domain.ports import Summarizer, Tagger
from newswatch.pipeline import Pipeline, PipelineOptions
from newswatch.settings import Settings, SettingsError

ENGINES = ("extractive", "transformers")
TAGGERS = ("pattern", "semantic", "hybrid")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def build_pipeline(
    *,
    engine: str = "extractive",
    tagger: str = "pattern",
    taxonomy_path: Path | str | None = None,
    min_score: float = 0.3,
    length: SummaryLength | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    model_dir: Path | str | None = None,
    embedding_dir: Path | str | None = None,
    nli_dir: Path | str | None = None,
) -> Pipeline:
    """Raise SettingsError for an unknown or unavailable engine/tagger, TaxonomyError for a bad
    taxonomy file."""
    if not 0.0 <= min_score <= 1.0:
        raise SettingsError(f"min_score must be between 0 and 1, got {min_score}")
    if max_bytes < 1:
        raise SettingsError(f"max_bytes must be at least 1, got {max_bytes}")
    options = PipelineOptions(length=length or SummaryLength(), max_bytes=max_bytes)
    from newswatch.domain.places import PlaceDetector

    return Pipeline(
        build_summarizer(engine, model_dir=model_dir),
        build_tagger(
            tagger,
            taxonomy_path=taxonomy_path,
            min_score=min_score,
            embedding_dir=embedding_dir,
            nli_dir=nli_dir,
        ),
        options,
        # Cheap to build: the gazetteer is read on the first article, not here.
        places=PlaceDetector(),
    )


def build_summarizer(engine: str, *, model_dir: Path | str | None = None) -> Summarizer:
    if engine == "extractive":
        from newswatch.domain.summarize import ExtractiveSummarizer

        return ExtractiveSummarizer()
    if engine == "transformers":
        _require_ml("the transformers engine")
        if model_dir is None or not (Path(model_dir) / "config.json").is_file():
            raise SettingsError(
                "the transformers engine needs a local model folder (with config.json): "
                f"--model-dir DIR or NEWSWATCH_MODEL_DIR (got {model_dir})"
            )
        from newswatch.domain.summarize import ExtractiveSummarizer
        from newswatch.engines.abstractive import FallbackSummarizer, TransformersSummarizer

        # The extractive engine stands in when the model fails or time runs out.
        return FallbackSummarizer(TransformersSummarizer(model_dir), ExtractiveSummarizer())
    raise SettingsError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


def build_tagger(
    tagger: str,
    *,
    taxonomy_path: Path | str | None = None,
    min_score: float = 0.3,
    embedding_dir: Path | str | None = None,
    nli_dir: Path | str | None = None,
) -> Tagger:
    if tagger == "pattern":
        from newswatch.domain.tagger import PatternTagger
        from newswatch.domain.taxonomy import load_taxonomy

        return PatternTagger(load_taxonomy(taxonomy_path), min_score=min_score)
    if tagger in ("semantic", "hybrid"):
        _require_ml(f"the {tagger} tagger")
        from newswatch.domain.tagger import PatternTagger
        from newswatch.domain.taxonomy import load_taxonomy
        from newswatch.engines.semantic import (
            HybridTagger,
            ScoringTagger,
            SemanticTagger,
            SentenceEncoder,
        )

        taxonomy = load_taxonomy(taxonomy_path)
        semantic: ScoringTagger
        if nli_dir is not None:
            from newswatch.engines.zeroshot import ZeroShotTagger

            semantic = ZeroShotTagger(taxonomy, nli_dir, min_score=max(min_score, 0.5))
        else:
            semantic = SemanticTagger(
                taxonomy, encoder=SentenceEncoder(embedding_dir), min_score=min_score
            )
        if tagger == "semantic":
            return semantic
        return HybridTagger(PatternTagger(taxonomy, min_score=min_score), semantic)
    raise SettingsError(f"unknown tagger {tagger!r}; choose one of {', '.join(TAGGERS)}")


def _require_ml(what: str) -> None:
    import importlib.util

    if any(importlib.util.find_spec(m) is None for m in ("torch", "transformers")):
        raise SettingsError(f"{what} needs the ml extra: pip install 'newswatch[ml]'")


def build_pipeline_from_settings(settings: Settings) -> Pipeline:
    return build_pipeline(
        engine=settings.engine,
        tagger=settings.tagger,
        taxonomy_path=settings.taxonomy_path,
        min_score=settings.min_topic_score,
        length=SummaryLength(sentences=settings.summary_sentences),
        max_bytes=settings.max_article_bytes,
        model_dir=settings.model_dir,
        embedding_dir=settings.embedding_model_dir,
        nli_dir=settings.nli_model_dir,
    )


def budgeted(pipeline: Pipeline, settings: Settings) -> BudgetedAnalyzer:
    """The pipeline with each article in a bounded child process (newswatch/budget.py)."""
    return BudgetedAnalyzer(
        pipeline,
        seconds=settings.article_seconds,
        memory_mb=settings.article_memory_mb or None,
    )
