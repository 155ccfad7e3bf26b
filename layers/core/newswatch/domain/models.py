"""Value objects shared by extraction, the engines, the service and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field

# The largest article accepted, in bytes (NEWSWATCH_MAX_ARTICLE_BYTES overrides it).
DEFAULT_MAX_ARTICLE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Document:
    """Clean article text extracted from a file, with what the format told us about it."""

    text: str
    title: str | None = None
    format: str = "txt"
    url: str | None = None
    source: str | None = None
    published: str | None = None
    # What extraction noticed and the record should say, e.g. "pdf_pages_skipped".
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SummaryLength:
    """How long a summary may be: a sentence count, and optionally a word budget.

    ``ratio`` (0..1) asks for a budget relative to the article's length in words; it is what the
    BBC evaluation uses because its reference summaries grow with the article.
    """

    sentences: int = 3
    words: int | None = None
    ratio: float | None = None


@dataclass(frozen=True)
class Summary:
    sentences: tuple[str, ...]
    engine: str = "extractive"
    # True when the article was too short to summarize: the summary is then the text itself.
    too_short: bool = False
    # Set by the engine, e.g. "summary_fallback:deadline" when the extractive engine stood in.
    flags: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


@dataclass(frozen=True)
class TopicTag:
    """A topic the tagger gave an article, with its score, IPTC code and evidence sentences.

    The one form of a topic from the tagger to the alert: the stored article item holds these
    (``newswatch.domain.records``), the DynamoDB codec (``adapters/dynamodb_codec.py``) writes
    and reads them, and the alert decision and messages take them (``domain/alerts.py``).
    """

    label: str
    score: float
    iptc: str | None = None
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlaceTag:
    """A country the article is about: ISO 3166-1 alpha-2 code, its name, score and evidence.

    Like :class:`TopicTag`, the one form from the detector through the stored item to the alert.
    """

    code: str
    name: str
    score: float
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class Analysis:
    """The result of processing one article: what is stored and what alerts are built from."""

    title: str | None
    language: str
    word_count: int
    content_sha256: str
    summary: Summary
    topics: tuple[TopicTag, ...]
    document: Document
    flags: tuple[str, ...] = field(default=())
    # The title, else the first sentence shortened (see newswatch.domain.headline).
    headline: str | None = None
    # The countries the article is about (see newswatch.domain.places), highest score first.
    places: tuple[PlaceTag, ...] = ()

    def topic(self, label: str) -> TopicTag | None:
        return next((t for t in self.topics if t.label == label), None)
