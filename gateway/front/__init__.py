"""The public side: the listener, its client connections, and how request targets are routed."""
