"""End-to-end tests: the gateway in front of a real Redmine."""
