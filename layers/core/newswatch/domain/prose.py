"""Is this text prose at all? Garbage must not be summarized, tagged and alerted as news.

An upload can decode to "text" that is not an article: one endless line with no sentence in it,
one character repeated for megabytes, or keyword soup (topic words strung together). The
pipeline would summarize it (the summary being the input itself) and the tagger would find every
topic in it, so it would alert. :func:`not_prose` names what is wrong, or returns None.

The checks are deliberately coarse, so that no real article trips them (measured on the 250 BBC
and CNN/DailyMail articles of ``../shared/data``: none does; see RELIABILITY.md):

- repetition: text that zlib compresses more than ``MAX_COMPRESSION_RATIO`` times over (prose
  compresses 2.5-4 times; a repeated character or phrase, hundreds of times);
- no sentences: more than half of the text in stretches of over ``MAX_RUN_CHARS`` characters
  with no sentence end and no line break (real sentences are under 500 characters);
- keyword soup: few distinct words over many (a small vocabulary repeated in any order), or, for
  English, almost no function words ("the", "of", "said"...: about 40% of news prose).
"""

from __future__ import annotations

import re
import zlib

SAMPLE_CHARS = 200_000
MIN_CHARS = 400
MAX_COMPRESSION_RATIO = 12.0
MAX_RUN_CHARS = 1000
MAX_RUN_SHARE = 0.5
MIN_DISTINCT_SHARE = 0.08
DISTINCT_SAMPLE_WORDS = 3000
MIN_WORDS_FOR_DISTINCT = 300
MIN_FUNCTION_WORD_SHARE = 0.08
MIN_WORDS_FOR_FUNCTION = 15
MIN_WORDS_FOR_SHARE = 40

# The commonest English function words: together about 40% of the words of news prose.
_FUNCTION_WORDS = (
    "the a an of to in on at by for with from and or but is are was were be been has have had it "
    "its as that this these those said after into than who which he she they their his her will "
    "would not there what when about over"
)
ENGLISH_FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split(" "))
# Where a sentence or a line ends, in scripts with and without spaces.
_BOUNDARY = re.compile(r"[.!?;:\n\u3002\uff01\uff1f\uff1b\u061f\u0964\u2026]")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def not_prose(text: str, language: str) -> str | None:
    """Why ``text`` is not an article, or None when it may be one."""
    sample = text[:SAMPLE_CHARS]
    words = _WORD.findall(sample.lower())
    if language == "en" and len(words) >= MIN_WORDS_FOR_FUNCTION:
        share = sum(word in ENGLISH_FUNCTION_WORDS for word in words) / len(words)
        # A long headline may have no function word; a paragraph always has some.
        floor = MIN_FUNCTION_WORD_SHARE if len(words) >= MIN_WORDS_FOR_SHARE else 1e-9
        if share < floor:
            return (
                f"the text is a string of keywords, not sentences ({share:.0%} of its words are "
                "words like 'the', 'of' or 'said'; news prose has about 40%)"
            )
    if len(sample) < MIN_CHARS:
        return None
    encoded = sample.encode("utf-8")
    ratio = len(encoded) / len(zlib.compress(encoded, 6))
    if ratio > MAX_COMPRESSION_RATIO:
        return f"the text repeats itself (it compresses {ratio:.0f} times over; prose about 3)"
    in_long_runs = _chars_in_long_runs(sample)
    if in_long_runs > MAX_RUN_SHARE * len(sample):
        return (
            f"the text has no sentences ({in_long_runs / len(sample):.0%} of it runs on for over "
            f"{MAX_RUN_CHARS} characters without a full stop or a line break)"
        )
    if len(words) >= MIN_WORDS_FOR_DISTINCT:
        head = words[:DISTINCT_SAMPLE_WORDS]
        distinct = len(set(head)) / len(head)
        if distinct < MIN_DISTINCT_SHARE:
            return (
                f"the text repeats a few words ({len(set(head))} distinct in {len(head)}); "
                "it is keyword soup, not an article"
            )
    return None


def _chars_in_long_runs(text: str) -> int:
    total = 0
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.start() - start > MAX_RUN_CHARS:
            total += match.start() - start
        start = match.end()
    if len(text) - start > MAX_RUN_CHARS:
        total += len(text) - start
    return total
