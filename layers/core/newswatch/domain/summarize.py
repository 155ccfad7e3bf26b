"""The default summarizer: unsupervised sentence extraction in pure Python (no numpy, no weights).

Each sentence gets a score from three signals news summaries are known to follow:

- position: reporters put the key facts first, so early sentences get a prior that decays with
  their index;
- centrality: TF-IDF cosine similarity to the whole article (and to the title when there is one),
  so a sentence that shares the article's vocabulary beats an aside;
- shape: fragments under four words, over-long run-ons (flattened captions, lists), questions,
  quote openers and unpunctuated lines rarely make good summary lines.

A sentence budget (the default, 3) uses the headline profile, where position matters most; a
budget relative to the article (``SummaryLength.ratio``) uses the coverage profile, where
centrality does (see COVERAGE_WEIGHTS).

Sentences are then chosen greedily by maximal marginal relevance (score minus similarity to what is
already chosen), which keeps near-duplicates out, until the length budget is met; the result is in
document order. Everything is deterministic: ties break on document order.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from operator import add, mul, truediv

from newswatch.domain.models import Summary, SummaryLength

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# _WORD on ASCII text after lower-casing: [^\W_] is exactly [a-z0-9] there and "’" cannot occur.
# A plain range is much cheaper for the regex engine than a Unicode category test.
_ASCII_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")

_STOPWORDS = frozenset(
    str.split("""
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    said says say told according mr mrs ms one two new also year years would could may might
    """)
)

_QUOTE_OPEN = ("'", '"', "“", "‘")


def words(text: str) -> list[str]:
    """Lower-case word tokens, the unit every length budget counts."""
    lowered = text.lower()
    return (_ASCII_WORD if lowered.isascii() else _WORD).findall(lowered)


def _stem(word: str) -> str:
    # A light suffix strip is enough to match "talks"/"talk", "killed"/"kill" between sentences.
    for suffix in ("ings", "ing", "edly", "ed", "ies", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


# Words remembered by _TermCache before it starts over (a few MB at most in a warm Lambda).
TERM_CACHE_SIZE = 1 << 16


class _TermCache(dict[str, str]):
    """word -> its index term, or "" for a stop word or a number; computed on first sight.

    Looking a word up is one dict access, so a sentence's terms come from C-level map/filter
    instead of a Python call (stop-word test, digit test, stem) per token.
    """

    def __missing__(self, word: str) -> str:
        if len(self) >= TERM_CACHE_SIZE:
            self.clear()
        term = "" if word in _STOPWORDS or word.isdigit() else _stem(word)
        self[word] = term
        return term


_TERM_OF = _TermCache()


def _terms(tokens: Sequence[str]) -> list[str]:
    # A stem is never empty (at least three letters stay), so "" only ever marks a dropped word.
    return list(filter(None, map(_TERM_OF.__getitem__, tokens)))


# The vector arithmetic below runs in C through map/zip over the dicts' values. It performs the
# same float operations in the same order as the plain loops would (v * v summed in insertion
# order, v / norm, v * other.get(k, 0.0)), so scores, and hence selections, are bit-for-bit
# unchanged.


def _unit(vector: dict[str, float]) -> dict[str, float]:
    values = vector.values()
    norm = math.sqrt(sum(map(mul, values, values)))
    return dict(zip(vector, map(truediv, values, repeat(norm)), strict=True)) if norm else {}


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine similarity of two unit vectors."""
    if len(a) > len(b):
        a, b = b, a
    total: float = sum(map(mul, a.values(), map(b.get, a, repeat(0.0))))
    return total


def _centroid(vectors: Sequence[dict[str, float]]) -> dict[str, float]:
    """The sum of the vectors, each term's weights added in sentence order."""
    total: dict[str, float] = {}
    get = total.get
    for vector in vectors:
        # The keys of one vector are distinct, so each get() still reads the sum before this
        # vector; a term seen for the first time starts from 0.0 (x + 0.0 == x).
        total.update(
            zip(vector, map(add, vector.values(), map(get, vector, repeat(0.0))), strict=True)
        )
    return total


def lead_sentences(sentences: Sequence[str], n: int = 3) -> list[str]:
    """The Lead-N baseline: the first ``n`` sentences."""
    return list(sentences[: max(n, 0)])


@dataclass(frozen=True)
class ExtractiveWeights:
    """The scoring knobs. The defaults (the headline profile, for a sentence-count budget) were
    calibrated on the CNN/DailyMail dev set; see COVERAGE_WEIGHTS for ratio budgets."""

    position: float = 1.0
    position_decay: float = 1.0
    centrality: float = 1.0
    title: float = 0.5
    redundancy: float = 0.3
    duplicate: float = 0.65
    min_words: int = 4
    long_words: int = 30
    long_power: float = 1.0
    quote: float = 0.8
    question: float = 0.6
    fragment: float = 0.75


# A summary sized as a share of the article (``ratio``) is about coverage, not the lead: several
# paragraphs' worth of sentences, so centrality dominates and position only breaks ties. On the
# BBC dev set (long extractive references) this profile scores about 6 ROUGE points above the
# headline profile at the same length.
COVERAGE_WEIGHTS = ExtractiveWeights(position=0.1, centrality=2.0, redundancy=0.15)


class ExtractiveSummarizer:
    """Position + centrality + redundancy-aware extraction; see the module docstring."""

    name = "extractive"

    def __init__(
        self,
        weights: ExtractiveWeights | None = None,
        coverage_weights: ExtractiveWeights | None = None,
    ) -> None:
        self.weights = weights or ExtractiveWeights()
        self.coverage_weights = coverage_weights or COVERAGE_WEIGHTS

    def summarize(
        self, sentences: Sequence[str], length: SummaryLength, title: str | None = None
    ) -> Summary:
        chosen = self.select(sentences, length, title)
        return Summary(tuple(sentences[i] for i in chosen), engine=self.name)

    def select(
        self, sentences: Sequence[str], length: SummaryLength, title: str | None = None
    ) -> list[int]:
        """Indices of the chosen sentences, in document order."""
        if not sentences:
            return []
        w = self.coverage_weights if length.ratio else self.weights
        # Each sentence is tokenized once; lengths, the title check and the vectors share it.
        tokens = list(map(words, sentences))
        raw = _tfidf_vectors([_terms(t) for t in tokens])
        vectors = [_unit(v) for v in raw]
        centre = _unit(_centroid(raw))
        title_tokens = words(title) if title else []
        title_vector = _unit(_tfidf_vectors([_terms(title_tokens)])[0]) if title_tokens else {}
        lengths = list(map(len, tokens))

        scores: list[float] = []
        for i, sentence in enumerate(sentences):
            score = w.position / (1.0 + i) ** w.position_decay
            score += w.centrality * _dot(vectors[i], centre)
            if title_vector:
                score += w.title * _dot(vectors[i], title_vector)
            score *= _shape_factor(sentence, lengths[i], w)
            if title_tokens and tokens[i] == title_tokens:
                score = -1.0
            scores.append(score)

        max_sentences, max_words = _budget(length, sum(lengths))
        chosen: list[int] = []
        used_words = 0
        candidates = [i for i in range(len(sentences)) if scores[i] > 0]
        if max_words is None and len(candidates) > SHORTLIST * max_sentences:
            # A few sentences out of many: only the best-scored can win, so MMR needs no more.
            best_first = sorted(candidates, key=lambda i: (-scores[i], i))
            candidates = sorted(best_first[: SHORTLIST * max_sentences])
        # Highest similarity of each candidate to any chosen sentence, updated after each pick.
        overlap = dict.fromkeys(candidates, 0.0)
        while candidates and len(chosen) < max_sentences:
            best, best_value = -1, -math.inf
            for i in candidates:
                if overlap[i] >= w.duplicate:
                    continue
                value = scores[i] - w.redundancy * overlap[i]
                if value > best_value:
                    best, best_value = i, value
            if best < 0:
                break
            # Stop rather than overshoot the word budget by more than half a sentence.
            if max_words is not None and chosen and used_words + lengths[best] / 2 > max_words:
                break
            chosen.append(best)
            used_words += lengths[best]
            candidates.remove(best)
            for i in candidates:
                overlap[i] = max(overlap[i], _dot(vectors[i], vectors[best]))
            if max_words is not None and used_words >= max_words:
                break
        return sorted(chosen)


_UNBOUNDED = 1_000_000
# With a sentence budget of k, MMR chooses among the SHORTLIST * k best-scored sentences.
SHORTLIST = 4


def _budget(length: SummaryLength, article_words: int) -> tuple[int, int | None]:
    """(sentence cap, word cap).

    A ratio budget replaces the sentence count (a long article gets a longer summary); a word
    budget applies together with it.
    """
    if length.ratio:
        cap = max(1, round(length.ratio * article_words))
        return _UNBOUNDED, min(cap, length.words) if length.words else cap
    return max(length.sentences, 1), length.words


def _shape_factor(sentence: str, n_words: int, w: ExtractiveWeights) -> float:
    factor = 1.0
    if n_words < w.min_words:
        factor *= 0.3
    elif n_words > w.long_words:
        # Over-long units are usually run-on captions or lists and crowd out the budget.
        factor *= (w.long_words / n_words) ** w.long_power
    if sentence.rstrip("\"'”’ ").endswith("?"):
        factor *= w.question
    if sentence.startswith(_QUOTE_OPEN):
        factor *= w.quote
    if not sentence.rstrip("\"'”’) ").endswith((".", "!", "?", "…")):
        # A heading, caption or list fragment.
        factor *= w.fragment
    return factor


def _tfidf_vectors(documents: Sequence[Sequence[str]]) -> list[dict[str, float]]:
    # Counter(terms) as a plain dict (same keys, order and counts), built more cheaply in the
    # common case of a sentence that repeats no term.
    counts = [dict.fromkeys(terms, 1) for terms in documents]
    repeats = [len(tf) != len(terms) for tf, terms in zip(counts, documents, strict=True)]
    for i, terms in enumerate(documents):
        if repeats[i]:
            counts[i] = dict(Counter(terms))
    # Iterating a dict yields each of its terms once: one count per document holding the term.
    df = Counter(chain.from_iterable(counts))
    n = len(documents)
    # The weight depends only on the document frequency: one log per distinct frequency.
    by_df = {d: math.log((1 + n) / (1 + d)) + 1.0 for d in set(df.values())}
    idf = dict(zip(df, map(by_df.__getitem__, df.values()), strict=True)).__getitem__
    return [
        dict(zip(tf, map(mul, tf.values(), map(idf, tf)), strict=True))
        if repeated
        # Every count is 1, and 1 * weight == weight exactly.
        else dict(zip(tf, map(idf, tf), strict=True))
        for tf, repeated in zip(counts, repeats, strict=True)
    ]
