"""Operating hours: the window rule and the sensor's decision (pure; no Dagster, no file)."""

from datetime import datetime, timedelta

import pytest

from smartbind_pipelines.core.cadence import RunSummary, decide_run
from smartbind_pipelines.core.cdmx import CDMX
from smartbind_pipelines.core.process_config import ConfigValidationError, OperatingHours
from smartbind_pipelines.core.process_config.hours import HoursError, describe, longest_closed_stretch, parse_days
from smartbind_pipelines.core.process_config.model import validate_changes

MON = datetime(2026, 12, 7, tzinfo=CDMX)  # a Monday
assert MON.weekday() == 0


def at(day: int, hhmm: str) -> datetime:
    """``day`` days after Monday 2026-12-07, at HH:MM Mexico City."""
    hour, minute = map(int, hhmm.split(":"))
    return MON + timedelta(days=day, hours=hour, minutes=minute)


OFFICE = OperatingHours.parse("08:00-20:00 mon-fri")
NIGHT = OperatingHours.parse("22:00-06:00 mon-fri")


# -- the rule -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "moment, inside",
    [
        (at(0, "07:59"), False),
        (at(0, "08:00"), True),
        (at(0, "12:00"), True),
        (at(0, "19:59"), True),
        (at(0, "20:00"), False),
        (at(0, "23:30"), False),
        (at(4, "19:59"), True),  # Friday
        (at(5, "12:00"), False),
        (at(6, "12:00"), False),  # the weekend
    ],
)
def test_a_daytime_window_starts_inclusive_and_ends_exclusive_on_its_weekdays(moment, inside):
    assert OFFICE.is_open(moment) is inside


@pytest.mark.parametrize(
    "moment, inside",
    [
        (at(0, "21:59"), False),
        (at(0, "22:00"), True),
        (at(0, "23:59"), True),
        (at(1, "00:00"), True),
        (at(1, "03:00"), True),
        (at(1, "05:59"), True),
        (at(1, "06:00"), False),
        (at(4, "23:00"), True),
        (at(5, "03:00"), True),  # Friday's window runs into Saturday morning
        (at(5, "22:30"), False),  # no Saturday window
        (at(0, "03:00"), False),  # Monday 03:00 belongs to Sunday's window: not chosen
    ],
)
def test_a_window_crossing_midnight_belongs_to_the_day_it_opens(moment, inside):
    assert NIGHT.is_open(moment) is inside
    assert NIGHT.crosses_midnight and not OFFICE.crosses_midnight


def test_the_next_opening_skips_closed_days():
    assert OFFICE.next_opening(at(0, "21:00")) == at(1, "08:00")
    assert OFFICE.next_opening(at(1, "03:00")) == at(1, "08:00")
    assert OFFICE.next_opening(at(4, "20:00")) == at(7, "08:00")  # Friday evening -> Monday
    assert OFFICE.next_opening(at(0, "08:00")) == at(0, "08:00")
    assert NIGHT.next_opening(at(5, "07:00")) == at(7, "22:00")  # Saturday -> Monday night


def test_the_whole_day_on_chosen_days_and_single_days():
    weekend = OperatingHours.parse({"start": "00:00", "end": "24:00", "days": ["sat", "sun"]})
    assert weekend.is_open(at(5, "00:00")) and weekend.is_open(at(6, "23:59")) and not weekend.is_open(at(7, "00:00"))
    odd = OperatingHours.parse("09:30-10:15 mon,wed,fri")
    assert [odd.is_open(at(day, "10:00")) for day in range(7)] == [True, False, True, False, True, False, False]
    assert not odd.is_open(at(0, "10:15")) and odd.is_open(at(0, "09:30"))


def test_the_window_is_mexico_city_wall_time_whatever_the_caller_zone():
    utc = at(0, "08:00").astimezone(CDMX).astimezone(__import__("datetime").timezone.utc)  # 14:00 UTC
    assert utc.hour == 14 and OFFICE.is_open(utc) and not OFFICE.is_open(utc - timedelta(minutes=1))
    assert OFFICE.is_open(datetime(2026, 12, 7, 8, 0))  # naive = Mexico City wall time


def test_days_accept_ranges_lists_wraps_and_full_names():
    assert parse_days("mon-fri") == frozenset(range(5))
    assert parse_days("fri-mon") == frozenset({4, 5, 6, 0})
    assert parse_days(["Monday", "wed", "SUN"]) == frozenset({0, 2, 6})
    assert parse_days("all") == parse_days(None) == frozenset(range(7))


def test_normalised_form_and_descriptions():
    assert OFFICE.to_json() == {"start": "08:00", "end": "20:00", "days": ["mon", "tue", "wed", "thu", "fri"]}
    assert OperatingHours.parse(OFFICE.to_json()) == OFFICE
    assert OperatingHours.parse("8:00-20:00 mon-fri") == OFFICE
    assert OFFICE.describe() == "08:00–20:00 Mon–Fri"
    assert NIGHT.describe() == "22:00–06:00 (crosses midnight) Mon–Fri"
    assert describe(None) == "always" and describe("07:00-19:00") == "07:00–19:00 every day"
    assert OperatingHours.parse("09:00-10:00 mon,wed,fri").describe() == "09:00–10:00 Mon, Wed, Fri"
    assert OperatingHours.parse("always") is None


@pytest.mark.parametrize(
    "value, words",
    [
        ("08:00-08:00", "both 08:00"),
        ("25:00-06:00", "not a time of day"),
        ("08:00-24:01", "not a time of day"),
        ("24:00-06:00", "not a time of day"),
        ("8-20", "HH:MM"),
        ("08:00-20:00 mon-fry", "'fry' is not a weekday"),
        ("", "must not be empty"),
        ({"start": "08:00"}, "end is required"),
        ({"start": "08:00", "end": "20:00", "day": "mon"}, "unknown key 'day'"),
        ({"start": 8, "end": "20:00"}, "start must be a time HH:MM"),
        ({"start": "08:00", "end": "20:00", "days": []}, "at least one weekday"),
        ({"start": "08:00", "end": "20:00", "days": 5}, "days must be a list"),
        (["08:00", "20:00"], "must be an object"),
        (8, "must be an object"),
    ],
)
def test_bad_hours_are_refused_saying_which_part(value, words):
    with pytest.raises(HoursError, match=words):
        OperatingHours.parse(value)
    with pytest.raises(ConfigValidationError) as refused:
        validate_changes({"operating_hours": value})
    assert refused.value.field == "operating_hours" and words.replace("\\", "") in refused.value.message


def test_null_and_always_mean_no_window():
    assert validate_changes({"operating_hours": None}) == {"operating_hours": None}
    assert validate_changes({"operating_hours": "always"}) == {"operating_hours": None}
    assert validate_changes({"operating_hours": "22:00-06:00"})["operating_hours"]["days"] == [
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
    ]


# -- the sensor's decision --------------------------------------------------------------------------------


def decide(now: datetime, hours: OperatingHours | None, last_run_at: datetime | None = None, in_flight=()):
    last = RunSummary("abcdef12-run", "sync_inventory", "SUCCESS", last_run_at) if last_run_at else None
    return decide_run(
        "sync_inventory",
        found=True,
        is_active=True,
        sheet_id="1",
        interval_minutes=60,
        now=now,
        last_run=last,
        in_flight=list(in_flight),
        operating_hours=hours,
    )


def test_outside_the_window_the_sensor_skips_naming_the_window_and_the_next_opening():
    decision = decide(at(0, "21:00"), OFFICE, last_run_at=at(0, "19:30"))
    assert not decision.should_run
    assert "outside operating hours 08:00–20:00 Mon–Fri" in decision.reason
    assert "next window opens Tue 08:00 (2026-12-08)" in decision.reason
    weekend = decide(at(5, "10:00"), OFFICE, last_run_at=at(4, "19:30"))
    assert "next window opens Mon 08:00 (2026-12-14)" in weekend.reason


def test_the_first_tick_inside_the_window_runs_and_says_it_catches_up():
    decision = decide(at(1, "08:00"), OFFICE, last_run_at=at(0, "19:30"))
    assert decision.should_run
    assert "first run of the operating window opened at Tue 08:00" in decision.reason
    assert "catches up everything since the last run (2026-12-07 19:30:00)" in decision.reason


def test_inside_the_window_the_interval_still_applies():
    assert not decide(at(1, "08:30"), OFFICE, last_run_at=at(1, "08:00")).should_run
    later = decide(at(1, "09:00"), OFFICE, last_run_at=at(1, "08:00"))
    assert later.should_run and "60 min since" in later.reason


def test_no_hours_means_day_and_night():
    assert decide(at(1, "03:00"), None, last_run_at=at(0, "19:30")).should_run
    assert decide(at(5, "03:00"), None).should_run


def test_paused_wins_over_hours_and_hours_win_over_a_run_in_flight():
    paused = decide_run(
        "sync_inventory",
        found=True,
        is_active=False,
        sheet_id="1",
        interval_minutes=60,
        now=at(0, "21:00"),
        last_run=None,
        in_flight=[],
        operating_hours=OFFICE,
    )
    assert "paused" in paused.reason
    busy = RunSummary("run-in-flight", "sync_inventory", "STARTED", at(0, "19:59"))
    assert "outside operating hours" in decide(at(0, "21:00"), OFFICE, in_flight=[busy]).reason


@pytest.mark.parametrize(
    "text, closed",
    [
        ("08:00-20:00 mon-fri", timedelta(hours=60)),  # Fri 20:00 -> Mon 08:00
        ("08:00-20:00", timedelta(hours=12)),  # every night
        ("22:00-06:00 mon-fri", timedelta(hours=64)),  # Sat 06:00 -> Mon 22:00
        ("00:00-24:00", timedelta(0)),  # always open
        ("09:00-10:00 wed", timedelta(days=7) - timedelta(hours=1)),
    ],
)
def test_the_longest_closed_stretch_of_a_week(text, closed):
    assert longest_closed_stretch(OperatingHours.parse(text)) == closed


def test_no_window_is_never_closed():
    assert longest_closed_stretch(None) == timedelta(0)
