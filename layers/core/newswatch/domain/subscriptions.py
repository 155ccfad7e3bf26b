"""Who receives what: validating a subscriber and building the SNS filter policy that selects
their topics, a minimum score, and instant alerts, daily digests or both.

Every message newswatch publishes carries the message attributes these policies match on:
``topics`` (String.Array), ``score`` (Number: the strongest matched topic's score) and ``kind``
(``alert`` or ``digest``). SNS evaluates the policy, so a subscriber never receives, or pays for,
a message they did not ask for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from newswatch.domain.errors import NewswatchError

KINDS = ("alert", "digest")

# Pragmatic address check: one @, no spaces, a dot in the domain. SNS confirms the address itself.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
# E.164: a plus, a country code that does not start with 0, at most 15 digits in all.
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class SubscriptionError(NewswatchError):
    code = "bad_subscription"


@dataclass(frozen=True)
class Subscriber:
    protocol: str  # "email" or "sms", as SNS names them
    endpoint: str


def email_subscriber(address: str) -> Subscriber:
    address = address.strip()
    if not _EMAIL.match(address):
        raise SubscriptionError(f"{address!r} is not an email address (expected name@example.org)")
    return Subscriber("email", address)


def sms_subscriber(number: str) -> Subscriber:
    compact = re.sub(r"[\s\-().]", "", number)
    if not _E164.match(compact):
        raise SubscriptionError(
            f"{number!r} is not a phone number in E.164 form: a plus, the country code and the "
            "number, up to 15 digits (e.g. +447700900123)"
        )
    return Subscriber("sms", compact)


def validate_topics(topics: Iterable[str], known: Sequence[str]) -> list[str]:
    chosen = sorted({t.strip() for t in topics if t.strip()})
    if not chosen:
        raise SubscriptionError(f"name at least one topic; known topics: {', '.join(known)}")
    unknown = [t for t in chosen if t not in known]
    if unknown:
        raise SubscriptionError(
            f"unknown topic(s) {', '.join(unknown)}; known topics: {', '.join(known)}"
        )
    return chosen


def filter_policy(
    topics: Sequence[str],
    min_score: float | None = None,
    kinds: Sequence[str] = ("alert",),
    places: Sequence[str] = (),
) -> dict[str, Any]:
    """The MessageAttributes-scoped filter policy for a subscriber."""
    if not kinds or any(k not in KINDS for k in kinds):
        raise SubscriptionError(f"kinds must be some of {', '.join(KINDS)}, got {list(kinds)}")
    policy: dict[str, Any] = {"topics": list(topics), "kind": list(kinds)}
    if min_score is not None:
        if not 0.0 <= min_score <= 1.0:
            raise SubscriptionError(f"--min-score must be between 0 and 1, got {min_score}")
        policy["score"] = [{"numeric": [">=", min_score]}]
    return with_places(policy, places)


# Digests of subscribers who gave places (domain/digest.py publishes each kind).
_PLACE_DIGEST_KINDS = {True: "topic_place_digest", False: "place_digest"}
# Set on the alert of a near-duplicate (a story seen before that gained a topic): a subscriber
# to places only received the story already.
REPEAT_ATTRIBUTE = "repeat"


def with_places(policy: dict[str, Any], places: Sequence[str]) -> dict[str, Any]:
    """``policy`` narrowed to articles about any of ``places`` (ISO codes).

    Keys of a policy must all match, so topics and places means both; a policy without topics
    matches messages of any topic (and place-only ones, which carry no ``topics``). Digests of
    such subscribers are the per-country kinds, and a place-only subscriber gets each story once
    (a near-duplicate's later alert for a new topic is left to topic subscribers).
    """
    if not places:
        return policy
    narrowed = {key: value for key, value in policy.items() if key != "topics" or value}
    by_topic = "topics" in narrowed
    narrowed["kind"] = [
        _PLACE_DIGEST_KINDS[by_topic] if kind == "digest" else kind for kind in policy["kind"]
    ]
    narrowed["places"] = list(places)
    if not by_topic:
        narrowed[REPEAT_ATTRIBUTE] = [{"exists": False}]
    return narrowed


def policy_places(policy: dict[str, Any]) -> list[str]:
    """The ISO codes a filter policy narrows to (none: every place)."""
    return [str(code) for code in policy.get("places", [])]


def describe_policy(policy: dict[str, Any]) -> tuple[list[str], float | None, list[str]]:
    """(topics, min score, kinds) read back from a filter policy, for listing subscriptions."""
    topics = [str(t) for t in policy.get("topics", [])]
    min_score: float | None = None
    for condition in policy.get("score", []):
        if isinstance(condition, dict) and "numeric" in condition:
            min_score = float(condition["numeric"][1])
    kinds = [str(k) for k in policy.get("kind", KINDS)]
    return topics, min_score, kinds
