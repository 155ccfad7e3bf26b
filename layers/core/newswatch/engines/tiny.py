"""A tiny, randomly initialised BART checkpoint built offline, for tests and benchmarks.

It exercises exactly the code path of a real checkpoint (Auto classes, ``save_pretrained`` files,
``generate``, token limits) in a few hundred KB and milliseconds; its summaries are noise. The
tokenizer is a word-level vocabulary of the text it is given, so nothing is downloaded.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from newswatch.engines.abstractive import MODEL_INFO_FILE

SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def build_tiny_seq2seq(
    directory: Path | str,
    corpus: str,
    *,
    max_positions: int = 64,
    d_model: int = 16,
    layers: int = 1,
    decoder_layers: int | None = None,
    heads: int = 2,
    ffn_dim: int | None = None,
    vocab_size: int | None = None,
    seed: int = 0,
    name: str = "tiny-random-bart",
) -> Path:
    """Write a tokenizer + BART model trained on nothing into ``directory`` and return it.

    ``max_positions`` is the input limit the summarizer will chunk to (tokenizer and model agree).
    The shape arguments can also rebuild a real checkpoint's architecture with random weights
    (``bench/ml.py`` uses distilbart-cnn-12-6's to measure its cost without downloading it);
    ``vocab_size`` pads the vocabulary with filler words so every generated id decodes.
    """
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BartConfig, BartForConditionalGeneration, PreTrainedTokenizerFast

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    words = sorted(set(re.findall(r"\w+|[^\w\s]", corpus)))
    tokens = [*SPECIAL_TOKENS, *words]
    if vocab_size is not None:
        tokens += [f"w{i}" for i in range(max(0, vocab_size - len(tokens)))]
    vocab = {token: i for i, token in enumerate(tokens)}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", vocab["<s>"]), ("</s>", vocab["</s>"])],
    )
    tokenizer = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=backend,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        mask_token="<mask>",
        model_max_length=max_positions,
    )
    config = BartConfig(
        vocab_size=len(vocab),
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers if decoder_layers is None else decoder_layers,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=ffn_dim or 2 * d_model,
        decoder_ffn_dim=ffn_dim or 2 * d_model,
        max_position_embeddings=max_positions,
        bos_token_id=vocab["<s>"],
        pad_token_id=vocab["<pad>"],
        eos_token_id=vocab["</s>"],
        decoder_start_token_id=vocab["</s>"],
        forced_eos_token_id=vocab["</s>"],
    )
    torch.manual_seed(seed)
    model = BartForConditionalGeneration(config)
    model.save_pretrained(str(directory))
    tokenizer.save_pretrained(str(directory))
    info = {"model_id": name, "revision": "random"}
    (directory / MODEL_INFO_FILE).write_text(json.dumps(info), encoding="utf-8")
    return directory
