"""The default topic tagger: the taxonomy's phrase patterns, scored by how much of the article is
about each topic.

Per topic, every sentence gets a strength from its matches (a strong phrase counts 1, a weak cue
0.4, capped), discounted when the mention is negated ("no ceasefire was agreed", "rejected talks"),
hypothetical ("if sanctions were imposed"), a past instance ("at the last election"), a comparison
("like a war zone") or the occasion of another topic's event (an election in a sentence reporting a
protest: the taxonomy's ``background_in``), and boosted in the title and the lead, where news states
its subject. The article score saturates with the summed strength (more slowly in longer articles),
is damped when the topic fills only a small share of the sentences, and is damped again when another
topic holds much more of the evidence. In a long article, a topic that is neither in the headline or
lead nor the subject of a paragraph's worth of sentences is halved: readers (and the labelling rule
of the article-level dev set) call that a passing mention; sentences quoting someone do not make the
paragraph (a quote is often about something else). So a passing mention scores below the main
subject, while one strong mention still carries a one-sentence snippet. A topic marked
``strict_salience`` in the taxonomy (words common in stories about something else: "a former
soldier", a derby "battle") needs both the headline or lead and a paragraph's worth.

The matches come from the pattern index (:mod:`newswatch.domain.pattern_index`); what a mention
is and how much a negated or hypothetical one counts is in :mod:`newswatch.domain.mentions`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from newswatch.domain.mentions import BACKGROUND_FACTOR, Hit, Unit, normalize
from newswatch.domain.models import TopicTag
from newswatch.domain.pattern_index import index_for
from newswatch.domain.taxonomy import Taxonomy, Topic, load_taxonomy

# A sentence counts at most this much, however many matches it holds.
SENTENCE_CAP = 1.5
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
        self._index = index_for(self.taxonomy)
        # Topic index -> the indexes of the topics it is background in (the taxonomy's
        # background_in, resolved once).
        position = {topic.label: i for i, topic in enumerate(self.taxonomy.topics)}
        self._background_in = {
            i: frozenset(position[label] for label in topic.background_in)
            for i, topic in enumerate(self.taxonomy.topics)
            if topic.background_in
        }

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
        units: list[Unit] = []
        if title and title.strip():
            units.append(Unit(normalize(title).lower(), title.strip(), TITLE_WEIGHT))
        body = 0
        for original in sentences:
            text = normalize(original).lower()
            if text:
                weight = LEAD_WEIGHTS[body] if body < len(LEAD_WEIGHTS) else 1.0
                units.append(Unit(text, original.strip(), weight))
                body += 1
        if not units:
            return ()
        hits = self._as_background(self._index.find(units))
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

    def _as_background(self, hits: dict[int, list[Hit]]) -> dict[int, list[Hit]]:
        """Discount a topic's mentions in the sentences that plainly report a topic it is
        ``background_in`` (an election as the occasion of a protest)."""
        found = dict(hits)  # as matched: a discounted topic still makes its sentence an occasion
        for index, others in self._background_in.items():
            if index not in hits:
                continue
            occasions = {
                h.unit
                for other in others
                for h in found.get(other, ())
                if h.strong and not h.discounted
            }
            hits[index] = [
                h._replace(weight=h.weight * BACKGROUND_FACTOR, discounted=True)
                if h.unit in occasions and not h.discounted
                else h
                for h in hits[index]
            ]
        return hits

    @staticmethod
    def _evidence(
        topic: Topic, units: list[Unit], hits: list[Hit], total: int, lead_units: int
    ) -> _Evidence | None:
        strong: dict[int, float] = {}
        weak: dict[int, float] = {}
        asserted: set[int] = set()  # units with at least one plain (not discounted) mention
        narrated: set[int] = set()  # ... outside direct speech
        single: dict[int, float] = {}  # each unit's strongest single mention
        for hit in hits:
            bucket = strong if hit.strong else weak
            bucket[hit.unit] = bucket.get(hit.unit, 0.0) + hit.weight
            single[hit.unit] = max(single.get(hit.unit, 0.0), hit.weight)
            if not hit.discounted:
                asserted.add(hit.unit)
                if not hit.quoted:
                    narrated.add(hit.unit)
        strong_mass = weak_mass = covered = lead = 0.0
        paragraph = 0  # sentences with a plain strong mention outside direct speech
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
                paragraph += unit_index in narrated
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
        in_lead, fills_paragraph = lead >= LEAD_MENTION, paragraph >= PARAGRAPH_SENTENCES
        subject = (
            in_lead and fills_paragraph if topic.strict_salience else in_lead or fills_paragraph
        )
        if total >= LONG_FORM_SENTENCES and not subject:
            score *= OFF_LEAD_FACTOR
        ranked.sort(key=lambda r: (-r[0], r[1]))
        return _Evidence(topic, mass, score, tuple(units[i].original for _, i in ranked))


class _Evidence(NamedTuple):
    topic: Topic
    mass: float
    score: float
    sentences: tuple[str, ...]
