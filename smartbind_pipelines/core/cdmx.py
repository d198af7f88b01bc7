"""Mexico City time: every timestamp the business sees is America/Mexico_City.

Bind sends and compares naive wall-clock datetimes in Mexico City time (no offset, no ``Z``), with
0-3 fractional digits and trailing zeros trimmed, e.g. ``2026-01-19T19:34:15.903``.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

CDMX = ZoneInfo("America/Mexico_City")


def now_cdmx() -> datetime:
    """The current time as an aware Mexico City datetime."""
    return datetime.now(CDMX)


def to_cdmx(moment: datetime) -> datetime:
    """An aware datetime in Mexico City time; a naive one is taken to be Mexico City wall time."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=CDMX)
    return moment.astimezone(CDMX)


def parse_bind_datetime(text: str) -> datetime:
    """Parse a Bind datetime (naive, Mexico City) into an aware datetime.

    Raises ValueError naming the value when it is not ISO-8601.
    """
    try:
        parsed = datetime.fromisoformat(text.strip())
    except (AttributeError, ValueError) as exc:
        raise ValueError(f"not a Bind datetime: {text!r}") from exc
    return to_cdmx(parsed)


def format_bind_datetime(moment: datetime) -> str:
    """Format as Bind does: naive Mexico City wall time, milliseconds with trailing zeros trimmed."""
    local = to_cdmx(moment).replace(tzinfo=None)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    millis = local.microsecond // 1000
    if millis:
        text += f".{millis:03d}".rstrip("0")
    return text


def cdmx_day(moment: datetime) -> date:
    """The Mexico City calendar day of a moment."""
    return to_cdmx(moment).date()


def iso_cdmx(moment: datetime | None = None) -> str:
    """ISO-8601 with the Mexico City offset, as the seed's API envelopes show it."""
    return to_cdmx(moment or now_cdmx()).isoformat()
