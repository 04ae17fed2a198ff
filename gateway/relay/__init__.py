"""The pass-through's own HTTP/1.1 client: keep-alive connections to Redmine and their pool."""
