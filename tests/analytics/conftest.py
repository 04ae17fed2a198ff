"""Fixtures of the analytics endpoint and source tests: the timers suite's gateway factory."""

from tests.timers.conftest import make_gateway

__all__ = ["make_gateway"]
