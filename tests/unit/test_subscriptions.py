import pytest

from newswatch.domain.subscriptions import (
    SubscriptionError,
    describe_policy,
    email_subscriber,
    filter_policy,
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
    policy = filter_policy(["aid"], 0.5, ("alert", "digest"))
    assert policy == {
        "topics": ["aid"],
        "kind": ["alert", "digest"],
        "score": [{"numeric": [">=", 0.5]}],
    }
    assert describe_policy(policy) == (["aid"], 0.5, ["alert", "digest"])
    assert "score" not in filter_policy(["aid"])
    with pytest.raises(SubscriptionError, match="between 0 and 1"):
        filter_policy(["aid"], 1.5)
    with pytest.raises(SubscriptionError, match="kinds"):
        filter_policy(["aid"], None, ("weekly",))
