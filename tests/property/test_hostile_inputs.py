"""Inputs that made text processing super-linear ("never hang"), found by scaling runs.

Each test feeds an article-sized text (about 60-320 KB, far under the 10 MiB object limit) that a
linear implementation handles in well under a second; the timeout is the hang detector, not a
speed requirement. The strict xfail markers name open bugs in modules owned elsewhere: when a bug
is fixed the test passes, strict makes that an error, and the marker must be removed.
"""

from __future__ import annotations

import pytest

from newswatch.domain import neardup
from newswatch.domain.errors import NewswatchError
from newswatch.domain.models import SummaryLength
from newswatch.domain.sentences import split_sentences
from newswatch.domain.summarize import ExtractiveSummarizer
from newswatch.domain.tagger import PatternTagger
from newswatch.extract import extract_document

# (piece, repeat): each a single never-ending "sentence" or a long run of tiny ones.
HOSTILE = {
    "abbreviations": ("Mr. ", 20_000),
    "topic word": ("ceasefire ", 20_000),
    "ellipses": ("... ", 20_000),
    "initials": ("J. ", 20_000),
    "numbers": ("1. ", 20_000),
    "quoted stops": ('"a." ', 20_000),
    "unclosed markup": ("<script> <!-- a ", 20_000),
}
OPEN_BUGS: dict[str, str] = {}
pytestmark = pytest.mark.timeout(20)


def _cases() -> list[object]:
    cases: list[object] = []
    for name, (piece, repeat) in HOSTILE.items():
        marks = []
        if name in OPEN_BUGS:
            # A shorter timeout while the bug is open keeps the suite fast.
            marks += [
                pytest.mark.xfail(strict=True, reason=OPEN_BUGS[name]),
                pytest.mark.timeout(8),
            ]
        cases.append(pytest.param(piece * repeat, id=name, marks=marks))
    return cases


@pytest.mark.parametrize("text", _cases())
def test_hostile_text_finishes_with_documented_outputs(text: str) -> None:
    sentences = split_sentences(text)
    assert all(s.strip() for s in sentences)
    summary = ExtractiveSummarizer().summarize(sentences, SummaryLength(sentences=3))
    assert len(summary.sentences) <= 3
    assert all(0.0 <= tag.score <= 1.0 for tag in PatternTagger().tag(sentences))
    assert 0.0 <= neardup.similarity(neardup.fingerprint(text), neardup.fingerprint(text)) <= 1.0


# Markdown files: (piece, repeat). Emphasis and link markers that never close.
HOSTILE_MARKDOWN = {
    "unclosed bold": ("**a ", 8_000),
    "unclosed emphasis": ("*a ", 24_000),
    "unclosed underscore": ("_a ", 24_000),
    "unclosed link": ("[a](", 60_000),
    "unclosed strike": ("~~a ", 20_000),
}
_MARKDOWN_BUG = (
    "extract/_markdown.py _INLINE: lazy '(.+?)' and '[^)]*' scan to the end of the text for every "
    "unclosed marker, quadratic ('**a ' x 16,000 = 64 KB took 120 s; '[a](' x 64,000 took 67 s); "
    "bound them to one line / a few hundred characters"
)
OPEN_MARKDOWN_BUGS: set[str] = set()  # fixed: extract/_markdown.py bounds its inline spans


def _markdown_cases() -> list[object]:
    cases: list[object] = []
    for name, (piece, repeat) in HOSTILE_MARKDOWN.items():
        marks = []
        if name in OPEN_MARKDOWN_BUGS:
            marks += [pytest.mark.xfail(strict=True, reason=_MARKDOWN_BUG), pytest.mark.timeout(8)]
        cases.append(pytest.param((piece * repeat).encode(), id=name, marks=marks))
    return cases


@pytest.mark.parametrize("data", _markdown_cases())
def test_hostile_markdown_extracts_or_fails_cleanly(data: bytes) -> None:
    try:
        document = extract_document(data, "article.md")
    except NewswatchError:
        return
    assert document.text.strip()
