"""Who receives what: validating a subscriber and building the SNS filter policy that selects
their topics, a minimum score per topic, and instant alerts, daily digests or both.

Every message newswatch publishes carries the message attributes these policies match on:

- ``topics`` (String.Array): the topics the message is about (for an alert: every topic of the
  article at or above its alert threshold);
- ``score_levels`` (String.Array): for each of those topics, one token ``<topic>>=<level>`` per
  step of :data:`SCORE_STEP` its score reaches (``sanctions>=0.05`` ... ``sanctions>=0.95`` for
  a score of 0.97);
- ``kind`` (``alert`` or ``digest``); ``score`` (Number, the strongest topic's score) is kept for
  subscriptions made before ``score_levels`` existed.

A subscriber to ``sanctions,aid`` from 0.5 gets ``{"kind": ["alert"], "score_levels":
["aid>=0.50", "sanctions>=0.50"]}``: SNS delivers when *any* of those tokens is in the message,
that is when sanctions *or* aid scored at least 0.5, each judged on its own score. A String.Array
match is the one per-topic OR that message-attribute policies express in two keys whatever the
number of topics (a numeric attribute per topic would need ``$or`` with one key per topic, and SNS
allows five keys per policy). SNS evaluates the policy, so a subscriber never receives, or pays
for, a message they did not ask for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from newswatch.domain.errors import NewswatchError

KINDS = ("alert", "digest")
# The granularity of per-topic minimum scores: 20 levels are what the score_levels tokens carry.
SCORE_STEP = 0.05
_STEPS = round(1 / SCORE_STEP)
# SNS refuses a filter policy whose arrays' lengths multiply to more than this ("Filter policy is
# too complex"; SNS developer guide, "Filter policy constraints").
MAX_POLICY_COMBINATIONS = 150
# The highest minimum a subscriber may ask for. Asked for more, the level rounds up to 1.00, a
# token only a score rounding to 1.000 carries: none of the 1,350 tags the default tagger gives the
# articles of ../shared/data does (40 reach 0.95), so such a subscription would never fire.
MAX_MIN_SCORE = 1 - SCORE_STEP

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
    # Labels are lower case; "Aid" or "AID" typed by a subscriber means the topic aid.
    by_case = {label.lower(): label for label in known}
    chosen = sorted({by_case.get(t.strip().lower(), t.strip()) for t in topics if t.strip()})
    if not chosen:
        raise SubscriptionError(f"name at least one topic; known topics: {', '.join(known)}")
    unknown = [t for t in chosen if t not in known]
    if unknown:
        raise SubscriptionError(
            f"unknown topic(s) {', '.join(unknown)}; known topics: {', '.join(known)}"
        )
    return chosen


def score_level_token(topic: str, level: float) -> str:
    return f"{topic}>={level:.2f}"


def score_levels(topic_scores: Iterable[tuple[str, float]]) -> list[str]:
    """The ``score_levels`` attribute of a message about these (topic, score) pairs."""
    tokens = []
    for topic, score in topic_scores:
        # Hundredths, rounded down (0.349 reaches 0.30, not 0.35), then whole steps.
        reached = round(float(score) * 10000) // 100 // round(SCORE_STEP * 100)
        tokens += [score_level_token(topic, step * SCORE_STEP) for step in range(1, reached + 1)]
    return tokens


def min_score_level(min_score: float) -> float:
    """``min_score`` rounded up to the step the tokens carry (0.53 -> 0.55); never lower, so a
    subscriber never receives an article below the score they asked for."""
    if not 0.0 <= min_score <= 1.0:
        raise SubscriptionError(f"--min-score must be between 0 and 1, got {min_score}")
    level = math.ceil(round(min_score * _STEPS, 6)) / _STEPS
    if level > MAX_MIN_SCORE:
        raise SubscriptionError(
            f"--min-score {min_score} would almost never match: scores are matched in steps of "
            f"{SCORE_STEP} and a topic practically never scores 1.00; give at most "
            f"{MAX_MIN_SCORE:.2f}"
        )
    return level


def filter_policy(
    topics: Sequence[str],
    min_score: float | None = None,
    kinds: Sequence[str] = ("alert",),
    places: Sequence[str] = (),
) -> dict[str, Any]:
    """The MessageAttributes-scoped filter policy for a subscriber."""
    if not kinds or any(k not in KINDS for k in kinds):
        raise SubscriptionError(f"kinds must be some of {', '.join(KINDS)}, got {list(kinds)}")
    level = min_score_level(min_score) if min_score is not None else 0.0
    if level <= 0.0:
        policy = with_places({"topics": list(topics), "kind": list(kinds)}, places)
    else:
        policy = with_places(
            {"kind": list(kinds), "score_levels": [score_level_token(t, level) for t in topics]},
            places,
        )
    combinations = math.prod(len(values) for values in policy.values())
    if combinations > MAX_POLICY_COMBINATIONS:
        raise SubscriptionError(
            f"SNS takes at most {MAX_POLICY_COMBINATIONS} combinations of values in one "
            f"subscription's filter, and {len(topics)} topic(s) x {len(places)} place(s) x "
            f"{len(kinds)} kind(s) make {combinations}: name fewer topics or places, or follow "
            "the places alone (every topic)"
        )
    return policy


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
    by_topic = "topics" in narrowed or "score_levels" in narrowed
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
    for token in policy.get("score_levels", []):
        topic, _, level = str(token).rpartition(">=")
        if topic:
            topics.append(topic)
            min_score = float(level)
    # Policies made before score_levels: the strongest topic's score.
    for condition in policy.get("score", []):
        if isinstance(condition, dict) and "numeric" in condition:
            min_score = float(condition["numeric"][1])
    kinds = [str(k) for k in policy.get("kind", KINDS)]
    return topics, min_score, kinds
