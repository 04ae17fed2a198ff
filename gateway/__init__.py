"""timer-gateway: a GitScrum-style timer API in front of Redmine."""

__version__ = "0.1.0"
