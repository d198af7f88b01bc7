"""Operating hours: the daily window of Mexico City wall time, on chosen weekdays, in which a process runs.

Pure (no Dagster, no I/O). The ProcessConfig field ``operating_hours`` is either ``None`` (no window: the
process runs at every interval, day and night) or ``{"start": "HH:MM", "end": "HH:MM", "days": [...]}``.

Rules (one place; the sensor, the doctor and the admin doors all ask :class:`OperatingHours`):

- Times are Mexico City wall time (``America/Mexico_City`` through zoneinfo; the city has kept standard
  time all year since 2022, but the zone database decides, not us).
- ``start`` is inside the window, ``end`` is not: 08:00-20:00 runs at 08:00 and at 19:59, not at 20:00.
- ``end`` may be ``24:00`` (the end of the day). ``start`` and ``end`` must differ; 00:00-24:00 is the
  whole day (useful with a weekday set).
- A window whose end is earlier than its start crosses midnight: 22:00-06:00 runs from 22:00 to 06:00
  the next morning. It belongs to the day it opens on: with ``days`` mon-fri, Friday 22:00 to Saturday
  06:00 is inside and Monday 00:00-06:00 is not (that part belongs to Sunday's window).
- ``days`` are English three-letter names (mon..sun); absent means every day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from smartbind_pipelines.core.cdmx import CDMX, to_cdmx

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES = {
    **{name: index for index, name in enumerate(DAY_NAMES)},
    **{
        name: index
        for index, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
    },
}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_RANGE = re.compile(r"^\s*(\S+)\s*-\s*(\S+)\s*$")
MINUTES_PER_DAY = 24 * 60
FIELD = "operating_hours"
FORMAT_HINT = 'e.g. {"start": "08:00", "end": "20:00", "days": "mon-fri"} or "08:00-20:00 mon-fri"; null = always'


class HoursError(ValueError):
    """A value that is not valid operating hours; the message says which part and why."""


def _minutes(text: Any, part: str, *, allow_24: bool) -> int:
    if not isinstance(text, str):
        raise HoursError(f"{part} must be a time HH:MM (Mexico City), got {type(text).__name__}")
    match = _TIME.match(text.strip())
    if not match:
        raise HoursError(f"{part} must be a time HH:MM (Mexico City), got {text.strip()[:20]!r}")
    hour, minute = int(match.group(1)), int(match.group(2))
    if allow_24 and (hour, minute) == (24, 0):
        return MINUTES_PER_DAY
    if hour > 23 or minute > 59:
        limit = "00:00..24:00" if allow_24 else "00:00..23:59"
        raise HoursError(f"{part} {text.strip()!r} is not a time of day ({limit})")
    return hour * 60 + minute


def _day(text: str) -> int:
    index = _DAY_ALIASES.get(text.strip().lower())
    if index is None:
        raise HoursError(f"days: {text.strip()[:20]!r} is not a weekday (use {', '.join(DAY_NAMES)})")
    return index


def parse_days(value: Any) -> frozenset[int]:
    """``"mon-fri"``, ``"mon,wed,fri"``, ``"fri-mon"`` (wraps over the weekend), ``"all"``, or a list of them."""
    if value is None:
        return frozenset(range(7))
    items: list[Any]
    if isinstance(value, str):
        items = [part for part in value.replace(" ", ",").split(",") if part.strip()]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise HoursError(f"days must be a list of weekdays or a text like 'mon-fri', got {type(value).__name__}")
    days: set[int] = set()
    for item in items:
        if not isinstance(item, str):
            raise HoursError(f"days: {item!r} is not a weekday (use {', '.join(DAY_NAMES)})")
        if item.strip().lower() in ("all", "daily", "every"):
            days.update(range(7))
            continue
        ranged = _RANGE.match(item)
        if ranged:
            first, last = _day(ranged.group(1)), _day(ranged.group(2))
            span = (last - first) % 7
            days.update((first + step) % 7 for step in range(span + 1))
        else:
            days.add(_day(item))
    if not days:
        raise HoursError("days must name at least one weekday")
    return frozenset(days)


@dataclass(frozen=True)
class OperatingHours:
    start: int  # minutes after midnight, 0..1439
    end: int  # minutes after midnight, 1..1440; end < start crosses midnight
    days: frozenset[int] = frozenset(range(7))  # 0 = Monday

    # -- reading ---------------------------------------------------------------------------------

    @classmethod
    def parse(cls, value: Any) -> "OperatingHours | None":
        """From the API/stored object, a text form ("08:00-20:00 mon-fri"), or None/"always" (no window)."""
        if value is None or isinstance(value, OperatingHours):
            return value
        if isinstance(value, str):
            return cls._parse_text(value)
        if not isinstance(value, dict):
            raise HoursError(
                f"must be an object with start, end and days, a text like "
                f"'08:00-20:00 mon-fri', or null; got {type(value).__name__}"
            )
        unknown = sorted(str(key) for key in value if key not in ("start", "end", "days"))
        if unknown:
            raise HoursError(f"unknown key {unknown[0][:40]!r}; the keys are start, end and days")
        for key in ("start", "end"):
            if value.get(key) is None:
                raise HoursError(f"{key} is required (HH:MM, Mexico City)")
        return cls._build(
            _minutes(value["start"], "start", allow_24=False),
            _minutes(value["end"], "end", allow_24=True),
            parse_days(value.get("days")),
        )

    @classmethod
    def _parse_text(cls, text: str) -> "OperatingHours | None":
        words = text.strip().split(None, 1)
        if not words:
            raise HoursError(f"must not be empty ({FORMAT_HINT})")
        if len(words) == 1 and words[0].lower() in ("always", "none", "off", "24/7"):
            return None
        span = _RANGE.match(words[0])
        if not span:
            raise HoursError(f"{words[0][:20]!r} is not a window HH:MM-HH:MM ({FORMAT_HINT})")
        days = parse_days(words[1]) if len(words) > 1 else frozenset(range(7))
        return cls._build(
            _minutes(span.group(1), "start", allow_24=False), _minutes(span.group(2), "end", allow_24=True), days
        )

    @classmethod
    def _build(cls, start: int, end: int, days: frozenset[int]) -> "OperatingHours":
        if start == end:
            raise HoursError(
                f"start and end are both {_hhmm(start)}: a window needs a length "
                "(00:00-24:00 is the whole day; null means no window at all)"
            )
        return cls(start, end, days)

    # -- writing ---------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "start": _hhmm(self.start),
            "end": _hhmm(self.end),
            "days": [DAY_NAMES[day] for day in sorted(self.days)],
        }

    @property
    def crosses_midnight(self) -> bool:
        return self.end < self.start

    def describe(self) -> str:
        """``08:00–20:00 Mon–Fri``; ``22:00–06:00 (crosses midnight) every day``."""
        crossing = " (crosses midnight)" if self.crosses_midnight else ""
        return f"{_hhmm(self.start)}–{_hhmm(self.end)}{crossing} {describe_days(self.days)}"

    # -- the rule --------------------------------------------------------------------------------

    def _open_on(self, day: datetime) -> tuple[datetime, datetime]:
        """The window that opens on ``day``'s date (Mexico City), as aware datetimes."""
        midnight = day.replace(hour=0, minute=0, second=0, microsecond=0)
        length = (self.end - self.start) % MINUTES_PER_DAY or MINUTES_PER_DAY
        opens = _wall(midnight, self.start)
        return opens, _wall(midnight, self.start + length)

    def current_window(self, moment: datetime) -> tuple[datetime, datetime] | None:
        """(opens, closes) of the window ``moment`` is in, or None when it is outside every window."""
        local = to_cdmx(moment)
        # The window that contains ``local`` opened today or (crossing midnight) yesterday.
        for back in (0, 1):
            day = local - timedelta(days=back)
            if day.weekday() not in self.days:
                continue
            opens, closes = self._open_on(day)
            if opens <= local < closes:
                return opens, closes
        return None

    def is_open(self, moment: datetime) -> bool:
        return self.current_window(moment) is not None

    def next_opening(self, moment: datetime) -> datetime:
        """When the next window opens after ``moment`` (Mexico City); ``moment`` itself if it opens then."""
        local = to_cdmx(moment)
        for ahead in range(8):
            day = local + timedelta(days=ahead)
            if day.weekday() not in self.days:
                continue
            opens, _ = self._open_on(day)
            if opens >= local:
                return opens
        raise AssertionError("a week always holds an opening")  # days is never empty


def longest_closed_stretch(hours: "OperatingHours | None") -> timedelta:
    """The longest time the window stays shut in a week (Fri 20:00 → Mon 08:00 for 08:00–20:00 Mon–Fri):
    how long a sheet may rightly go unwritten, beyond its interval."""
    if hours is None:
        return timedelta(0)
    monday = datetime(2026, 1, 5, tzinfo=CDMX)  # any Monday: the rule repeats weekly; two weeks are walked
    longest, moment = timedelta(0), monday  # so a stretch cut by the start is seen whole the next week
    while moment < monday + timedelta(days=14):
        window = hours.current_window(moment)
        if window:
            moment = window[1]
            continue
        opens = hours.next_opening(moment)
        longest = max(longest, opens - moment)
        moment = opens
    return longest


def _wall(midnight: datetime, minutes: int) -> datetime:
    """Wall-clock ``minutes`` after local midnight, resolved in the zone (DST-safe: no fixed offsets)."""
    naive = midnight.replace(tzinfo=None) + timedelta(minutes=minutes)
    return naive.replace(tzinfo=midnight.tzinfo)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def describe_days(days: frozenset[int]) -> str:
    """``Mon–Fri``, ``Mon, Wed, Fri``, ``Sat–Sun``, ``every day``."""
    if len(days) == 7:
        return "every day"
    ordered = sorted(days)
    runs: list[list[int]] = []
    for day in ordered:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    names = [d.capitalize() for d in DAY_NAMES]
    parts = [names[run[0]] if len(run) == 1 else f"{names[run[0]]}–{names[run[-1]]}" for run in runs]
    return ", ".join(parts)


def describe(value: Any) -> str:
    """A stored ``operating_hours`` value for people: "always" when there is no window."""
    hours = OperatingHours.parse(value)
    return "always" if hours is None else hours.describe()
