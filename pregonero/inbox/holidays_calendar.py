"""The organization's holiday calendar: seeded from Colombia's, edited by the admin."""

from __future__ import annotations

import datetime

from django.utils import timezone

from .deadlines import BusinessCalendar, package_holidays
from .models import Holiday, HolidayYear, InboxSettings


def settings_for(organization_id: int) -> InboxSettings:
    """The organization's inbox settings (defaults when none were saved)."""
    found = InboxSettings.objects.filter(organization_id=organization_id).first()
    return found or InboxSettings(organization_id=organization_id)


def seed_years(organization_id: int, years: list[int]) -> int:
    """Copy Colombia's holidays of ``years`` into the calendar, once per year.

    A year already seeded is left alone, so the administrator's edits stay.
    """
    seeded = set(
        HolidayYear.objects.filter(
            organization_id=organization_id, year__in=years
        ).values_list("year", flat=True)
    )
    missing = sorted(set(years) - seeded)
    if not missing:
        return 0
    rows = [
        Holiday(organization_id=organization_id, date=day, name=name[:120])
        for day, name in package_holidays(missing).items()
    ]
    Holiday.objects.bulk_create(rows, ignore_conflicts=True)
    HolidayYear.objects.bulk_create(
        [HolidayYear(organization_id=organization_id, year=y) for y in missing],
        ignore_conflicts=True,
    )
    return len(rows)


def years_around(day: datetime.date | None = None) -> list[int]:
    year = (day or timezone.localdate()).year
    return [year - 1, year, year + 1]


def calendar_for(
    organization_id: int,
    years: list[int] | None = None,
    inbox_settings: InboxSettings | None = None,
) -> BusinessCalendar:
    """Business days of the organization: its stored calendar for seeded years,
    Colombia's calendar for the others (read-only: nothing is written here)."""
    years = years or years_around()
    seeded = set(
        HolidayYear.objects.filter(
            organization_id=organization_id, year__in=years
        ).values_list("year", flat=True)
    )
    days: set[datetime.date] = set()
    if seeded:
        days |= set(
            Holiday.objects.filter(
                organization_id=organization_id,
                is_holiday=True,
                date__year__in=sorted(seeded),
            ).values_list("date", flat=True)
        )
    unseeded = [y for y in years if y not in seeded]
    if unseeded:
        days |= set(package_holidays(unseeded))
    closes_at = (inbox_settings or settings_for(organization_id)).office_closes_at
    return BusinessCalendar(frozenset(days), closes_at)
