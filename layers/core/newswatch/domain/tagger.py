"""The default topic tagger: the taxonomy's phrase patterns, scored by how much of the article is
about each topic.

Per topic, every sentence gets a strength from its matches (a strong phrase counts 1, a weak cue
0.4, capped), discounted when the mention is negated ("no ceasefire was agreed", "rejected talks")
or hypothetical ("if sanctions were imposed"), and boosted in the title and the lead, where news
states its subject. The article score saturates with the summed strength (more slowly in longer
articles), is damped when the topic fills only a small share of the sentences, and is damped again
when another topic holds much more of the evidence. In a long article, a topic that is neither in
the headline or lead nor the subject of a paragraph's worth of sentences is halved: readers (and the
labelling rule of the article-level dev set) call that a passing mention. So a passing mention
scores below the main subject, while one strong mention still carries a one-sentence snippet.

Why this module is long: the scoring (first half) and the prefix index that finds the matches fast
(second half, "matching") share the match kinds and the per-mention discount; the property tests
in tests/property/test_tagger_fast_paths.py check the index against a full scan.
"""

from __future__ import annotations

import importlib
import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from newswatch.domain.models import TopicTag
from newswatch.domain.sentences import is_single_spaced
from newswatch.domain.taxonomy import Taxonomy, Topic, compile_patterns, load_taxonomy

STRONG_WEIGHT = 1.0
WEAK_WEIGHT = 0.4
# A sentence counts at most this much, however many matches it holds.
SENTENCE_CAP = 1.5
NEGATED_FACTOR = 0.35
HYPOTHETICAL_FACTOR = 0.6
# Strength at which the score reaches 1 - 1/e; chosen so one strong mention in a one-sentence
# text clears 0.3 while one weak cue or one negated mention does not.
SATURATION = 1.5
# Article length (in sentences) up to which SATURATION applies unchanged; it grows as the square
# root of the length beyond.
REFERENCE_SENTENCES = 4
# Beyond this length the share of sentences (coverage) does the damping, not the saturation.
LONG_ARTICLE_SENTENCES = 24
WEAK_MASS_CAP = 1.0
DOMINANCE_FLOOR = 0.6
TITLE_WEIGHT = 1.5
LEAD_WEIGHTS = (1.3, 1.15, 1.15)
# Share of sentences from which a topic counts as covering the article; below it, the score is
# damped down to DAMPING_FLOOR of itself.
FULL_COVERAGE_SHARE = 0.25
DAMPING_FLOOR = 0.5
MAX_EVIDENCE = 3
# The headline-or-lead-or-a-paragraph rule: from this many body sentences on, a topic with less
# than LEAD_MENTION of plain strength in the title and the first LEAD_SENTENCES sentences, and
# fewer than PARAGRAPH_SENTENCES sentences with a plain strong mention, scores OFF_LEAD_FACTOR of
# itself. Set a priori from the labelling rule (a paragraph: about three sentences), then checked
# on the dev split halves (bench/quality.py).
LONG_FORM_SENTENCES = 10
LEAD_SENTENCES = 3
LEAD_MENTION = 0.5
PARAGRAPH_SENTENCES = 3
OFF_LEAD_FACTOR = 0.5

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
# "the truce was not respected": a negation right after the mention (not after a comma, which
# starts a relative clause about something else).
_NEGATED_AFTER = re.compile(
    r" (?:was|were|is|are|has|have|had|will|would|did|does|do)(?:n't| not| never)\b"
    r"| (?:was|were|has been|have been|had been) (?:rejected|called off|cancell?ed|"
    r"ruled out|refused|denied|dismissed)\b",
    re.I,
)
_ANY_CUE = re.compile(
    "|".join(p.pattern for p in (_NEGATION, _HYPOTHETICAL_NEAR, _HYPOTHETICAL_CLAUSE)), re.I
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
    "possibility prospect if unless whether"
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
    """How much a match at ``text[start:end]`` counts: 1, or less when negated or hypothetical."""
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
    if _HYPOTHETICAL_NEAR.search(near) or _HYPOTHETICAL_CLAUSE.search(clause):
        return HYPOTHETICAL_FACTOR
    return 1.0


# Named tuples rather than dataclasses: a few dozen are made per article, and a tuple is built
# several times faster than a dataclass instance (a frozen one sets each field through
# object.__setattr__).
class _Unit(NamedTuple):
    """A sentence (or the title) as matched, as shown in evidence, and its position weight."""

    text: str
    original: str
    weight: float


class _Hit(NamedTuple):
    """One match of a topic in one unit."""

    unit: int
    start: int
    end: int
    weight: float
    strong: bool
    discounted: bool  # negated or hypothetical


# Match kinds, in the order overlapping matches are resolved: a strong phrase wins over a weak cue.
_STRONG, _WEAK, _EXCLUDE = 0, 1, 2


class PatternTagger:
    """Tag an article with the taxonomy's topics (a :class:`~newswatch.ports.Tagger`)."""

    name = "pattern"

    def __init__(
        self,
        taxonomy: Taxonomy | None = None,
        min_score: float = 0.3,
        max_evidence: int = MAX_EVIDENCE,
    ) -> None:
        self.taxonomy = taxonomy if taxonomy is not None else load_taxonomy()
        self.min_score = min_score
        self.max_evidence = max_evidence
        self._index = _index_for(self.taxonomy)

    def threshold(self, label: str) -> float:
        topic = self.taxonomy.get(label)
        if topic is not None and topic.threshold is not None:
            return topic.threshold
        return self.min_score

    def tag(self, sentences: Sequence[str], title: str | None = None) -> tuple[TopicTag, ...]:
        """Topics whose score reaches their threshold, highest score first."""
        return tuple(t for t in self.score(sentences, title) if t.score >= self.threshold(t.label))

    def score(self, sentences: Sequence[str], title: str | None = None) -> tuple[TopicTag, ...]:
        """Every topic with any match, scored, highest first, thresholds not applied."""
        units: list[_Unit] = []
        if title and title.strip():
            units.append(_Unit(normalize(title).lower(), title.strip(), TITLE_WEIGHT))
        body = 0
        for original in sentences:
            text = normalize(original).lower()
            if text:
                weight = LEAD_WEIGHTS[body] if body < len(LEAD_WEIGHTS) else 1.0
                units.append(_Unit(text, original.strip(), weight))
                body += 1
        if not units:
            return ()
        hits = self._index.find(units)
        lead_units = LEAD_SENTENCES + (len(units) - body)  # the title, when there is one
        evidence = [
            self._evidence(self.taxonomy.topics[i], units, found, max(1, body), lead_units)
            for i, found in hits.items()
        ]
        found_topics = [e for e in evidence if e is not None]
        if not found_topics:
            return ()
        top_mass = max(e.mass for e in found_topics)
        tags = []
        for e in found_topics:
            # A topic with a fraction of the article's strongest evidence is a side subject.
            dominance = DOMINANCE_FLOOR + (1.0 - DOMINANCE_FLOOR) * math.sqrt(e.mass / top_mass)
            score = min(1.0, e.score * dominance)
            tags.append(
                TopicTag(
                    label=e.topic.label,
                    score=round(score, 3),
                    iptc=e.topic.iptc,
                    evidence=e.sentences[: self.max_evidence],
                )
            )
        tags.sort(key=lambda t: (-t.score, t.label))
        return tuple(tags)

    @staticmethod
    def _evidence(
        topic: Topic, units: list[_Unit], hits: list[_Hit], total: int, lead_units: int
    ) -> _Evidence | None:
        strong: dict[int, float] = {}
        weak: dict[int, float] = {}
        asserted: set[int] = set()  # units with at least one plain (not discounted) mention
        single: dict[int, float] = {}  # each unit's strongest single mention
        for hit in hits:
            bucket = strong if hit.strong else weak
            bucket[hit.unit] = bucket.get(hit.unit, 0.0) + hit.weight
            single[hit.unit] = max(single.get(hit.unit, 0.0), hit.weight)
            if not hit.discounted:
                asserted.add(hit.unit)
        strong_mass = weak_mass = covered = lead = 0.0
        paragraph = 0  # sentences with a plain strong mention
        ranked: list[tuple[float, int]] = []
        for unit_index in strong.keys() | weak.keys():
            unit = units[unit_index]
            # Negated or hypothetical mentions in one sentence make one statement ("no deaths or
            # injuries"): together they count as much as the strongest of them, not their sum.
            cap = SENTENCE_CAP if unit_index in asserted else single[unit_index]
            plain = min(cap, strong.get(unit_index, 0.0) + weak.get(unit_index, 0.0))
            value = plain * unit.weight
            if value <= 0.0:
                continue
            if unit_index < lead_units:
                lead += min(1.0, plain)
            if unit_index in strong:
                strong_mass += value
                paragraph += unit_index in asserted
            else:
                weak_mass += value
            covered += min(1.0, value)
            ranked.append((value, unit_index))
        if not ranked:
            return None
        # Context words alone ("war", "support") never make a topic an article's main subject.
        mass = strong_mass + min(WEAK_MASS_CAP, weak_mass)
        # Longer articles need more mentions to saturate: one mention in a snippet says more
        # about it than one mention in forty sentences.
        length = min(total, LONG_ARTICLE_SENTENCES)
        scale = SATURATION * max(1.0, math.sqrt(length / REFERENCE_SENTENCES))
        saturation = 1.0 - math.exp(-mass / scale)
        coverage = min(1.0, covered / total / FULL_COVERAGE_SHARE)
        score = saturation * (DAMPING_FLOOR + (1.0 - DAMPING_FLOOR) * coverage)
        if total >= LONG_FORM_SENTENCES and lead < LEAD_MENTION and paragraph < PARAGRAPH_SENTENCES:
            score *= OFF_LEAD_FACTOR
        ranked.sort(key=lambda r: (-r[0], r[1]))
        return _Evidence(topic, mass, score, tuple(units[i].original for _, i in ranked))


class _Evidence(NamedTuple):
    topic: Topic
    mass: float
    score: float
    sentences: tuple[str, ...]


# --- matching -------------------------------------------------------------------------------
#
# Scanning an article with every topic's alternation costs tens of milliseconds (the regex engine
# tries each branch at each position). Instead, the prefixes (up to _KEY characters) that each
# pattern's matches can start with are worked out once from its parsed form; one scan with a
# trie of all prefixes finds the word starts worth trying, and only the alternations indexed
# under that start are tried there. Patterns whose start cannot be worked out are scanned in
# full. The index finds exactly what trying every position would (a property test checks it).

_KEY = 5  # characters of a match's start used as the index key
_MIN_KEY = 2
_MAX_KEYS = 500
_MAX_PLANS = 50_000


_Entry = tuple[int, int]  # (topic index, kind)
# What to try at a candidate: per alternation, the regexes whose first match is its match there.
_Plan = tuple[tuple[_Entry, tuple[re.Pattern[str], ...]], ...]


class _Index:
    def __init__(self, taxonomy: Taxonomy) -> None:
        # key -> the alternations that may match where the text starts with that key; keys are
        # shorter than _KEY where a pattern can end ("UN") or goes on with a category (\w+)
        keys: dict[str, list[_Entry]] = {}
        regexes: dict[_Entry, re.Pattern[str]] = {}
        # alternations of the patterns whose start cannot be indexed, scanned in full
        self.full_scan: dict[_Entry, re.Pattern[str]] = {}
        # each alternation's patterns with their keys, where it can be tried pattern by pattern
        self._keyed: dict[_Entry, tuple[tuple[str, frozenset[str]], ...]] = {}
        for topic_index, topic in enumerate(taxonomy.topics):
            for kind, patterns in (
                (_STRONG, topic.patterns),
                (_WEAK, topic.weak_patterns),
                (_EXCLUDE, topic.exclude),
            ):
                if not patterns:
                    continue
                entry = (topic_index, kind)
                regexes[entry] = compile_patterns(patterns)
                unindexed: list[str] = []
                keyed: list[tuple[str, frozenset[str]]] = []
                for pattern in patterns:
                    starts = _match_starts(pattern)
                    if starts is None or any(len(k) < _MIN_KEY for k in starts):
                        unindexed.append(pattern)
                        continue
                    keyed.append((pattern, frozenset(starts)))
                    for key in starts:
                        entries = keys.setdefault(key, [])
                        if entry not in entries:
                            entries.append(entry)
                if unindexed:
                    self.full_scan[entry] = compile_patterns(tuple(unindexed))
                # Tried pattern by pattern only when every pattern is indexed, by ASCII keys (a
                # non-ASCII key, "ſ" matching "s" case-insensitively, proves nothing about ASCII
                # text), and none can refer to a group (whose number the alternation shifts).
                if (
                    len(keyed) == len(patterns)
                    and all(k.isascii() for _, keys in keyed for k in keys)
                    and regexes[entry].groups == 0
                ):
                    self._keyed[entry] = tuple(keyed)
        self.lookup: dict[str, tuple[tuple[_Entry, re.Pattern[str]], ...]] = {
            key: tuple((e, regexes[e]) for e in entries) for key, entries in keys.items()
        }
        self.lengths = tuple(sorted({len(key) for key in keys}))
        self.candidates = _candidate_regex(keys) if keys else None
        # A candidate's first _KEY characters -> what to try there (see _plan); filled lazily.
        self._plans: dict[str, _Plan] = {}
        self._single: dict[str, re.Pattern[str]] = {}  # a pattern alone, compiled when first needed

    def find(self, units: list[_Unit]) -> dict[int, list[_Hit]]:
        """Every topic's matches in the units, negation and exclusions applied."""
        text = "\n".join(u.text for u in units)
        offsets: list[int] = []
        position = 0
        for unit in units:
            offsets.append(position)
            position += len(unit.text) + 1
        spans = self.spans(text)
        hits: dict[int, list[_Hit]] = {}
        for topic_index in sorted({entry[0] for entry in spans if entry[1] != _EXCLUDE}):
            found = self._hits(topic_index, spans, offsets, units)
            if found:
                hits[topic_index] = found
        return hits

    def spans(self, text: str) -> dict[_Entry, list[tuple[int, int]]]:
        """Where each topic's alternation (strong, weak, exclusion) matches in lowercase text."""
        spans: dict[_Entry, list[tuple[int, int]]] = {}
        plans = self._plans
        if self.candidates is not None:
            for candidate in self.candidates.finditer(text):
                start = candidate.start()
                head = text[start : start + _KEY]
                plan = plans.get(head)
                if plan is None:
                    plan = self._plan(head)
                for entry, regexes in plan:
                    for regex in regexes:
                        match = regex.match(text, start)
                        if match is not None:
                            spans.setdefault(entry, []).append(match.span())
                            break
        for entry, regex in self.full_scan.items():
            spans.setdefault(entry, []).extend(m.span() for m in regex.finditer(text))
        return spans

    def _plan(self, head: str) -> _Plan:
        """The alternations to try where the text starts with ``head``: those indexed under any
        prefix of it (every key is at most _KEY long, and a key longer than a head cut short by
        the end of the text cannot match there), each once, in the order of the keys' lengths.

        Where the head is lowercase ASCII (as in a unit's text), an alternation is replaced by
        its patterns that can match there, alone, in their order: the alternation's match is the
        first pattern's (in order) that matches at this position, and a pattern none of whose
        keys starts ``head`` matches nothing here (lowercase ASCII text matches an ASCII key's
        letters only as themselves). The regex engine then tries one or two patterns instead of
        every branch."""
        plan: dict[_Entry, tuple[re.Pattern[str], ...]] = {}
        for length in self.lengths:
            for entry, regex in self.lookup.get(head[:length], ()):
                plan.setdefault(entry, (regex,))
        if head.isascii() and head == head.lower():
            for entry in plan:
                keyed = self._keyed.get(entry)
                if keyed is not None:
                    plan[entry] = tuple(
                        self._alone(pattern)
                        for pattern, keys in keyed
                        if any(head.startswith(key) for key in keys)
                    )
        if len(self._plans) >= _MAX_PLANS:  # a bound for long-running processes
            self._plans.clear()
        self._plans[head] = found = tuple(plan.items())
        return found

    def _alone(self, pattern: str) -> re.Pattern[str]:
        regex = self._single.get(pattern)
        if regex is None:
            regex = self._single[pattern] = compile_patterns((pattern,))
        return regex

    def _hits(
        self,
        topic_index: int,
        spans: dict[_Entry, list[tuple[int, int]]],
        offsets: list[int],
        units: list[_Unit],
    ) -> list[_Hit]:
        hits: list[_Hit] = []
        excluded = _Overlaps(spans.get((topic_index, _EXCLUDE), ()))
        earlier = _Overlaps(())  # mentions kept from the strong patterns
        for kind, weight in ((_STRONG, STRONG_WEIGHT), (_WEAK, WEAK_WEIGHT)):
            kept: list[tuple[int, int]] = []
            reach = -1  # furthest end of the mentions kept so far in this pass
            for start, end in sorted(spans.get((topic_index, kind), ())):
                # A weak cue inside a strong phrase ("talks" in "peace talks") is the same mention.
                if start < reach or earlier.overlaps(start, end) or excluded.overlaps(start, end):
                    continue
                kept.append((start, end))
                reach = max(reach, end)
                unit = bisect_right(offsets, start) - 1
                base = offsets[unit]
                factor = mention_factor(units[unit].text, start - base, end - base)
                hits.append(_Hit(unit, start, end, weight * factor, kind == _STRONG, factor < 1.0))
            earlier = _Overlaps(kept)
        return hits


class _Overlaps:
    """Answers "does [start, end) overlap any of these spans?" in logarithmic time."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self.starts = [a for a, _ in ordered]
        self.reach: list[int] = []  # furthest end among the spans up to each index
        furthest = -1
        for _, b in ordered:
            furthest = max(furthest, b)
            self.reach.append(furthest)

    def overlaps(self, start: int, end: int) -> bool:
        before = bisect_left(self.starts, end)  # spans that start before this one ends
        return before > 0 and self.reach[before - 1] > start


def _candidate_regex(keys: Iterable[str]) -> re.Pattern[str]:
    """A lookahead trie of every key: finds, in one scan, the word starts worth trying."""
    trie: dict[str, Any] = {}
    for key in keys:
        node = trie
        for char in key:
            node = node.setdefault(char, {})
        node[""] = {}
    return re.compile(r"\b(?=" + _trie_regex(trie) + ")")


def _trie_regex(node: dict[str, Any]) -> str:
    if "" in node:  # a key ends here: whatever follows, the position is a candidate
        return ""
    leaves = sorted(c for c, child in node.items() if "" in child)
    branches = [re.escape(c) + _trie_regex(child) for c, child in sorted(node.items())]
    if len(leaves) == len(node) and len(leaves) > 1:
        return "[" + "".join(re.escape(c) for c in leaves) + "]"
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


@lru_cache(maxsize=8)
def _index_for(taxonomy: Taxonomy) -> _Index:
    return _Index(taxonomy)


def _match_starts(pattern: str) -> set[str] | None:
    """Lowercase prefixes (2 to ``_KEY`` characters) such that every match of ``pattern`` begins
    with one of them, or None when they cannot be worked out (a category or too many variants
    within the first two characters)."""
    try:
        parser: Any = importlib.import_module("re._parser")
        parsed = parser.parse(pattern, re.IGNORECASE)
    except Exception:  # a Python without re._parser: scan this pattern in full
        return None
    starts = _seq_starts(parser, list(parsed.data))
    if starts is None:
        return None
    keys = {s.rstrip(_OPEN) for s in starts}
    return None if any(len(k) < _MIN_KEY for k in keys) else keys


# Marks a prefix whose continuation is unknown (a character category, say): it stays shorter.
_OPEN = "\x00"


def _done(prefix: str) -> bool:
    return prefix.endswith(_OPEN) or len(prefix) >= _KEY


def _join(prefix: str, piece: str) -> str:
    if _done(prefix):
        return prefix
    joined = prefix + piece
    if _OPEN in joined:
        head = joined[: joined.index(_OPEN)]
        return head[:_KEY] if len(head) >= _KEY else head + _OPEN
    return joined[:_KEY]


def _seq_starts(parser: Any, items: list[Any]) -> set[str] | None:
    out = {""}
    for op, av in items:
        if all(_done(s) for s in out):
            break
        piece = _op_starts(parser, op, av)
        if piece is None:
            if any(not _done(s) and len(s) < _MIN_KEY for s in out):
                return None
            return {s if _done(s) else s + _OPEN for s in out}
        joined = {_join(s, p) for s in out for p in piece}
        length = _KEY
        while len(joined) > _MAX_KEYS:  # too many variants: keep shorter prefixes
            length -= 1
            if length < _MIN_KEY:
                return None
            joined = {_cut(s, length) for s in joined}
        out = joined
    return out


def _cut(prefix: str, length: int) -> str:
    head = prefix.rstrip(_OPEN)
    return head[:length] + _OPEN if len(head) > length else prefix


def _op_starts(parser: Any, op: Any, av: Any) -> set[str] | None:
    if op is parser.LITERAL:
        return {chr(av).lower()}
    if op in (parser.AT, parser.ASSERT, parser.ASSERT_NOT):
        return {""}
    if op is parser.IN:
        chars: set[str] = set()
        for item_op, item_av in av:
            if item_op is parser.LITERAL:
                chars.add(chr(item_av).lower())
            elif item_op is parser.RANGE and item_av[1] - item_av[0] <= 40:
                chars.update(chr(c).lower() for c in range(item_av[0], item_av[1] + 1))
            else:
                return None
        return chars
    if op is parser.SUBPATTERN:
        return _seq_starts(parser, list(av[-1].data))
    if op is parser.ATOMIC_GROUP:
        return _seq_starts(parser, list(av.data))
    if op is parser.BRANCH:
        union: set[str] = set()
        for branch in av[1]:
            starts = _seq_starts(parser, list(branch.data))
            if starts is None:
                return None
            union |= starts
        return union
    if op in (parser.MAX_REPEAT, parser.MIN_REPEAT, parser.POSSESSIVE_REPEAT):
        low, high, item = av
        once = _seq_starts(parser, list(item.data))
        if once is None:
            return None
        result: set[str] = set()
        current = {""}
        for count in range(min(high, low + _KEY) + 1):
            if count >= low:
                result |= current
            if count == high or all(_done(s) for s in current):
                break
            grown = {_join(s, p) for s in current for p in once}
            if len(grown) > _MAX_KEYS:  # too many variants: what follows is unknown
                return result | {s if _done(s) else s + _OPEN for s in current}
            current = grown
        result |= {s for s in current if _done(s)}
        return result
    return None
