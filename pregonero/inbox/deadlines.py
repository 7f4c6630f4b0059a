"""Legal terms in Colombian business days (Ley 1755 de 2015; PET-02, PET-04..06).

Pure arithmetic over a set of holidays: no queries here. ``calendar_for`` (in
``holidays_calendar``) builds the set from the organization's editable table.

The rules, as the CPACA counts them:

* a business day is Monday to Friday and not a holiday;
* a message received on a non-business day, or after the office closes, is
  deemed received on the next business day (the *effective receipt date*);
* the term is counted from the day after that date: day 1 is the next business
  day, and the due date is the N-th business day after the effective receipt.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

# Terms in business days (Ley 1755 de 2015, art. 14, 19 and 21).
GENERAL_TERM = 15
INFORMATION_TERM = 10
CONSULTATION_TERM = 30
REFERRAL_TERM = 5
CLARIFICATION_TERM = 10
# The extension may not exceed twice the initial term (parágrafo del art. 14).
MAX_EXTENSION_FACTOR = 2

ALERT_THRESHOLDS = (50, 80, 100)


@dataclass(frozen=True)
class BusinessCalendar:
    holidays: frozenset[datetime.date]
    closes_at: datetime.time = datetime.time(17, 0)

    def is_business_day(self, day: datetime.date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def next_business_day(self, day: datetime.date) -> datetime.date:
        """The first business day strictly after ``day``."""
        day += datetime.timedelta(days=1)
        while not self.is_business_day(day):
            day += datetime.timedelta(days=1)
        return day

    def add_business_days(self, start: datetime.date, days: int) -> datetime.date:
        """The ``days``-th business day after ``start`` (``start`` itself is day 0)."""
        day = start
        for _i in range(days):
            day = self.next_business_day(day)
        return day

    def business_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """Business days in (start, end]: how many term days have run by ``end``."""
        if end <= start:
            return 0
        count = 0
        day = start
        while day < end:
            day += datetime.timedelta(days=1)
            if self.is_business_day(day):
                count += 1
        return count

    def effective_receipt(self, received_at: datetime.datetime) -> datetime.date:
        """The business day a message counts as received (Bogotá time)."""
        local = timezone.localtime(received_at)
        day = local.date()
        if self.is_business_day(day) and local.time() < self.closes_at:
            return day
        return self.next_business_day(day)

    def due_date(self, received_at: datetime.datetime, term_days: int) -> datetime.date:
        return self.add_business_days(self.effective_receipt(received_at), term_days)

    def end_of_business_day(self, day: datetime.date) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(day, self.closes_at))

    def percent_elapsed(
        self,
        start: datetime.date,
        due: datetime.date,
        today: datetime.date,
    ) -> int:
        """Share of the term run by ``today`` (business days), 0..100+."""
        total = self.business_days_between(start, due)
        if total <= 0:
            return 100
        return math.floor(100 * self.business_days_between(start, today) / total)

    def threshold_date(
        self, start: datetime.date, due: datetime.date, threshold: int
    ) -> datetime.date:
        """The first day on which ``threshold`` % of the term has run."""
        total = self.business_days_between(start, due)
        return self.add_business_days(start, math.ceil(total * threshold / 100))


def calendar_from(
    holidays: Iterable[datetime.date], closes_at: datetime.time | None = None
) -> BusinessCalendar:
    if closes_at is None:
        return BusinessCalendar(frozenset(holidays))
    return BusinessCalendar(frozenset(holidays), closes_at)


def package_holidays(years: Iterable[int]) -> dict[datetime.date, str]:
    """Colombia's holidays from the ``holidays`` package (Ley Emiliani moves included)."""
    import holidays

    calendar = holidays.country_holidays("CO", years=list(years), language="es")
    return {day: str(name) for day, name in sorted(calendar.items())}
