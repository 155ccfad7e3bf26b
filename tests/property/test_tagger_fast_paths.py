"""The pattern tagger's fast paths must find exactly what the plain forms they replaced find: the
position index's spans against trying each candidate's alternations in full (the index as it
was), the negation cue check against the case-insensitive search, on random text with capitals,
non-ASCII letters that fold to ASCII ones ("ſ" matches "s" case-insensitively) and punctuation;
and the facts about Python's re that the narrowing relies on are checked over every code point."""

from __future__ import annotations

import importlib
import re
import sys
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from newswatch.domain import mentions, pattern_index
from newswatch.domain.taxonomy import Taxonomy, compile_patterns, load_taxonomy, parse_taxonomy

EXAMPLES = settings(max_examples=300, deadline=None)

VOCABULARY = (
    "ceasefire cease-fire truce peace talks aid food refugees killed army the a sanctions "
    "election vote no not never if could troops fled rescue hearing aids relief supplies "
    "military assistance shelling un u.n. wfp security forces prisoners of war humanitarian "
    "corridor 1,200 ten dead injured anti-war (un) air strikes prisoner swap held talks "
    "heart attack gunmen attacked between rejected won't would threatened to unless sample "
    "smoke skies kids ink"
)
WORDS = VOCABULARY.split()
# Capitals and characters that case-fold onto ASCII letters, next to plain punctuation.
ODD = ["S", "ſ", "ı", "İ", "K", "é", "É", "ß", ",", ".", "'", "-", "(", ")", '"', "_", "2"]
word = st.sampled_from(WORDS)
token = st.one_of(
    word, word.map(str.upper), word.map(str.title), st.sampled_from(ODD), st.text(max_size=3)
)
sentence = st.lists(token, min_size=1, max_size=14).map(" ".join)
sentences = st.lists(sentence, min_size=1, max_size=5)

# A taxonomy whose patterns take the other paths: non-ASCII letters in keys, a capturing group,
# a pattern that cannot be indexed, character classes, short keys, uppercase literals and the
# Kelvin sign (whose lowercase is "k").
ODD_TAXONOMY = """
topics:
  - label: odd
    description: Awkward patterns.
    patterns: ["(a)id\\\\w*", "\\\\w+ talks", "[a-c]ease", "UN", "sk(?:ies|y)"]
    weak_patterns: ["ın", "talk"]
  - label: folded
    description: A key with a letter that folds onto an ASCII one.
    patterns: ["ſanctions?", "sample", "skies"]
  - label: plain
    description: Plain patterns.
    patterns: ["truces?", "cease-?fires?", "sample", "[A-Z]ids?", "ai"]
    weak_patterns: ["\u212aink", "kids?"]
    exclude: ["hearing aids?"]
"""


def original_spans(
    index: pattern_index.PatternIndex, text: str
) -> dict[tuple[int, int], list[tuple[int, int]]]:
    """The index before the fast paths: at each candidate, every alternation indexed under any
    of its prefixes, tried in full, once."""
    spans: dict[tuple[int, int], list[tuple[int, int]]] = {}
    if index.candidates is not None:
        for candidate in index.candidates.finditer(text):
            start = candidate.start()
            tried: set[tuple[int, int]] = set()
            for length in index.lengths:
                for entry, regex in index.lookup.get(text[start : start + length], ()):
                    if entry in tried:
                        continue
                    tried.add(entry)
                    match = regex.match(text, start)
                    if match is not None:
                        spans.setdefault(entry, []).append(match.span())
    for entry, regex in index.full_scan.items():
        spans.setdefault(entry, []).extend(m.span() for m in regex.finditer(text))
    return {k: sorted(v) for k, v in spans.items()}


def units_text(raw: list[str]) -> str:
    return "\n".join(t for t in (mentions.normalize(s).lower() for s in raw) if t)


def fresh_index(taxonomy: Taxonomy) -> pattern_index.PatternIndex:
    return pattern_index.PatternIndex(taxonomy)


DEFAULT_INDEX = fresh_index(load_taxonomy())
ODD_INDEX = fresh_index(parse_taxonomy(ODD_TAXONOMY))


@EXAMPLES
@given(sentences)
def test_default_index_finds_what_the_full_alternations_find(raw: list[str]) -> None:
    text = units_text(raw)
    found = {k: sorted(v) for k, v in DEFAULT_INDEX.spans(text).items()}
    assert found == original_spans(DEFAULT_INDEX, text)


@EXAMPLES
@given(sentences)
def test_odd_patterns_find_what_the_full_alternations_find(raw: list[str]) -> None:
    text = units_text(raw)
    found = {k: sorted(v) for k, v in ODD_INDEX.spans(text).items()}
    assert found == original_spans(ODD_INDEX, text)


@EXAMPLES
@given(sentences)
def test_text_with_capitals_finds_what_the_full_alternations_find(raw: list[str]) -> None:
    # The tagger lowercases first; the index must not depend on it.
    text = "\n".join(t for t in (mentions.normalize(s) for s in raw) if t)
    for index in (DEFAULT_INDEX, ODD_INDEX):
        found = {k: sorted(v) for k, v in index.spans(text).items()}
        assert found == original_spans(index, text)


def test_capitals_after_a_short_key_keep_every_pattern() -> None:
    # "ai" is a key of its own; "aiDS" still matches "[A-Z]ids?" case-insensitively.
    for text in ("aiDS", "the aiDs", "ceaSEFIRE", "unITED", "trUCE"):
        for index in (DEFAULT_INDEX, ODD_INDEX):
            found = {k: sorted(v) for k, v in index.spans(text).items()}
            assert found == original_spans(index, text), text


def test_odd_taxonomy_takes_both_paths() -> None:
    # The non-ASCII key, the group and the unindexable pattern keep their alternations whole;
    # the plain topic is tried pattern by pattern.
    assert (0, mentions.STRONG) not in ODD_INDEX._keyed
    assert (0, mentions.WEAK) not in ODD_INDEX._keyed
    assert (1, mentions.STRONG) not in ODD_INDEX._keyed
    assert {
        (2, mentions.STRONG),
        (2, mentions.WEAK),
        (2, mentions.EXCLUDE),
    } <= ODD_INDEX._keyed.keys()
    assert ODD_INDEX.full_scan  # "\w+ talks"


def original_mention_factor(text: str, start: int, end: int) -> float:
    if mentions._NEGATED_AFTER.match(text, end):
        return mentions.NEGATED_FACTOR
    prefix = text[max(0, start - mentions._WINDOW_CHARS) : start]
    if not mentions._ANY_CUE.search(prefix):
        return 1.0
    return mentions.mention_factor(text, start, end)  # past the check, the code is unchanged


@EXAMPLES
@given(sentence, st.data())
def test_mention_factor_is_the_case_insensitive_one(raw: str, data: st.DataObject) -> None:
    for text in (raw, mentions.normalize(raw).lower()):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, len(text)))
        assert mentions.mention_factor(text, start, end) == original_mention_factor(
            text, start, end
        )


def test_cue_letters_are_lowercase() -> None:
    pattern = mentions._ANY_CUE_LOWER.pattern
    assert pattern == mentions._ANY_CUE.pattern
    assert re.sub(r"\\.", "", pattern) == re.sub(r"\\.", "", pattern).lower()


def test_an_ascii_key_letter_matches_lowercase_ascii_text_only_as_itself() -> None:
    # Keys hold each pattern literal lowercased; a character whose lowercase is ASCII must match,
    # case-insensitively, no lowercase ASCII character but that one (alone or in a class).
    text_chars = [chr(c) for c in range(128) if chr(c) == chr(c).lower()]
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        lowered = char.lower()
        if not lowered.isascii() or len(lowered) != 1:
            continue
        for form in (re.escape(char), "[" + re.escape(char) + "]"):
            matched = {t for t in text_chars if re.fullmatch(form, t, re.IGNORECASE)}
            assert matched == {lowered}, (hex(code), form)


def test_alternation_match_is_the_first_matching_pattern_alone() -> None:
    # What trying patterns alone, in order, relies on; backtracking into a later branch when an
    # earlier one matches without a word boundary after it included.
    patterns = ("aid", "aid workers?", "aids?", "ai")
    alternation = compile_patterns(patterns)
    alone = [compile_patterns((p,)) for p in patterns]
    for text in ("aid workers", "aids", "aid", "ai", "aide", "a aid worker", "aidworkers"):
        for start in range(len(text)):
            expected = alternation.match(text, start)
            first = next((m for r in alone if (m := r.match(text, start)) is not None), None)
            assert (first and first.span()) == (expected and expected.span()), (text, start)


def test_every_cue_starts_with_a_listed_word() -> None:
    # Expand the cue patterns (finite: literals, groups, alternatives and optional parts) into
    # every phrase they match; each begins with a word of _CUE_FIRST_WORDS, or is "n't".
    parser: Any = importlib.import_module("re._parser")

    def phrases(items: list[Any]) -> set[str]:
        out = {""}
        for op, av in items:
            if op is parser.LITERAL:
                pieces = {chr(av)}
            elif op is parser.AT:
                pieces = {""}
            elif op is parser.SUBPATTERN:
                pieces = phrases(list(av[-1].data))
            elif op is parser.BRANCH:
                pieces = set().union(*(phrases(list(b.data)) for b in av[1]))
            elif op is parser.MAX_REPEAT and av[:2] == (0, 1):
                pieces = {""} | phrases(list(av[2].data))
            else:
                raise AssertionError(f"unexpected {op} in a cue pattern")
            out = {a + b for a in out for b in pieces}
        return out

    every = phrases(list(parser.parse(mentions._ANY_CUE.pattern).data))
    assert len(every) == 84  # every alternative, optional letters both ways
    for phrase in every:
        words = re.findall(r"\w+", phrase)
        assert phrase == "n't" or words[0] in mentions._CUE_FIRST_WORDS, phrase
        assert phrase == "n't" or phrase.startswith(words[0])


@EXAMPLES
@given(st.one_of(sentence, st.text(max_size=80)))
def test_normalize_is_the_plain_whitespace_collapse(raw: str) -> None:
    translated = raw if raw.isascii() else raw.translate(mentions._TRANSLATE)
    assert mentions.normalize(raw) == " ".join(translated.split())
