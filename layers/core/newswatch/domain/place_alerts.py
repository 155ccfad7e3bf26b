"""Alerts and places: every alert carries the countries its article is about, and an article
about a country with no topic to alert on still reaches the subscribers of that country.

SNS routes on the message's ``places`` attribute (String.Array of ISO codes); a subscriber's
policy narrows to theirs with ``places`` (domain/subscriptions.py: topics and places must both
match; places alone take any topic). A near-duplicate's alert (a story seen before that gained a
topic) carries ``repeat`` so a place-only subscriber receives each story once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from newswatch.domain.alerts import AlertMessage, fit_sms, s3_uri, sanitize, to_ascii

SUBJECT_MAX = 99
EVIDENCE_CHARS = 300


def article_places(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The stored countries of an article (code, name, score, evidence), strongest first."""
    return [c for c in record.get("countries") or () if isinstance(c, Mapping) and c.get("code")]


def place_alert_due(record: Mapping[str, Any]) -> bool:
    """An article with no topic to alert on still alerts its countries' subscribers, unless it
    is a near-duplicate of a story they already received."""
    return bool(article_places(record)) and record.get("alert_only_topics") is None


def _names(places: Sequence[Mapping[str, Any]]) -> str:
    return ", ".join(f"{sanitize(p.get('name'))} ({p['code']})" for p in places)


def with_places(message: AlertMessage, record: Mapping[str, Any]) -> AlertMessage:
    """``message`` with the article's countries: the routing attribute and a line in its bodies."""
    places = article_places(record)
    repeat = bool(record.get("near_duplicate_of"))
    if not places:
        return dataclasses.replace(message, places=(), repeat=repeat)
    line = f"Places: {_names(places)}"
    return dataclasses.replace(
        message,
        places=tuple(str(p["code"]) for p in places),
        repeat=repeat,
        email=f"{message.email}\n{line}",
        default=f"{message.default} | places: {', '.join(str(p['code']) for p in places)}",
    )


def render_place_alert(record: Mapping[str, Any]) -> AlertMessage:
    """The alert of an article about these countries that matched no alerting topic."""
    places = article_places(record)
    if not places:
        raise ValueError("a place alert needs at least one country")
    title = sanitize(record.get("title")) or str(record.get("key") or "untitled article")
    names = _names(places)
    lines = [title, "=" * min(len(title), 78), "", "Places:"]
    for place in places:
        lines.append(
            f"  - {sanitize(place.get('name'))} ({place['code']}, score "
            f"{float(place.get('score') or 0):.2f})"
        )
        for sentence in list(place.get("evidence") or ())[:2]:
            clean = sanitize(sentence)[:EVIDENCE_CHARS]
            if clean:
                lines.append(f'      "{clean}"')
    summary = sanitize(record.get("summary"))
    lines += ["", "Summary:", f"  {summary or '(no summary)'}", ""]
    lines.append(f"Location: {s3_uri(record)}")
    lines.append(f"Uploaded: {sanitize(record.get('uploaded_at')) or 'unknown'}")
    lines += ["", "You receive this because you subscribed to newswatch alerts for these places."]
    top = places[0]
    return AlertMessage(
        subject=to_ascii(f"[newswatch {sanitize(top.get('name'))}] {title}")[:SUBJECT_MAX],
        default=f"{title} | places: {', '.join(str(p['code']) for p in places)} | {s3_uri(record)}",
        email="\n".join(lines),
        sms=fit_sms(f"newswatch {names}: {title}"),
        topics=(),
        language=sanitize(record.get("language")) or "und",
        top_topic="",
        score=round(float(top.get("score") or 0), 4),
        places=tuple(str(p["code"]) for p in places),
    )
