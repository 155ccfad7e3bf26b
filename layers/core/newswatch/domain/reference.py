"""The short reference of an article: what an SMS can carry and `newswatch show` accepts.

An S3 key with its version id does not fit in a text message, so every alert names the article
by ``nw-`` and ten base32 characters of a hash of its bytes' SHA-256 (:func:`content_reference`):
stable (the same bytes always get the same reference, and only the first article with those bytes
ever alerts: the others are its duplicates), short enough for an SMS, and easy to type (lower-case
letters and the digits 2-7 only). The article's content claim is stored under it
(:func:`newswatch.domain.records.content_key`), so a reference is looked up, never reversed, at no
write of its own. Fifty bits make a collision between two articles unlikely even in a large
archive (about one chance in 2,000 among a million articles), and the lookup then lists both.

:func:`article_reference` (a hash of bucket, key and version) is what alerts sent before named;
their pointer items resolve by the same lookup.
"""

from __future__ import annotations

import base64
import hashlib
import re

PREFIX = "nw-"
_LENGTH = 10
REFERENCE_PATTERN = re.compile(r"^nw-[a-z2-7]{10}$")


def content_reference(content_sha256: str) -> str:
    """``nw-`` + ten base32 characters naming an article by its content hash, as alerts do."""
    return _reference(f"content\n{content_sha256}")


def article_reference(bucket: str, key: str, version_id: str | None) -> str:
    """``nw-`` + ten base32 characters naming one object version."""
    return _reference(f"{bucket}\n{key}\n{version_id or 'null'}")


def _reference(identity: str) -> str:
    digest = hashlib.sha256(identity.encode()).digest()
    return PREFIX + base64.b32encode(digest).decode("ascii")[:_LENGTH].lower()


def is_reference(text: str) -> bool:
    """Whether ``text`` is an article reference as someone types it from an SMS: any case, with
    or without the hyphen, spaces anywhere ("NW 56GQ GRM4 CL")."""
    return REFERENCE_PATTERN.match(normalize_reference(text)) is not None


def normalize_reference(text: str) -> str:
    """The reference as stored (``nw-`` and ten lower-case characters), from a typed one."""
    compact = re.sub(r"[\s-]+", "", text).lower()
    return PREFIX + compact[2:] if compact.startswith("nw") else compact
