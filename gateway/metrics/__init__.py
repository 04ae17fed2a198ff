"""Prometheus metrics: what each serving process counts, merged across workers at a scrape."""
