"""Generated requests, valid and mutated, through the real front and relay: Redmine receives
exactly what the client framed, or nothing; each client answer belongs to its own request."""

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tests.fuzz.conftest import FUZZ
from tests.fuzz.harness import ClientAnswer, EdgeHarness
from tests.fuzz.strategies import (
    CHUNK_MUTATIONS,
    FRAMING_MUTATIONS,
    SMUGGLED,
    ModelRequest,
    framings_for,
    mutate_chunks,
    pipelines,
)


async def exchange(harness: EdgeHarness, pipeline: list[bytes]) -> list[ClientAnswer]:
    harness.upstream.reset()
    client = await harness.connect()
    try:
        await client.send(b"".join(pipeline), end=True)
        return await client.all_answers()
    finally:
        client.close()


def request_line(data: bytes) -> tuple[bytes, bytes]:
    method, target, *_ = data.split(b"\r\n", 1)[0].split(b" ")
    return method, target


def check_relayed_as_framed(
    harness: EdgeHarness,
    requests: list[ModelRequest],
    sent: list[bytes],
    answers: list[ClientAnswer],
) -> int:
    """The invariants every exchange keeps; returns how many requests reached Redmine.

    Answers come in request order: each is either Redmine's answer to that very request (which
    then reached Redmine whole, as framed) or the gateway's refusal of it (and it did not).
    """
    received = harness.upstream.requests
    assert harness.upstream.unparseable == 0, "Redmine got bytes a strict parser refuses"
    assert all(SMUGGLED not in got.target for got in received)
    assert len(answers) <= len(requests)
    relayed = 0
    for answer, model, data in zip(answers, requests, sent, strict=False):
        method, target = request_line(data)
        if 400 <= answer.status < 600 and not answer.body.startswith(b"for "):
            assert all(got.target != target for got in received[relayed:]), "refused, yet sent"
            continue
        assert answer.body == b"for " + target, "an answer reached another request"
        assert relayed < len(received), "an answer for a request Redmine never got"
        got = received[relayed]
        assert (got.method, got.target) == (method, target)
        assert got.body == model.body, "a body reached Redmine other than as framed"
        relayed += 1
    assert relayed == len(received), "Redmine got a request whose answer never came"
    return relayed


@settings(parent=FUZZ, max_examples=500)
@given(requests=pipelines())
def test_valid_requests_reach_redmine_exactly_as_framed(
    harness: EdgeHarness, requests: list[ModelRequest]
) -> None:
    sent = [request.encode() for request in requests]
    answers = harness.run(exchange(harness, sent))
    assert check_relayed_as_framed(harness, requests, sent, answers) == len(requests)
    assert len(answers) == len(requests)


MUTATIONS = sorted(FRAMING_MUTATIONS) + CHUNK_MUTATIONS
AT = 1  # the middle of a pipeline of three (or the last of two): requests on both sides


@pytest.mark.parametrize("mutation", MUTATIONS)
@settings(parent=FUZZ, max_examples=40)
@given(data=st.data())
def test_a_mutated_request_is_refused_or_relayed_as_framed(
    harness: EdgeHarness, mutation: str, data: st.DataObject
) -> None:
    requests = data.draw(pipelines(AT, framings_for(mutation)))
    at = min(AT, len(requests) - 1)
    sent = [request.encode() for request in requests]
    mutate = FRAMING_MUTATIONS.get(mutation) or (lambda raw: mutate_chunks(raw, mutation))
    sent[at] = mutate(sent[at])
    answers = harness.run(exchange(harness, sent))
    check_relayed_as_framed(harness, requests, sent, answers)
    target = request_line(sent[at])[1]
    event(
        "relayed" if any(got.target == target for got in harness.upstream.requests) else "refused"
    )
