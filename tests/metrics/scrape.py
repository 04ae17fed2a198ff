"""Reading a scrape the way Prometheus does: prometheus-client's own parser, then by sample."""

from dataclasses import dataclass

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class Scrape:
    text: str
    families: dict[str, str]  # name -> type
    samples: dict[str, list[tuple[dict[str, str], float]]]

    def values(self, name: str) -> list[tuple[dict[str, str], float]]:
        return self.samples.get(name, [])

    def value(self, name: str, **labels: str) -> float:
        """The one sample `name` with exactly these labels (the `le` of a bucket included)."""
        found = [v for sample_labels, v in self.values(name) if sample_labels == labels]
        assert len(found) == 1, f"{name}{labels}: {found} in\n{self.text}"
        return found[0]

    def total(self, name: str, **labels: str) -> float:
        """The sum over every sample `name` whose labels include these."""
        return sum(
            v for sample_labels, v in self.values(name) if labels.items() <= sample_labels.items()
        )

    def label_values(self, name: str, label: str) -> set[str]:
        return {sample_labels[label] for sample_labels, _ in self.values(name)}


def parse(text: str) -> Scrape:
    families: dict[str, str] = {}
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        families[family.name] = family.type
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return Scrape(text, families, samples)


async def scrape(session: aiohttp.ClientSession, url: str) -> Scrape:
    async with session.get(url) as response:
        text = await response.text()
        assert response.status == 200, text
        assert response.headers["Content-Type"] == PROMETHEUS_TEXT
    return parse(text)
