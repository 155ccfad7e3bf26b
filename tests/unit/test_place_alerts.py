"""Routing by place: filter policies with places, the places/repeat attributes, place alerts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from newswatch.adapters.sns import message_attributes
from newswatch.domain.models import PlaceTag
from newswatch.domain.place_alerts import place_alert_due, render_place_alert, with_places
from newswatch.domain.subscriptions import filter_policy, policy_places

SUDAN = PlaceTag("SD", "Sudan", 0.97, ("Fighting in Darfur.",))
RECORD: dict[str, Any] = {
    "bucket": "b",
    "key": "news/sudan.txt",
    "title": "Truce in Darfur",
    "summary": "The army and the RSF agreed a truce.",
    "uploaded_at": "2026-11-29T18:00:00.000Z",
    "language": "en",
    "countries": [SUDAN],
    "country_codes": ["SD"],
}


def test_policies_with_places() -> None:
    assert filter_policy(["ceasefire"], places=["SD", "SS"]) == {
        "topics": ["ceasefire"],
        "kind": ["alert"],
        "places": ["SD", "SS"],
    }
    # Places alone: any topic (no topics key), each story once (no near-duplicate repeats).
    assert filter_policy([], kinds=("alert", "digest"), places=["SD"]) == {
        "kind": ["alert", "place_digest"],
        "places": ["SD"],
        "repeat": [{"exists": False}],
    }
    assert filter_policy(["aid"], kinds=("digest",), places=["UA"])["kind"] == [
        "topic_place_digest"
    ]
    assert filter_policy(["aid"]) == {"topics": ["aid"], "kind": ["alert"]}  # as before
    assert policy_places(filter_policy([], places=["SD"])) == ["SD"]


def test_a_place_alert_carries_the_countries_and_no_topics() -> None:
    assert place_alert_due(RECORD)
    assert not place_alert_due({**RECORD, "countries": []})
    assert not place_alert_due({**RECORD, "alert_only_topics": []})  # a near-duplicate
    message = render_place_alert(RECORD)
    assert message.topics == () and message.places == ("SD",)
    assert message.subject == "[newswatch: Sudan] Truce in Darfur"
    assert "Sudan (SD, score 0.97)" in message.email and "Fighting in Darfur." in message.email
    payload = json.loads(message.default)
    assert payload["topics"] == [] and payload["places"] == [
        {"code": "SD", "name": "Sudan", "score": 0.97}
    ]
    attributes = message_attributes(message)
    assert "topics" not in attributes  # so no topic subscriber's policy matches it
    assert json.loads(attributes["places"]["StringValue"]) == ["SD"]
    assert "repeat" not in attributes


def test_every_alert_names_its_places_and_a_near_duplicate_is_a_repeat() -> None:
    base = render_place_alert(RECORD)
    again = with_places(base, {**RECORD, "near_duplicate_of": "article#b/old.txt|v#null"})
    assert message_attributes(again)["repeat"]["StringValue"] == "near_duplicate"
    plain = with_places(base, {**RECORD, "countries": []})
    assert plain.places == () and "places" not in message_attributes(plain)


def test_render_place_alert_needs_a_country() -> None:
    with pytest.raises(ValueError):
        render_place_alert({**RECORD, "countries": []})
