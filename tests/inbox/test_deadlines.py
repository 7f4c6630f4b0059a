"""Colombian business days: holidays, Ley Emiliani moves, after-hours receipt, year ends."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from pregonero.inbox.deadlines import BusinessCalendar, calendar_from, package_holidays
from pregonero.inbox.holidays_calendar import calendar_for, seed_years
from pregonero.inbox.models import Holiday

BOGOTA = ZoneInfo("America/Bogota")


def at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=BOGOTA)


@pytest.fixture
def co() -> BusinessCalendar:
    return calendar_from(package_holidays([2025, 2026, 2027]), datetime.time(17, 0))


def test_moved_holidays_follow_ley_emiliani(co: BusinessCalendar) -> None:
    # Reyes (6 January 2026, a Tuesday) is observed on Monday the 12th.
    assert co.is_business_day(datetime.date(2026, 1, 6))
    assert not co.is_business_day(datetime.date(2026, 1, 12))
    # San José (19 March 2026, a Thursday) moves to Monday the 23rd.
    assert co.is_business_day(datetime.date(2026, 3, 19))
    assert not co.is_business_day(datetime.date(2026, 3, 23))
    # Holy week and weekends are not business days.
    assert not co.is_business_day(datetime.date(2026, 4, 2))
    assert not co.is_business_day(datetime.date(2026, 4, 3))
    assert not co.is_business_day(datetime.date(2026, 4, 4))


def test_general_term_counts_from_the_next_business_day(co: BusinessCalendar) -> None:
    # Friday 20 March 2026 at 10:00: day 1 is Tuesday the 24th (Monday is San José);
    # Holy Thursday and Good Friday do not count.
    received = at(2026, 3, 20, 10, 0)
    assert co.effective_receipt(received) == datetime.date(2026, 3, 20)
    assert co.add_business_days(datetime.date(2026, 3, 20), 1) == datetime.date(
        2026, 3, 24
    )
    assert co.due_date(received, 15) == datetime.date(2026, 4, 15)


def test_after_hours_and_weekend_receipt_count_from_the_next_business_day(
    co: BusinessCalendar,
) -> None:
    # After closing on Friday → received Tuesday (Monday is a holiday).
    assert co.effective_receipt(at(2026, 3, 20, 17, 30)) == datetime.date(2026, 3, 24)
    # A Saturday message → received Tuesday 13 January (Monday the 12th is Reyes).
    assert co.effective_receipt(at(2026, 1, 10, 9, 0)) == datetime.date(2026, 1, 13)
    assert co.due_date(at(2026, 1, 10, 9, 0), 10) == datetime.date(2026, 1, 27)
    # A message at 23:30 UTC-5 stored in UTC is still the same Bogotá day.
    utc = datetime.datetime(
        2026, 3, 19, 4, 30, tzinfo=datetime.UTC
    )  # 23:30 on the 18th
    assert co.effective_receipt(utc) == datetime.date(2026, 3, 19)


def test_terms_across_the_year_end(co: BusinessCalendar) -> None:
    # Information request on 24 December 2025: Christmas and New Year skipped.
    assert co.due_date(at(2025, 12, 24, 9, 0), 10) == datetime.date(2026, 1, 9)
    # A consultation (30 days) received on New Year's Eve after hours.
    assert co.effective_receipt(at(2025, 12, 31, 18, 0)) == datetime.date(2026, 1, 2)
    assert co.due_date(at(2025, 12, 31, 18, 0), 30) == datetime.date(2026, 2, 16)
    # Referral (5 days) from Friday 19 December 2025.
    assert co.due_date(at(2025, 12, 19, 8, 0), 5) == datetime.date(2025, 12, 29)


def test_share_of_the_term_and_alert_dates(co: BusinessCalendar) -> None:
    start, due = datetime.date(2026, 3, 20), datetime.date(2026, 4, 15)
    assert co.percent_elapsed(start, due, start) == 0
    assert co.threshold_date(start, due, 50) == co.add_business_days(start, 8)
    assert co.threshold_date(start, due, 80) == co.add_business_days(start, 12)
    assert co.threshold_date(start, due, 100) == due
    assert co.percent_elapsed(start, due, due) == 100
    assert co.percent_elapsed(start, due, datetime.date(2026, 4, 20)) > 100


@pytest.mark.django_db
def test_the_organization_calendar_is_seeded_and_editable(world: object) -> None:
    org = world.org  # type: ignore[attr-defined]
    # Unseeded years read Colombia's calendar.
    assert not calendar_for(org.pk, [2026]).is_business_day(datetime.date(2026, 3, 23))
    assert seed_years(org.pk, [2026]) > 15
    assert seed_years(org.pk, [2026]) == 0  # once
    # The admin makes San José a business day and adds a local non-business day.
    Holiday.objects.filter(organization=org, date=datetime.date(2026, 3, 23)).update(
        is_holiday=False
    )
    Holiday.objects.create(
        organization=org, date=datetime.date(2026, 3, 24), name="Día cívico"
    )
    calendar = calendar_for(org.pk, [2026])
    assert calendar.is_business_day(datetime.date(2026, 3, 23))
    assert not calendar.is_business_day(datetime.date(2026, 3, 24))
