"""What a topic mention is and how much it counts: the text as the taxonomy patterns expect it,
the unit (a sentence or the title) a match is found in, and the discount of a negated ("no
ceasefire was agreed", "rejected talks"), hypothetical ("if sanctions were imposed"), past ("at the
last election", "a former soldier") or figurative ("scenes more familiar in refugee camps", "like
a war zone") mention.

Shared by the pattern index (:mod:`newswatch.domain.pattern_index`, which finds the matches) and
the tagger's scoring (:mod:`newswatch.domain.tagger`).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from newswatch.domain.sentences import is_single_spaced

STRONG_WEIGHT = 1.0
WEAK_WEIGHT = 0.4
NEGATED_FACTOR = 0.35
HYPOTHETICAL_FACTOR = 0.6
# A past instance named as background ("pledged at the last election", "a former soldier", "prior
# convictions") is not what the article reports now: it counts as a hypothetical mention does.
PAST_FACTOR = HYPOTHETICAL_FACTOR
# A comparison says what a scene resembles, not what it is ("scenes more familiar in refugee
# camps", "looked like a war zone"): the labelling rule's "never a metaphor". It counts as little
# as a negated mention.
FIGURATIVE_FACTOR = NEGATED_FACTOR
# A topic named as the occasion of another event ("protesters marched against the election
# result"): the sentence reports the other event, so the mention counts as little as a negated one
# (the taxonomy's ``background_in``).
BACKGROUND_FACTOR = NEGATED_FACTOR

# How far back a cue may sit before the match, in characters and words, within the same clause.
_WINDOW_CHARS = 80
_WINDOW_WORDS = 4
_DISJUNCTION = frozenset({"or", "nor"})
_CLAUSE_BREAK = re.compile(r"[,;:()\"]|\b(?:but|while|whereas|although|though|and then)\b", re.I)
_NEGATION = re.compile(
    r"\b(?:no|not|never|without|nor|neither|nobody|no one|none|lack of|absence of|"
    r"rejected|rejects?|rejecting|refused|refuses?|refusing|denied|denies|deny|denying|"
    r"ruled out|rules out|ruling out|"
    r"failed to|fail to|fails to|called off|calls off|cancell?ed|dismissed|dismisses)\b|n't\b",
    re.I,
)
_HYPOTHETICAL_NEAR = re.compile(
    r"\b(?:could|might|threaten(?:s|ed|ing)? to|threat of|possible|potential|"
    r"possibility of|prospect of)\b",
    re.I,
)
_HYPOTHETICAL_CLAUSE = re.compile(r"\b(?:if|unless|whether)\b", re.I)
# "last", "previous", "former" ... right before the mention.
_PAST_INSTANCE = re.compile(r"\b(?:(?:last|previous|former|past|earlier|prior) |ex-)$", re.I)
# "like" right before the mention ("like a war zone", "treated like refugees"; not "countries
# like Syria, where refugees ...", nor "would like": a wish), or a comparison opening the mention's
# clause.
_FIGURATIVE_NEAR = re.compile(r"\blike (?:a |an )?$", re.I)
_WISH = re.compile(r"(?:would|'d) like\b", re.I)
_FIGURATIVE_CLAUSE = re.compile(
    r"\b(?:as if|as though|reminiscent of|akin to|resembl(?:e|es|ed|ing)|"
    r"(?:more|most|all too|so|too) familiar (?:in|from|to)|straight out of)\b",
    re.I,
)
# "the truce was not respected": a negation right after the mention (not after a comma, which
# starts a relative clause about something else).
_NEGATED_AFTER = re.compile(
    r" (?:was|were|is|are|has|have|had|will|would|did|does|do)(?:n't| not| never)\b"
    r"| (?:was|were|has been|have been|had been) (?:rejected|called off|cancell?ed|"
    r"ruled out|refused|denied|dismissed)\b",
    re.I,
)
_ANY_CUE = re.compile(
    "|".join(
        p.pattern
        for p in (
            _NEGATION,
            _HYPOTHETICAL_NEAR,
            _HYPOTHETICAL_CLAUSE,
            _FIGURATIVE_NEAR,
            _FIGURATIVE_CLAUSE,
            _PAST_INSTANCE,
        )
    ),
    re.I,
)
# The same cues, case-sensitive: on ASCII text without capitals (a unit's text is lowercased) it
# finds what _ANY_CUE finds, since its letters are all lowercase, and it is several times faster.
_ANY_CUE_LOWER = re.compile(_ANY_CUE.pattern)
# Apart from "n't", a cue match starts a run of word characters that is one of these words (a
# test expands the cue patterns to check it): text holding none of them needs no regex search.
_CUE_WORDS = (
    "no not never without nor neither nobody none lack absence rejected reject rejects "
    "rejecting refused refuse refuses refusing denied denies deny denying ruled rules ruling "
    "failed fail fails called calls cancelled canceled dismissed dismisses "
    "could might threaten threatens threatened threatening threat possible potential "
    "possibility prospect if unless whether "
    "like as reminiscent akin resemble resembles resembled resembling more most all so too "
    "straight "
    "last previous former past earlier prior ex"
)
_CUE_FIRST_WORDS = frozenset(_CUE_WORDS.split())
_WORD_RUN = re.compile(r"\w+")
_TRANSLATE = str.maketrans({"\u2019": "'", "\u2018": "'", "\u2010": "-", "\u2011": "-"})


def normalize(text: str) -> str:
    """Collapse whitespace and unify apostrophes and hyphens, as the taxonomy patterns expect."""
    if not text.isascii():
        text = text.translate(_TRANSLATE)
    # The splitter's sentences are single-spaced already: checking is cheaper than rebuilding.
    return text if is_single_spaced(text) else " ".join(text.split())


def mention_factor(text: str, start: int, end: int) -> float:
    """How much a match at ``text[start:end]`` counts: 1, or less when negated, a past instance,
    a comparison or hypothetical."""
    if _NEGATED_AFTER.match(text, end):
        return NEGATED_FACTOR
    prefix = text[max(0, start - _WINDOW_CHARS) : start]
    if prefix.isascii() and prefix.islower():
        cue = (
            "n't" in prefix or not _CUE_FIRST_WORDS.isdisjoint(_WORD_RUN.findall(prefix))
        ) and _ANY_CUE_LOWER.search(prefix)
    else:
        cue = _ANY_CUE.search(prefix)
    if not cue:  # the common case: nothing to discount
        return 1.0
    breaks = list(_CLAUSE_BREAK.finditer(prefix))
    clause = prefix[breaks[-1].end() :] if breaks else prefix
    words = clause.split()
    # A negation covers every item of a disjunction: "no reports of injuries or deaths".
    reach = 2 * _WINDOW_WORDS if words and words[-1] in _DISJUNCTION else _WINDOW_WORDS
    near = " ".join(words[-reach:])
    if _NEGATION.search(near):
        return NEGATED_FACTOR
    if _PAST_INSTANCE.search(prefix):
        return PAST_FACTOR
    if (_FIGURATIVE_NEAR.search(prefix) and not _WISH.search(near)) or _FIGURATIVE_CLAUSE.search(
        clause
    ):
        return FIGURATIVE_FACTOR
    if _HYPOTHETICAL_NEAR.search(near) or _HYPOTHETICAL_CLAUSE.search(clause):
        return HYPOTHETICAL_FACTOR
    return 1.0


_QUOTE_MARK = re.compile("['\"\u201c\u201d]")
_OPENING_BEFORE = frozenset(" ([-:\u2014")
_CLOSING_AFTER = frozenset(" ,.;:!?)]")


def speech_spans(text: str) -> tuple[tuple[int, int], ...]:
    """The stretches of ``text`` in direct speech: from an opening quote mark to its closing one,
    or from the start to a closing mark that nothing opened (the sentence began inside a quote an
    earlier sentence opened); an opening mark never closed runs to the end. Apostrophes inside
    words ("don't") and plural possessives ("the soldiers' families") are no quote marks."""
    if "'" not in text and '"' not in text and "\u201c" not in text and "\u201d" not in text:
        return ()
    spans: list[tuple[int, int]] = []
    opened = -1  # where the open quote started; -1: none open
    for mark in _QUOTE_MARK.finditer(text):
        index, char = mark.start(), mark.group()
        before = text[index - 1] if index else " "
        after = text[index + 1] if index + 1 < len(text) else " "
        if opened < 0 and (
            char == "\u201c"
            or (char in "'\"" and before in _OPENING_BEFORE and (after.isalnum() or after in "'\""))
        ):
            opened = index
        elif char == "\u201d" or (
            char in "'\""
            and before != " "
            and after in _CLOSING_AFTER
            and not (char == "'" and before == "s" and text[index + 2 : index + 3].islower())
        ):
            spans.append((max(opened, 0), index))
            opened = -1
    if opened >= 0:
        spans.append((opened, len(text)))
    return tuple(spans)


# Named tuples rather than dataclasses: a few dozen are made per article, and a tuple is built
# several times faster than a dataclass instance (a frozen one sets each field through
# object.__setattr__).
class Unit(NamedTuple):
    """A sentence (or the title) as matched, as shown in evidence, and its position weight."""

    text: str
    original: str
    weight: float


class Hit(NamedTuple):
    """One match of a topic in one unit."""

    unit: int
    start: int
    end: int
    weight: float
    strong: bool
    discounted: bool  # negated, hypothetical, past or figurative
    quoted: bool  # a plain strong mention inside direct speech


# Match kinds, in the order overlapping matches are resolved: a strong phrase wins over a weak cue.
STRONG, WEAK, EXCLUDE = 0, 1, 2
