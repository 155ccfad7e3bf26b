"""One article from bytes to an Analysis: extract, segment, detect language, summarize, tag.

The CLI, the ingest use case and the benchmarks all call :class:`Analyzer` (built by
:mod:`newswatch.composition`), so what is measured is what is deployed. No AWS here: the use cases
add storage and alerts around it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from newswatch.domain.language import detect_language
from newswatch.domain.models import (
    DEFAULT_MAX_ARTICLE_BYTES,
    Analysis,
    Document,
    PlaceTag,
    Summary,
    SummaryLength,
)
from newswatch.domain.sentences import split_sentences
from newswatch.ports import Deadline, PlaceDetector, Summarizer, Tagger

# The taxonomy's patterns are English; other languages are summarized but not tagged.
TAGGED_LANGUAGES = frozenset({"en"})

FLAG_TOO_SHORT = "too_short"
FLAG_LANGUAGE_NOT_TAGGED = "language_not_tagged"


@dataclass(frozen=True)
class AnalyzerOptions:
    length: SummaryLength = field(default_factory=SummaryLength)
    max_bytes: int = DEFAULT_MAX_ARTICLE_BYTES


class Analyzer:
    """:class:`~newswatch.ports.ArticleAnalyzer`: the summarizer, tagger and place detector the
    composition root chose, applied to one article."""

    def __init__(
        self,
        summarizer: Summarizer,
        tagger: Tagger,
        options: AnalyzerOptions | None = None,
        places: PlaceDetector | None = None,
    ) -> None:
        self.summarizer = summarizer
        self.tagger = tagger
        self.options = options or AnalyzerOptions()
        self.places = places

    def analyze_bytes(
        self,
        data: bytes,
        name: str,
        content_type: str | None = None,
        deadline: Deadline | None = None,
    ) -> Analysis:
        """Raises a :class:`~newswatch.domain.errors.NewswatchError` for unreadable input.

        ``deadline``: the invocation's time left; a time-bounded summarizer (transformers) falls
        back to extractive rather than run past it.
        """
        from newswatch.extract import extract_document

        if deadline is not None:
            # Only the time-bounded engines take a deadline; the extractive one needs none.
            set_deadline: Any = getattr(self.summarizer, "set_deadline", None)
            if set_deadline is not None:
                set_deadline(deadline)

        document = extract_document(data, name, content_type, max_bytes=self.options.max_bytes)
        return self.analyze_document(document, content_sha256=hashlib.sha256(data).hexdigest())

    def analyze_document(self, document: Document, content_sha256: str | None = None) -> Analysis:
        sentences = split_sentences(document.text)
        language = detect_language(document.text)
        flags: list[str] = []
        length = self.options.length
        if len(sentences) <= length.sentences:
            summary = Summary(tuple(sentences), engine="none", too_short=True)
            flags.append(FLAG_TOO_SHORT)
        else:
            summary = self.summarizer.summarize(sentences, length, title=document.title)
            flags.extend(summary.flags)
        places: tuple[PlaceTag, ...] = ()
        if language in TAGGED_LANGUAGES:
            topics = self.tagger.tag(sentences, title=document.title)
            # The gazetteer's names, demonyms and context rules are English too.
            if self.places is not None:
                places = self.places.detect(sentences, title=document.title)
        else:
            topics = ()
            flags.append(FLAG_LANGUAGE_NOT_TAGGED)
        sha = content_sha256 or hashlib.sha256(document.text.encode("utf-8")).hexdigest()
        return Analysis(
            title=document.title,
            language=language,
            word_count=len(document.text.split()),
            content_sha256=sha,
            summary=summary,
            topics=topics,
            document=document,
            flags=tuple(flags),
            places=places,
        )
