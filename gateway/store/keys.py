"""Redis key builders: the only place key strings exist."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str

    def readiness_probe(self) -> str:
        return f"{self.prefix}:readyz"
