"""The headline of an article without a title: its first sentence, shortened at a word boundary."""

from __future__ import annotations

from newswatch.analyzer import Analyzer
from newswatch.domain.headline import (
    HEADLINE_MAX_CHARS,
    UNTITLED,
    derive_headline,
    headline_from_text,
    headline_of,
    shorten,
)
from newswatch.domain.models import Document

LONG = (
    "Negotiators from both sides met in Jeddah on Tuesday to discuss a ceasefire proposal that "
    "would halt fighting along the front line for thirty days. The proposal was drafted by "
    "mediators."
)


def test_a_long_first_sentence_is_cut_at_a_word_boundary_with_an_ellipsis() -> None:
    headline = headline_from_text(LONG)
    assert headline is not None
    assert len(headline) <= HEADLINE_MAX_CHARS
    assert headline.endswith("…")
    words = headline.removesuffix("…").split()
    assert words == LONG.split()[: len(words)]  # whole words only, in order


def test_a_short_first_sentence_is_the_headline_as_it_is() -> None:
    assert headline_from_text("Aid reaches Gaza. More trucks are due.") == "Aid reaches Gaza."
    assert derive_headline(["— * —", "  Rain   falls\nhard. "]) == "Rain falls hard."
    assert derive_headline([]) is None and derive_headline(["...", "--"]) is None


def test_shorten_never_cuts_inside_a_word() -> None:
    text = "word " * 40
    for limit in (10, 33, 57, 100):
        cut = shorten(text, limit)
        assert len(cut) <= limit and cut.endswith("…")
        assert all(w == "word" for w in cut.removesuffix("…").split())


def test_headline_of_prefers_what_was_stored_and_never_uses_the_file_name() -> None:
    assert headline_of({"headline": "Stored", "title": "Title", "key": "a.txt"}) == "Stored"
    assert headline_of({"title": "  Two\n lines ", "key": "a.txt"}) == "Two lines"
    assert headline_of({"summary": "First one. Second.", "key": "a.txt"}) == "First one."
    assert headline_of({"key": "news/a.txt"}) == UNTITLED


def test_the_pipeline_gives_an_untitled_document_a_headline_and_keeps_a_title() -> None:
    class NoTags:
        def tag(self, sentences: object, title: object = None) -> tuple[()]:
            return ()

    class FirstSentences:
        def summarize(self, sentences: list[str], length: object, title: object = None) -> object:
            from newswatch.domain.models import Summary

            return Summary(tuple(sentences[:1]))

    pipeline = Analyzer(FirstSentences(), NoTags())  # type: ignore[arg-type]
    untitled = pipeline.analyze_document(Document(text=LONG + " " + LONG))
    assert untitled.title is None
    assert untitled.headline == headline_from_text(LONG)
    titled = pipeline.analyze_document(Document(text=LONG + " " + LONG, title="Truce talks"))
    assert titled.headline == "Truce talks"
