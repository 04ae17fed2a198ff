"""Timers: start/stop rules, their models and their HTTP handlers."""
