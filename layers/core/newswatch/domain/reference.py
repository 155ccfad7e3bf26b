"""The short reference of an article: what an SMS can carry and `newswatch show` accepts.

An S3 key with its version id does not fit in a text message, so every alert names the article
by ``nw-`` and ten base32 characters of a SHA-256 of its bucket, key and version: stable (the same
object version always gets the same reference), short enough for an SMS, and easy to type
(lower-case letters and the digits 2-7 only). Fifty bits make a collision between two articles
unlikely even in a large archive (about one chance in 2,000 among a million articles); the alert
function records each reference it sends, so a reference is looked up, never reversed.
"""

from __future__ import annotations

import base64
import hashlib
import re

PREFIX = "nw-"
_LENGTH = 10
REFERENCE_PATTERN = re.compile(r"^nw-[a-z2-7]{10}$")


def article_reference(bucket: str, key: str, version_id: str | None) -> str:
    """``nw-`` + ten base32 characters naming one object version."""
    identity = f"{bucket}\n{key}\n{version_id or 'null'}".encode()
    digest = hashlib.sha256(identity).digest()
    return PREFIX + base64.b32encode(digest).decode("ascii")[:_LENGTH].lower()


def is_reference(text: str) -> bool:
    """Whether ``text`` (as typed: case and surrounding space ignored) is an article reference."""
    return REFERENCE_PATTERN.match(text.strip().lower()) is not None


def normalize_reference(text: str) -> str:
    return text.strip().lower()
