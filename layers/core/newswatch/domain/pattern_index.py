"""The pattern index: finds every taxonomy topic's matches in an article fast.

Scanning an article with every topic's alternation costs tens of milliseconds (the regex engine
tries each branch at each position). Instead, the prefixes (up to _KEY characters) that each
pattern's matches can start with are worked out once from its parsed form; one scan with a
trie of all prefixes finds the word starts worth trying, and only the alternations indexed
under that start are tried there. Patterns whose start cannot be worked out are scanned in
full. The index finds exactly what trying every position would (the property tests in
tests/property/test_tagger_fast_paths.py check it against a full scan).
"""

from __future__ import annotations

import importlib
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from newswatch.domain.mentions import (
    EXCLUDE,
    STRONG,
    STRONG_WEIGHT,
    WEAK,
    WEAK_WEIGHT,
    Hit,
    Unit,
    mention_factor,
    speech_spans,
)
from newswatch.domain.taxonomy import Taxonomy, compile_patterns

_KEY = 5  # characters of a match's start used as the index key
_MIN_KEY = 2
_MAX_KEYS = 500
_MAX_PLANS = 50_000


_Entry = tuple[int, int]  # (topic index, kind)
# What to try at a candidate: per alternation, the regexes whose first match is its match there.
_Plan = tuple[tuple[_Entry, tuple[re.Pattern[str], ...]], ...]


class PatternIndex:
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
                (STRONG, topic.patterns),
                (WEAK, topic.weak_patterns),
                (EXCLUDE, topic.exclude),
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

    def find(self, units: list[Unit]) -> dict[int, list[Hit]]:
        """Every topic's matches in the units, negation and exclusions applied."""
        text = "\n".join(u.text for u in units)
        offsets: list[int] = []
        position = 0
        for unit in units:
            offsets.append(position)
            position += len(unit.text) + 1
        spans = self.spans(text)
        hits: dict[int, list[Hit]] = {}
        speeches: dict[int, tuple[tuple[int, int], ...]] = {}  # each unit's direct speech
        for topic_index in sorted({entry[0] for entry in spans if entry[1] != EXCLUDE}):
            found = self._hits(topic_index, spans, offsets, units, speeches)
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
        units: list[Unit],
        speeches: dict[int, tuple[tuple[int, int], ...]],
    ) -> list[Hit]:
        hits: list[Hit] = []
        excluded = _Overlaps(spans.get((topic_index, EXCLUDE), ()))
        earlier = _Overlaps(())  # mentions kept from the strong patterns
        for kind, weight in ((STRONG, STRONG_WEIGHT), (WEAK, WEAK_WEIGHT)):
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
                # Only a plain strong mention needs to know whether it is quoted (the paragraph
                # test); each unit's quotes are found once.
                speech = False
                if kind == STRONG and factor == 1.0:
                    quotes = speeches.get(unit)
                    if quotes is None:
                        quotes = speeches[unit] = speech_spans(units[unit].text)
                    at = start - base
                    speech = any(a <= at <= b for a, b in quotes)
                hits.append(
                    Hit(unit, start, end, weight * factor, kind == STRONG, factor < 1.0, speech)
                )
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
def index_for(taxonomy: Taxonomy) -> PatternIndex:
    return PatternIndex(taxonomy)


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
