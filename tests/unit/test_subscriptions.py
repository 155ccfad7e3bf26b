import pytest

from newswatch.domain.subscriptions import (
    SubscriptionError,
    describe_policy,
    email_subscriber,
    filter_policy,
    min_score_level,
    score_levels,
    sms_subscriber,
    validate_topics,
)

KNOWN = ["aid", "ceasefire", "sanctions"]


def test_email_is_validated() -> None:
    assert email_subscriber(" analyst@example.org ").endpoint == "analyst@example.org"
    with pytest.raises(SubscriptionError, match="not an email address"):
        email_subscriber("analyst.example.org")


def test_phone_number_must_be_e164() -> None:
    assert sms_subscriber("+44 7700 900123").endpoint == "+447700900123"
    for bad in ["07700900123", "+0123456789", "+1234", "+12345678901234567"]:
        with pytest.raises(SubscriptionError, match=r"E\.164"):
            sms_subscriber(bad)


def test_unknown_topics_are_rejected_with_the_known_list() -> None:
    assert validate_topics(["ceasefire", " aid", "aid"], KNOWN) == ["aid", "ceasefire"]
    with pytest.raises(SubscriptionError, match=r"unknown topic\(s\) truce; known topics: aid"):
        validate_topics(["truce"], KNOWN)
    with pytest.raises(SubscriptionError, match="at least one topic"):
        validate_topics([" "], KNOWN)


def test_filter_policy_round_trips() -> None:
    policy = filter_policy(["aid", "sanctions"], 0.5, ("alert", "digest"))
    assert policy == {"kind": ["alert", "digest"], "score_levels": ["aid>=0.50", "sanctions>=0.50"]}
    assert describe_policy(policy) == (["aid", "sanctions"], 0.5, ["alert", "digest"])
    assert filter_policy(["aid"]) == {"topics": ["aid"], "kind": ["alert"]}
    assert filter_policy(["aid"], 0.0) == {"topics": ["aid"], "kind": ["alert"]}
    # A policy made before score_levels still reads back.
    old = {"topics": ["aid"], "kind": ["alert"], "score": [{"numeric": [">=", 0.4]}]}
    assert describe_policy(old) == (["aid"], 0.4, ["alert"])
    with pytest.raises(SubscriptionError, match="between 0 and 1"):
        filter_policy(["aid"], 1.5)
    with pytest.raises(SubscriptionError, match="kinds"):
        filter_policy(["aid"], None, ("weekly",))


def test_score_levels_carry_each_topic_on_its_own_score_rounded_down() -> None:
    levels = score_levels([("sanctions", 0.51), ("aid", 0.349)])
    assert "sanctions>=0.50" in levels and "sanctions>=0.55" not in levels
    assert "aid>=0.30" in levels and "aid>=0.35" not in levels
    assert len(levels) == 10 + 6
    assert score_levels([("aid", 1.0)])[-1] == "aid>=1.00"
    assert score_levels([("aid", 0.04)]) == []


def test_a_min_score_is_rounded_up_never_down() -> None:
    assert [min_score_level(m) for m in (0.5, 0.53, 0.35, 0.0, 0.95)] == [0.5, 0.55, 0.35, 0, 0.95]
    assert min_score_level(0.1 + 0.2) == 0.3  # float noise is not a higher score


@pytest.mark.parametrize("min_score", [0.951, 0.97, 1.0])
def test_a_min_score_that_would_round_up_to_1_is_refused(min_score: float) -> None:
    """Its policy would wait for a 1.00 token, which a 0.996 score does not carry."""
    assert "aid>=1.00" not in score_levels([("aid", 0.996)])
    with pytest.raises(SubscriptionError, match=r"at most 0\.95"):
        min_score_level(min_score)
    with pytest.raises(SubscriptionError, match=r"at most 0\.95"):
        filter_policy(["aid"], min_score)


def test_a_subscriber_matches_on_each_topic_score_not_on_the_best_one() -> None:
    """The policy and the message meet as SNS's String.Array rule does: any token in common."""
    policy = set(filter_policy(["sanctions", "displacement"], 0.5)["score_levels"])
    strong_sanctions = score_levels([("ceasefire", 0.99), ("sanctions", 0.6)])
    weak_sanctions = score_levels([("ceasefire", 0.99), ("sanctions", 0.45)])
    assert policy & set(strong_sanctions)
    assert not policy & set(weak_sanctions)


def test_a_filter_sns_would_refuse_as_too_complex_is_refused_with_a_reason() -> None:
    """SNS multiplies the lengths of a policy's arrays and refuses more than 150."""
    topics = [f"topic{i}" for i in range(15)]
    places = ["SD", "SS", "TD", "ET", "ER", "SO", "ML", "NE", "BF", "NG", "CF"]
    with pytest.raises(
        SubscriptionError, match=r"15 topic\(s\) x 11 place\(s\) x 2 kind\(s\) make 330"
    ):
        filter_policy(topics, None, ("alert", "digest"), places=places)
    # What fits: 15 x 5 x 2, and the places alone (every topic).
    assert filter_policy(topics, None, ("alert", "digest"), places=places[:5])
    assert filter_policy([], None, ("alert", "digest"), places=places)["places"] == places


def test_topics_are_matched_whatever_their_case() -> None:
    known = ["aid", "ceasefire", "military_aid"]
    assert validate_topics(["AID", " Ceasefire", "aid"], known) == ["aid", "ceasefire"]
    with pytest.raises(SubscriptionError, match="unknown topic"):
        validate_topics(["Aids"], known)
