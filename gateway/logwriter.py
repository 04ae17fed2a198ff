"""Log records written by a thread of their own, in batches, never on the event loop."""

import contextlib
import logging
import logging.handlers
import queue
import threading
from collections import deque
from collections.abc import Iterator, Sequence

# Log lines reach stderr at most this late; one write pass per interval instead of per line.
WRITE_INTERVAL_S = 0.05
# Records waiting for the writer at most; beyond, new ones are counted and dropped rather than
# let a stalled stderr reader grow the process without bound.
MAX_QUEUED_RECORDS = 10_000


@contextlib.contextmanager
def written_off_the_loop(
    interval_s: float = WRITE_INTERVAL_S, max_queued: int = MAX_QUEUED_RECORDS
) -> Iterator["Enqueuer"]:
    """Records are made (their message merged) where they are logged and written by a thread of
    their own every `interval_s`, so a slow reader of stderr (a pipe to journald or docker) never
    stalls the event loop, and the loop is not interrupted by a write for every request.

    Entered in each serving process (threads do not survive the pre-fork); on exit, the direct
    handlers come back first, then everything still queued is written. Yields the handler
    that queues, whose `dropped` the metrics report.
    """
    root = logging.getLogger()
    direct = root.handlers[:]
    records: queue.Queue[logging.LogRecord] = queue.Queue(max_queued)
    enqueuer = Enqueuer(records, max_queued)
    writer = BatchWriter(records, direct, enqueuer, interval_s)
    root.handlers = [enqueuer]
    writer.start()
    try:
        yield enqueuer
    finally:
        root.handlers = direct
        writer.stop()


class Enqueuer(logging.handlers.QueueHandler):
    """Queues records whole: the writer's own formatter (text or JSON) formats them later, with
    their exception and stack where they belong; only the message's arguments are merged now, so
    nothing they refer to can change before it is written.

    Also queues lines already made whole (`write_line`: the access log's), which skip records,
    handlers and formatters, and are written to the stream handlers only.
    """

    def __init__(self, records: queue.Queue[logging.LogRecord], max_queued: int) -> None:
        super().__init__(records)
        self.dropped = 0
        # deque's append and popleft are each atomic: the loop's thread adds, the writer takes.
        self.lines: deque[str] = deque()
        self._max_lines = max_queued

    def write_line(self, line: str) -> None:
        if len(self.lines) >= self._max_lines:
            self.dropped += 1
            return
        self.lines.append(line)

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record.msg = record.getMessage()
        record.args = None
        return record

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1


class BatchWriter:
    """Hands what has queued up to the real handlers every `interval_s`, from its own thread."""

    def __init__(
        self,
        records: queue.Queue[logging.LogRecord],
        handlers: list[logging.Handler],
        enqueuer: Enqueuer,
        interval_s: float,
    ) -> None:
        self._records = records
        self._handlers = handlers
        self._enqueuer = enqueuer
        self._interval_s = interval_s
        self._reported_drops = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopping.wait(self._interval_s):
            self._write_queued()
        self._write_queued()

    def _write_queued(self) -> None:
        batch: list[logging.LogRecord] = []
        while True:
            try:
                batch.append(self._records.get_nowait())
            except queue.Empty:
                break
        dropped = self._enqueuer.dropped - self._reported_drops
        if dropped:
            self._reported_drops += dropped
            batch.append(
                logging.LogRecord(
                    __name__,
                    logging.WARNING,
                    __file__,
                    0,
                    "log records dropped count=%s: stderr is read too slowly",
                    (dropped,),
                    None,
                )
            )
        lines = self._take_lines()
        for handler in self._handlers:
            kept = [r for r in batch if r.levelno >= handler.level and handler.filter(r)]
            if kept or lines:
                write_batch(handler, kept, lines)

    def _take_lines(self) -> list[str]:
        lines = self._enqueuer.lines
        taken = []
        while True:
            try:
                taken.append(lines.popleft())
            except IndexError:
                return taken


def write_batch(
    handler: logging.Handler, records: list[logging.LogRecord], lines: Sequence[str] = ()
) -> None:
    """A stream handler (stderr) gets the whole batch in one write: a write per line would hand
    the GIL back and forth with the event loop's thread at every line. Lines already made whole
    go to stream handlers only."""
    if type(handler) is not logging.StreamHandler:
        for record in records:
            handler.handle(record)
        return
    try:
        text = "".join(handler.format(record) + handler.terminator for record in records)
        if lines:
            text += handler.terminator.join(lines) + handler.terminator
        handler.acquire()
        try:
            handler.stream.write(text)
            handler.flush()
        finally:
            handler.release()
    except Exception:
        if records:
            handler.handleError(records[0])
