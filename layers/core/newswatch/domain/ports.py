"""The engine interfaces the pipeline is written against; the extractive and transformers engines
implement them, and tests pass fakes that do too."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from newswatch.domain.models import PlaceTag, Summary, SummaryLength, TopicTag


class Summarizer(Protocol):
    name: str

    def summarize(
        self, sentences: Sequence[str], length: SummaryLength, title: str | None = None
    ) -> Summary: ...


class Tagger(Protocol):
    def tag(self, sentences: Sequence[str], title: str | None = None) -> tuple[TopicTag, ...]: ...


class PlaceDetector(Protocol):
    def detect(
        self, sentences: Sequence[str], title: str | None = None
    ) -> tuple[PlaceTag, ...]: ...
