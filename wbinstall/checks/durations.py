"""How long until (or since) a date, in a result's words: "12 days", "1 day", "5 hours"."""

from __future__ import annotations

import datetime as dt


def days_or_hours(delta: dt.timedelta) -> str:
    days = delta.days
    if days >= 1:
        return f"{days} day" + ("" if days == 1 else "s")
    hours = int(delta.total_seconds() // 3600)
    return f"{hours} hour" + ("" if hours == 1 else "s")
