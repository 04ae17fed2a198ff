"""Ruby and Rails value semantics that Redmine 5.0.4 applies to request values."""

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

_LEADING_INT = re.compile(r"\s*([+-]?\d+)")
_LEADING_FLOAT = re.compile(r"\s*[+-]?\d+(\.\d+)?([eE][+-]?\d+)?")
_STRICT_FLOAT = re.compile(r"\s*[+-]?\d+(\.\d+)?([eE][+-]?\d+)?\s*")
_LOOSE_DATE = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})")
_DATE_ATTRIBUTE = re.compile(r"\d{4}-\d{2}-\d{2}( 00:00:00)?")


def ruby_to_i(text: str) -> int:
    """String#to_i: the leading integer, or 0 ("12abc" -> 12, "abc" -> 0)."""
    match = _LEADING_INT.match(text)
    return int(match.group(1)) if match else 0


def ruby_to_f(text: str) -> float:
    match = _LEADING_FLOAT.match(text)
    return float(match.group(0)) if match else 0.0


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cast_id(value: object) -> int | None:
    """ActiveModel's integer cast of an *_id attribute ("1abc" -> 1, "abc" -> 0, "" -> None)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float | Decimal):
        return int(value)
    if isinstance(value, str) and not is_blank(value):
        return ruby_to_i(value)
    return None


def ruby_round(value: float, digits: int = 0) -> float:
    """Float#round: half away from zero, corrected the way Ruby does it, so 1.005 -> 1.01."""
    scale = 10.0**digits
    rounded = float(Decimal(value * scale).to_integral_value(rounding=ROUND_HALF_UP))
    if digits and value > 0 and (rounded + 0.5) / scale <= value:
        rounded += 1
    elif digits and value < 0 and (rounded - 0.5) / scale >= value:
        rounded -= 1
    return rounded / scale


def to_hours(text: str) -> float | None:
    """String#to_hours from Redmine's core extensions: "1:30", "1h30", "90m", "1,5" -> hours."""
    hours = text.strip()
    if match := re.fullmatch(r"(\d+([.,]\d+)?)h?", hours):
        hours = match.group(1)
    else:
        hours = re.sub(r"^(\d+):(\d+)$", lambda m: str(int(m[1]) + int(m[2]) / 60.0), hours)
        hours = re.sub(
            r"^((\d+)\s*(h|hours?))?\s*((\d+)\s*(m|min)?)?$",
            lambda m: str(int(m[2] or 0) + int(m[5] or 0) / 60.0) if m[1] or m[4] else m[0],
            hours,
            flags=re.IGNORECASE,
        )
    hours = hours.replace(",", ".")
    return float(hours) if _STRICT_FLOAT.fullmatch(hours) else None


def format_hours(hours: float) -> str:
    """Redmine's format_hours with the default "minutes" timespan format (54.95 -> "54:57")."""
    whole = int(hours // 1)
    return f"{whole}:{int(ruby_round((hours - whole) * 60)):02d}"


def cast_date(value: object) -> date | None:
    """ActiveModel's date cast: ISO first, else a lenient leading year-month-day."""
    if not isinstance(value, str) or (match := _LOOSE_DATE.match(value)) is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def is_malformed_date(raw: object) -> bool:
    """Redmine's DateValidator: a non-blank string must be YYYY-MM-DD and a real date."""
    if not isinstance(raw, str) or is_blank(raw):
        return False
    return not (_DATE_ATTRIBUTE.fullmatch(raw) and cast_date(raw))
