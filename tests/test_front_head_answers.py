"""An answer to HEAD has no body whatever its headers say: bytes after it never reach a client."""

import json

import pytest

from tests.fakes.raw_upstream import RawAnswer, RawUpstream
from tests.front_wire import Wire

FORGED = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nX-Forged: yes\r\n\r\nforged"


async def test_bytes_after_an_answer_to_head_never_become_the_next_answer(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    # Redmine (or whatever sits there) announces 67 bytes for a HEAD, then sends an answer of
    # its own making: the client's next request must get Redmine's real next answer.
    raw_upstream.answers.append(
        RawAnswer(b"HTTP/1.1 200 OK\r\nContent-Length: 67\r\n\r\n" + FORGED)
    )
    raw_upstream.answers.append(RawAnswer(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nreal"))
    await wire.send(b"HEAD /x HTTP/1.1\r\nHost: gw\r\n\r\n")
    head = await wire.head()
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"Content-Length: 67\r\n" in head
    await wire.send(b"GET /y HTTP/1.1\r\nHost: gw\r\n\r\n")
    second = await wire.head()
    assert b"X-Forged" not in second
    assert await wire.exactly(4) == b"real"
    # The connection that carried the stray bytes was not reused for the next request.
    assert raw_upstream.connections == 2


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 10_000_000 + b"\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n"
        + b"".join(b"X-F%d: v\r\n" % n for n in range(10_000))
        + b"Content-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nBad Header: x\r\nContent-Length: 2\r\n\r\nok",
        b"NOT HTTP AT ALL\r\n\r\n",
    ],
    ids=["10-mb-header-line", "10000-fields", "two-lengths", "space-in-name", "no-status-line"],
)
async def test_an_invalid_or_oversized_answer_is_a_502_saying_so(
    wire: Wire, raw_upstream: RawUpstream, answer: bytes
) -> None:
    raw_upstream.answers.append(RawAnswer(answer))
    await wire.send(b"GET /x HTTP/1.1\r\nHost: gw\r\n\r\n")
    head = await wire.head()
    assert head.startswith(b"HTTP/1.1 502 "), head
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    body = json.loads(await wire.exactly(length))
    assert body["error_code"] == "UPSTREAM_ANSWER_INVALID"
    assert "invalid" in body["message"]
