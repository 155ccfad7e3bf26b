"""The text rules every format shares: page debris, headlines, wrapped lines, printable check."""

from __future__ import annotations

import pytest

from newswatch.domain.errors import UnsupportedFormatError
from newswatch.extract._text import (
    check_printable,
    looks_like_headline,
    normalize_text,
    split_title,
    strip_debris,
    unwrap_lines,
)

BODY = [
    "Negotiators met in Jeddah on Tuesday to discuss a ceasefire proposal.",
    "Diplomats said a second round of talks could begin next week.",
]


@pytest.mark.parametrize(
    "debris",
    [
        ["Post a Comment"],
        ["Leave a reply"],
        ["12 Comments"],
        ["Share this article", "Share on Facebook", "Tweet"],
        ["Advertisement"],
        ["Related articles", "Fighting flares again in the east", "Aid convoy reaches the city"],
        ["Read more: Ukraine war latest"],
        ["You may also like"],
        ["Subscribe to our newsletter"],
        ["Follow us on Twitter and Facebook"],
        ["Tags: Ukraine, Russia, ceasefire"],
        ["© 2025 Daily Planet. All rights reserved."],
        [
            "We use cookies to improve your experience on our site. By continuing to browse "
            "you agree to our use of cookies."
        ],
        ["Comments (3)", "Great article!", "I disagree with the author."],
        ["Was this article helpful?", "Back to top"],
    ],
)
def test_trailing_debris_is_dropped(debris: list[str]) -> None:
    assert strip_debris("\n".join(BODY + debris)) == "\n".join(BODY)


@pytest.mark.parametrize(
    "line",
    [
        "Readers left hundreds of comments under the minister's post a day later.",
        "The share of aid delivered by road fell to a third, officials said.",
        "Cookies and sweets were handed out to children at the crossing.",
        "Advertising revenue at state media has collapsed since the war began.",
        "Related talks in Geneva are expected to resume in May, according to two diplomats.",
    ],
)
def test_prose_that_mentions_debris_words_is_kept(line: str) -> None:
    assert strip_debris("\n".join([*BODY, line])) == "\n".join([*BODY, line])


def test_related_heading_followed_by_a_real_paragraph_is_kept() -> None:
    long_paragraph = (
        "The proposal marks a critical juncture in the conflict, which has seen thousands of "
        "lives lost and millions displaced since the war began, officials said on Tuesday."
    )
    text = "\n".join([*BODY, "Read more", long_paragraph])
    assert strip_debris(text).endswith(long_paragraph)


def test_ad_marker_in_the_middle_is_dropped() -> None:
    text = "\n".join([BODY[0], "ADVERTISEMENT", "Story continues below advertisement", BODY[1]])
    assert strip_debris(text) == "\n".join(BODY)


def test_leading_debris_is_dropped() -> None:
    assert strip_debris("\n".join(["Skip to content", "Menu", *BODY])) == "\n".join(BODY)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Truce talks resume in Jeddah", True),
        ("Will the ceasefire hold?", True),
        ("Rivals of the £400 Apple...", True),
        ("'We are ready for peace,' says Zelensky", True),
        ("2,000 refugees cross the border", True),
        ("Negotiators met in Jeddah on Tuesday.", False),
        ("the lowercase start of a sentence", False),
        ("A " + "very " * 25 + "long line", False),
        ("Post a Comment", False),
        ("", False),
    ],
)
def test_headline_heuristic(line: str, expected: bool) -> None:
    assert looks_like_headline(line) is expected


def test_split_title_needs_text_after_the_headline() -> None:
    assert split_title("Truce talks resume") == (None, "Truce talks resume")
    assert split_title("Truce talks resume\nBody.") == ("Truce talks resume", "Body.")


def test_normalize_text() -> None:
    messy = "  One\u00a0 two\u200b\tthree  \r\n\r\n\r\nfou\u00adr\x07 five\u2028"
    assert normalize_text(messy) == "One two three\nfour five"


def test_unwrap_lines_rebuilds_pdf_paragraphs() -> None:
    lines = [
        "Negotiators from both sides met in Jeddah on Tuesday to discuss a",
        "ceasefire proposal that would halt fighting along the front line for",
        "thirty days, the mediators' statement said.",
        "The proposal, drafted by the mediators, includes a prisoner ex-",
        "change and the opening of humanitarian corridors for aid convoys.",
    ]
    assert unwrap_lines(lines).split("\n") == [
        "Negotiators from both sides met in Jeddah on Tuesday to discuss a ceasefire proposal "
        "that would halt fighting along the front line for thirty days, the mediators' "
        "statement said.",
        "The proposal, drafted by the mediators, includes a prisoner exchange and the opening "
        "of humanitarian corridors for aid convoys.",
    ]


def test_check_printable() -> None:
    assert (
        check_printable("Plain text.\nWith lines\tand tabs.")
        == "Plain text.\nWith lines\tand tabs."
    )
    with pytest.raises(UnsupportedFormatError, match="binary data"):
        check_printable("ab\x00\x01\x02\x03cd" * 20)


@pytest.mark.parametrize(
    "lines",
    [
        ["By Ann Smith"],
        ["By Ann Smith and Bob Jones, BBC News"],
        ["By Ann Smith | Reuters", "Published 11 March 2025"],
        ["Updated 10:32 GMT, 11 March 2025"],
        ["3 hours ago"],
    ],
)
def test_bylines_and_timestamps_at_the_top_are_dropped(lines: list[str]) -> None:
    assert strip_debris("\n".join(lines + BODY)) == "\n".join(BODY)


def test_byline_like_prose_is_kept() -> None:
    text = "\n".join(["By the river, hundreds of families waited for the aid convoy.", *BODY])
    assert strip_debris(text) == text


def test_photo_credits_anywhere_are_dropped() -> None:
    text = "\n".join(
        [BODY[0], "Image source, Getty Images", "Image caption, Delegates in Jeddah", BODY[1]]
    )
    assert strip_debris(text) == "\n".join(BODY)
