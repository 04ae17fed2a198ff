"""`timer-gateway check` against the real Redmine 5.0.4: its REST API, its custom fields and
activities as they really are."""

import pytest

from gateway.preflight import run_checks
from gateway.settings import Settings

from .harness import Harness

pytestmark = pytest.mark.e2e


async def checked(redmine: Harness, **named: int) -> tuple[int, list[str]]:
    lines: list[str] = []
    settings = Settings.model_validate(
        {"redmine_url": redmine.base_url, "check_api_key": redmine.admin.api_key, **named}
    )
    return await run_checks(settings, lines.append), lines


async def test_the_real_redmine_passes_with_its_own_field_and_activity(redmine: Harness) -> None:
    task_field_id = int(redmine.task_uuid_param.removeprefix("cf_"))
    code, lines = await checked(
        redmine,
        task_field_id=task_field_id,
        entry_field_id=redmine.time_entry_fields["Timer id"],
        billable_field_id=redmine.time_entry_fields["Billable"],
        default_activity_id=redmine.default_activity_id,
    )
    assert code == 0, lines
    assert "ok    redmine REST API: enabled" in lines
    assert f"ok    GATEWAY_TASK_FIELD_ID: {task_field_id} is the issue custom field" in "\n".join(
        lines
    )
    assert any(line.startswith("ok    GATEWAY_ENTRY_FIELD_ID:") for line in lines)
    billable = redmine.time_entry_fields["Billable"]
    assert f"ok    GATEWAY_BILLABLE_FIELD_ID: {billable} is the boolean custom field" in "\n".join(
        lines
    )
    assert any(line.startswith("ok    GATEWAY_DEFAULT_ACTIVITY_ID:") for line in lines)


async def test_the_real_redmine_names_an_inactive_activity(redmine: Harness) -> None:
    code, lines = await checked(redmine, default_activity_id=redmine.inactive_activity_id)
    assert code == 1
    assert any(
        line.startswith("FAIL  GATEWAY_DEFAULT_ACTIVITY_ID:") and "inactive" in line
        for line in lines
    )
