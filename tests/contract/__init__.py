"""The OpenAPI contract: the document and schemathesis against a live gateway."""
