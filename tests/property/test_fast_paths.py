"""The speed-ups in extraction, segmentation and the summarizer are shortcuts that must not
change any result: each is checked here against the plain form it replaced, on random text, and
the facts about Python's str and re that they rely on are checked over every code point."""

from __future__ import annotations

import math
import re
import sys
import unicodedata
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from newswatch.domain import language, sentences, summarize
from newswatch.domain.errors import UnsupportedFormatError
from newswatch.extract import _text

# Characters the shortcuts treat specially, so random text hits their edge cases often.
TRICKY = list("ab AZ.!?…\"')]”’»\t\n\u00a0\u2003\u200bİıſKSsCcLlRr:-_0")
CUES = ["Scroll down for video", "SCROLL DOWN to see pictures", "Click here to read", "READ MORE:"]
tricky_text = st.lists(st.sampled_from(TRICKY + CUES), max_size=60).map("".join)
any_text = st.one_of(tricky_text, st.text(max_size=200))
EXAMPLES = settings(max_examples=300, deadline=None)

# What the sentence-stop candidates were before they were rewritten to start with a class.
PLAIN_CANDIDATE = re.compile(r"(?:[.!?]+|…)[\"'”’»)\]]*(?=\s+)")


@EXAMPLES
@given(any_text)
def test_candidate_pattern_finds_the_same_stops(text: str) -> None:
    expected = [m.span() for m in PLAIN_CANDIDATE.finditer(text)]
    assert [m.span() for m in sentences._CANDIDATE.finditer(text)] == expected


@EXAMPLES
@given(any_text)
def test_single_spaced_lines_are_what_whitespace_normalisation_leaves(text: str) -> None:
    normalized = " ".join(text.split())
    if sentences.is_single_spaced(text):
        assert normalized == text
    # ... and the shortcut is taken on normalised text (what extraction hands over).
    assert sentences.is_single_spaced(normalized) == normalized.isprintable()


@EXAMPLES
@given(any_text)
def test_boilerplate_precheck_never_skips_a_match(text: str) -> None:
    if not sentences._may_hold_boilerplate(text):
        assert sentences._BOILERPLATE.search(text) is None


def test_only_the_listed_characters_match_a_cue_letter_without_lowering_to_it() -> None:
    every_character = "".join(map(chr, range(sys.maxunicode + 1)))
    odd = set()
    for letter in set("".join(sentences._BOILERPLATE_CUES)) - set(" :"):
        # A literal, as in _BOILERPLATE (re treats a class such as [a-z] differently).
        for match in re.finditer(re.escape(letter), every_character, re.IGNORECASE):
            if match.group().lower() != letter:
                odd.add(match.group())
    assert odd == set(sentences._CASE_ODDITIES)
    for char in " :":
        assert re.findall(re.escape(char), every_character, re.IGNORECASE) == [char]


def test_every_whitespace_character_but_the_space_is_not_printable() -> None:
    for cp in range(sys.maxunicode + 1):
        char = chr(cp)
        if char.isspace() and char != " ":
            assert not char.isprintable(), hex(cp)


# --- the summarizer's vector arithmetic against the plain loops it replaced --------------------

terms = st.lists(st.sampled_from(["aid", "talk", "truce", "city", "x", "war", "un"]), max_size=12)


def plain_tfidf(documents: list[list[str]]) -> list[dict[str, float]]:
    df: Counter[str] = Counter()
    for doc in documents:
        df.update(set(doc))
    n = len(documents)
    return [
        {t: c * (math.log((1 + n) / (1 + df[t])) + 1.0) for t, c in Counter(doc).items()}
        for doc in documents
    ]


def plain_unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {k: v / norm for k, v in vector.items()} if norm else {}


def plain_dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(k, 0.0) for k, v in a.items())


@EXAMPLES
@given(st.lists(terms, min_size=1, max_size=8))
def test_vectors_are_bit_for_bit_the_plain_ones(documents: list[list[str]]) -> None:
    raw = summarize._tfidf_vectors(documents)
    expected = plain_tfidf(documents)
    assert [list(v.items()) for v in raw] == [list(v.items()) for v in expected]
    centroid: Counter[str] = Counter()
    for vector in expected:
        centroid.update(vector)
    assert list(summarize._centroid(raw).items()) == list(centroid.items())
    units = [summarize._unit(v) for v in raw]
    assert [list(u.items()) for u in units] == [list(plain_unit(v).items()) for v in expected]
    centre = summarize._unit(summarize._centroid(raw))
    for u in units:
        assert summarize._dot(u, centre) == plain_dot(u, centre)
        assert summarize._dot(centre, u) == plain_dot(centre, u)


@EXAMPLES
@given(st.lists(st.sampled_from(["the", "talks", "2024", "killed", "said", "cities", "a1"])))
def test_terms_are_the_plain_filter_and_stem(tokens: list[str]) -> None:
    expected = [
        summarize._stem(w) for w in tokens if w not in summarize._STOPWORDS and not w.isdigit()
    ]
    assert summarize._terms(tokens) == expected


# --- extraction -------------------------------------------------------------------------------

printable_or_not = st.one_of(
    any_text, st.text(alphabet=st.sampled_from(list("ab \n\x00\x07\ufffd\ue000\u0378é")))
)


def plain_is_binary(text: str) -> bool:
    sample = text[:200_000]
    bad = sum(1 for ch in sample if ch in "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x7f")
    bad += sum(1 for ch in sample if "\x0e" <= ch <= "\x1f")
    bad += sum(
        1
        for ch in sample
        if ord(ch) > 0x7F and (unicodedata.category(ch)[0] == "C" or ch == "\ufffd")
    )
    return bad > (1 - _text.MIN_PRINTABLE_RATIO) * len(sample)


@EXAMPLES
@given(printable_or_not)
def test_printable_check_refuses_what_the_plain_count_refuses(text: str) -> None:
    try:
        _text.check_printable(text)
        refused = False
    except UnsupportedFormatError:
        refused = True
    assert refused == (bool(text) and plain_is_binary(text))


@EXAMPLES
@given(st.lists(st.sampled_from(["word", "Share", "this", "comments", "\n", "\n\n", "  "])))
def test_debris_and_unwrapping_shortcuts_change_nothing(parts: list[str]) -> None:
    text = " ".join(parts)
    words = len(text.split())
    expected = (words <= _text.MAX_DEBRIS_WORDS and bool(_text._DEBRIS_LINE.match(text))) or (
        words <= _text.MAX_COOKIE_WORDS and bool(_text._COOKIE_LINE.search(text))
    )
    assert _text.is_debris(text) == expected
    if text.count("\n") < 2:
        assert _text.unwrap_paragraphs(text) == text


# --- language ---------------------------------------------------------------------------------

english_or_not = st.lists(
    st.sampled_from(["the", "of", "and", "le", "der", "was", "x", "1", "é", " ", "\n", "It's"]),
    max_size=40,
).map(" ".join)


@EXAMPLES
@given(st.one_of(english_or_not, any_text))
def test_language_minimums_and_english_share_are_the_plain_counts(text: str) -> None:
    sample = text[: language.SAMPLE_CHARS]
    too_little = (
        len(sample.split()) < language.MIN_WORDS
        or len(language._LETTER.findall(sample)) < language.MIN_LETTERS
    )
    if too_little:
        assert language.detect_language(text) == language.UNDETERMINED
        return
    words = [w.lower() for w in language._WORD.findall(sample)]
    english = sum(1 for w in words if w in language._ENGLISH)
    other = sum(1 for w in words if w in language._OTHER)
    # a short flash in plain ASCII with no other language's function word counts as English
    short_flash = len(words) < language.SHORT_WORDS and not other and sample.isascii()
    expected = short_flash or (
        english >= language._ENGLISH_SHARE * len(words)
        and english >= language._ENGLISH_MARGIN * max(other, 1)
    )
    assert language._clearly_english(sample) == expected
    if expected:
        assert language.detect_language(text) == "en"


@EXAMPLES
@given(st.one_of(any_text, st.text(alphabet=st.characters(max_codepoint=127), max_size=120)))
def test_words_are_the_unicode_pattern_tokens(text: str) -> None:
    assert summarize.words(text) == summarize._WORD.findall(text.lower())
