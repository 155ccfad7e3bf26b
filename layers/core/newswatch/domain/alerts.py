"""The alert decision and the alert's three bodies: email, SMS and JSON.

Pure: an article record (the stored item, :mod:`newswatch.domain.records`) and an
:class:`AlertPolicy` in, the matched topics (the tagger's own :class:`TopicTag`) and a rendered
:class:`AlertMessage` out. Everything that came from the
article (title, summary, evidence) is sanitised before it reaches a message: no markup, no control
or formatting characters, so an email client or a phone shows exactly the text newswatch wrote.

One message per article carries every topic at or above its alert threshold; SNS filter policies
(:mod:`newswatch.domain.subscriptions`) decide which subscriber receives it. SNS gives each
protocol its own body (``MessageStructure=json``): ``email`` the readable text, ``sms`` one short
text message, and ``default`` (SQS, Lambda, HTTPS, email-json) the JSON payload that
``docs/alert.schema.json`` documents.

Why this module is long: the decision and the three bodies share the sanitising and the SMS
fitting (GSM-7 or UCS-2 in one text message); split apart, each would import the others' helpers.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from newswatch.domain.headline import UNTITLED, headline_of
from newswatch.domain.models import TopicTag
from newswatch.domain.records import PROCESSED, article_topics
from newswatch.domain.reference import article_reference, content_reference

KIND_ALERT = "alert"
PAYLOAD_TYPE = "newswatch.alert"
PAYLOAD_VERSION = 1

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
    # What filter policies match on (domain/subscriptions.py) besides the topics: each topic's
    # score, the countries' ISO codes (`places`), and `repeat` on a near-duplicate's alert for
    # topics its earlier copies lacked, which place-only subscribers skip (domain/place_alerts.py).
    topic_scores: tuple[tuple[str, float], ...] = ()
    places: tuple[str, ...] = ()
    repeat: bool = False

    def structured(self) -> dict[str, str]:
        """The ``Message`` of an SNS publish with ``MessageStructure=json``."""
        return {"default": self.default, "email": self.email, "sms": self.sms}


@dataclass(frozen=True)
class ArticleLink:
    """A link a person can open: a presigned HTTPS URL (with its expiry) or a public page."""

    url: str
    expires_at: str | None = None  # ISO-8601 UTC (...Z); None for a public URL that does not expire

    def expiry_text(self) -> str:
        """``2026-12-10 07:59 UTC`` for a person."""
        return f"{self.expires_at[:16].replace('T', ' ')} UTC" if self.expires_at else ""


@dataclass(frozen=True)
class AlertPolicy:
    """Which topics raise an instant alert, and from what score.

    ``thresholds`` maps every topic that may alert to its alert threshold (the taxonomy's
    ``alert_threshold``, else the stack's minimum score). A topic missing from it never alerts:
    it is not in the taxonomy, or the stack's ``WatchedTopics`` allow-list leaves it out.
    """

    thresholds: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        topics: Iterable[tuple[str, float | None]],
        default_threshold: float,
        allowed: Iterable[str] = (),
    ) -> AlertPolicy:
        """``topics``: (label, alert threshold or None) of the taxonomy; ``allowed``: the
        allow-list (empty: every topic may alert)."""
        only = set(allowed)
        return cls(
            {
                label: default_threshold if threshold is None else threshold
                for label, threshold in topics
                if not only or label in only
            }
        )

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.thresholds)

    def threshold(self, label: str) -> float | None:
        return self.thresholds.get(label)


# -- decision ---------------------------------------------------------------------------------


def match_topics(record: Mapping[str, Any], policy: AlertPolicy) -> tuple[TopicTag, ...]:
    """The topics the article scores at or above their alert threshold on, strongest first.

    Only processed articles alert; a duplicate, failed or skipped record matches nothing.
    """
    if record.get("status") != PROCESSED:
        return ()
    matched = [
        topic
        for topic in article_topics(record)
        if (threshold := policy.threshold(topic.label)) is not None and topic.score >= threshold
    ]
    return tuple(sorted(matched, key=lambda t: (-t.score, t.label)))


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


def fit_sms(text: str, suffix: str = "") -> str:
    """``text`` cut at a word boundary (with an ellipsis) so that it and ``suffix``, kept whole,
    fit in one SMS."""
    text = to_gsm7(text)
    if sms_fits(text + suffix):
        return text + suffix
    gsm = is_gsm7(text + suffix)
    measure = gsm7_septets if gsm else ucs2_units
    budget = (SMS_GSM7_SEPTETS if gsm else SMS_UCS2_UNITS) - measure(suffix)
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
    return cut.rstrip(" ,;:-") + ellipsis + suffix


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


def reference_of(record: Mapping[str, Any]) -> str:
    """The reference an alert names its article by: of its bytes (where its content claim lives);
    of its object version for a record without a content hash."""
    if record.get("content_sha256"):
        return content_reference(str(record["content_sha256"]))
    version = record.get("version_id")
    return article_reference(
        str(record.get("bucket", "")),
        str(record.get("key", "")),
        None if version in (None, "null") else str(version),
    )


def _title(record: Mapping[str, Any]) -> str:
    # The stored headline (title, else first sentence), never the file name.
    return sanitize(headline_of(record)) or UNTITLED


_QUOTES = frozenset('"“”„«»')


def _evidence(text: object) -> str:
    """One evidence sentence in quotation marks, unless it has its own: a quoted remark
    (``"We made an offer," he said.``) is shown as written, never with doubled marks."""
    clean = _clip(sanitize(text), EMAIL_MAX_EVIDENCE_CHARS)
    if not clean or _QUOTES & set(clean):
        return clean
    return f'"{clean}"'


def render_subject(record: Mapping[str, Any], topics: Sequence[TopicTag]) -> str:
    # ASCII: SNS rewrites subjects with non-ASCII characters, and mail clients show them raw.
    labels = ", ".join(t.label for t in topics)
    prefix = f"[newswatch: {labels}] " if labels else "[newswatch] "
    title = to_ascii(_title(record)) or UNTITLED
    return _clip(to_ascii(prefix + title), SUBJECT_MAX)


def render_sms(record: Mapping[str, Any], topics: Sequence[TopicTag]) -> str:
    """Topics with scores, the headline (then the summary while room is left) and the reference
    `newswatch show` accepts, which is never cut."""
    labels = ", ".join(f"{t.label} {t.score:.2f}" for t in topics[:SMS_MAX_TOPICS])
    summary = sanitize(record.get("summary"))
    text = f"[{labels}] {_title(record)}"
    if summary:
        text += f" - {summary}"
    return fit_sms(text, suffix=f" ref {reference_of(record)}")


def render_email(
    record: Mapping[str, Any], topics: Sequence[TopicTag], link: ArticleLink | None = None
) -> str:
    title = _title(record)
    reference = reference_of(record)
    lines = [title, "=" * min(len(title), 78), ""]
    why = ", ".join(f"{t.label} {t.score:.2f}" for t in topics)
    lines += [f"Why you got this: {why}", ""]
    for topic in topics:
        iptc = f", IPTC {sanitize(topic.iptc)}" if topic.iptc else ""
        lines.append(f"  {topic.label} (score {topic.score:.2f}{iptc})")
        for evidence in topic.evidence[:EMAIL_MAX_EVIDENCE]:
            clean = _evidence(evidence)
            if clean:
                lines.append(f"    {clean}")
    summary = _clip(sanitize(record.get("summary")), EMAIL_MAX_SUMMARY_CHARS)
    lines += ["", "Summary:", f"  {summary or '(no summary)'}", ""]
    if link is not None:
        until = f" (link valid until {link.expiry_text()})" if link.expires_at else ""
        lines.append(f"Read the article: {link.url}{until}")
    version = record.get("version_id")
    location = s3_uri(record) + (f" (version {version})" if version else "")
    lines.append(f"Stored at: {location}")
    lines.append(f"Reference: {reference} (newswatch show {reference})")
    lines.append(f"Uploaded: {sanitize(record.get('uploaded_at')) or 'unknown'}")
    language = sanitize(record.get("language"))
    if language:
        lines.append(f"Language: {language}")
    lines += [
        "",
        "You receive this because you subscribed to newswatch alerts for these topics.",
        "To stop them, open the unsubscribe link below (or ask your newswatch admin to run "
        "`newswatch unsubscribe` with your subscription id).",
    ]
    return "\n".join(lines)


def alert_payload(
    record: Mapping[str, Any], topics: Sequence[TopicTag], link: ArticleLink | None = None
) -> dict[str, Any]:
    """The JSON alert SQS, Lambda and HTTPS subscribers receive (``docs/alert.schema.json``)."""
    version = record.get("version_id")
    flags = [str(flag) for flag in record.get("flags") or ()]
    return {
        "type": PAYLOAD_TYPE,
        "version": PAYLOAD_VERSION,
        "reference": reference_of(record),
        "bucket": str(record.get("bucket", "")),
        "key": str(record.get("key", "")),
        "version_id": None if version in (None, "null") else str(version),
        "s3_uri": s3_uri(record),
        "title": _title(record),
        "summary": sanitize(record.get("summary")),
        "language": sanitize(record.get("language")) or "und",
        "uploaded_at": str(record.get("uploaded_at") or "") or None,
        "processed_at": str(record.get("processed_at") or "") or None,
        "link": None if link is None else {"url": link.url, "expires_at": link.expires_at},
        "topics": [
            {
                "label": topic.label,
                "score": round(topic.score, 4),
                "iptc": topic.iptc,
                "evidence": [e for e in (sanitize(x) for x in topic.evidence) if e],
            }
            for topic in topics
        ],
        "flags": flags,
        "near_duplicate_of": record.get("near_duplicate_of"),
    }


def render_alert(
    record: Mapping[str, Any], topics: Sequence[TopicTag], link: ArticleLink | None = None
) -> AlertMessage:
    if not topics:
        raise ValueError("an alert needs at least one matched topic")
    top = topics[0]
    payload = alert_payload(record, topics, link)
    return AlertMessage(
        subject=render_subject(record, topics),
        default=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        email=render_email(record, topics, link),
        sms=render_sms(record, topics),
        topics=tuple(t.label for t in topics),
        language=payload["language"],
        top_topic=top.label,
        score=round(top.score, 4),
        topic_scores=tuple((t.label, round(t.score, 4)) for t in topics),
    )
