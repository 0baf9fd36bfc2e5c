"""Deadlines and idle land (闲置土地), with exact calendar arithmetic.

Not started 1 year after the agreed start date: the idle-land fee applies; 2 years: the land may
be recovered without compensation. "One year after 2024-02-29" is 2025-02-28 (the last day of
February), and day counts are exact across leap years.
"""

from __future__ import annotations

import calendar
from datetime import date


def add_years(d: date, years: int) -> date:
    """``d`` plus ``years`` calendar years; 29 February becomes 28 February in a common year."""
    y = d.year + years
    day = min(d.day, calendar.monthrange(y, d.month)[1])
    return date(y, d.month, day)


def add_months(d: date, months: int) -> date:
    """``d`` plus ``months`` calendar months; the day is clipped to the month's last day."""
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def idle_stage(agreed_start: date, actual_start: date | None, today: date) -> dict:
    """Idle-land stage of a parcel whose construction should have started on ``agreed_start``."""
    started = actual_start is not None and actual_start <= today
    ref = actual_start if started else today
    days_late = max((ref - agreed_start).days, 0)
    fee_from, recover_from = add_years(agreed_start, 1), add_years(agreed_start, 2)
    if started:
        stage = "started"
    elif today >= recover_from:
        stage = "recovery_eligible"
    elif today >= fee_from:
        stage = "idle_fee"
    elif today > agreed_start:
        stage = "late"
    else:
        stage = "not_due"
    return {"agreed_start": agreed_start.isoformat(), "days_late": days_late, "stage": stage,
            "idle_fee_from": fee_from.isoformat(), "recovery_eligible_from": recover_from.isoformat(),
            "days_to_idle_fee": (fee_from - today).days, "days_to_recovery": (recover_from - today).days}


def due_status(due: date | None, done: date | None, today: date) -> str:
    """``none`` (no due date), ``met`` / ``met_late`` (done on or before / after ``due``), else
    ``overdue`` (after ``due``) or ``due``."""
    if due is None:
        return "none"
    if done is not None:
        return "met" if done <= due else "met_late"
    return "overdue" if today > due else "due"
