"""The analytics query: parameters, period names and the date range they mean (pure)."""

import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from gateway.analytics.records import DateRange
from gateway.errors import ValidationFailed
from gateway.timers.models import Slug

ReportType = Literal["summary", "by_user", "by_task", "by_activity", "by_day", "by_week"]
ReportFormat = Literal["json", "csv"]

DEFAULT_PERIOD = "last-30-days"
# Inclusive: a leap year's whole span is allowed, one day more is not.
MAX_RANGE_DAYS = 366
# Far above any real rate, and low enough that hours x rate stays exact in Decimal's 28 digits.
MAX_HOURLY_RATE = Decimal(1_000_000_000)

# Only the plain calendar form: fromisoformat alone would also take 20260304 and 2026-W10-3.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ONE_DAY = dt.timedelta(days=1)

_Text = Annotated[str, StringConstraints(strip_whitespace=True)]


def _today(today: dt.date) -> DateRange:
    """today: the current local day."""
    return DateRange(today, today)


def _yesterday(today: dt.date) -> DateRange:
    """yesterday: the local day before today."""
    return DateRange(today - _ONE_DAY, today - _ONE_DAY)


def _this_week(today: dt.date) -> DateRange:
    """this-week (also week): Monday of today's ISO week through today."""
    return DateRange(today - dt.timedelta(days=today.weekday()), today)


def _last_days(count: int) -> Callable[[dt.date], DateRange]:
    """last-N-days: the N days ending with today, today included (today-(N-1) .. today)."""

    def period(today: dt.date) -> DateRange:
        return DateRange(today - dt.timedelta(days=count - 1), today)

    return period


def _this_month(today: dt.date) -> DateRange:
    """this-month: the 1st of today's month through today."""
    return DateRange(today.replace(day=1), today)


def _last_month(today: dt.date) -> DateRange:
    """last-month: the whole previous calendar month, 1st through its last day."""
    last_day = today.replace(day=1) - _ONE_DAY
    return DateRange(last_day.replace(day=1), last_day)


PERIODS: Mapping[str, Callable[[dt.date], DateRange]] = MappingProxyType(
    {
        "today": _today,
        "yesterday": _yesterday,
        "this-week": _this_week,
        "week": _this_week,
        "last-7-days": _last_days(7),
        "last-14-days": _last_days(14),
        "last-30-days": _last_days(30),
        "this-month": _this_month,
        "last-month": _last_month,
    }
)


# Checked by date_range, whose messages name the field; their schemas say what passes there.
_Period = Annotated[_Text, WithJsonSchema({"type": "string", "enum": list(PERIODS)})]
_Date = Annotated[_Text, WithJsonSchema({"type": "string", "format": "date"})]


class AnalyticsQuery(BaseModel):
    """The query string of every analytics endpoint; blank values count as absent.

    `start`/`end` also arrive as `from`/`to`; errors name them `start`/`end` either way.
    `users` is a comma-separated list of logins or numeric ids (repeats and blanks dropped).
    Parameters this model does not know (e.g. the CLI's `scope`) are ignored.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    company_slug: Slug | None = None
    project_slug: Slug | None = None
    period: _Period | None = None
    start: _Date | None = Field(default=None, validation_alias=AliasChoices("start", "from"))
    end: _Date | None = Field(default=None, validation_alias=AliasChoices("end", "to"))
    users: tuple[str, ...] = ()
    report_type: ReportType = "summary"
    hourly_rate: Decimal | None = Field(default=None, ge=0, le=MAX_HOURLY_RATE)
    format: ReportFormat | None = None
    # GATEWAY_BILLABLE_FIELD_ID: true, only billable entries; false, the others (unset too).
    billable: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_blanks(cls, data: Any) -> Any:
        # A form that sends `end=` means "no end", not "an invalid end". The first of repeated
        # keys wins, as with aiohttp's request.query.get().
        if not isinstance(data, Mapping):
            return data
        kept: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, str) and not value.strip():
                continue
            kept.setdefault(key, value)
        return kept

    @field_validator("users", mode="before")
    @classmethod
    def _split_users(cls, value: Any) -> Any:
        items = [value] if isinstance(value, str | int) else value
        if not isinstance(items, list | tuple):
            return value
        names = (part.strip() for item in items for part in str(item).split(","))
        return tuple(dict.fromkeys(name for name in names if name))


def date_range(query: AnalyticsQuery, today: dt.date) -> DateRange:
    """The local days a query asks for, both ends included.

    An explicit `start` (with or without `end`) wins over `period`; `start` alone runs through
    today. Without either, `period` names the range (default last-30-days; see PERIODS).
    Refused with ValidationFailed (422), the error under the field to blame:
    - `period`: a name not in PERIODS (even when start/end win, so a typo never passes);
    - `start`/`end`: not a real date in YYYY-MM-DD form; `start`: an end given without one;
    - `end`: an end before the start, or more than MAX_RANGE_DAYS days counting both ends
      (366 pass, 367 do not); both are blamed on `start` when no end was given.
    """
    errors: dict[str, list[str]] = {}
    named = PERIODS.get(query.period or DEFAULT_PERIOD)
    if named is None:
        errors["period"] = [f"The period must be one of: {', '.join(PERIODS)}."]
    start = _parse_date(query.start, "start", errors)
    end = _parse_date(query.end, "end", errors)
    if query.end is not None and query.start is None:
        errors.setdefault("start", []).append("The start is required when an end is given.")
    if not errors:
        if start is not None:
            return _explicit_range(start, end, today)
        if named is not None:
            return named(today)
    raise ValidationFailed("The given data was invalid.", errors)


def _parse_date(text: str | None, name: str, errors: dict[str, list[str]]) -> dt.date | None:
    if text is None:
        return None
    if _ISO_DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass  # e.g. 2026-02-30: right shape, no such day
    errors.setdefault(name, []).append(f"The {name} must be a valid date (YYYY-MM-DD).")
    return None


def _explicit_range(start: dt.date, end: dt.date | None, today: dt.date) -> DateRange:
    # Without an end, today is the end, so the start is the date to blame.
    blamed = "end" if end is not None else "start"
    last = today if end is None else end
    if last < start:
        message = (
            "The end must be a date after or equal to start."
            if end is not None
            else "The start may not be after today when no end is given."
        )
        raise ValidationFailed("The given data was invalid.", {blamed: [message]})
    if (last - start).days + 1 > MAX_RANGE_DAYS:
        raise ValidationFailed(
            "The given data was invalid.",
            {blamed: [f"The range may span at most {MAX_RANGE_DAYS} days."]},
        )
    return DateRange(start, last)
