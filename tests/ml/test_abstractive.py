"""The transformers summarizer on a tiny random BART: loading, chunking, settings, fallback."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from newswatch.analyzer import Analyzer
from newswatch.domain.errors import EngineError
from newswatch.domain.models import Summary, SummaryLength, TopicTag
from newswatch.domain.sentences import split_sentences
from newswatch.domain.summarize import ExtractiveSummarizer
from newswatch.engines.abstractive import (
    FLAG_FALLBACK_DEADLINE,
    FLAG_FALLBACK_ERROR,
    FallbackSummarizer,
    GenerationSettings,
    TransformersSummarizer,
    load_model,
)

pytestmark = pytest.mark.ml

# Short outputs and greedy search keep each test well under a second on one core.
FAST = GenerationSettings(num_beams=1, min_length=6, max_length=10, no_repeat_ngram_size=0)


class NoTopics:
    def tag(self, sentences: Sequence[str], title: str | None = None) -> tuple[TopicTag, ...]:
        return ()


class GenerateSpy:
    """Wraps model.generate to record what each call was given and returned."""

    def __init__(self, model: Any) -> None:
        self.original = model.generate
        self.calls: list[dict[str, Any]] = []
        self.outputs: list[Any] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        out = self.original(*args, **kwargs)
        self.outputs.append(out)
        return out


@pytest.fixture
def spy(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> GenerateSpy:
    model = load_model(tiny_model_dir).model
    wrapper = GenerateSpy(model)
    monkeypatch.setattr(model, "generate", wrapper)
    return wrapper


def long_sentences(article_text: str) -> list[str]:
    return split_sentences(article_text)[:16]


def test_loads_once_from_a_local_directory_and_names_the_engine(tiny_model_dir: Path) -> None:
    first = TransformersSummarizer(tiny_model_dir, FAST)
    second = TransformersSummarizer(str(tiny_model_dir), FAST)
    assert first.load() is second.load()  # one model per execution environment
    assert first.name == "transformers:tiny-random-bart"
    summary = first.summarize(
        ["The ceasefire began at dawn.", "Talks resume in Jeddah on Tuesday."], SummaryLength()
    )
    assert summary.engine == "transformers:tiny-random-bart"
    assert summary.sentences and all(s.strip() for s in summary.sentences)
    assert summary.flags == ()


def test_missing_model_directory_is_an_engine_error(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="no model"):
        TransformersSummarizer(tmp_path / "nowhere").load()


def test_long_article_is_chunked_on_sentence_boundaries_within_the_limit(
    tiny_model_dir: Path, article_text: str
) -> None:
    summarizer = TransformersSummarizer(tiny_model_dir, FAST)
    sentences = long_sentences(article_text)
    chunks = summarizer.chunk(sentences)
    assert len(chunks) > 1
    # Sentence-aligned: the chunks are the sentences regrouped, nothing cut or dropped.
    assert " ".join(chunks) == " ".join(sentences)
    tokenizer = summarizer.load().tokenizer
    limit = summarizer.input_limit()
    assert limit == 64  # the tiny model's max_position_embeddings
    for chunk in chunks:
        assert len(tokenizer(chunk)["input_ids"]) <= limit


def test_a_sentence_longer_than_the_limit_is_split_not_truncated(tiny_model_dir: Path) -> None:
    summarizer = TransformersSummarizer(tiny_model_dir, FAST)
    words = ("peace talks resume in Jeddah and the ceasefire holds " * 20).split()
    chunks = summarizer.chunk([" ".join(words)])
    assert len(chunks) >= 3
    assert sum(len(c.split()) for c in chunks) == len(words)
    tokenizer = summarizer.load().tokenizer
    assert all(len(tokenizer(c)["input_ids"]) <= summarizer.input_limit() for c in chunks)


def test_chunk_summaries_are_summarized_again(
    tiny_model_dir: Path, article_text: str, spy: GenerateSpy
) -> None:
    summarizer = TransformersSummarizer(tiny_model_dir, FAST)
    sentences = long_sentences(article_text)
    run = summarizer.run(sentences, SummaryLength(sentences=3))
    assert run.rounds[0] == len(summarizer.chunk(sentences)) > 1
    assert len(run.rounds) >= 2 and run.rounds[-1] == 1  # reduced to a single final pass
    assert run.generate_calls == len(spy.calls)
    assert run.text


def test_short_article_takes_one_pass(tiny_model_dir: Path, spy: GenerateSpy) -> None:
    summarizer = TransformersSummarizer(tiny_model_dir, FAST)
    run = summarizer.run(["The guns fell silent.", "Aid lorries crossed."], SummaryLength())
    assert run.rounds == (1,)
    assert len(spy.calls) == 1


def test_generation_settings_reach_generate(tiny_model_dir: Path, spy: GenerateSpy) -> None:
    settings = GenerationSettings(
        num_beams=3, min_length=7, max_length=7, no_repeat_ngram_size=2, length_penalty=1.5
    )
    TransformersSummarizer(tiny_model_dir, settings).summarize(
        ["The ceasefire began at dawn.", "Talks resume in Jeddah."], SummaryLength()
    )
    config = spy.calls[0]["generation_config"]
    assert (config.num_beams, config.min_length, config.max_length) == (3, 7, 7)
    assert (config.no_repeat_ngram_size, config.length_penalty) == (2, 1.5)
    # min_length == max_length pins the output length: the settings are obeyed, not just passed.
    assert spy.outputs[0].shape[-1] == 7


def test_a_word_budget_caps_the_final_pass(tiny_model_dir: Path, spy: GenerateSpy) -> None:
    settings = GenerationSettings(num_beams=1, min_length=20, max_length=40)
    TransformersSummarizer(tiny_model_dir, settings).summarize(
        ["The ceasefire began at dawn.", "Talks resume in Jeddah."], SummaryLength(words=10)
    )
    config = spy.calls[-1]["generation_config"]
    assert config.max_length == 14  # 10 words at 1.4 tokens a word
    assert config.min_length <= config.max_length


def test_invalid_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="min_length"):
        GenerationSettings(min_length=50, max_length=10)
    with pytest.raises(ValueError):
        GenerationSettings(num_beams=0)


# -- fallback -----------------------------------------------------------------------------------


def test_corrupt_model_falls_back_to_extractive(tmp_path: Path, article_text: str) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json", encoding="utf-8")
    summarizer = FallbackSummarizer(TransformersSummarizer(broken), ExtractiveSummarizer())
    sentences = split_sentences(article_text)
    summary = summarizer.summarize(sentences, SummaryLength(sentences=3))
    assert summary.engine == "extractive"
    assert summary.flags == (FLAG_FALLBACK_ERROR,)
    expected = ExtractiveSummarizer().summarize(sentences, SummaryLength(sentences=3))
    assert summary.sentences == expected.sentences


def test_failure_during_generation_falls_back(
    tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = load_model(tiny_model_dir).model

    def out_of_memory(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("simulated: not enough memory")

    monkeypatch.setattr(model, "generate", out_of_memory)
    summarizer = FallbackSummarizer(
        TransformersSummarizer(tiny_model_dir, FAST), ExtractiveSummarizer()
    )
    summary = summarizer.summarize(
        ["The ceasefire began at dawn.", "Talks resume in Jeddah."], SummaryLength(sentences=1)
    )
    assert summary.engine == "extractive"
    assert summary.flags == (FLAG_FALLBACK_ERROR,)


def test_deadline_too_close_falls_back_without_generating(
    tiny_model_dir: Path, article_text: str, spy: GenerateSpy
) -> None:
    primary = TransformersSummarizer(tiny_model_dir, FAST, ms_per_token=5.0)
    summarizer = FallbackSummarizer(primary, ExtractiveSummarizer(), lambda: 4000, reserve_ms=3000)
    summary = summarizer.summarize(long_sentences(article_text), SummaryLength())
    assert summary.engine == "extractive"
    assert summary.flags == (FLAG_FALLBACK_DEADLINE,)
    assert spy.calls == []


def test_time_running_out_between_generate_calls_falls_back(
    tiny_model_dir: Path, article_text: str, spy: GenerateSpy
) -> None:
    # Plenty of time for the up-front estimate and the first call, then the clock runs out: the
    # estimate was wrong, and the check before every generate call catches it.
    readings = iter([10**7, 10**7, 10**7])
    primary = TransformersSummarizer(tiny_model_dir, FAST, ms_per_token=0.001)
    summarizer = FallbackSummarizer(
        primary, ExtractiveSummarizer(), lambda: next(readings, 0), reserve_ms=3000
    )
    summary = summarizer.summarize(long_sentences(article_text), SummaryLength())
    assert summary.engine == "extractive"
    assert summary.flags == (FLAG_FALLBACK_DEADLINE,)
    assert 1 <= len(spy.calls) <= 2


def test_enough_time_left_uses_the_model(
    tiny_model_dir: Path, article_text: str, spy: GenerateSpy
) -> None:
    primary = TransformersSummarizer(tiny_model_dir, FAST, ms_per_token=5.0)
    summarizer = FallbackSummarizer(primary, ExtractiveSummarizer(), reserve_ms=3000)
    summarizer.set_deadline(lambda: 900_000)
    summary = summarizer.summarize(long_sentences(article_text), SummaryLength())
    assert summary.engine == "transformers:tiny-random-bart"
    assert summary.flags == ()
    assert spy.calls


def test_estimate_grows_with_the_article(tiny_model_dir: Path, article_text: str) -> None:
    primary = TransformersSummarizer(tiny_model_dir, FAST, ms_per_token=5.0, load_ms=1000.0)
    sentences = split_sentences(article_text)
    unloaded = primary.estimate_ms(sentences[:4])
    assert unloaded > 1000.0  # loading is part of the first estimate
    primary.load()
    assert 0 < primary.estimate_ms(sentences[:4]) < primary.estimate_ms(sentences)


def test_pipeline_records_the_engine_and_the_fallback_flag(
    tiny_model_dir: Path, tmp_path: Path, article_text: str
) -> None:
    from newswatch.domain.models import Document

    document = Document(text=article_text, title="Jeddah talks")
    working = Analyzer(
        FallbackSummarizer(TransformersSummarizer(tiny_model_dir, FAST), ExtractiveSummarizer()),
        NoTopics(),
    ).analyze_document(document)
    assert working.summary.engine == "transformers:tiny-random-bart"
    assert not any(f.startswith("summary_fallback") for f in working.flags)

    broken = Analyzer(
        FallbackSummarizer(TransformersSummarizer(tmp_path / "gone"), ExtractiveSummarizer()),
        NoTopics(),
    ).analyze_document(document)
    assert broken.summary.engine == "extractive"
    assert FLAG_FALLBACK_ERROR in broken.flags


def test_fallback_keeps_the_fallbacks_own_flags(tmp_path: Path) -> None:
    class Flagged:
        name = "flagged"

        def summarize(
            self, sentences: Sequence[str], length: SummaryLength, title: str | None = None
        ) -> Summary:
            return Summary(tuple(sentences[:1]), engine=self.name, flags=("own",))

    summary = FallbackSummarizer(TransformersSummarizer(tmp_path), Flagged()).summarize(
        ["One.", "Two."], SummaryLength()
    )
    assert summary.flags == ("own", FLAG_FALLBACK_ERROR)


def test_output_length_is_capped_by_the_decoders_positions(
    tiny_model_dir: Path, spy: GenerateSpy
) -> None:
    # The defaults ask for up to 142 tokens; the tiny model only has 64 positions.
    summary = TransformersSummarizer(tiny_model_dir, GenerationSettings(num_beams=1)).summarize(
        ["The ceasefire began at dawn.", "Talks resume in Jeddah."], SummaryLength()
    )
    assert summary.sentences
    assert spy.calls[0]["generation_config"].max_length == 64
    assert spy.outputs[0].shape[-1] <= 64
