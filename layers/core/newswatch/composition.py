"""The composition root: every object the functions, the CLI and the local stack use is built here.

- :func:`build_analyzer` / :func:`analyzer_from_settings`: the engine, tagger and place detector,
  so an engine or tagger choice means the same thing in the CLI, the handlers and the benchmarks.
  Engines are imported only when chosen.
- :func:`ingest_function`, :func:`alert_function`, :func:`digest_function`: each Lambda function's
  settings, clients and adapters, built once per execution environment (cached) and lazily: the
  handler's import costs powertools and this module only (boto3 comes with the first client),
  and the analyzer is built on the first record: modules that build them are imported there.
  :func:`reset` forgets them (a new execution environment, for tests and the local stack).

The handlers import from here and from the use cases only; :class:`LocalContext` (for callers with
no Lambda context), :func:`metrics_namespace`, the batch responses and the errors they catch are
re-exported for them.

Why this module is long: it wires every function, the CLI and the benchmarks in one place, and
imports what each builds inside the function that builds it (the handlers' cold start).
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newswatch.adapters.lambda_batch import sqs_batch, stream_batch
from newswatch.adapters.lambda_context import LocalContext
from newswatch.adapters.s3_events import (
    Delivery,
    ObjectRef,
    RemovedObject,
    UnrecognizedMessageError,
)
from newswatch.domain.errors import NothingStoredYetError, OutOfTimeError
from newswatch.domain.models import DEFAULT_MAX_ARTICLE_BYTES, SummaryLength
from newswatch.settings import ENGINES, TAGGERS, Settings, SettingsError, metrics_namespace

__all__ = [
    "ENGINES",
    "TAGGERS",
    "AlertFunction",
    "Backfill",
    "Delivery",
    "DigestFunction",
    "IngestFunction",
    "LocalContext",
    "NothingStoredYetError",
    "ObjectRef",
    "OutOfTimeError",
    "RemovedObject",
    "SettingsError",
    "UnrecognizedMessageError",
    "alert_function",
    "analyzer_from_settings",
    "backfill",
    "budgeted",
    "build_analyzer",
    "build_summarizer",
    "build_tagger",
    "digest_function",
    "ingest_function",
    "metrics_namespace",
    "read_delivery",
    "reset",
    "settings",
    "sqs_batch",
    "stream_batch",
]


def read_delivery(payload: Any, *, body: bool = False) -> Delivery:
    """What an ingest invocation received (an SQS message's body, or a direct invocation's
    event), read by the S3 events adapter (:mod:`newswatch.adapters.s3_events`); raises
    :class:`UnrecognizedMessageError` for anything that is not an object-created delivery."""
    from newswatch.adapters.s3_events import parse_body, parse_payload

    return parse_body(payload) if body else parse_payload(payload)


if TYPE_CHECKING:
    from newswatch.adapters.archive import Archive
    from newswatch.adapters.backfill import DynamoBackfillStore
    from newswatch.adapters.digest_marks import DynamoDigestMarks
    from newswatch.adapters.dynamodb import DynamoArticleStore
    from newswatch.adapters.s3 import S3ArticleSource
    from newswatch.adapters.sns import SnsAlertPublisher
    from newswatch.analyzer import Analyzer
    from newswatch.budget import BudgetedAnalyzer
    from newswatch.ports import ArticleLinker, Deadline, Summarizer, Tagger
    from newswatch.usecases.alert import AlertOutcome
    from newswatch.usecases.digest import DigestResult
    from newswatch.usecases.ingest import IngestOutcome
    from newswatch.usecases.retract import RetractOutcome


def build_analyzer(
    *,
    engine: str = "extractive",
    tagger: str = "pattern",
    taxonomy_path: Path | str | None = None,
    min_score: float = 0.3,
    length: SummaryLength | None = None,
    max_bytes: int = DEFAULT_MAX_ARTICLE_BYTES,
    model_dir: Path | str | None = None,
    embedding_dir: Path | str | None = None,
    nli_dir: Path | str | None = None,
) -> Analyzer:
    """Raise SettingsError for an unknown or unavailable engine/tagger, TaxonomyError for a bad
    taxonomy file."""
    if not 0.0 <= min_score <= 1.0:
        raise SettingsError(f"min_score must be between 0 and 1, got {min_score}")
    if max_bytes < 1:
        raise SettingsError(f"max_bytes must be at least 1, got {max_bytes}")
    from newswatch.analyzer import Analyzer, AnalyzerOptions
    from newswatch.domain.places import PlaceDetector

    options = AnalyzerOptions(length=length or SummaryLength(), max_bytes=max_bytes)
    return Analyzer(
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


def analyzer_from_settings(settings: Settings) -> Analyzer:
    return build_analyzer(
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


def budgeted(analyzer: Analyzer, settings: Settings) -> BudgetedAnalyzer:
    """The analyzer with each article in a bounded child process (newswatch/budget.py)."""
    from newswatch.budget import BudgetedAnalyzer

    return BudgetedAnalyzer(
        analyzer,
        seconds=settings.article_seconds,
        memory_mb=settings.article_memory_mb or None,
    )


# -- the functions' dependencies, once per execution environment --------------------------------


def _client(service: str, **options: Any) -> Any:
    import boto3

    # One name for three services: boto3-stubs' per-service overloads cannot apply.
    make_client: Any = boto3.client
    return make_client(service, **options)


@dataclass
class IngestFunction:
    """IngestFunction's settings and adapters; the analyzer (each article in a bounded child
    process, newswatch/budget.py) is built on the first record."""

    settings: Settings
    source: S3ArticleSource
    store: DynamoArticleStore
    analyzer: Any = field(default=None)
    # The invocation's time left (Lambda's context.get_remaining_time_in_millis).
    deadline: Deadline | None = None

    def start_invocation(self, context: Any) -> None:
        """Once per invocation, with its Lambda context: each article's budget is cut from the
        time the invocation has left (``get_remaining_time_in_millis``) and its memory."""
        self.deadline = context.get_remaining_time_in_millis
        self.budgeted_analyzer().start_invocation(self.deadline, context.memory_limit_in_mb)

    def budgeted_analyzer(self) -> BudgetedAnalyzer:
        if self.analyzer is None:
            self.analyzer = budgeted(analyzer_from_settings(self.settings), self.settings)
        analyzer: BudgetedAnalyzer = self.analyzer
        return analyzer

    def ingest(self, ref: ObjectRef) -> IngestOutcome:
        from newswatch.budget import BudgetedAnalyzer
        from newswatch.usecases.ingest import ingest_object

        analyzer = self.analyzer if self.analyzer is not None else self.budgeted_analyzer()
        if isinstance(analyzer, BudgetedAnalyzer):
            analyzer.last_usage = None
        outcome = ingest_object(
            ref.bucket,
            ref.key,
            ref.version_id,
            ref.event_time,
            ref.size,
            source=self.source,
            store=self.store,
            analyzer=analyzer,
            settings=self.settings,
            near_index=self.store,
            deadline=self.deadline,
        )
        # What the article's analysis used (its child process), for the log.
        usage = getattr(analyzer, "last_usage", None)
        return replace(outcome, article_usage=asdict(usage)) if usage is not None else outcome

    def retract(self, removed: RemovedObject) -> RetractOutcome:
        """An object deleted from the bucket: its stored articles retracted."""
        from newswatch.usecases.retract import retract_object

        return retract_object(
            removed.bucket, removed.key, removed.version_id, removed.event_time, store=self.store
        )


@dataclass
class AlertFunction:
    settings: Settings
    store: DynamoArticleStore
    publisher: SnsAlertPublisher
    linker: ArticleLinker

    def article(self, wire_image: dict[str, Any]) -> dict[str, Any]:
        """A stream record's NewImage as the stored article (the codec's one decoding)."""
        from newswatch.adapters.dynamodb_codec import deserialize_item

        return deserialize_item(wire_image)

    def alert(self, image: dict[str, Any], remaining_ms: int | None = None) -> AlertOutcome:
        """``remaining_ms``: the invocation's time left, which sizes the claim's lease."""
        from newswatch.usecases.alert import alert_record, lease_for

        return alert_record(
            image,
            store=self.store,
            publisher=self.publisher,
            settings=self.settings,
            lease_seconds=lease_for(remaining_ms),
            linker=self.linker,
        )


@dataclass
class DigestFunction:
    settings: Settings
    archive: Archive
    marks: DynamoDigestMarks
    publisher: SnsAlertPublisher
    linker: ArticleLinker | None = None

    def send(
        self, remaining_ms: int | None = None, now: datetime | None = None
    ) -> list[DigestResult]:
        """``remaining_ms``: the invocation's time left, which sizes each period's claim."""
        from newswatch.domain.places import load_gazetteer
        from newswatch.domain.taxonomy import load_taxonomy
        from newswatch.usecases.digest import lease_for, send_digests

        return send_digests(
            archive=self.archive,
            marks=self.marks,
            publisher=self.publisher,
            # Every topic of the taxonomy: subscribers may follow digests of unwatched topics too.
            topics=load_taxonomy(self.settings.taxonomy_path).labels,
            now=now or datetime.now(UTC),
            # Articles are read only when the hourly cap may have held alerts back.
            held_lookup=self.settings.max_alerts_per_topic_per_hour > 0,
            lease=lease_for(remaining_ms),
            # Every country: a digest goes out for each one with articles since its last digest.
            places=load_gazetteer().countries,
            linker=self.linker,
        )


@dataclass
class Backfill:
    """What `newswatch backfill` runs: the reprocess use case over a deployment's clients."""

    settings: Settings
    source: S3ArticleSource
    store: DynamoBackfillStore
    analyzer: BudgetedAnalyzer

    def reprocess(self, bucket: str, key: str, version_id: str | None) -> IngestOutcome:
        from newswatch.usecases.reprocess import reprocess_object

        return reprocess_object(
            bucket,
            key,
            version_id,
            source=self.source,
            store=self.store,
            analyzer=self.analyzer,
            settings=self.settings,
        )


def backfill(s3: Any, dynamodb: Any, table_name: str, config: Settings) -> Backfill:
    """The backfill's dependencies over clients the CLI made for the stack it found."""
    from newswatch.adapters.backfill import DynamoBackfillStore
    from newswatch.adapters.s3 import S3ArticleSource

    return Backfill(
        settings=config,
        source=S3ArticleSource(s3),
        store=DynamoBackfillStore(dynamodb, table_name),
        # Each stored object analysed again within the deployed function's per-article budget.
        analyzer=budgeted(analyzer_from_settings(config), config),
    )


@functools.cache
def settings() -> Settings:
    return Settings.from_env()


@functools.cache
def ingest_function() -> IngestFunction:
    from newswatch.adapters.dynamodb import DynamoArticleStore
    from newswatch.adapters.s3 import S3ArticleSource

    config = settings()
    return IngestFunction(
        settings=config,
        source=S3ArticleSource(_client("s3")),
        store=DynamoArticleStore(_client("dynamodb"), config.table_name),
    )


@functools.cache
def alert_function() -> AlertFunction:
    from botocore.config import Config

    from newswatch.adapters.dynamodb import DynamoArticleStore
    from newswatch.adapters.links import article_linker
    from newswatch.adapters.sns import SnsAlertPublisher

    config = settings()
    return AlertFunction(
        settings=config,
        store=DynamoArticleStore(_client("dynamodb"), config.table_name),
        publisher=SnsAlertPublisher(_client("sns"), config.topic_arn),
        # SigV4 (what allows a 7-day link); signing is local, no request to S3.
        linker=article_linker(
            config, lambda: _client("s3", config=Config(signature_version="s3v4"))
        ),
    )


@functools.cache
def digest_function() -> DigestFunction:
    from botocore.config import Config

    from newswatch.adapters.archive import Archive
    from newswatch.adapters.digest_marks import DynamoDigestMarks
    from newswatch.adapters.links import article_linker
    from newswatch.adapters.sns import SnsAlertPublisher

    config = settings()
    dynamodb = _client("dynamodb")
    return DigestFunction(
        settings=config,
        archive=Archive(dynamodb, config.table_name),
        marks=DynamoDigestMarks(dynamodb, config.table_name),
        publisher=SnsAlertPublisher(_client("sns"), config.topic_arn),
        # Each listed article gets the alert's kind of link (signed locally: no request).
        linker=article_linker(
            config, lambda: _client("s3", config=Config(signature_version="s3v4"))
        ),
    )


def reset() -> None:
    """Forget the cached settings and clients, as a new execution environment would."""
    for cached in (settings, ingest_function, alert_function, digest_function):
        cached.cache_clear()
