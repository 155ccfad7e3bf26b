"""Digests: one message per topic listing the period's articles, for subscribers who would rather
read once a day than be woken by every alert.

A digest is published to the same SNS topic as instant alerts, with ``kind = digest``, so each
subscriber's filter policy chooses instant alerts, digests, or both. Articles whose instant alert
was held back by the hourly cap are marked, so nothing the cap folded away goes unseen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from newswatch.domain.alerts import AlertMessage, fit_sms, sanitize, to_ascii
from newswatch.domain.headline import headline_of
from newswatch.domain.records import article_ref

KIND_DIGEST = "digest"
# A country's articles of every topic, for subscribers who gave places and no topics.
KIND_PLACE_DIGEST = "place_digest"
# A topic's articles about one country, for subscribers who gave both.
KIND_TOPIC_PLACE_DIGEST = "topic_place_digest"
SUBJECT_MAX = 99
EMAIL_MAX_ARTICLES = 50
ONE_LINE_CHARS = 200


def one_line(summary: object, limit: int = ONE_LINE_CHARS) -> str:
    """The summary's first sentence, clipped at a word to ``limit`` characters."""
    text = sanitize(summary)
    for end in (". ", "? ", "! "):
        cut = text.find(end)
        if 0 < cut < limit:
            return text[: cut + 1]
    if len(text) <= limit:
        return text
    return text[: limit - 3].rsplit(" ", 1)[0].rstrip(" ,;:-") + "..."


def render_digest(
    topic: str | None,
    entries: Sequence[Mapping[str, Any]],
    period: tuple[str, str],
    held_back: frozenset[str] = frozenset(),
    *,
    total: int | None = None,
    top: Mapping[str, Any] | None = None,
    place: tuple[str, str] | None = None,
    links: Mapping[str, str] | None = None,
) -> AlertMessage:
    """The digest of ``entries`` (index entries, newest first) for one topic, one topic in one
    country (``place`` = (ISO code, name)), or one country's articles of every topic (``topic``
    None).

    ``held_back`` holds the ``s3_uri`` of articles whose instant alert the hourly cap suppressed.
    ``total`` and ``top``: the period's article count and highest-scoring entry when ``entries``
    holds only the first EMAIL_MAX_ARTICLES of them (the default: ``entries`` is all of them).
    ``links``: a link a reader can open for each shown article, by its :func:`article_ref`
    (the alert function's kind: a presigned HTTPS URL of that version, or the public site's).
    """
    links = links or {}
    if not entries:
        raise ValueError("a digest needs at least one article")
    if topic is None and place is None:
        raise ValueError("a digest is about a topic, a place or both")
    start, end = period
    count = len(entries) if total is None else total
    noun = "article" if count == 1 else "articles"
    top = top or max(entries, key=lambda e: float(e.get("score", 0)))
    title_of_top = sanitize(headline_of(top))
    if place is None:
        what, kind = str(topic), KIND_DIGEST
    elif topic is None:
        what, kind = place[1], KIND_PLACE_DIGEST
    else:
        what, kind = f"{topic} in {place[1]}", KIND_TOPIC_PLACE_DIGEST
    listing = " ".join(
        ([f"--topic {topic}"] if topic else []) + ([f"--place {place[0]}"] if place else [])
    )

    subject = to_ascii(f"[newswatch digest: {what}] {count} {noun}, {start[:10]} to {end[:10]}")
    lines = [
        f"newswatch digest: {what}",
        f"{count} {noun} from {start} to {end}, newest first.",
        "",
    ]
    for entry in entries[:EMAIL_MAX_ARTICLES]:
        uri = str(entry.get("s3_uri", ""))
        mark = "  (no instant alert: hourly cap)" if uri in held_back else ""
        title = sanitize(headline_of(entry))
        lines.append(f"- {title} (score {float(entry.get('score', 0)):.2f}){mark}")
        summary = one_line(entry.get("summary"))
        if summary:
            lines.append(f"  {summary}")
        link = links.get(article_ref(str(entry.get("article_pk")), str(entry.get("article_sk"))))
        if link:
            lines.append(f"  Read: {link}")
        lines.append(f"  {uri}  uploaded {sanitize(entry.get('uploaded_at'))}")
    if count > EMAIL_MAX_ARTICLES:
        lines.append(f"... and {count - EMAIL_MAX_ARTICLES} more: newswatch articles {listing}")
    lines += ["", f"You receive this because you subscribed to newswatch digests for {what}."]

    return AlertMessage(
        subject=subject[:SUBJECT_MAX],
        default=f"newswatch digest {what}: {count} {noun} {start} to {end}",
        email="\n".join(lines),
        sms=fit_sms(f"newswatch {what} digest: {count} {noun}. Top: {title_of_top}"),
        topics=(topic,) if topic else (),
        language="und",
        top_topic=topic or "",
        score=round(float(top.get("score", 0)), 4),
        kind=kind,
        places=(place[0],) if place else (),
        # A subscriber's per-topic minimum score applies to a digest through its best article.
        topic_scores=((topic, round(float(top.get("score", 0)), 4)),) if topic else (),
    )
