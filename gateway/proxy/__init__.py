"""Relaying one parsed request to Redmine or to the gateway's own app, and its answer back."""
