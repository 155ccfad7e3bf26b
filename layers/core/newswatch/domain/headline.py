"""What an article is called: its own title, else a headline derived from its text.

An upload often has no title (a plain-text file, a PDF without metadata). Its file name is no name
for a reader (``jeddah-ceasefire-talks.txt``, ``scan0042.pdf``), so the headline is the article's
first sentence, shortened at a word boundary. Ingest stores it on the article (``headline``) and
on its topic entries, so alerts, digests, the archive and the report all show the same words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

HEADLINE_MAX_CHARS = 100
UNTITLED = "Untitled article"
# Only the start of a text is looked at: its first sentence is all a headline needs.
_HEAD_CHARS = 2000


def shorten(text: str, limit: int = HEADLINE_MAX_CHARS) -> str:
    """``text`` on one line, cut at the last word boundary that fits, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-–—(") + "…"


def derive_headline(sentences: Sequence[str], limit: int = HEADLINE_MAX_CHARS) -> str | None:
    """The first sentence with words in it, shortened; None for a text without one."""
    for sentence in sentences:
        if any(ch.isalnum() for ch in sentence):
            return shorten(sentence, limit)
    return None


def headline_from_text(text: str, limit: int = HEADLINE_MAX_CHARS) -> str | None:
    from newswatch.domain.sentences import split_sentences

    return derive_headline(split_sentences(text[:_HEAD_CHARS]), limit)


def headline_of(record: Mapping[str, Any]) -> str:
    """What to call a stored article (or topic entry) in a message, a listing or a report.

    Its stored ``headline``; for a record stored before headlines were, its title or the first
    sentence of its summary; never its file name.
    """
    for name in ("headline", "title"):
        value = record.get(name)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    summary = record.get("summary")
    if isinstance(summary, str) and summary.strip():
        return headline_from_text(summary) or UNTITLED
    return UNTITLED
