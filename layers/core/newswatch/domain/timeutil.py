"""Timestamps as the table stores them: ISO-8601 UTC with milliseconds and a Z. One fixed form
matters because the archive's time ranges are string comparisons on these values."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def normalize_event_time(event_time: str | None, fallback: datetime) -> str:
    """S3's eventTime in that form (``fallback`` when it is missing or unreadable)."""
    if event_time:
        try:
            parsed = datetime.fromisoformat(event_time.replace("Z", "+00:00"))
        except ValueError:
            parsed = fallback
        return iso_utc(parsed)
    return iso_utc(fallback)
