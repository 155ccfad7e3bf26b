"""Alerts and places: every alert carries the countries its article is about, and an article
about a country with no topic to alert on still reaches the subscribers of that country.

SNS routes on the message's ``places`` attribute (String.Array of ISO codes); a subscriber's
policy narrows to theirs with ``places`` (domain/subscriptions.py: topics and places must both
match; places alone take any topic). A near-duplicate's alert (a story seen before that gained a
topic) carries ``repeat`` so a place-only subscriber receives each story once. The JSON alert
(docs/alert.schema.json) lists the countries under ``places``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from newswatch.domain.alerts import (
    SUBJECT_MAX,
    AlertMessage,
    ArticleLink,
    alert_payload,
    fit_sms,
    reference_of,
    s3_uri,
    sanitize,
    to_ascii,
)
from newswatch.domain.models import PlaceTag
from newswatch.domain.records import article_countries

EVIDENCE_CHARS = 300
EVIDENCE_PER_PLACE = 2


def article_places(record: Mapping[str, Any]) -> list[PlaceTag]:
    """The stored countries of an article (code, name, score, evidence), strongest first."""
    return [c for c in article_countries(record) if c.code]


def place_alert_due(record: Mapping[str, Any]) -> bool:
    """An article with no topic to alert on still alerts its countries' subscribers, unless it
    is a near-duplicate of a story they already received."""
    return (
        bool(article_places(record))
        and record.get("alert_only_topics") is None
        and not record.get("alert_places_sent")  # a backfilled article: told once already
    )


def places_payload(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``places`` of the JSON alert: code, name and score of each country."""
    return [
        {"code": p.code, "name": sanitize(p.name), "score": round(p.score, 4)}
        for p in article_places(record)
    ]


def _names(places: list[PlaceTag]) -> str:
    return ", ".join(f"{sanitize(p.name)} ({p.code})" for p in places)


def _with_places_json(default: str, record: Mapping[str, Any]) -> str:
    try:
        payload = json.loads(default)
    except ValueError:
        return default
    if not isinstance(payload, dict):
        return default
    payload["places"] = places_payload(record)
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def with_places(message: AlertMessage, record: Mapping[str, Any]) -> AlertMessage:
    """``message`` with the article's countries: the routing attribute, the JSON alert's
    ``places`` and a line in the e-mail under the reasons for the alert."""
    places = article_places(record)
    repeat = bool(record.get("near_duplicate_of") or record.get("alert_places_sent"))
    email = message.email
    if places:
        line = f"Places: {_names(places)}"
        head, found, rest = email.partition("\n\n")
        email = f"{head}\n\n{line}\n{rest}" if found else f"{email}\n{line}"
    return dataclasses.replace(
        message,
        places=tuple(p.code for p in places),
        repeat=repeat,
        email=email,
        default=_with_places_json(message.default, record),
    )


def render_place_alert(record: Mapping[str, Any], link: ArticleLink | None = None) -> AlertMessage:
    """The alert of an article about these countries that matched no alerting topic."""
    places = article_places(record)
    if not places:
        raise ValueError("a place alert needs at least one country")
    title = sanitize(record.get("title")) or str(record.get("key") or "Untitled article")
    reference = reference_of(record)
    names = _names(places)
    lines = [title, "=" * min(len(title), 78), "", f"Why you got this: about {names}", ""]
    for place in places:
        lines.append(f"  {sanitize(place.name)} ({place.code}, score {place.score:.2f})")
        for sentence in place.evidence[:EVIDENCE_PER_PLACE]:
            clean = sanitize(sentence)[:EVIDENCE_CHARS]
            if clean:
                lines.append(f"    {clean}")
    summary = sanitize(record.get("summary"))
    lines += ["", "Summary:", f"  {summary or '(no summary)'}", ""]
    if link is not None:
        until = f" (link valid until {link.expiry_text()})" if link.expires_at else ""
        lines.append(f"Read the article: {link.url}{until}")
    lines.append(f"Stored at: {s3_uri(record)}")
    lines.append(f"Reference: {reference} (newswatch show {reference})")
    lines.append(f"Uploaded: {sanitize(record.get('uploaded_at')) or 'unknown'}")
    lines += ["", "You receive this because you subscribed to newswatch alerts for these places."]
    payload = alert_payload(record, (), link)
    payload["places"] = places_payload(record)
    top = places[0]
    return AlertMessage(
        subject=to_ascii(f"[newswatch: {sanitize(top.name)}] {title}")[:SUBJECT_MAX],
        default=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        email="\n".join(lines),
        sms=fit_sms(f"[{names}] {title}", suffix=f" ref {reference}"),
        topics=(),
        language=str(payload["language"]),
        top_topic="",
        score=round(top.score, 4),
        places=tuple(p.code for p in places),
    )
