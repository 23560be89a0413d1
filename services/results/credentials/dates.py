"""Times in credentials: aware UTC in whole seconds, ISO 8601 with ``Z``, and dates a person
reads in an error message."""
from __future__ import annotations

from datetime import datetime, timezone


def _utc(moment: datetime) -> datetime:
    """Aware UTC, whole seconds (a naive time is taken as UTC, as the database gives it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value) -> datetime:
    if isinstance(value, datetime):
        return _utc(value)
    return _utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))


def _human_time(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, timezone.utc)
    return moment.strftime("%d %B %Y, %H:%M UTC").lstrip("0")
