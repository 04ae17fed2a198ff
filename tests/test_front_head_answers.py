"""An answer to HEAD has no body whatever its headers say: bytes after it never reach a client."""

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
