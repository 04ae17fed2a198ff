"""Spotting a request line without a version in the reads of an unfinished head."""

import pytest

from gateway.front.request_line import RequestLineWatch


@pytest.mark.parametrize(
    ("reads", "is_versionless"),
    [
        ([b"GET /p\r\n"], True),
        ([b"GET /p\n"], True),
        ([b"GET /p", b"\r\n"], True),
        ([b"GE", b"T /", b"p\r", b"\n"], True),
        ([b"\r\nGET /p\r\n"], True),
        ([b"GET /p HTTP/1.1\r\n"], False),
        ([b"GET /p HTTP/1.1\r\nX: GET /p\r\n"], False),
        ([b"GET /p HTTP/1.1\r\n", b"X: GET /p\r\n"], False),
        ([b"GET /p HTTP/1.1\r\nRef: x", b" GET /p\r\n"], False),
        ([b"GET /p HTTP/1.1\r\n", b" GET /p\r\n"], False),
        ([b"GET /p"], False),
    ],
)
def test_a_versionless_request_line_is_spotted_once_complete(
    reads: list[bytes], is_versionless: bool
) -> None:
    watch = RequestLineWatch()
    watch.begin()
    answers = [watch.is_versionless(data, b"GET", b"/p") for data in reads]
    assert answers[-1] is is_versionless
    assert not any(answers[:-1])
