"""Property-based tests: random text into sentence splitting, the extractive summarizer, the pattern
tagger and near-duplicate fingerprints. Each returns only what it documents, and finishes.

Text comes from two generators: arbitrary unicode, and "newsy" text assembled from the pieces the
code treats specially (abbreviations, numbers, quotes, ellipses, wire-service datelines, bylines,
boilerplate, bullets, topic words) joined by every kind of whitespace.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newswatch.domain import neardup
from newswatch.domain.models import SummaryLength
from newswatch.domain.sentences import split_sentences
from newswatch.domain.summarize import ExtractiveSummarizer
from newswatch.domain.tagger import PatternTagger

PROPERTY = settings(
    max_examples=int(os.environ.get("NEWSWATCH_PROPERTY_EXAMPLES", "150")),
    deadline=timedelta(seconds=10),
    suppress_health_check=[HealthCheck.too_slow],
)
pytestmark = pytest.mark.timeout(240)

PIECES = (
    "The",
    "ceasefire",
    "truce",
    "held",
    "aid",
    "convoys",
    "reached",
    "refugees",
    "killed",
    "election",
    "sanctions",
    "talks",
    "troops",
    "said",
    "Mr.",
    "Dr.",
    "U.S.",
    "U.N.",
    "No.",
    "Jan.",
    "3.5",
    "5",
    "J.",
    "R.",
    "e.g.",
    "etc.",
    "...",
    "…",
    ".",
    "!",
    "?",
    '"',
    "“",
    "”",
    "'",
    "(",
    ")",
    "--",
    "—",
    "-",
    "*",
    "•",
    "1.",
    "a)",
    "|",
    "(CNN)",
    "LONDON,",
    "England",
    "By",
    "PUBLISHED:",
    "UPDATED:",
    "09:01",
    "EST,",
    "2013",
    "Scroll down for video",
    "Click here to",
    "READ MORE:",
    "Police",
    "However",
    "pictured)",
    "ß",
    "İstanbul",
    "日本",
    "مرحبا",
    "🙂",
    "\u200b",
    "<p>",
    "&amp;",
)
SEPARATORS = (" ", " ", " ", "", "\n", "\n\n", "\t", "\u00a0", "\r\n", "\r", "  ", "\u2028")

newsy_text = st.lists(
    st.tuples(st.sampled_from(PIECES) | st.text(max_size=6), st.sampled_from(SEPARATORS)),
    max_size=120,
).map(lambda parts: "".join(piece + sep for piece, sep in parts))
any_text = st.text(max_size=1500) | newsy_text

TAGGER = PatternTagger()
SUMMARIZER = ExtractiveSummarizer()


def squeeze(text: str) -> str:
    return "".join(text.split())


def is_subsequence(needle: str, haystack: str) -> bool:
    it = iter(haystack)
    return all(ch in it for ch in needle)


@PROPERTY
@given(text=any_text)
def test_sentences_are_nonempty_and_come_from_the_text_in_order(text: str) -> None:
    sentences = split_sentences(text)
    assert isinstance(sentences, list)
    for sentence in sentences:
        assert isinstance(sentence, str)
        assert sentence == sentence.strip() and sentence
        # "without empty or punctuation-only units": something a reader would call a word.
        assert any(ch.isalnum() for ch in sentence)
    # Splitting only cuts and drops debris; it never adds, rewrites or reorders content.
    assert is_subsequence(squeeze("".join(sentences)), squeeze(text.replace("\u00a0", " ")))
    assert split_sentences(text) == sentences


@PROPERTY
@given(
    text=any_text,
    count=st.integers(1, 6),
    words=st.none() | st.integers(1, 200),
    ratio=st.none() | st.floats(0.01, 1.0),
    title=st.none() | st.text(max_size=80),
)
def test_summary_is_a_subset_of_sentences_in_document_order(
    text: str, count: int, words: int | None, ratio: float | None, title: str | None
) -> None:
    sentences = split_sentences(text)
    length = SummaryLength(sentences=count, words=words, ratio=ratio)
    chosen = SUMMARIZER.select(sentences, length, title=title)
    assert chosen == sorted(set(chosen))
    assert all(0 <= i < len(sentences) for i in chosen)
    if ratio is None:
        assert len(chosen) <= count
    summary = SUMMARIZER.summarize(sentences, length, title=title)
    assert summary.sentences == tuple(sentences[i] for i in chosen)
    assert summary.engine == "extractive"
    if sentences and any(len(s.split()) > 0 for s in sentences):
        assert isinstance(summary.text, str)


@PROPERTY
@given(
    sentences=st.lists(st.text(min_size=1, max_size=200), max_size=30),
    count=st.integers(1, 5),
    title=st.none() | st.text(max_size=80),
)
def test_summarizer_accepts_arbitrary_sentence_lists(
    sentences: list[str], count: int, title: str | None
) -> None:
    summary = SUMMARIZER.summarize(sentences, SummaryLength(sentences=count), title=title)
    assert len(summary.sentences) <= count
    positions = [sentences.index(s) for s in summary.sentences]
    # Subset in document order (duplicates in the input are allowed, so compare by content).
    assert all(s in sentences for s in summary.sentences)
    assert positions == sorted(positions) or len(set(sentences)) < len(sentences)


@PROPERTY
@given(text=any_text, title=st.none() | st.text(max_size=80) | newsy_text)
def test_tags_are_known_topics_with_scores_in_range_best_first(
    text: str, title: str | None
) -> None:
    sentences = split_sentences(text)
    scored = TAGGER.score(sentences, title=title)
    tags = TAGGER.tag(sentences, title=title)
    labels = set(TAGGER.taxonomy.labels)
    originals = {s.strip() for s in sentences} | ({title.strip()} if title else set())
    for tag in scored:
        assert tag.label in labels
        assert 0.0 <= tag.score <= 1.0
        assert all(evidence in originals for evidence in tag.evidence)
    assert [t.score for t in scored] == sorted((t.score for t in scored), reverse=True)
    assert len({t.label for t in scored}) == len(scored)
    # tag() is score() with each topic's threshold applied.
    assert set(tags) <= set(scored)
    assert all(t.score >= TAGGER.threshold(t.label) for t in tags)
    assert {t for t in scored if t.score >= TAGGER.threshold(t.label) > 0} == set(tags)


@PROPERTY
@given(a=any_text, b=any_text)
def test_similarity_is_bounded_symmetric_and_one_for_itself(a: str, b: str) -> None:
    fa, fb = neardup.fingerprint(a), neardup.fingerprint(b)
    value = neardup.similarity(fa, fb)
    assert 0.0 <= value <= 1.0
    assert value == neardup.similarity(fb, fa)
    assert neardup.similarity(fa, fa) == (1.0 if fa.comparable else 0.0)
    assert len(fa.band_keys) == (neardup.BANDS if fa.comparable else 0)
    assert neardup.Fingerprint.decode(fa.encode()) == fa


_PLAIN = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,\n"),
    max_size=600,
)


@PROPERTY
@given(text=_PLAIN, data=st.data())
def test_fingerprint_ignores_case_whitespace_and_markup(text: str, data: st.DataObject) -> None:
    spaced = "".join(
        data.draw(st.sampled_from((" ", "\n\n", "\t", " \r\n "))) if ch.isspace() else ch
        for ch in text
    )
    marked = "<article><p class='x'>" + spaced.replace("\n\n", "</p><p>") + "</p></article>"
    expected = neardup.fingerprint(text)
    assert neardup.fingerprint(text.upper()) == expected
    assert neardup.fingerprint(spaced) == expected
    assert neardup.fingerprint(marked) == expected


@PROPERTY
@given(
    previous=st.sets(st.sampled_from(TAGGER.taxonomy.labels)),
    new=st.sets(st.sampled_from(TAGGER.taxonomy.labels)),
    watched=st.sets(st.sampled_from(TAGGER.taxonomy.labels), min_size=1),
)
def test_near_duplicate_alerts_only_for_an_added_watched_topic(
    previous: set[str], new: set[str], watched: set[str]
) -> None:
    alert = neardup.should_alert_near_duplicate(previous, new, watched)
    added = neardup.new_watched_topics(previous, new, watched)
    assert alert == bool(added)
    assert set(added) <= new & watched
    assert not set(added) & previous
    if new <= previous:
        assert not alert
    # Adding a watched topic nobody had before always alerts.
    for extra in watched - previous:
        assert neardup.should_alert_near_duplicate(previous, new | {extra}, watched)


@settings(PROPERTY, max_examples=8, deadline=timedelta(seconds=60))
@given(piece=newsy_text.filter(lambda t: t.strip()), repeat=st.integers(50, 400))
def test_long_articles_finish(piece: str, repeat: int) -> None:
    # A hang detector for super-linear behaviour on article-sized input (up to ~100k chars).
    text = (piece + "\n")[:300] * repeat
    sentences = split_sentences(text)
    summary = SUMMARIZER.summarize(sentences, SummaryLength(sentences=3))
    assert len(summary.sentences) <= 3
    assert all(0.0 <= t.score <= 1.0 for t in TAGGER.tag(sentences))
    assert 0.0 <= neardup.similarity(neardup.fingerprint(text), neardup.fingerprint(piece)) <= 1.0
