"""The report in the GitScrum CLI's shape: which entries, in which order, seconds per person."""

from gateway.analytics.cli_report import cli_report
from tests.analytics.dataset import ALICE, BOB, CAROL, DEV, MEETING, RANGE, entry, utc


def test_entries_in_date_order_untimed_first_and_people_by_seconds() -> None:
    entries = [
        entry(1, ALICE, 101, DEV, "2", 3, (utc(3, 8), utc(3, 9, 50))),
        entry(2, BOB, 102, DEV, "1.5", 3),
        entry(3, CAROL, None, MEETING, "1", 2),
        entry(4, ALICE, 103, DEV, "1", 2, (utc(2, 9), utc(2, 9, 40))),
        # Outside the range, and the running timer: neither is counted.
        entry(5, BOB, 101, DEV, "9", 1, month=3),
        entry(6, ALICE, 101, DEV, "0.5", 3, (utc(3, 11), None), is_running=True),
    ]
    report = cli_report(entries, RANGE).model_dump(mode="json")
    assert [(e["id"], e["task_code"], e["seconds"]) for e in report["entries"]] == [
        (3, "", 3600),
        (4, "#103", 2400),
        (2, "#102", 5400),
        (1, "#101", 6600),
    ]
    assert report["entries"][1]["task_title"] == "Write docs"
    assert report["entries"][0]["user"] == {"name": "Carol Clark", "username": None}
    assert report["total_seconds"] == 3600 + 2400 + 5400 + 6600
    assert report["by_user"] == [
        {"name": "Alice Archer", "username": "alice", "seconds": 9000},
        {"name": "Bob Baker", "username": "bob", "seconds": 5400},
        {"name": "Carol Clark", "username": None, "seconds": 3600},
    ]


def test_no_entries_is_zero_and_empty_lists() -> None:
    assert cli_report([], RANGE).model_dump() == {"total_seconds": 0, "entries": [], "by_user": []}
