"""One article from bytes to an Analysis: extract, segment, detect language, summarize, tag.

The CLI, the Lambda service and the benchmarks all call :class:`Pipeline`, so what is measured is
what is deployed. No AWS here: the service layer adds storage and alerts around it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from newswatch.domain.language import detect_language
from newswatch.domain.models import Analysis, Document, PlaceTag, Summary, SummaryLength
from newswatch.domain.ports import PlaceDetector, Summarizer, Tagger
from newswatch.domain.sentences import split_sentences

# The taxonomy's patterns are English; other languages are summarized but not tagged.
TAGGED_LANGUAGES = frozenset({"en"})

FLAG_TOO_SHORT = "too_short"
FLAG_LANGUAGE_NOT_TAGGED = "language_not_tagged"


@dataclass(frozen=True)
class PipelineOptions:
    length: SummaryLength = field(default_factory=SummaryLength)
    max_bytes: int = 10 * 1024 * 1024


class Pipeline:
    def __init__(
        self,
        summarizer: Summarizer,
        tagger: Tagger,
        options: PipelineOptions | None = None,
        places: PlaceDetector | None = None,
    ) -> None:
        self.summarizer = summarizer
        self.tagger = tagger
        self.options = options or PipelineOptions()
        self.places = places

    def analyze_bytes(self, data: bytes, name: str, content_type: str | None = None) -> Analysis:
        """Raises a :class:`~newswatch.domain.errors.NewswatchError` for unreadable input."""
        from newswatch.extract import extract_document

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
