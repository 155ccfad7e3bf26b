"""One article from bytes to an Analysis: extract, segment, detect language, summarize, tag.

The CLI, the ingest use case and the benchmarks all call :class:`Analyzer` (built by
:mod:`newswatch.composition`), so what is measured is what is deployed. No AWS here: the use cases
add storage and alerts around it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Any

from newswatch.domain.errors import NotAnArticleError
from newswatch.domain.headline import derive_headline
from newswatch.domain.language import detect_language
from newswatch.domain.models import (
    DEFAULT_MAX_ARTICLE_BYTES,
    Analysis,
    Document,
    PlaceTag,
    Summary,
    SummaryLength,
)
from newswatch.domain.prose import not_prose
from newswatch.domain.records import MAX_SENTENCE_CHARS
from newswatch.domain.sentences import split_sentences
from newswatch.ports import Deadline, PlaceDetector, Summarizer, Tagger

# The taxonomy's patterns are English; other languages are summarized but not tagged.
TAGGED_LANGUAGES = frozenset({"en"})

FLAG_TOO_SHORT = "too_short"
FLAG_LANGUAGE_NOT_TAGGED = "language_not_tagged"
FLAG_SUMMARY_CLIPPED = "summary_clipped"
# The documented bound on a summary (README): its sentence count, and each sentence at most
# MAX_SENTENCE_CHARS long (the stored item's bound too); a longer "sentence" (a list or table
# flattened into one) is cut at a word with an ellipsis.


_WARM_UP_TEXT = (
    "Negotiators met in Geneva on Monday to discuss a ceasefire. Aid convoys reached the city. "
    "Officials said talks would resume next week. Residents returned to their homes."
)


_WARM_UP_OTHER_LANGUAGE = (
    "Les négociateurs se sont réunis lundi à Genève pour discuter d'un cessez-le-feu."
)


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

    def warm_up(self, modules: Collection[str] = ()) -> None:
        """Build what the engines build lazily (models, patterns) by analysing a short text.

        ``modules``: what an article's child process had to import (newswatch/budget.py); state
        built on them is built here as well, so the next child inherits it: langdetect's
        profiles (about a second to load) when a non-English article came through, trafilatura's
        stop words (a quarter of a second) when a web page did."""
        if not modules:
            self.analyze_document(Document(text=_WARM_UP_TEXT))
        if "langdetect" in modules:
            detect_language(_WARM_UP_OTHER_LANGUAGE)
        if "trafilatura" in modules:
            from newswatch.extract._html import warm_up as warm_up_html

            warm_up_html()

    def analyze_bytes(
        self,
        data: bytes,
        name: str,
        content_type: str | None = None,
        deadline: Deadline | None = None,
    ) -> Analysis:
        """Raises a :class:`~newswatch.domain.errors.NewswatchError` for unreadable input.

        ``deadline``: the time left for this article; a time-bounded summarizer (transformers)
        falls back to extractive rather than run past it.
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
        language = detect_language(document.text)
        reason = not_prose(document.text, language)
        if reason:
            # Not tagged, so it cannot alert: recorded as failed with this reason.
            raise NotAnArticleError(reason)
        sentences = split_sentences(document.text)
        flags: list[str] = list(document.flags)
        length = self.options.length
        if len(sentences) <= length.sentences:
            summary = Summary(tuple(sentences), engine="none", too_short=True)
            flags.append(FLAG_TOO_SHORT)
        else:
            summary = self.summarizer.summarize(sentences, length, title=document.title)
            flags.extend(summary.flags)
        summary = _bounded(summary, flags)
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
            headline=document.title or derive_headline(sentences),
            places=places,
        )


def _bounded(summary: Summary, flags: list[str]) -> Summary:
    if all(len(sentence) <= MAX_SENTENCE_CHARS for sentence in summary.sentences):
        return summary
    flags.append(FLAG_SUMMARY_CLIPPED)
    clipped = tuple(
        sentence
        if len(sentence) <= MAX_SENTENCE_CHARS
        else sentence[: MAX_SENTENCE_CHARS - 1].rsplit(" ", 1)[0].rstrip() + "…"
        for sentence in summary.sentences
    )
    return replace(summary, sentences=clipped)
