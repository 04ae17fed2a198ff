"""Generated upstream answers through the real relay and front: framing of every kind, HEAD,
204 and 304 answers with stray bytes after them, interim answers, cuts and resets at every byte.
No byte of one answer ever reaches another request's client, and a connection that carried
stray bytes is never used again."""

import itertools

from hypothesis import given, settings

from tests.fuzz.conftest import FUZZ
from tests.fuzz.harness import EdgeHarness
from tests.fuzz.strategies import ModelAnswer, model_answers
from tests.fuzz.upstream import Scripted

GATEWAY_ERRORS = {502, 503, 504}


async def exchange(harness: EdgeHarness, answer: ModelAnswer, n: int) -> None:
    harness.upstream.reset()
    first, second, third = b"/a%d" % n, b"/b%d" % n, b"/c%d" % n
    harness.upstream.script[first] = Scripted(answer.encode(), then=answer.then)
    client = await harness.connect()
    other = await harness.connect()
    try:
        await client.send(answer.method + b" " + first + b" HTTP/1.1\r\nHost: gw\r\n\r\n")
        if answer.method == b"HEAD":
            status = await client.head_answer()
            got = None
        else:
            got = await client.answer()
            status = None if got is None else got.status
        if answer.is_whole and answer.has_body:
            assert status == answer.status
            if got is not None:
                assert got.body == answer.body
        elif status is not None:
            assert status in (answer.status, *GATEWAY_ERRORS)

        # The next request on the same connection gets its own answer, or a clean end.
        await client.send(b"GET " + second + b" HTTP/1.1\r\nHost: gw\r\n\r\n")
        following = await client.answer()
        if following is not None:
            assert following.body == b"for " + second or following.status in GATEWAY_ERRORS

        # A request from someone else, through the same pool, gets exactly its own answer.
        await other.send(b"GET " + third + b" HTTP/1.1\r\nHost: gw\r\n\r\n")
        theirs = await other.answer()
        assert theirs is not None and (theirs.status, theirs.body) == (200, b"for " + third)

        assert b"FORGED" not in other.received, "a forged answer reached another client"
        if not answer.stray_is_body:
            assert b"FORGED" not in client.received, "stray bytes reached the client"
    finally:
        client.close()
        other.close()


@settings(parent=FUZZ, max_examples=1000)
@given(answer=model_answers())
def test_no_byte_of_one_answer_reaches_another_request(
    harness: EdgeHarness, answer: ModelAnswer
) -> None:
    harness.run(exchange(harness, answer, next(COUNTER)))


COUNTER = itertools.count()
