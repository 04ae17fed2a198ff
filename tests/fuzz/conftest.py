"""The fuzz suite's shared gateway, and the checks that hold for a whole test."""

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests.fuzz.harness import EdgeHarness

# One gateway serves every example of a test (starting one per example would be most of the
# time); each example resets what it looks at. derandomize: CI runs the same examples each time.
FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def harness() -> Iterator[EdgeHarness]:
    with EdgeHarness() as edge:
        yield edge
    # After the gateway shut down (EdgeHarness waits for it): no connection it opened is left,
    # and nothing it logged carried a traceback.
    assert not edge.upstream.open_connections
    assert [record.getMessage() for record in edge.tracebacks.records] == []
