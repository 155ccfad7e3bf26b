"""Near-duplicate stories: MinHash over word shingles, with LSH bands for a one-read lookup.

An article re-uploaded with small edits (a new headline, an added paragraph, other whitespace or
markup, a few words changed) has a different SHA-256 but nearly the same set of word 3-shingles.
MinHash estimates the Jaccard similarity of two shingle sets from two short signatures, so the table
never needs the full text of earlier articles.

Finding candidates without scanning: the signature is cut into :data:`BANDS` bands of
:data:`ROWS` values; each band hashes to a key (``nearband#<i>#<hex>``). Two articles with Jaccard
similarity ``s`` share at least one band key with probability ``1 - (1 - s**ROWS) ** BANDS``
(about 0.94 at s = 0.5, 0.97 at s = 0.6, 0.996 at s = 0.75, 0.04 at s = 0.01), and the storage
layer keeps one small item per band key listing the articles that hashed there. Checking a new
article is then one ``BatchGetItem`` of its band keys followed by :func:`find_near_duplicates` on
what came back.

Four bands of one row (one MinHash value each), after sixteen of three and six of two: every band
is an item write per article (the largest share of an article's DynamoDB writes), and on the
pairs of bench/neardup.py four bands of one row find exactly the pairs six of two found (1,497 of
1,500 at 0.5, recall 0.998, precision 1.000; three bands of one row lose two, two bands 27). The
price is more unrelated articles sharing a band (169 of 31,625 negative pairs, against 23): they
cost a member in a band item, never a false match (the similarity check on the full signature
decides), and a band shared by many is capped (``records.MAX_BAND_MEMBERS``).

Pure: no AWS, no environment. The threshold comes from settings (NEWSWATCH_NEAR_DUP_THRESHOLD).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

# Words per shingle. Measured on pairs from the evaluation data (RELIABILITY.md): with 3-word
# shingles unrelated articles, even same-category BBC pairs, share under 1% of shingles, while
# edited copies share over 50%.
SHINGLE_WORDS = 3
BANDS = 4
ROWS = 1
# Values in a signature: the LSH bands use the first BANDS * ROWS, the similarity estimate uses
# all of them (more values, less noise in the estimate).
SIGNATURE_SIZE = 64
# Only the first MAX_WORDS words are fingerprinted: news articles are far shorter, and the cost is
# linear in the words (about 7 ms per 600 words), so a 10 MiB text file stays cheap.
MAX_WORDS = 10_000
# Fewer shingles than this (a text of under ~10 words) say too little to call two texts the same
# story: such a fingerprint has no band keys and is never a near-duplicate.
MIN_SHINGLES = 8
DEFAULT_THRESHOLD = 0.5

BAND_KEY_PREFIX = "nearband#"

_MERSENNE_61 = (1 << 61) - 1
_MASK_32 = (1 << 32) - 1


def _coefficients(count: int) -> tuple[tuple[int, int], ...]:
    # Fixed, documented derivation (not Python's randomised hash()) so signatures stored by one
    # Lambda version compare with those computed by the next.
    pairs = []
    for i in range(count):
        digest = hashlib.blake2b(f"newswatch-minhash-{i}".encode(), digest_size=16).digest()
        a = int.from_bytes(digest[:8], "big") % (_MERSENNE_61 - 1) + 1
        b = int.from_bytes(digest[8:], "big") % _MERSENNE_61
        pairs.append((a, b))
    return tuple(pairs)


_COEFFICIENTS = _coefficients(SIGNATURE_SIZE)

_BLOCK_START = re.compile(r"<!--|<(script|style)\b", re.IGNORECASE)
_BLOCK_END = {
    "": re.compile(r"-->"),
    "script": re.compile(r"</script\s*>", re.IGNORECASE),
    "style": re.compile(r"</style\s*>", re.IGNORECASE),
}
# A tag starts with a letter, "/" or "!", so "a < b" in plain text is left alone.
_TAG = re.compile(r"</?[A-Za-z!][^<>]{0,2000}>")
_WORD = re.compile(r"\w+")


def _drop_blocks(text: str) -> str:
    """Remove comments and script/style blocks in one left-to-right pass.

    A lazy ``<!--.*?-->`` regex rescans to the end of the text for every unclosed opener, which is
    quadratic on hostile input (8,000 unclosed ``<script>`` took 10 s); this never rescans.
    """
    pieces: list[str] = []
    position = 0
    while (start := _BLOCK_START.search(text, position)) is not None:
        end = _BLOCK_END[(start.group(1) or "").lower()].search(text, start.end())
        if end is None:
            break  # unclosed: keep the rest as text
        pieces.append(text[position : start.start()])
        position = end.end()
    pieces.append(text[position:])
    return " ".join(pieces)


def normalise(text: str) -> str:
    """Lowercase words only: markup, entities, punctuation and whitespace differences removed."""
    text = _drop_blocks(text)
    text = _TAG.sub(" ", text)
    text = html.unescape(text)
    return " ".join(_WORD.findall(text.lower()))


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """Word ``size``-grams of the first MAX_WORDS normalised words (the whole text if shorter)."""
    words = normalise(text).split()[:MAX_WORDS]
    if not words:
        return set()
    if len(words) <= size:
        return {" ".join(words)}
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


@dataclass(frozen=True)
class Fingerprint:
    """A MinHash signature of an article's text and how many shingles it was computed from."""

    signature: tuple[int, ...]
    shingle_count: int

    @property
    def comparable(self) -> bool:
        return self.shingle_count >= MIN_SHINGLES and len(self.signature) == SIGNATURE_SIZE

    @property
    def band_keys(self) -> tuple[str, ...]:
        """The ``pk`` of each band item this article belongs to; empty when not comparable."""
        if not self.comparable:
            return ()
        keys = []
        for band in range(BANDS):
            rows = self.signature[band * ROWS : (band + 1) * ROWS]
            raw = b"".join(value.to_bytes(4, "big") for value in rows)
            digest = hashlib.blake2b(raw, digest_size=8).hexdigest()
            keys.append(f"{BAND_KEY_PREFIX}{band:02d}#{digest}")
        return tuple(keys)

    def encode(self) -> str:
        """Compact text form for storage (base64 of the 32-bit values)."""
        raw = b"".join(value.to_bytes(4, "big") for value in self.signature)
        return f"{self.shingle_count}:{base64.b64encode(raw).decode('ascii')}"

    @classmethod
    def decode(cls, value: str) -> Fingerprint:
        """Inverse of :meth:`encode`; raises ValueError on anything else."""
        count, _, payload = value.partition(":")
        raw = base64.b64decode(payload.encode("ascii"), validate=True)
        if not count.isdigit() or len(raw) % 4:
            raise ValueError(f"not an encoded fingerprint: {value[:40]!r}")
        values = tuple(int.from_bytes(raw[i : i + 4], "big") for i in range(0, len(raw), 4))
        return cls(signature=values, shingle_count=int(count))


def fingerprint(text: str) -> Fingerprint:
    """MinHash signature of the text's word shingles."""
    grams = shingles(text)
    bases = [
        int.from_bytes(hashlib.blake2b(g.encode("utf-8"), digest_size=8).digest(), "big")
        for g in grams
    ]
    if not bases:
        return Fingerprint(signature=(_MASK_32,) * SIGNATURE_SIZE, shingle_count=0)
    signature = tuple(
        min(((a * x + b) % _MERSENNE_61) & _MASK_32 for x in bases) for a, b in _COEFFICIENTS
    )
    return Fingerprint(signature=signature, shingle_count=len(bases))


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """Estimated Jaccard similarity of the shingle sets, 0..1 (0 if either is not comparable)."""
    if not (a.comparable and b.comparable):
        return 0.0
    same = sum(1 for x, y in zip(a.signature, b.signature, strict=True) if x == y)
    return same / SIGNATURE_SIZE


def is_near_duplicate(a: Fingerprint, b: Fingerprint, threshold: float = DEFAULT_THRESHOLD) -> bool:
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    return similarity(a, b) >= threshold


def new_watched_topics(
    previous_topics: Iterable[str], new_topics: Iterable[str], watched: Iterable[str]
) -> tuple[str, ...]:
    """Watched topics of the new article that none of its earlier near-duplicates had, sorted."""
    return tuple(sorted((set(new_topics) & set(watched)) - set(previous_topics)))


def should_alert_near_duplicate(
    previous_topics: Iterable[str], new_topics: Iterable[str], watched: Iterable[str]
) -> bool:
    """A near-duplicate alerts again only if it adds a watched topic its earlier copies lacked.

    ``previous_topics`` is the union of the topic labels of every earlier near-duplicate found.
    """
    return bool(new_watched_topics(previous_topics, new_topics, watched))


@dataclass(frozen=True)
class NearDuplicate:
    """An earlier article found through a shared band, as stored in its band items."""

    ref: str  # "<article pk>|<article sk>"
    fingerprint: Fingerprint
    topics: tuple[str, ...] = ()
    uploaded_at: str = ""
    # The countries it is about; None for a member registered before they were recorded.
    places: tuple[str, ...] | None = None

    def covers(self, places: Iterable[str]) -> bool:
        """Whether it was about every one of ``places`` (unknown: assumed so). The same wire
        story about another country is news for that country: not a near-duplicate."""
        return self.places is None or set(places) <= set(self.places)


def find_near_duplicates(
    fp: Fingerprint,
    candidates: Iterable[NearDuplicate],
    threshold: float = DEFAULT_THRESHOLD,
    exclude: Collection[str] = (),
) -> list[tuple[NearDuplicate, float]]:
    """Candidates at or above ``threshold``, most similar first (earliest upload breaks ties).

    ``exclude`` holds refs to ignore, typically the article's own ref on a redelivery.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    scored = [
        (candidate, similarity(fp, candidate.fingerprint))
        for candidate in candidates
        if candidate.ref not in exclude
    ]
    matches = [(c, s) for c, s in scored if s >= threshold]
    matches.sort(key=lambda pair: (-pair[1], pair[0].uploaded_at, pair[0].ref))
    return matches
