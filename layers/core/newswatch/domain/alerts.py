"""The alert decision and the alert's text, for email and SMS.

Pure: an article record (the stored DynamoDB item, as a plain mapping) and the watched topics in,
the matched topics and a rendered :class:`AlertMessage` out. Everything that came from the article
(title, summary, evidence) is sanitised before it reaches a message: no markup, no control or
formatting characters, so an email client or a phone shows exactly the text newswatch wrote.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

KIND_ALERT = "alert"

SUBJECT_MAX = 99  # SNS: "less than 100 characters"
SMS_GSM7_SEPTETS = 160
SMS_UCS2_UNITS = 70
SMS_MAX_TOPICS = 3
EMAIL_MAX_EVIDENCE = 3
EMAIL_MAX_EVIDENCE_CHARS = 300
EMAIL_MAX_SUMMARY_CHARS = 2000

# GSM 03.38 basic character set (one septet each) and its extension table (escape + char: two).
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")

# Typography that has a faithful GSM-7 / ASCII spelling.
_TYPOGRAPHY = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "′": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "″": '"',
        "«": '"',
        "»": '"',
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "−": "-",
        "…": "...",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "•": "-",
    }
)

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class MatchedTopic:
    label: str
    score: float
    iptc: str | None = None
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertMessage:
    subject: str
    default: str
    email: str
    sms: str
    topics: tuple[str, ...]
    language: str
    top_topic: str
    score: float
    kind: str = KIND_ALERT
    # ISO codes of the countries the message is about: the `places` attribute filter policies
    # with --places match on (see domain/subscriptions.py).
    places: tuple[str, ...] = ()
    # A near-duplicate's alert for topics its earlier copies lacked (domain/place_alerts.py).
    repeat: bool = False

    def structured(self) -> dict[str, str]:
        """The ``Message`` of an SNS publish with ``MessageStructure=json``."""
        return {"default": self.default, "email": self.email, "sms": self.sms}


# -- decision ---------------------------------------------------------------------------------


def match_topics(
    record: Mapping[str, Any], watched: Iterable[str], min_score: float
) -> tuple[MatchedTopic, ...]:
    """The watched topics the article scores at least ``min_score`` on, strongest first.

    Only processed articles alert; a duplicate, failed or skipped record matches nothing.
    """
    if record.get("status") != "processed":
        return ()
    wanted = set(watched)
    matched: list[MatchedTopic] = []
    for topic in record.get("topics") or ():
        label = str(topic.get("label", ""))
        score = float(topic.get("score", 0))
        if label in wanted and score >= min_score:
            iptc = topic.get("iptc")
            evidence = tuple(str(e) for e in topic.get("evidence") or ())
            matched.append(MatchedTopic(label, score, str(iptc) if iptc else None, evidence))
    matched.sort(key=lambda t: (-t.score, t.label))
    return tuple(matched)


# -- sanitising -------------------------------------------------------------------------------


def sanitize(text: object) -> str:
    """One line of plain text: entities decoded, tags and stray angle brackets removed, control
    and formatting characters (bidi overrides, zero-width) dropped, whitespace collapsed."""
    raw = html.unescape(str(text or ""))
    raw = _TAG.sub(" ", raw).replace("<", "").replace(">", "")
    kept = []
    for ch in raw:
        category = unicodedata.category(ch)
        if ch in "\t\n\r\f\v" or category in ("Zl", "Zp"):
            kept.append(" ")
        elif category in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        else:
            kept.append(ch)
    return _SPACE.sub(" ", "".join(kept)).strip()


def _fold_char(ch: str, allowed: frozenset[str] | None) -> str:
    """``ch`` spelled in ``allowed`` characters (None: ASCII) if a faithful spelling exists."""

    def ok(s: str) -> bool:
        return all(c in allowed for c in s) if allowed is not None else s.isascii()

    if ok(ch):
        return ch
    typographic = ch.translate(_TYPOGRAPHY)
    if ok(typographic):
        return typographic
    stripped = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return stripped if stripped and ok(stripped) else ch


def to_gsm7(text: str) -> str:
    """Spell what can be spelled in GSM-7 (curly quotes, dashes, accents outside the GSM set);
    characters with no GSM-7 spelling (Arabic, Cyrillic, emoji...) are left as they are."""
    allowed = _GSM7_BASIC | _GSM7_EXTENDED
    return "".join(_fold_char(ch, allowed) for ch in text)


def to_ascii(text: str) -> str:
    """ASCII only: folded where possible, otherwise dropped."""
    folded = "".join(_fold_char(ch, None) for ch in text)
    return _SPACE.sub(" ", "".join(c for c in folded if c.isascii())).strip()


# -- SMS length -------------------------------------------------------------------------------


def is_gsm7(text: str) -> bool:
    return all(ch in _GSM7_BASIC or ch in _GSM7_EXTENDED for ch in text)


def gsm7_septets(text: str) -> int:
    return sum(2 if ch in _GSM7_EXTENDED else 1 for ch in text)


def ucs2_units(text: str) -> int:
    # Characters outside the BMP take a surrogate pair (two UTF-16 code units).
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def sms_fits(text: str) -> bool:
    """Whether ``text`` is one SMS: 160 GSM-7 septets, or 70 UCS-2 units if it is not GSM-7."""
    if is_gsm7(text):
        return gsm7_septets(text) <= SMS_GSM7_SEPTETS
    return ucs2_units(text) <= SMS_UCS2_UNITS


def fit_sms(text: str) -> str:
    """``text`` cut at a word boundary (with an ellipsis) so that it fits in one SMS."""
    text = to_gsm7(text)
    if sms_fits(text):
        return text
    gsm = is_gsm7(text)
    budget = SMS_GSM7_SEPTETS if gsm else SMS_UCS2_UNITS
    measure = gsm7_septets if gsm else ucs2_units
    ellipsis = "..." if gsm else "…"
    room = budget - measure(ellipsis)
    cut = ""
    used = 0
    for ch in text:
        cost = measure(ch)
        if used + cost > room:
            break
        cut += ch
        used += cost
    if " " in cut[len(cut) // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-") + ellipsis


# -- rendering --------------------------------------------------------------------------------


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 3]
    if " " in cut[len(cut) // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-") + "..."


def s3_uri(record: Mapping[str, Any]) -> str:
    return f"s3://{record.get('bucket', '')}/{record.get('key', '')}"


def _title(record: Mapping[str, Any]) -> str:
    title = sanitize(record.get("title"))
    if title:
        return title
    key = str(record.get("key") or "")
    return sanitize(key.rsplit("/", 1)[-1]) or "Untitled article"


def render_subject(record: Mapping[str, Any], topics: Sequence[MatchedTopic]) -> str:
    # ASCII: SNS rewrites subjects with non-ASCII characters, and mail clients show them raw.
    labels = ", ".join(t.label for t in topics)
    prefix = f"[newswatch: {labels}] " if labels else "[newswatch] "
    title = to_ascii(_title(record)) or "Untitled article"
    return _clip(to_ascii(prefix + title), SUBJECT_MAX)


def render_sms(record: Mapping[str, Any], topics: Sequence[MatchedTopic]) -> str:
    labels = ", ".join(f"{t.label} {t.score:.2f}" for t in topics[:SMS_MAX_TOPICS])
    summary = sanitize(record.get("summary"))
    text = f"[{labels}] {_title(record)}"
    if summary:
        text += f" - {summary}"
    return fit_sms(text)


def render_email(record: Mapping[str, Any], topics: Sequence[MatchedTopic]) -> str:
    title = _title(record)
    lines = [title, "=" * min(len(title), 78), ""]
    lines.append("Topics:")
    for topic in topics:
        iptc = f", IPTC {sanitize(topic.iptc)}" if topic.iptc else ""
        lines.append(f"  - {topic.label} (score {topic.score:.2f}{iptc})")
        for evidence in topic.evidence[:EMAIL_MAX_EVIDENCE]:
            clean = _clip(sanitize(evidence), EMAIL_MAX_EVIDENCE_CHARS)
            if clean:
                lines.append(f'      "{clean}"')
    summary = _clip(sanitize(record.get("summary")), EMAIL_MAX_SUMMARY_CHARS)
    lines += ["", "Summary:", f"  {summary or '(no summary)'}", ""]
    version = record.get("version_id")
    location = s3_uri(record) + (f" (version {version})" if version else "")
    lines.append(f"Location: {location}")
    lines.append(f"Uploaded: {sanitize(record.get('uploaded_at')) or 'unknown'}")
    language = sanitize(record.get("language"))
    if language:
        lines.append(f"Language: {language}")
    lines += ["", "You receive this because you subscribed to these newswatch topics."]
    return "\n".join(lines)


def render_default(record: Mapping[str, Any], topics: Sequence[MatchedTopic]) -> str:
    labels = ", ".join(f"{t.label} ({t.score:.2f})" for t in topics)
    return f"{_title(record)} | topics: {labels} | {s3_uri(record)}"


def render_alert(record: Mapping[str, Any], topics: Sequence[MatchedTopic]) -> AlertMessage:
    if not topics:
        raise ValueError("an alert needs at least one matched topic")
    top = topics[0]
    return AlertMessage(
        subject=render_subject(record, topics),
        default=render_default(record, topics),
        email=render_email(record, topics),
        sms=render_sms(record, topics),
        topics=tuple(t.label for t in topics),
        language=sanitize(record.get("language")) or "und",
        top_topic=top.label,
        score=round(top.score, 4),
    )
