"""Abstractive summaries with a local seq2seq checkpoint (BART, PEGASUS, T5 family).

The model is read from a directory baked into the container image (never downloaded at run time),
loaded once per execution environment and run with ``generate``: the ``summarization`` pipeline task
is gone in transformers 5, and the Auto classes + ``generate`` work the same on 4.x and 5.x.

Articles longer than the model's input limit are cut into sentence-aligned chunks that fit, each
chunk is summarized, and the joined chunk summaries are summarized again until one pass covers the
whole text (map-reduce). :class:`FallbackSummarizer` puts the extractive engine behind it for when
the model fails or would not finish before the Lambda deadline.

torch and transformers are imported inside the functions that need them, so importing this module
is cheap; nothing on the default (extractive) path imports it at all.

Why this module is long: one engine (checkpoint loading, token budgets, chunking long articles,
generation settings, the deadline estimate and the extractive fallback) that is only ever imported
with torch and transformers, and whose parts share the model's tokenizer and timings.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from newswatch.domain.errors import EngineError
from newswatch.domain.models import Summary, SummaryLength
from newswatch.engines.checkpoint import load_checkpoint
from newswatch.ports import Summarizer

log = logging.getLogger(__name__)

# Written next to the weights by functions/ingest-ml/download_model.py: the hub id and revision.
MODEL_INFO_FILE = "newswatch_model.json"

FLAG_FALLBACK_ERROR = "summary_fallback:error"
FLAG_FALLBACK_DEADLINE = "summary_fallback:deadline"

# Tokenizers without a real limit report a huge sentinel (1e30) as model_max_length.
_NO_LIMIT = 1_000_000
_DEFAULT_INPUT_LIMIT = 512
# BPE averages about 1.3 tokens per English word; used to turn a word budget into max_length.
_TOKENS_PER_WORD = 1.4


class DeadlineError(EngineError):
    """The time left would not cover the next generate call."""

    code = "engine_deadline"


# Milliseconds left for the engine's own work; checked before every generate call.
TimeLeft = Callable[[], float]


@dataclass(frozen=True)
class GenerationSettings:
    """Decoding settings passed to ``generate``; the defaults are distilbart-cnn's own.

    ``min_length``/``max_length`` count decoder tokens. ``max_input_tokens`` lowers the chunk size
    below the model's limit (it never raises it). ``max_rounds`` bounds the map-reduce passes.
    """

    num_beams: int = 4
    min_length: int = 30
    max_length: int = 142
    no_repeat_ngram_size: int = 3
    length_penalty: float = 2.0
    early_stopping: bool = True
    max_input_tokens: int | None = None
    batch_size: int = 2
    max_rounds: int = 3

    def __post_init__(self) -> None:
        if self.num_beams < 1 or self.batch_size < 1 or self.max_rounds < 1:
            raise ValueError("num_beams, batch_size and max_rounds must be at least 1")
        if not 0 <= self.min_length <= self.max_length:
            raise ValueError(
                f"need 0 <= min_length <= max_length, got {self.min_length}, {self.max_length}"
            )
        if self.max_input_tokens is not None and self.max_input_tokens < 16:
            raise ValueError("max_input_tokens must be at least 16")

    def generate_kwargs(self) -> dict[str, Any]:
        return {
            "num_beams": self.num_beams,
            "min_length": self.min_length,
            "max_length": self.max_length,
            "no_repeat_ngram_size": self.no_repeat_ngram_size,
            "length_penalty": self.length_penalty,
            "early_stopping": self.early_stopping,
        }


@dataclass
class LoadedModel:
    """A tokenizer and model loaded from one directory, shared by every summarizer using it."""

    directory: Path
    name: str
    tokenizer: Any
    model: Any
    input_limit: int
    prefix: str
    load_ms: float


_MODELS: dict[Path, LoadedModel] = {}
_MODELS_LOCK = threading.Lock()


def model_name(directory: Path) -> str:
    """The hub id recorded at build time, else the directory's name."""
    info = directory / MODEL_INFO_FILE
    try:
        data = json.loads(info.read_text(encoding="utf-8"))
        name = str(data["model_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return directory.name
    return name


def load_model(directory: Path | str) -> LoadedModel:
    """Load (once per process) the seq2seq checkpoint in ``directory``; raise EngineError if it
    is missing or unreadable. Only local files are read: no hub access, ever."""
    key = Path(directory).expanduser().resolve()
    with _MODELS_LOCK:
        cached = _MODELS.get(key)
        if cached is not None:
            return cached
        tokenizer, model, load_ms = load_checkpoint(key, "AutoModelForSeq2SeqLM", "model")
        loaded = LoadedModel(
            directory=key,
            name=model_name(key),
            tokenizer=tokenizer,
            model=model,
            input_limit=_input_limit(tokenizer, model.config),
            prefix=_task_prefix(model.config),
            load_ms=load_ms,
        )
        _MODELS[key] = loaded
        log.info("loaded %s from %s in %.0f ms", loaded.name, key, loaded.load_ms)
        return loaded


def _input_limit(tokenizer: Any, config: Any) -> int:
    limits = []
    tok_limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(tok_limit, int) and 0 < tok_limit < _NO_LIMIT:
        limits.append(tok_limit)
    positions = getattr(config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        limits.append(positions)
    return min(limits) if limits else _DEFAULT_INPUT_LIMIT


def _task_prefix(config: Any) -> str:
    # T5 checkpoints expect "summarize: " in front of the text; BART and PEGASUS have no prefix.
    params = getattr(config, "task_specific_params", None) or {}
    summarization = params.get("summarization") or {}
    prefix = summarization.get("prefix") or ""
    return str(prefix)


@dataclass(frozen=True)
class SummaryRun:
    """What one summarization did: the text, the chunk count per pass, the generate calls."""

    text: str
    rounds: tuple[int, ...]
    input_tokens: int
    generate_calls: int
    elapsed_ms: float


class TransformersSummarizer:
    """A :class:`~newswatch.ports.Summarizer` over a local seq2seq checkpoint."""

    def __init__(
        self,
        model_dir: Path | str,
        settings: GenerationSettings | None = None,
        *,
        ms_per_token: float = 20.0,
        load_ms: float = 8000.0,
    ) -> None:
        self.model_dir = Path(model_dir)
        self.settings = settings or GenerationSettings()
        self.name = f"transformers:{model_name(self.model_dir)}"
        # Priors for deadline estimates, from bench/ml.py's distilbart-cnn-12-6-shaped model
        # (4 beams; 7 s to import and load, 20-45 ms per input token on one busy CPU core); the
        # per-token cost is replaced by measurements as articles go through.
        self.ms_per_token = ms_per_token
        self.load_ms = load_ms
        self._loaded: LoadedModel | None = None
        self._slowest_call_ms = 0.0

    def load(self) -> LoadedModel:
        if self._loaded is None:
            self._loaded = load_model(self.model_dir)
        return self._loaded

    # -- the Summarizer protocol ---------------------------------------------------------------
    def summarize(
        self,
        sentences: Sequence[str],
        length: SummaryLength,
        title: str | None = None,
        *,
        time_left: TimeLeft | None = None,
    ) -> Summary:
        from newswatch.domain.sentences import split_sentences

        run = self.run(sentences, length, time_left=time_left)
        out = split_sentences(run.text)
        return Summary(tuple(out[: _sentence_cap(length)]), engine=self.name)

    # -- the work ------------------------------------------------------------------------------
    def token_counts(self, sentences: Sequence[str]) -> list[int]:
        loaded = self.load()
        if not sentences:
            return []
        encoded = loaded.tokenizer(list(sentences), add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def input_limit(self) -> int:
        """Tokens the encoder takes in one pass, special and prefix tokens included."""
        limit = self.load().input_limit
        if self.settings.max_input_tokens is not None:
            limit = min(limit, self.settings.max_input_tokens)
        return limit

    def chunk_budget(self) -> int:
        """Tokens of text one chunk may hold: the input limit less special and prefix tokens."""
        loaded = self.load()
        limit = self.input_limit()
        reserved = int(loaded.tokenizer.num_special_tokens_to_add(pair=False))
        if loaded.prefix:
            reserved += len(loaded.tokenizer(loaded.prefix, add_special_tokens=False)["input_ids"])
        return max(limit - reserved, 8)

    def chunk(self, sentences: Sequence[str]) -> list[str]:
        """Sentence-aligned chunks that each fit the model's input; a sentence longer than a
        whole chunk is cut at token boundaries rather than silently truncated."""
        budget = self.chunk_budget()
        tokenizer = self.load().tokenizer
        counts = self.token_counts(sentences)
        chunks: list[str] = []
        current: list[str] = []
        used = 0
        for sentence, count in zip(sentences, counts, strict=True):
            pieces = [(sentence, count)]
            if count > budget:
                ids = tokenizer(sentence, add_special_tokens=False)["input_ids"]
                pieces = [
                    (tokenizer.decode(ids[i : i + budget]), len(ids[i : i + budget]))
                    for i in range(0, len(ids), budget)
                ]
            for text, n in pieces:
                if current and used + n > budget:
                    chunks.append(" ".join(current))
                    current, used = [], 0
                current.append(text)
                used += n
        if current:
            chunks.append(" ".join(current))
        return chunks

    def run(
        self, sentences: Sequence[str], length: SummaryLength, *, time_left: TimeLeft | None = None
    ) -> SummaryRun:
        """Map-reduce summarization; raises EngineError if the model fails or says nothing, and
        DeadlineError as soon as ``time_left`` would not cover another generate call."""
        from newswatch.domain.sentences import split_sentences

        started = time.perf_counter()
        final = self._final_settings(length, sum(len(s.split()) for s in sentences))
        input_tokens = sum(self.token_counts(sentences))
        rounds: list[int] = []
        calls = 0
        current = [s for s in sentences if s.strip()]
        text = ""
        while True:
            chunks = self.chunk(current)
            single = len(chunks) == 1
            last_round = len(rounds) + 1 >= self.settings.max_rounds
            outputs = self._generate(chunks, final if single else self.settings, time_left)
            calls += math.ceil(len(chunks) / self.settings.batch_size)
            rounds.append(len(chunks))
            text = " ".join(o for o in outputs if o)
            if not text:
                raise EngineError("the model produced an empty summary")
            if single or last_round:
                break
            current = split_sentences(text)
            if self._short_enough(current, final, _sentence_cap(length)):
                break
        elapsed = (time.perf_counter() - started) * 1000
        if input_tokens:
            # Learn the real per-token cost so the next deadline estimate is honest.
            observed = elapsed / input_tokens
            self.ms_per_token = 0.5 * self.ms_per_token + 0.5 * observed
        return SummaryRun(text, tuple(rounds), input_tokens, calls, elapsed)

    def estimate_ms(self, sentences: Sequence[str]) -> float:
        """Expected time to summarize ``sentences``, including loading the model if needed.

        Before the model is loaded the token count is estimated from words, so a call that cannot
        finish anyway does not first spend seconds loading weights.
        """
        if self._loaded is None:
            tokens = sum(len(s.split()) for s in sentences) * _TOKENS_PER_WORD
            return self.load_ms + tokens * self.ms_per_token
        tokens = sum(self.token_counts(sentences))
        # Chunk summaries are summarized once more: about a quarter on top for long articles.
        passes = 1.0 + (0.25 if tokens > self.chunk_budget() else 0.0)
        return tokens * self.ms_per_token * passes

    def _short_enough(self, sentences: Sequence[str], final: GenerationSettings, cap: int) -> bool:
        if len(sentences) > cap:
            return False
        return sum(self.token_counts(sentences)) <= final.max_length

    def _final_settings(self, length: SummaryLength, article_words: int) -> GenerationSettings:
        """The last pass honours a word budget (``length.words`` / ``length.ratio``)."""
        caps = [length.words] if length.words else []
        if length.ratio:
            caps.append(max(1, round(length.ratio * article_words)))
        if not caps:
            return self.settings
        max_length = max(8, min(self.settings.max_length, round(min(caps) * _TOKENS_PER_WORD)))
        return replace(
            self.settings,
            max_length=max_length,
            min_length=min(self.settings.min_length, max_length // 2),
        )

    def _generate(
        self,
        texts: Sequence[str],
        settings: GenerationSettings,
        time_left: TimeLeft | None = None,
    ) -> list[str]:
        import copy

        import torch

        loaded = self.load()
        config = copy.deepcopy(loaded.model.generation_config)
        kwargs = settings.generate_kwargs()
        # The decoder cannot go past its position table (a small model may have fewer than 142).
        positions = getattr(loaded.model.config, "max_position_embeddings", None)
        if isinstance(positions, int) and positions > 0:
            kwargs["max_length"] = min(kwargs["max_length"], positions)
            kwargs["min_length"] = min(kwargs["min_length"], kwargs["max_length"])
        config.update(**kwargs)
        outputs: list[str] = []
        try:
            for start in range(0, len(texts), settings.batch_size):
                # The longest call so far predicts the next: stop before it would overrun.
                if time_left is not None and time_left() < self._slowest_call_ms:
                    raise DeadlineError(
                        f"{time_left():.0f} ms left, a generate call takes "
                        f"{self._slowest_call_ms:.0f} ms"
                    )
                started = time.perf_counter()
                batch = [loaded.prefix + t for t in texts[start : start + settings.batch_size]]
                inputs = loaded.tokenizer(
                    batch,
                    return_tensors="pt",
                    padding=True,
                    truncation=True,
                    max_length=self.input_limit(),
                )
                with torch.inference_mode():
                    generated = loaded.model.generate(
                        input_ids=inputs["input_ids"],
                        attention_mask=inputs["attention_mask"],
                        generation_config=config,
                    )
                decoded = loaded.tokenizer.batch_decode(
                    generated, skip_special_tokens=True, clean_up_tokenization_spaces=True
                )
                outputs.extend(" ".join(d.split()) for d in decoded)
                elapsed = (time.perf_counter() - started) * 1000
                self._slowest_call_ms = max(self._slowest_call_ms, elapsed)
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError(f"generation failed: {exc}") from exc
        return outputs


def _sentence_cap(length: SummaryLength) -> int:
    # As in the extractive engine, a word budget replaces the sentence count.
    if length.words or length.ratio:
        return 10_000
    return max(length.sentences, 1)


class FallbackSummarizer:
    """The transformers engine with the extractive engine standing by.

    The fallback answers when the primary fails (recorded as ``summary_fallback:error``), when its
    estimated time would overrun what is left of the invocation minus ``reserve_ms``, or when,
    between two generate calls, the time left no longer covers the next one
    (``summary_fallback:deadline``): an article always gets a summary, and the stored
    ``summary_engine`` says which engine wrote it.
    """

    def __init__(
        self,
        primary: TransformersSummarizer,
        fallback: Summarizer,
        remaining_ms: Callable[[], int] | None = None,
        *,
        reserve_ms: int = 3000,
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self.remaining_ms = remaining_ms
        self.reserve_ms = reserve_ms

        self.name = primary.name

    def set_deadline(self, remaining_ms: Callable[[], int] | None) -> None:
        """Call per invocation with ``context.get_remaining_time_in_millis`` (None: no limit)."""
        self.remaining_ms = remaining_ms

    def summarize(
        self, sentences: Sequence[str], length: SummaryLength, title: str | None = None
    ) -> Summary:
        try:
            if self.remaining_ms is not None:
                estimate = self.primary.estimate_ms(sentences)
                available = self.remaining_ms() - self.reserve_ms
                if estimate > available:
                    log.warning(
                        "summary by %s: estimated %.0f ms, %d ms left; using %s",
                        self.primary.name,
                        estimate,
                        available,
                        self.fallback.name,
                    )
                    return self._fallback(sentences, length, title, FLAG_FALLBACK_DEADLINE)
            return self.primary.summarize(sentences, length, title, time_left=self._time_left())
        except DeadlineError as exc:
            log.warning("%s stopped (%s); using %s", self.primary.name, exc, self.fallback.name)
            return self._fallback(sentences, length, title, FLAG_FALLBACK_DEADLINE)
        except Exception as exc:
            # Any failure of the optional engine (bad weights, out of memory, a library bug) must
            # cost the article its abstractive summary, never the article itself.
            log.warning("%s failed (%s); using %s", self.primary.name, exc, self.fallback.name)
            return self._fallback(sentences, length, title, FLAG_FALLBACK_ERROR)

    def _time_left(self) -> TimeLeft | None:
        remaining = self.remaining_ms
        if remaining is None:
            return None
        return lambda: float(remaining() - self.reserve_ms)

    def _fallback(
        self, sentences: Sequence[str], length: SummaryLength, title: str | None, flag: str
    ) -> Summary:
        summary = self.fallback.summarize(sentences, length, title)
        return replace(summary, flags=(*summary.flags, flag))
