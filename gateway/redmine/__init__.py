"""Typed access to Redmine's REST API for the gateway's own calls."""
