"""The soak: two replicas, Redis with AOF and a faulty Redmine under load, then the figures."""
