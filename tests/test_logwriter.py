"""Log records written by a thread of their own: whole, in order, bounded."""

import io
import json
import logging
import threading
from collections.abc import Iterator

import pytest

from gateway.logs import JsonFormatter
from gateway.logwriter import written_off_the_loop


class Recorder(logging.Handler):
    """Keeps (thread name, formatted line) for each record it is handed."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.written.append((threading.current_thread().name, self.format(record)))


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    handler = Recorder()
    root.handlers, root.level = [handler], logging.INFO
    yield handler
    root.handlers, root.level = saved


def test_records_are_written_in_order_by_a_thread_of_their_own(recorder: Recorder) -> None:
    with written_off_the_loop():
        assert recorder not in logging.getLogger().handlers, "records go through a queue meanwhile"
        for n in range(5):
            logging.getLogger("gateway.test").info("queued n=%s", n)
    assert recorder in logging.getLogger().handlers, "the direct handlers are back"
    assert [line for _, line in recorder.written] == [f"queued n={n}" for n in range(5)]
    assert {thread for thread, _ in recorder.written} == {"log-writer"}


def test_a_json_line_keeps_its_exception_apart_from_its_message(recorder: Recorder) -> None:
    recorder.setFormatter(JsonFormatter())
    with written_off_the_loop():
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("gateway.test").exception("failed job=%s", 7)
    [(_, line)] = recorder.written
    entry = json.loads(line)
    assert entry["message"] == "failed job=7"
    assert "ValueError: boom" in entry["exc_info"]


def test_records_beyond_the_bound_are_dropped_and_counted(recorder: Recorder) -> None:
    with written_off_the_loop(interval_s=60.0, max_queued=3):  # nothing written meanwhile
        for n in range(5):
            logging.getLogger("gateway.test").info("n=%s", n)
    lines = [line for _, line in recorder.written]
    assert lines[:3] == ["n=0", "n=1", "n=2"]
    assert lines[3:] == ["log records dropped count=2: stderr is read too slowly"]


def test_a_stream_gets_each_batch_in_one_write() -> None:
    class CountingStream(io.StringIO):
        writes = 0

        def write(self, text: str) -> int:
            self.writes += 1
            return super().write(text)

    stream = CountingStream()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    root.handlers, root.level = [logging.StreamHandler(stream)], logging.INFO
    try:
        with written_off_the_loop(interval_s=60.0):  # one batch, written on the way out
            for n in range(5):
                logging.getLogger("gateway.test").info("line n=%s", n)
    finally:
        root.handlers, root.level = saved
    assert stream.getvalue() == "".join(f"line n={n}\n" for n in range(5))
    assert stream.writes == 1


def test_lines_made_whole_go_out_with_the_records_in_the_same_write() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    root.handlers, root.level = [logging.StreamHandler(stream)], logging.INFO
    try:
        with written_off_the_loop(interval_s=60.0) as log_queue:
            log_queue.write_line("access n=0")
            logging.getLogger("gateway.test").info("record")
            log_queue.write_line("access n=1")
    finally:
        root.handlers, root.level = saved
    # Records first, then lines, in one batch; each kind in the order it was logged.
    assert stream.getvalue() == "record\naccess n=0\naccess n=1\n"


def test_lines_beyond_the_bound_are_dropped_and_counted() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    root.handlers, root.level = [logging.StreamHandler(stream)], logging.INFO
    try:
        with written_off_the_loop(interval_s=60.0, max_queued=2) as log_queue:
            for n in range(5):
                log_queue.write_line(f"access n={n}")
            assert log_queue.dropped == 3
    finally:
        root.handlers, root.level = saved
    assert stream.getvalue().splitlines() == [
        "log records dropped count=3: stderr is read too slowly",
        "access n=0",
        "access n=1",
    ]
