"""Sentence segmentation on the shapes news prose takes."""

from __future__ import annotations

import pytest

from newswatch.domain.sentences import split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Sen. John Smith met Gov. Jones and Gen. Lee in the U.S. Capitol on Jan. 5. "
            "They talked.",
            [
                "Sen. John Smith met Gov. Jones and Gen. Lee in the U.S. Capitol on Jan. 5.",
                "They talked.",
            ],
        ),
        (
            "Mr. and Mrs. Brown live at No. 10 with Dr. Who. He works for Acme Corp. in Ohio.",
            ["Mr. and Mrs. Brown live at No. 10 with Dr. Who.", "He works for Acme Corp. in Ohio."],
        ),
        (
            "J. R. R. Tolkien wrote books. George W. Bush was president.",
            ["J. R. R. Tolkien wrote books.", "George W. Bush was president."],
        ),
        (
            "Growth was 3.5 per cent in 2014. Shares rose 2.25%.",
            ["Growth was 3.5 per cent in 2014.", "Shares rose 2.25%."],
        ),
        (
            "He waited... and waited. Then it rained... The end.",
            ["He waited... and waited.", "Then it rained...", "The end."],
        ),
        (
            '"We will win." He said it. (This is bracketed.) \u201cQuoted too.\u201d Next!',
            [
                '"We will win."',
                "He said it.",
                "(This is bracketed.)",
                "\u201cQuoted too.\u201d",
                "Next!",
            ],
        ),
        (
            '"Why?" she asked. "Because," he said.',
            ['"Why?" she asked.', '"Because," he said.'],
        ),
        (
            "The firm is based in the U.S. The boss said no. She left at 5 p.m. on Friday.",
            ["The firm is based in the U.S.", "The boss said no.", "She left at 5 p.m. on Friday."],
        ),
    ],
)
def test_abbreviations_initials_numbers_quotes(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_a_line_break_ends_a_heading_and_list_items() -> None:
    text = (
        "Talks Resume In Jeddah\n\nThe two sides met on Monday. Both sent delegations\n"
        "Key points:\n- a ceasefire for seven days\n- aid corridors\n1. first step\n2) second step"
    )
    assert split_sentences(text) == [
        "Talks Resume In Jeddah",
        "The two sides met on Monday.",
        "Both sent delegations",
        "Key points:",
        "a ceasefire for seven days",
        "aid corridors",
        "first step",
        "second step",
    ]


def test_wire_datelines_and_bylines_are_removed() -> None:
    assert split_sentences("LONDON, England (CNN) -- The queen spoke. She smiled.") == [
        "The queen spoke.",
        "She smiled.",
    ]
    assert split_sentences("(CNN)Over the year, prices rose. Yes.")[0] == (
        "Over the year, prices rose."
    )
    daily_mail = (
        "By . Jane Doe . PUBLISHED: . 09:01 EST, 3 March 2013 . | . UPDATED: . "
        "10:12 EST, 3 March 2013 . The cat sat on the mat. It was good."
    )
    assert split_sentences(daily_mail) == ["The cat sat on the mat.", "It was good."]
    assert split_sentences("By . Daily Mail Reporter . A woman was held. She is 45.") == [
        "A woman was held.",
        "She is 45.",
    ]
    scraped = "By . Sam Webb . Last updated at 5:23 PM on 2nd February 2012 . The girl was found ."
    assert split_sentences(scraped) == ["The girl was found."]
    cnn = "By Jane Doe and Bob Smith, CNN\nUpdated 1:23 PM ET, Mon March 2, 2015\nThe story starts."
    assert split_sentences(cnn) == ["The story starts."]
    assert split_sentences("By the way, he left.") == ["By the way, he left."]


def test_page_boilerplate_is_dropped() -> None:
    text = "The agents questioned him. Scroll down for video Chris Roberts was grabbed."
    assert split_sentences(text) == ["The agents questioned him.", "Chris Roberts was grabbed."]


def test_a_run_on_caption_is_split_where_its_full_stop_was_lost() -> None:
    caption = (
        "Wayne Rooney winces after injuring his knee during the defeat at the stadium (pictured)"
    )
    body = (
        "The striker was replaced in the closing stages of the clash and was seen receiving "
        "treatment on the bench."
    )
    assert split_sentences(f"{caption} {body}") == [caption, body]
    # A name after "told" or "in" stays in its sentence ("told The Times").
    normal = (
        "The minister told The Times on Monday that the government would publish its plan for "
        "the new railway line in the north of the country before the summer recess began."
    )
    assert split_sentences(normal) == [normal]


def test_empty_and_punctuation_only_text() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n . | -- \n") == []


def test_windows_line_endings_and_spaces_are_normalised() -> None:
    assert split_sentences("First  line.\r\nSecond\u00a0line.") == ["First line.", "Second line."]
