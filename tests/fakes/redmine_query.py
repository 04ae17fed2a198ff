"""Redmine 5.0.4's list queries: short filters from the query string, their checks, and paging."""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from tests.fakes.redmine_ruby import cast_date, is_blank, ruby_to_i
from tests.fakes.redmine_state import Issue, TimeEntry

OPERATORS = {  # Query.operators_by_filter_type, for the filter types read here
    "list": ("=", "!"),
    "list_optional": ("=", "!", "!*", "*"),
    "list_status": ("o", "=", "!", "c", "*"),
    "date_past": (
        *("=", ">=", "<=", "><", ">t-", "<t-", "><t-", "t-", "t", "ld", "w", "lw", "l2w"),
        *("m", "lm", "y", "!*", "*"),
    ),
    "string": ("~", "=", "!~", "!", "^", "$", "!*", "*"),
    "integer": ("=", ">=", "<=", "><", "!*", "*"),
    "tree": ("=", "~", "!*", "*"),
}
# (query parameter, error label, filter type), in TimeEntryQuery's order
ENTRY_FILTERS = (
    ("spent_on", "Date", "date_past"),
    ("user_id", "User", "list_optional"),
    ("issue_id", "Issue", "tree"),
    ("activity_id", "Activity", "list"),
)
_VALUELESS = frozenset({"o", "c", "!*", "*", "t", "ld", "w", "lw", "l2w", "m", "lm", "y"})
_DATE_VALUE = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}((:)?\d{2}){0,2}(Z|\d{2}:?\d{2})?)?")
_INTEGER_VALUE = re.compile(r"[+-]?\d+(,[+-]?\d+)*")
_SQL_INTEGER = re.compile(r"\s*[+-]?\d+\s*")


class Unmodelled(Exception):
    """A request the fake does not model; answered with 501 so that no test passes by luck."""


def offset_and_limit(query: Mapping[str, str]) -> tuple[int, int]:
    """ApplicationController#api_offset_and_limit: limit 1..100 (else 25), then offset or page."""
    limit = ruby_to_i(query.get("limit", ""))
    limit = 25 if limit < 1 else min(limit, 100)
    if not is_blank(query.get("offset")):
        return max(ruby_to_i(query["offset"]), 0), limit
    if not is_blank(query.get("page")):
        return max((ruby_to_i(query["page"]) - 1) * limit, 0), limit
    return 0, limit


@dataclass(frozen=True)
class Filter:
    field: str
    label: str
    kind: str
    operator: str
    values: tuple[str, ...]

    @classmethod
    def short(cls, field: str, label: str, kind: str, expression: str) -> "Filter":
        """Query#add_short_filter: "!5", ">=2024-01-01", "><a|b", "*", or plain values "1|2"."""
        for operator in sorted(OPERATORS[kind], reverse=True):
            if expression.startswith(operator):
                rest = expression[len(operator) :]
                return cls(field, label, kind, operator, _ruby_split(rest) if rest else ("",))
        return cls(field, label, kind, "=", _ruby_split(expression))

    def error(self) -> str | None:
        """Query#validate_query_filters for this filter; None when it is valid."""
        if self.operator not in _VALUELESS and (not self.values or is_blank(self.values[0])):
            return f"{self.label} cannot be blank"
        present = [v for v in self.values if not is_blank(v)]
        if self.kind == "integer" and not all(_INTEGER_VALUE.fullmatch(v) for v in present):
            return f"{self.label} is invalid"
        dated = self.kind == "date_past" and self.operator in ("=", ">=", "<=", "><")
        if dated and not all(_filter_date(v) for v in present):
            return f"{self.label} is invalid"
        return None

    def ids(self, me: int = 0) -> frozenset[int]:
        """The values as SQLite compares them with an integer column; "me" is the caller."""
        return frozenset(
            me if v == "me" else int(v)
            for v in self.values
            if v == "me" or _SQL_INTEGER.fullmatch(v)
        )

    def unmodelled(self) -> Unmodelled:
        return Unmodelled(f"filter {self.field}={self.operator}... is not modelled by the fake")


def entry_filters(
    query: Mapping[str, str], custom_fields: Mapping[int, str] | None = None
) -> tuple[Filter, ...]:
    """TimeEntryQuery#build_from_params; if one filter is invalid, Query#statement drops all."""
    filters = {
        name: Filter.short(name, label, kind, query[name])
        for name, label, kind in ENTRY_FILTERS
        if name in query
    }
    for field_id, label in (custom_fields or {}).items():
        if (param := f"cf_{field_id}") in query:
            filters[param] = Filter.short(param, label, "string", query[param])
    start, end = query.get("from", ""), query.get("to", "")
    if not is_blank(start) and not is_blank(end):
        filters["spent_on"] = Filter("spent_on", "Date", "date_past", "><", (start, end))
    elif not is_blank(start):
        filters["spent_on"] = Filter("spent_on", "Date", "date_past", ">=", (start,))
    elif not is_blank(end):
        filters["spent_on"] = Filter("spent_on", "Date", "date_past", "<=", (end,))
    chosen = tuple(filters.values())
    return () if any(f.error() for f in chosen) else chosen


def entry_matcher(filters: tuple[Filter, ...], me: int) -> Callable[[TimeEntry], bool]:
    tests = [_entry_test(f, me) for f in filters]
    return lambda entry: all(test(entry) for test in tests)


def _entry_test(f: Filter, me: int) -> Callable[[TimeEntry], bool]:
    if f.operator in ("*", "!*"):  # only issue_id may be empty
        present = f.operator == "*"
        return lambda e: (f.field != "issue_id" or e.issue_id is not None) == present
    if f.field == "spent_on":
        return _date_test(f)
    if f.field == "issue_id" and f.operator in ("=", "~"):  # no subtasks, so "~" is "="
        wanted = ruby_to_i(f.values[0])
        return lambda e: e.issue_id == wanted
    if f.field == "activity_id":
        activity_ids = frozenset(ruby_to_i(v) for v in f.values)
        return lambda e: (e.activity_id in activity_ids) == (f.operator == "=")
    if f.field == "user_id":
        user_ids = f.ids(me)
        return lambda e: (e.user_id in user_ids) == (f.operator == "=")
    if f.field.startswith("cf_") and f.operator in ("=", "!"):
        field_id = int(f.field[3:])
        return lambda e: (e.custom_value(field_id) in f.values) == (f.operator == "=")
    raise f.unmodelled()


def _date_test(f: Filter) -> Callable[[TimeEntry], bool]:
    dates = [_filter_date(v) for v in f.values]
    bounds = {"=": (dates[0], dates[0]), ">=": (dates[0], None), "<=": (None, dates[0])}
    if f.operator == "><":
        bounds["><"] = (dates[0], dates[1] if len(dates) > 1 else None)
    if f.operator not in bounds:
        raise f.unmodelled()
    low, high = bounds[f.operator]
    return lambda e: (low is None or e.spent_on >= low) and (high is None or e.spent_on <= high)


def issue_filters(query: Mapping[str, str], custom_fields: Mapping[int, str]) -> tuple[Filter, ...]:
    """IssueQuery#build_from_params; the status filter defaults to open issues."""
    filters = [Filter.short("status_id", "Status", "list_status", query.get("status_id", "o"))]
    for field_id, name in custom_fields.items():
        if (param := f"cf_{field_id}") in query:
            filters.append(Filter.short(param, name, "string", query[param]))
    if "issue_id" in query:
        filters.append(Filter.short("issue_id", "Issue", "integer", query["issue_id"]))
    if "subject" in query:
        filters.append(Filter.short("subject", "Subject", "string", query["subject"]))
    return tuple(filters)


def issue_matcher(filters: tuple[Filter, ...]) -> Callable[[Issue], bool]:
    tests = [_issue_test(f) for f in filters]
    return lambda issue: all(test(issue) for test in tests)


def _issue_test(f: Filter) -> Callable[[Issue], bool]:
    if f.field == "status_id" and f.operator in ("o", "c", "*"):
        return lambda i: f.operator == "*" or i.status.is_closed == (f.operator == "c")
    if f.field == "status_id" and f.operator in ("=", "!"):
        status_ids = f.ids()
        return lambda i: (i.status.id in status_ids) == (f.operator == "=")
    if f.field == "issue_id" and f.operator == "=":
        issue_ids = frozenset(int(n) for n in re.findall(r"[+-]?\d+", f.values[0]))
        return lambda i: i.id in issue_ids
    if f.field == "subject" and f.operator == "~":
        # "contains": a case-insensitive LIKE %value% on SQLite.
        wanted = f.values[0].casefold()
        return lambda i: wanted in i.subject.casefold()
    if f.field.startswith("cf_") and f.operator in ("=", "!", "*", "!*"):
        field_id = int(f.field[3:])
        if f.operator in ("*", "!*"):
            return lambda i: bool(i.custom_values.get(field_id)) == (f.operator == "*")
        return lambda i: (i.custom_values.get(field_id) in f.values) == (f.operator == "=")
    raise f.unmodelled()


def _filter_date(text: str) -> date | None:
    return cast_date(text) if _DATE_VALUE.fullmatch(text) else None


def _ruby_split(text: str) -> tuple[str, ...]:
    """String#split("|"), which drops trailing empty strings."""
    parts = text.split("|")
    while parts and not parts[-1]:
        parts.pop()
    return tuple(parts)
