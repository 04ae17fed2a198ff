"""GATEWAY_BILLABLE_FIELD_ID (pure): where `billable` may be asked for, and an entry's value."""

from gateway.errors import ValidationFailed
from gateway.redmine.models import RedmineTimeEntry


def checked_billable(billable: bool | None, field_id: int | None) -> None:
    """`billable` is kept only where Redmine has the field to hold it."""
    if billable is not None and field_id is None:
        raise ValidationFailed(
            "billable needs a Billable time-entry field.",
            {"billable": ["Set GATEWAY_BILLABLE_FIELD_ID to a boolean time-entry custom field."]},
        )


def checked_billable_filter(billable: bool | None, field_id: int | None) -> None:
    if billable is not None and field_id is None:
        raise ValidationFailed(
            "Filtering by billable needs a Billable time-entry field.",
            {"billable": ["Set GATEWAY_BILLABLE_FIELD_ID to a boolean time-entry custom field."]},
        )


def billable_of(entry: RedmineTimeEntry, field_id: int | None) -> bool | None:
    """A boolean field's value as Redmine reads it: "1" is true, unset or blank is null."""
    value = None if field_id is None else entry.custom_value(field_id)
    return None if value in (None, "") else value == "1"
