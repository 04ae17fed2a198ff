"""python-redmine, a real REST client, gets the same results through the gateway as directly."""

from collections.abc import Iterator
from typing import Any

import pytest
from redminelib import Redmine  # type: ignore[import-untyped]
from redminelib.exceptions import ResourceNotFoundError  # type: ignore[import-untyped]

from .answers import PER_RECORD_FIELDS
from .cleanup import Cleanup
from .harness import Harness

pytestmark = pytest.mark.e2e

SPENT_ON = "2024-03-01"

# python-redmine is blocking (requests), so these tests are plain functions without a loop.


def open_client(url: str, key: str) -> Iterator[Any]:
    client = Redmine(url, key=key)
    yield client
    client.engine.session.close()  # otherwise its pooled sockets leak (ResourceWarning)


@pytest.fixture
def through_gateway(gateway_url: str, redmine: Harness) -> Iterator[Any]:
    yield from open_client(gateway_url, redmine.alice.api_key)


@pytest.fixture
def direct(redmine: Harness) -> Iterator[Any]:
    yield from open_client(redmine.base_url, redmine.alice.api_key)


def stable(resource: Any) -> dict[str, Any]:
    """A resource's attributes without the ones Redmine assigns to each new record."""
    return {name: value for name, value in resource.raw().items() if name not in PER_RECORD_FIELDS}


def test_projects_listed_alike(through_gateway: Any, direct: Any, redmine: Harness) -> None:
    def listed(client: Any) -> list[tuple[int, str, str]]:
        return [(p.id, p.identifier, p.name) for p in client.project.all()]

    # alice is a member of web-app only, and both projects are private.
    assert listed(through_gateway) == [
        (redmine.project_id, redmine.project_identifier, redmine.project_name)
    ]
    assert listed(through_gateway) == listed(direct)


def test_issue_read_alike(through_gateway: Any, direct: Any, redmine: Harness) -> None:
    for seeded in redmine.issues:
        issue = through_gateway.issue.get(seeded.id)
        assert issue.subject == seeded.subject
        assert [field.value for field in issue.custom_fields] == [seeded.task_uuid]
        assert issue.raw() == direct.issue.get(seeded.id).raw()


def time_entry_lifecycle(client: Any, redmine: Harness, cleanup: Cleanup) -> list[dict[str, Any]]:
    """Create, update, delete: the entry as read after each step (empty once it is gone)."""
    entry = client.time_entry.create(
        issue_id=redmine.issues[0].id, hours=1.5, comments="e2e python-redmine", spent_on=SPENT_ON
    )
    cleanup.delete_later(f"/time_entries/{entry.id}.json")
    snapshots = [stable(client.time_entry.get(entry.id))]
    assert client.time_entry.update(entry.id, hours=0.75, comments="e2e python-redmine updated")
    snapshots.append(stable(client.time_entry.get(entry.id)))
    assert client.time_entry.delete(entry.id)
    with pytest.raises(ResourceNotFoundError):
        client.time_entry.get(entry.id)
    return snapshots


def test_time_entry_lifecycle_alike(
    through_gateway: Any, direct: Any, redmine: Harness, cleanup: Cleanup
) -> None:
    created, updated = time_entry_lifecycle(through_gateway, redmine, cleanup)

    assert (created["user"]["id"], created["hours"]) == (redmine.alice.id, 1.5)
    assert (updated["hours"], updated["comments"]) == (0.75, "e2e python-redmine updated")
    assert [created, updated] == time_entry_lifecycle(direct, redmine, cleanup)


def test_time_entry_filter_alike(
    through_gateway: Any, direct: Any, redmine: Harness, cleanup: Cleanup
) -> None:
    created_ids: set[int] = set()
    for client in (through_gateway, direct):
        entry = client.time_entry.create(
            issue_id=redmine.issues[1].id, hours=0.5, spent_on=SPENT_ON
        )
        cleanup.delete_later(f"/time_entries/{entry.id}.json")
        created_ids.add(entry.id)

    def filtered(client: Any) -> list[dict[str, Any]]:
        entries = client.time_entry.filter(
            project_id=redmine.project_identifier,
            user_id=redmine.alice.id,
            from_date=SPENT_ON,
            to_date=SPENT_ON,
        )
        return [entry.raw() for entry in entries]

    found = filtered(through_gateway)
    assert created_ids <= {entry["id"] for entry in found}
    assert {entry["spent_on"] for entry in found} == {SPENT_ON}
    assert found == filtered(direct)
