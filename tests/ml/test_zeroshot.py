"""The optional zero-shot NLI tagger, on a tiny random NLI checkpoint built offline.

Random weights say nothing about topics, so these tests cover the plumbing: loading from a local
folder, the entailment label, probabilities, thresholds, evidence, and selection by settings.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newswatch.composition import analyzer_from_settings
from newswatch.domain.errors import EngineError
from newswatch.domain.taxonomy import load_taxonomy, parse_taxonomy
from newswatch.engines.semantic import HybridTagger
from newswatch.engines.zeroshot import ZeroShotTagger
from newswatch.settings import Settings

pytestmark = pytest.mark.ml

SENTENCES = [
    "The guns fell silent along the front.",
    "Aid lorries crossed the border at dawn.",
    "The vote was postponed.",
]


def build_nli(directory: Path, labels: tuple[str, ...]) -> Path:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    words = sorted({w.lower() for s in SENTENCES for w in s.replace(".", " .").split()})
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *words])}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        model_max_length=128,
    )
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=128,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(str(directory))
    tokenizer.save_pretrained(str(directory))
    return directory


@pytest.fixture(scope="module")
def nli_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_nli(tmp_path_factory.mktemp("nli"), ("contradiction", "neutral", "entailment"))


def test_every_topic_gets_an_entailment_probability_and_evidence(nli_dir: Path) -> None:
    taxonomy = load_taxonomy()
    scores = ZeroShotTagger(taxonomy, nli_dir).score(SENTENCES, title="Front quiet")
    assert sorted(t.label for t in scores) == sorted(taxonomy.labels)
    assert all(0.0 <= t.score <= 1.0 for t in scores)
    assert [t.score for t in scores] == sorted((t.score for t in scores), reverse=True)
    units = {"Front quiet", *SENTENCES}
    assert all(t.evidence and set(t.evidence) <= units for t in scores)


def test_thresholds_decide_what_is_tagged(nli_dir: Path) -> None:
    taxonomy = parse_taxonomy(
        """
topics:
  - label: ceasefire
    description: Truces and agreed halts to fighting.
    patterns: ["truce"]
  - label: aid
    description: Humanitarian aid.
    patterns: ["aid"]
    threshold: 1.0
"""
    )
    everything = ZeroShotTagger(taxonomy, nli_dir, min_score=0.0).tag(SENTENCES)
    assert [t.label for t in everything] == ["ceasefire"]  # aid's own threshold still applies
    assert ZeroShotTagger(taxonomy, nli_dir, min_score=1.01).tag(SENTENCES) == ()
    assert ZeroShotTagger(taxonomy, nli_dir).tag([]) == ()


def test_only_the_lead_is_read(nli_dir: Path) -> None:
    tagger = ZeroShotTagger(load_taxonomy(), nli_dir, max_sentences=1)
    assert all(t.evidence == (SENTENCES[0],) for t in tagger.score(SENTENCES))


def test_a_model_without_an_entailment_label_is_refused(tmp_path: Path) -> None:
    directory = build_nli(tmp_path, ("negative", "positive"))
    with pytest.raises(EngineError, match="entailment"):
        ZeroShotTagger(load_taxonomy(), directory).score(SENTENCES)
    config = json.loads((directory / "config.json").read_text())
    assert "entailment" not in config["label2id"]


def test_settings_put_the_nli_model_behind_the_hybrid_tagger(nli_dir: Path) -> None:
    settings = Settings.from_env(
        {"NEWSWATCH_TAGGER": "hybrid", "NEWSWATCH_NLI_MODEL_DIR": str(nli_dir)}
    )
    tagger = analyzer_from_settings(settings).tagger
    assert isinstance(tagger, HybridTagger)
    assert isinstance(tagger.semantic, ZeroShotTagger)
    tags = tagger.tag(["Both sides agreed to a ceasefire at midnight."])
    assert "ceasefire" in [t.label for t in tags]  # the patterns still carry a plain mention
