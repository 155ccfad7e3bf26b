"""The extractive summarizer: determinism, order, redundancy, length budgets, position."""

from __future__ import annotations

from newswatch.domain.models import SummaryLength
from newswatch.domain.summarize import ExtractiveSummarizer, lead_sentences, words

ARTICLE = [
    "Rebel and army delegations agreed to a seven-day ceasefire in the port city on Monday.",
    "The truce, brokered by regional mediators, begins at midnight and covers the whole city.",
    "Aid agencies said the ceasefire would let food convoys reach families cut off for weeks.",
    "The weather in the region has been unusually warm for the time of year.",
    "Mediators said the ceasefire could be extended if both delegations keep to its terms.",
    "A local football club postponed its weekend match against a visiting team.",
    "Diplomats will meet again next week to discuss a longer ceasefire and prisoner exchanges.",
]


def test_deterministic_and_in_document_order() -> None:
    summarizer = ExtractiveSummarizer()
    first = summarizer.summarize(ARTICLE, SummaryLength(sentences=3))
    for _ in range(3):
        assert summarizer.summarize(list(ARTICLE), SummaryLength(sentences=3)) == first
    positions = [ARTICLE.index(s) for s in first.sentences]
    assert positions == sorted(positions)
    assert first.engine == "extractive"
    assert len(first.sentences) == 3


def test_prefers_central_sentences_over_asides() -> None:
    chosen = ExtractiveSummarizer().summarize(ARTICLE, SummaryLength(sentences=4)).sentences
    assert ARTICLE[3] not in chosen  # the weather
    assert ARTICLE[5] not in chosen  # the football match
    assert ARTICLE[0] in chosen


def test_position_breaks_ties_between_equal_sentences() -> None:
    # The same content everywhere: the lead wins.
    sentences = [
        f"Officials in district {n} reported heavy flooding after the storm." for n in "ABCDE"
    ]
    chosen = ExtractiveSummarizer().summarize(sentences, SummaryLength(sentences=1)).sentences
    assert chosen == (sentences[0],)


def test_near_duplicates_are_suppressed() -> None:
    sentences = [
        "The government announced new sanctions against the shipping company on Friday.",
        "The government announced new sanctions against the shipping company on Friday night.",
        "The company said it would challenge the sanctions in court within a month.",
        "Shares in the shipping company fell sharply after the sanctions were announced.",
    ]
    chosen = ExtractiveSummarizer().summarize(sentences, SummaryLength(sentences=2)).sentences
    assert not (sentences[0] in chosen and sentences[1] in chosen)
    assert len(chosen) == 2


def test_word_budget() -> None:
    summary = ExtractiveSummarizer().summarize(ARTICLE, SummaryLength(sentences=5, words=30))
    total = sum(len(words(s)) for s in summary.sentences)
    # Never more than half a sentence over the budget, and at least one sentence.
    assert 1 <= len(summary.sentences) <= 3
    assert total <= 30 + max(len(words(s)) for s in ARTICLE) / 2


def test_ratio_budget_grows_with_the_article() -> None:
    summarizer = ExtractiveSummarizer()
    short = summarizer.summarize(ARTICLE, SummaryLength(ratio=0.3))
    longer = summarizer.summarize(ARTICLE * 3, SummaryLength(ratio=0.3))
    assert len(longer.sentences) > len(short.sentences)
    article_words = sum(len(words(s)) for s in ARTICLE)
    short_words = sum(len(words(s)) for s in short.sentences)
    assert 0.15 * article_words <= short_words <= 0.45 * article_words


def test_title_line_is_not_a_summary_sentence() -> None:
    title = "Ceasefire agreed in port city"
    chosen = ExtractiveSummarizer().summarize([title, *ARTICLE], SummaryLength(2), title=title)
    assert title not in chosen.sentences
    assert len(chosen.sentences) == 2


def test_fragments_and_questions_lose_to_full_sentences() -> None:
    sentences = [
        "Ceasefire talks",
        "What happens to the ceasefire now?",
        "Both sides signed the ceasefire agreement in the capital on Monday evening.",
        "The ceasefire agreement covers all front lines and starts on Tuesday morning.",
    ]
    chosen = ExtractiveSummarizer().summarize(sentences, SummaryLength(sentences=2)).sentences
    assert chosen == (sentences[2], sentences[3])


def test_empty_input_and_lead() -> None:
    assert ExtractiveSummarizer().summarize([], SummaryLength()).sentences == ()
    assert lead_sentences(ARTICLE, 3) == ARTICLE[:3]
    assert lead_sentences(ARTICLE[:2], 3) == ARTICLE[:2]
    assert lead_sentences(ARTICLE, 0) == []
