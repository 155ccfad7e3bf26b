"""Zero-shot topics with a local NLI checkpoint (an MNLI-style model), when one is configured.

Each topic becomes a hypothesis ("This text is about <description>") and every sentence of the
article a premise; a topic's score is the best entailment probability (entailment against
contradiction, as multi-label zero-shot classification does). This is slower than embeddings (one
model pass per sentence and topic) and more precise on paraphrase; the semantic and hybrid taggers
use it instead of MiniLM when ``NEWSWATCH_NLI_MODEL_DIR`` points at a checkpoint. Nothing is ever
downloaded: the directory must hold the model and its tokenizer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newswatch.domain.errors import EngineError
from newswatch.domain.models import TopicTag
from newswatch.domain.taxonomy import Taxonomy
from newswatch.engines.checkpoint import load_checkpoint

log = logging.getLogger(__name__)

HYPOTHESIS = "This text is about {}"
MAX_SENTENCES = 24
MAX_EVIDENCE = 3


@dataclass
class _Nli:
    tokenizer: Any
    model: Any
    entailment: int
    contradiction: int | None


_MODELS: dict[Path, _Nli] = {}
_LOCK = threading.Lock()


def _label_index(label2id: dict[str, int], prefix: str) -> int | None:
    return next((int(i) for name, i in label2id.items() if name.lower().startswith(prefix)), None)


def load_nli(directory: Path | str) -> _Nli:
    key = Path(directory).expanduser().resolve()
    with _LOCK:
        if key in _MODELS:
            return _MODELS[key]
        tokenizer, model, _ = load_checkpoint(
            key, "AutoModelForSequenceClassification", "NLI model"
        )
        label2id = dict(getattr(model.config, "label2id", {}) or {})
        entailment = _label_index(label2id, "entail")
        if entailment is None:
            raise EngineError(f"{key} is not an NLI model: no 'entailment' label in {label2id}")
        nli = _Nli(tokenizer, model, entailment, _label_index(label2id, "contradict"))
        _MODELS[key] = nli
        return nli


class ZeroShotTagger:
    """Tag by natural-language inference against each topic's description (a Tagger)."""

    name = "zero-shot"

    def __init__(
        self,
        taxonomy: Taxonomy,
        model_dir: Path | str,
        *,
        min_score: float = 0.5,
        hypothesis: str = HYPOTHESIS,
        max_sentences: int = MAX_SENTENCES,
        batch_size: int = 16,
    ) -> None:
        self.taxonomy = taxonomy
        self.model_dir = Path(model_dir)
        self.min_score = min_score
        self.hypothesis = hypothesis
        self.max_sentences = max_sentences
        self.batch_size = batch_size

    def threshold(self, label: str) -> float:
        topic = self.taxonomy.get(label)
        if topic is not None and topic.threshold is not None:
            return topic.threshold
        return self.min_score

    def hypotheses(self) -> list[str]:
        return [
            self.hypothesis.format(t.description.rstrip(".").lower()) for t in self.taxonomy.topics
        ]

    def tag(self, sentences: Sequence[str], title: str | None = None) -> tuple[TopicTag, ...]:
        return tuple(t for t in self.score(sentences, title) if t.score >= self.threshold(t.label))

    def score(self, sentences: Sequence[str], title: str | None = None) -> tuple[TopicTag, ...]:
        """Every topic, scored by its best entailment probability; highest first."""
        import torch

        units = [s.strip() for s in ([title] if title else []) + list(sentences) if s and s.strip()]
        # News puts its subject first; the lead bounds the cost of long articles.
        units = units[: self.max_sentences]
        if not units:
            return ()
        nli = load_nli(self.model_dir)
        hypotheses = self.hypotheses()
        pairs = [(u, h) for u in units for h in hypotheses]
        probabilities: list[float] = []
        with torch.inference_mode():
            for start in range(0, len(pairs), self.batch_size):
                batch = pairs[start : start + self.batch_size]
                inputs = nli.tokenizer(
                    [p for p, _ in batch],
                    [h for _, h in batch],
                    padding=True,
                    truncation=True,
                    return_tensors="pt",
                )
                logits = nli.model(**inputs).logits
                if nli.contradiction is not None:
                    logits = logits[:, [nli.contradiction, nli.entailment]]
                    probabilities += logits.softmax(dim=-1)[:, 1].tolist()
                else:
                    probabilities += logits.softmax(dim=-1)[:, nli.entailment].tolist()
        table = torch.tensor(probabilities).reshape(len(units), len(hypotheses))
        tags = []
        for index, topic in enumerate(self.taxonomy.topics):
            column = table[:, index]
            order = column.argsort(descending=True).tolist()
            evidence = tuple(units[i] for i in order[:MAX_EVIDENCE])
            tags.append(TopicTag(topic.label, round(float(column.max()), 3), topic.iptc, evidence))
        tags.sort(key=lambda t: (-t.score, t.label))
        return tuple(tags)
