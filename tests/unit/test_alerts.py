"""The alert decision and the alert's text: which topics alert, and what an email or phone shows."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newswatch.domain.alerts import (
    SMS_GSM7_SEPTETS,
    SMS_UCS2_UNITS,
    AlertPolicy,
    ArticleLink,
    fit_sms,
    gsm7_septets,
    is_gsm7,
    render_alert,
    render_email,
    render_sms,
    render_subject,
    sanitize,
    sms_fits,
    to_ascii,
    ucs2_units,
)
from newswatch.domain.alerts import match_topics as match_policy
from newswatch.domain.models import TopicTag
from newswatch.domain.reference import article_reference, is_reference, normalize_reference


def match_topics(rec: dict[str, Any], watched: list[str], min_score: float) -> tuple[TopicTag, ...]:
    """The topics of ``rec`` that alert when only ``watched`` may, all from ``min_score``."""
    return match_policy(rec, AlertPolicy.build(((t, None) for t in watched), min_score))


def record(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "pk": "article#b/news/truce.txt",
        "sk": "v#1",
        "type": "article",
        "status": "processed",
        "bucket": "b",
        "key": "news/truce.txt",
        "version_id": "1",
        "title": "Truce talks resume in Jeddah",
        "summary": "Negotiators met in Jeddah to discuss a ceasefire. Aid convoys may follow.",
        "language": "en",
        "uploaded_at": "2026-11-29T18:00:00.000Z",
        "alert_state": "pending",
        "topics": [
            TopicTag("ceasefire", 0.91, "medtop:20000073", ("Both sides agreed to a ceasefire.",)),
            TopicTag("aid", 0.42, evidence=("Aid convoys may follow.",)),
            TopicTag("sanctions", 0.8, evidence=("New sanctions.",)),
            TopicTag("displacement", 0.1),
        ],
    }
    base.update(overrides)
    return base


# -- decision ---------------------------------------------------------------------------------


def test_only_watched_topics_at_or_above_the_minimum_score_match_strongest_first() -> None:
    matched = match_topics(record(), ["aid", "ceasefire", "displacement"], 0.42)
    assert [(t.label, t.score) for t in matched] == [("ceasefire", 0.91), ("aid", 0.42)]
    assert matched[0].iptc == "medtop:20000073"
    assert matched[0].evidence == ("Both sides agreed to a ceasefire.",)


def test_no_watched_topic_matches_nothing() -> None:
    assert match_topics(record(), ["protests"], 0.1) == ()
    assert match_topics(record(), ["ceasefire"], 0.95) == ()
    assert match_topics(record(topics=[]), ["ceasefire"], 0.0) == ()


def test_each_topic_alerts_from_its_own_threshold_and_the_allow_list_limits_them() -> None:
    taxonomy = [("ceasefire", 0.95), ("aid", None), ("sanctions", 0.5), ("displacement", None)]
    every = AlertPolicy.build(taxonomy, 0.3)
    assert [t.label for t in match_policy(record(), every)] == ["sanctions", "aid"]
    allowed = AlertPolicy.build(taxonomy, 0.3, allowed=["aid", "ceasefire"])
    assert [t.label for t in match_policy(record(), allowed)] == ["aid"]
    assert allowed.labels == ("ceasefire", "aid")
    assert allowed.threshold("sanctions") is None
    assert every.threshold("ceasefire") == 0.95 and every.threshold("aid") == 0.3


@pytest.mark.parametrize("status", ["duplicate", "failed", "skipped", None])
def test_records_that_are_not_processed_never_match(status: str | None) -> None:
    assert match_topics(record(status=status), ["ceasefire"], 0.0) == ()


# -- sanitising -------------------------------------------------------------------------------


def test_sanitize_removes_markup_entities_and_control_characters() -> None:
    dirty = (
        'Truce <script>alert("x")</script> &lt;b&gt;now&lt;/b&gt;\x07 in\u202e Gaza\u200b\r\n'
        "<a href='http://evil'>click</a>\ttoday"
    )
    clean = sanitize(dirty)
    assert "<" not in clean and ">" not in clean
    assert "\x07" not in clean and "\u202e" not in clean and "\u200b" not in clean
    assert "\n" not in clean and "\t" not in clean
    assert clean.startswith("Truce")
    assert "now" in clean and "Gaza" in clean and "click" in clean and "today" in clean


def test_nothing_from_the_article_puts_markup_or_controls_into_any_body() -> None:
    nasty = record(
        title="<b>Breaking</b>\x1b[31m \u202eceasefire\u202c",
        summary="<img src=x onerror=alert(1)> Talks\x00 resume.\u2028Next",
        topics=[TopicTag("ceasefire", 0.9, evidence=("<iframe src='x'></iframe>quote\x0b here",))],
    )
    message = render_alert(nasty, match_topics(nasty, ["ceasefire"], 0.3))
    for body in (message.subject, message.sms, message.default, message.email):
        assert "<" not in body and ">" not in body
        assert "\x1b" not in body and "\x00" not in body and "\u202e" not in body
        assert "\x0b" not in body and "\u2028" not in body
    assert "\n" not in message.sms and "\n" not in message.subject


# -- SMS --------------------------------------------------------------------------------------


def test_gsm7_counts_extension_characters_twice() -> None:
    assert is_gsm7("Ceasefire holds: 50% of aid @ £3 [phase 1]")
    assert gsm7_septets("abc") == 3
    assert gsm7_septets("[]{}€") == 10
    assert not is_gsm7("وقف إطلاق النار")
    assert not is_gsm7("truce 🕊")
    assert ucs2_units("🕊") == 2


def test_sms_fits_is_160_gsm7_septets_or_70_ucs2_units() -> None:
    assert sms_fits("a" * 160)
    assert not sms_fits("a" * 161)
    assert not sms_fits("a" * 159 + "€")  # € takes two septets
    assert sms_fits("ж" * 70)
    assert not sms_fits("ж" * 71)


def test_fit_sms_spells_typography_in_gsm7_instead_of_falling_back_to_ucs2() -> None:
    text = "“Truce” holds — talks resume… in Zürich and Malmö, says Muñoz"
    fitted = fit_sms(text)
    assert is_gsm7(fitted)
    assert fitted == '"Truce" holds - talks resume... in Zürich and Malmö, says Muñoz'


def test_a_long_article_gives_one_sms_with_topics_title_and_a_cut_summary() -> None:
    long = record(summary="Negotiators met again. " * 40)
    sms = render_sms(long, match_topics(long, ["ceasefire", "aid"], 0.3))
    assert sms_fits(sms) and is_gsm7(sms)
    assert sms.startswith("[ceasefire 0.91, aid 0.42] Truce talks resume in Jeddah - ")
    reference = article_reference("b", "news/truce.txt", "1")
    assert sms.endswith(f"... ref {reference}")
    assert gsm7_septets(sms) <= SMS_GSM7_SEPTETS


def test_the_sms_reference_is_short_stable_and_names_the_version() -> None:
    first = article_reference("b", "news/truce.txt", "1")
    assert first == article_reference("b", "news/truce.txt", "1")
    assert is_reference(first) and is_reference(f"  {first.upper()} ")
    # As typed from a phone: spaces anywhere, no hyphen.
    spaced = "NW " + " ".join(first[3:][i : i + 4] for i in range(0, 10, 4)).upper()
    assert is_reference(spaced) and normalize_reference(spaced) == first
    assert normalize_reference(f"nw{first[3:]}") == first
    assert len(first) == 13
    assert first != article_reference("b", "news/truce.txt", "2")
    assert first != article_reference("c", "news/truce.txt", "1")
    assert not is_reference("news/truce.txt")


def test_a_non_latin_article_gives_one_ucs2_sms() -> None:
    arabic = record(title="محادثات الهدنة تستأنف في جدة", summary="التقى المفاوضون في جدة. " * 10)
    sms = render_sms(arabic, match_topics(arabic, ["ceasefire"], 0.3))
    assert not is_gsm7(sms)
    assert ucs2_units(sms) <= SMS_UCS2_UNITS
    assert "محادثات" in sms
    assert sms.endswith(" ref " + article_reference("b", "news/truce.txt", "1"))


# -- subject, email, attributes ---------------------------------------------------------------


def test_subject_is_ascii_one_line_and_under_100_characters() -> None:
    long = record(title="Ceasefire “talks” in Zürich " * 10)
    subject = render_subject(long, match_topics(long, ["ceasefire", "aid"], 0.3))
    assert len(subject) < 100
    assert subject.isascii()
    assert subject.startswith('[newswatch: ceasefire, aid] Ceasefire "talks" in Zurich')


def test_an_untitled_article_is_named_by_its_stored_headline_never_its_file() -> None:
    untitled = record(title=None, headline="Negotiators met in Jeddah on Tuesday to discuss…")
    topics = match_topics(untitled, ["ceasefire"], 0.3)
    subject = render_subject(untitled, topics)
    assert subject == "[newswatch: ceasefire] Negotiators met in Jeddah on Tuesday to discuss..."
    assert render_email(untitled, topics).startswith("Negotiators met in Jeddah on Tuesday")
    assert "truce.txt" not in render_sms(untitled, topics)
    # A record stored before headlines were: its summary's first sentence.
    older = record(title=None)
    assert render_subject(older, topics).endswith(
        "] Negotiators met in Jeddah to discuss a ceasefire."
    )


def test_email_has_title_why_summary_link_reference_and_how_to_stop() -> None:
    link = ArticleLink(
        "https://b.s3.amazonaws.com/news/truce.txt?X-Amz-Signature=1", "2026-12-10T07:59:30Z"
    )
    email = render_email(record(), match_topics(record(), ["ceasefire", "aid"], 0.3), link)
    assert email.startswith("Truce talks resume in Jeddah\n")
    assert "Why you got this: ceasefire 0.91, aid 0.42" in email
    assert "Negotiators met in Jeddah to discuss a ceasefire." in email
    assert "ceasefire (score 0.91, IPTC medtop:20000073)" in email
    assert '    "Both sides agreed to a ceasefire."' in email
    assert "aid (score 0.42)" in email
    assert "sanctions" not in email  # not watched
    assert f"Read the article: {link.url} (link valid until 2026-12-10 07:59 UTC)" in email
    assert "Stored at: s3://b/news/truce.txt (version 1)" in email
    reference = article_reference("b", "news/truce.txt", "1")
    assert f"Reference: {reference} (newswatch show {reference})" in email
    assert "Uploaded: 2026-11-29T18:00:00.000Z" in email
    assert "To stop them, open the unsubscribe link below" in email


def test_quoted_evidence_is_shown_once_without_doubled_quotation_marks() -> None:
    quote = '"Today we made an offer," Rubio said.'
    rec = record(topics=[TopicTag("ceasefire", 0.9, evidence=(quote,))])
    email = render_email(rec, match_topics(rec, ["ceasefire"], 0.3))
    assert f"    {quote}\n" in email
    assert '""' not in email
    assert email.count("Today we made an offer") == 1


def test_the_message_carries_what_filter_policies_match_on() -> None:
    message = render_alert(record(), match_topics(record(), ["ceasefire", "aid"], 0.3))
    assert message.topics == ("ceasefire", "aid")
    assert message.top_topic == "ceasefire"
    assert message.score == pytest.approx(0.91)
    assert message.language == "en"
    assert message.kind == "alert"
    assert set(message.structured()) == {"default", "email", "sms"}
    assert message.topic_scores == (("ceasefire", 0.91), ("aid", 0.42))


def test_rendering_without_a_match_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one matched topic"):
        render_alert(record(), ())


def test_to_ascii_drops_what_it_cannot_spell() -> None:
    assert to_ascii("Zürich – “talks” 🕊 جدة") == 'Zurich - "talks"'


# -- properties -------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    title=st.text(max_size=300),
    summary=st.text(max_size=1500),
    labels=st.lists(st.sampled_from(["ceasefire", "aid", "sanctions"]), min_size=1, unique=True),
)
def test_any_article_text_gives_one_sms_and_a_short_clean_subject(
    title: str, summary: str, labels: list[str]
) -> None:
    rec = record(title=title, summary=summary)
    topics = tuple(TopicTag(label, 0.5) for label in labels)
    message = render_alert(rec, topics)
    assert sms_fits(message.sms)
    assert message.sms
    assert 0 < len(message.subject) < 100 and message.subject.isascii()
    assert "\n" not in message.subject and "\r" not in message.subject
    for body in (message.sms, message.subject, message.default):
        assert not any(ch in body for ch in "<>\x00\x1b\u202e")
