"""Timestamps as the table stores them: ISO-8601 UTC with milliseconds and a Z. One fixed form
matters because the archive's time ranges are string comparisons on these values."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
