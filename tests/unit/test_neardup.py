"""Near-duplicate detection: fingerprints, similarity, band keys, storage shapes, alert rule."""

from __future__ import annotations

import random

import pytest

from newswatch.domain.neardup import (
    BAND_KEY_PREFIX,
    BANDS,
    DEFAULT_THRESHOLD,
    MAX_WORDS,
    SIGNATURE_SIZE,
    Fingerprint,
    NearDuplicate,
    find_near_duplicates,
    fingerprint,
    is_near_duplicate,
    new_watched_topics,
    normalise,
    shingles,
    should_alert_near_duplicate,
    similarity,
)
from newswatch.domain.records import (
    article_ref,
    member_attribute,
    member_value,
    members_from_band_items,
    split_ref,
)

# A small vocabulary gives made-up articles that share words (as real news does) but not phrases.
_VOCAB = (
    "government minister talks ceasefire aid army city border rebels officials said tuesday",
    "agreement troops convoy food water hospital people children report sources week capital",
    "region leaders peace plan vote election market shares bank prices company profits season",
    "match team coach players fans club league goal film music award star show festival",
)
_WORDS = " ".join(_VOCAB).split()


def article(seed: int, words: int = 300) -> str:
    rng = random.Random(seed)
    sentences = []
    while sum(len(s.split()) for s in sentences) < words:
        body = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 20)))
        sentences.append(body.capitalize() + ".")
    return " ".join(sentences)


STORY = article(1)
OTHER = article(2)


def test_normalise_drops_markup_entities_case_punctuation_and_whitespace() -> None:
    raw = (
        "<html><head><style>p{}</style><script>var x = 1;</script></head>"
        "<body><!-- nav --><h1>Truce  HOLDS</h1>\n"
        "<p>Aid&nbsp;&amp; food,\tsaid UN.</p></body></html>"
    )
    assert normalise(raw) == "truce holds aid food said un"


def test_normalise_keeps_comparison_signs_in_plain_text() -> None:
    assert normalise("if a < b and c > d then") == "if a b and c d then"
    assert normalise("<!-- unclosed comment, kept as text") == "unclosed comment kept as text"


@pytest.mark.timeout(60)
def test_hostile_markup_finishes() -> None:
    # A lazy "<!--.*?-->" regex rescanned the text for every unclosed opener: quadratic, so this
    # input took minutes. One pass keeps it linear.
    for opener in ("<script> a ", "<!-- a ", "<style> a "):
        text = opener * 100_000
        assert normalise(text).split()[:2] == ["a", "a"]
        assert fingerprint(text).shingle_count >= 1


def test_only_the_first_max_words_are_fingerprinted() -> None:
    long_text = " ".join(f"w{i}" for i in range(MAX_WORDS))
    assert fingerprint(long_text) == fingerprint(long_text + " and a tail that is ignored")
    assert fingerprint(long_text).shingle_count == MAX_WORDS - 2


def test_shingles_are_word_trigrams_and_short_text_is_one_shingle() -> None:
    assert shingles("a b c d") == {"a b c", "b c d"}
    assert shingles("Only two") == {"only two"}
    assert shingles("  <p></p> ") == set()


def test_identical_text_has_similarity_one_and_formatting_does_not_matter() -> None:
    html = "<html><body>" + "".join(f"<p>{s}.</p>" for s in STORY.split(". ")) + "</body></html>"
    assert similarity(fingerprint(STORY), fingerprint(STORY)) == 1.0
    assert fingerprint(html) == fingerprint(STORY)
    assert fingerprint("\n\n".join(STORY.split(" "))) == fingerprint(STORY)


def test_edited_copy_is_near_duplicate_and_unrelated_article_is_not() -> None:
    edited = "Ceasefire collapses overnight\n\n" + STORY.replace("said", "told", 3)
    added = STORY + "\n\n" + " ".join(OTHER.split()[:40])
    original = fingerprint(STORY)
    assert is_near_duplicate(original, fingerprint(edited), DEFAULT_THRESHOLD)
    assert is_near_duplicate(original, fingerprint(added), DEFAULT_THRESHOLD)
    assert similarity(original, fingerprint(OTHER)) < 0.1
    assert not is_near_duplicate(original, fingerprint(OTHER), DEFAULT_THRESHOLD)


def test_similarity_tracks_the_amount_of_change() -> None:
    words = STORY.split()
    half = " ".join(words[: len(words) // 2] + OTHER.split()[len(words) // 2 :])
    sim_half = similarity(fingerprint(STORY), fingerprint(half))
    assert 0.15 < sim_half < 0.6
    # A higher threshold rejects a pair a lower one accepts.
    assert is_near_duplicate(fingerprint(STORY), fingerprint(half), 0.1)
    assert not is_near_duplicate(fingerprint(STORY), fingerprint(half), 0.9)


def test_short_or_empty_text_is_never_a_near_duplicate_and_has_no_band_keys() -> None:
    short = fingerprint("Truce holds.")
    empty = fingerprint("")
    assert not short.comparable
    assert short.band_keys == ()
    assert empty.shingle_count == 0
    assert similarity(short, short) == 0.0
    assert similarity(empty, empty) == 0.0
    assert not is_near_duplicate(short, short)


def test_band_keys_shape_and_shared_band_for_near_duplicates() -> None:
    fp = fingerprint(STORY)
    keys = fp.band_keys
    assert len(keys) == BANDS == len(set(keys))
    for i, key in enumerate(keys):
        prefix, band, digest = key.split("#")
        assert f"{prefix}#" == BAND_KEY_PREFIX
        assert band == f"{i:02d}"
        assert len(digest) == 16
        int(digest, 16)
    near = fingerprint(STORY.replace("said", "told", 2))
    assert set(keys) & set(near.band_keys)
    assert not set(keys) & set(fingerprint(OTHER).band_keys)


def test_fingerprint_is_deterministic_across_calls() -> None:
    # Stored signatures must compare with ones computed later, in another process.
    assert fingerprint(STORY).signature == fingerprint(STORY).signature
    assert (
        fingerprint("ceasefire talks resume in the capital today").signature[:2]
        == (fingerprint("Ceasefire talks resume in the capital, today!").signature[:2])
    )


def test_encode_decode_round_trip_and_rejects_garbage() -> None:
    fp = fingerprint(STORY)
    encoded = fp.encode()
    assert len(encoded) < 400
    back = Fingerprint.decode(encoded)
    assert back == fp
    assert len(back.signature) == SIGNATURE_SIZE
    for bad in ("", "x:AAAA", "3:not base64!", "3:AAA="):
        with pytest.raises(ValueError):
            Fingerprint.decode(bad)


def test_threshold_out_of_range_is_rejected() -> None:
    fp = fingerprint(STORY)
    for bad in (0.0, -0.1, 1.5):
        with pytest.raises(ValueError):
            is_near_duplicate(fp, fp, bad)
        with pytest.raises(ValueError):
            find_near_duplicates(fp, [], bad)


def test_alert_rule_only_for_new_watched_topics() -> None:
    watched = ("ceasefire", "aid")
    assert not should_alert_near_duplicate(["ceasefire"], ["ceasefire"], watched)
    assert not should_alert_near_duplicate(["ceasefire"], ["ceasefire", "sport"], watched)
    assert should_alert_near_duplicate(["ceasefire"], ["ceasefire", "aid"], watched)
    assert should_alert_near_duplicate([], ["aid"], watched)
    assert not should_alert_near_duplicate([], ["sport"], watched)
    assert not should_alert_near_duplicate(["aid", "ceasefire"], ["aid"], watched)
    assert new_watched_topics(["ceasefire"], ["aid", "ceasefire", "sport"], watched) == ("aid",)


def test_band_items_round_trip_to_candidates_and_best_match_first() -> None:
    story = fingerprint(STORY)
    near = fingerprint(STORY.replace("said", "told", 2))
    other = fingerprint(OTHER)
    items = [
        {
            "pk": story.band_keys[0],
            "sk": "band",
            "member_count": 2,
            member_attribute("article#b/a.txt|v#1"): member_value(
                story, ["ceasefire"], "2026-01-01T00:00:00Z"
            ),
            member_attribute("article#b/c.txt|v#1"): member_value(other, [], "2026-01-03T00:00Z"),
            member_attribute("article#b/bad|v#1"): {"fp": "garbage"},
        },
        {
            "pk": story.band_keys[1],
            "sk": "band",
            member_attribute("article#b/b.txt|v#1"): member_value(
                near, ["aid"], "2026-01-02T00:00:00Z"
            ),
            member_attribute("article#b/a.txt|v#1"): member_value(
                story, ["ceasefire"], "2026-01-01T00:00:00Z"
            ),
        },
    ]
    members = members_from_band_items(items)
    assert sorted(m.ref for m in members) == [
        "article#b/a.txt|v#1",
        "article#b/b.txt|v#1",
        "article#b/c.txt|v#1",
    ]
    a = next(m for m in members if m.ref == "article#b/a.txt|v#1")
    assert a.topics == ("ceasefire",)
    assert a.uploaded_at == "2026-01-01T00:00:00Z"
    assert a.fingerprint == story

    matches = find_near_duplicates(
        story, members, DEFAULT_THRESHOLD, exclude={"article#b/a.txt|v#1"}
    )
    assert [m.ref for m, _ in matches] == ["article#b/b.txt|v#1"]
    assert matches[0][1] >= DEFAULT_THRESHOLD

    both = find_near_duplicates(near, members, DEFAULT_THRESHOLD)
    assert [m.ref for m, _ in both] == ["article#b/b.txt|v#1", "article#b/a.txt|v#1"]


def test_ties_are_broken_by_earliest_upload() -> None:
    fp = fingerprint(STORY)
    later = NearDuplicate(ref="r2", fingerprint=fp, uploaded_at="2026-02-01T00:00:00Z")
    earlier = NearDuplicate(ref="r1", fingerprint=fp, uploaded_at="2026-01-01T00:00:00Z")
    assert [m.ref for m, _ in find_near_duplicates(fp, [later, earlier])] == ["r1", "r2"]


def test_article_ref_round_trips_keys_with_bars() -> None:
    pk, sk = "article#bucket/news|daily/a b.txt", "v#3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"
    ref = article_ref(pk, sk)
    assert split_ref(ref) == (pk, sk)
    assert member_attribute(ref) == f"m#{pk}|{sk}"
