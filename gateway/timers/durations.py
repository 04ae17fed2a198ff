"""Durations as people type them (pure): `2h30m`, `2.5h`, `2:30`, `45m`."""

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

# A manual entry spans at most a day, whichever way its length is given.
DURATION_MAX_S = 24 * 3600

_CLOCK = re.compile(r"(\d{1,2}):([0-5]\d)")
_UNITS = re.compile(r"(?:(\d{1,3}(?:[.,]\d{1,4})?)\s*h)?\s*(?:(\d{1,4})\s*m(?:in)?)?")

FORMS = "Use hours and minutes like 2h30m, 2.5h, 45m or 2:30."


def duration_seconds(text: str) -> int:
    """The length `text` names, in whole seconds; ValueError (saying the accepted forms) when it
    names none, nothing, or more than 24 hours."""
    spoken = text.strip().lower()
    clock = _CLOCK.fullmatch(spoken)
    units = None if clock else _UNITS.fullmatch(spoken)
    if clock:
        seconds = int(clock.group(1)) * 3600 + int(clock.group(2)) * 60
    elif units and (units.group(1) or units.group(2)):
        hours = _hours(units.group(1) or "0")
        seconds = int(hours * 3600) + int(units.group(2) or 0) * 60
    else:
        raise ValueError(f"{text!r} is not a duration. {FORMS}")
    if seconds <= 0:
        raise ValueError("A duration must be longer than zero.")
    if seconds > DURATION_MAX_S:
        raise ValueError("A manual entry spans at most 24 hours.")
    return seconds


def _hours(number: str) -> Decimal:
    try:
        return Decimal(number.replace(",", "."))
    except InvalidOperation as exc:  # the pattern admits only digits; kept for safety
        raise ValueError(f"{number!r} is not a number of hours. {FORMS}") from exc


def _checked(text: str) -> str:
    duration_seconds(text)  # its ValueError says which forms are accepted
    return text


# A request field holding such a duration, refused (422) at validation when it names none.
TypedDuration = Annotated[str, StringConstraints(max_length=32), AfterValidator(_checked)]
