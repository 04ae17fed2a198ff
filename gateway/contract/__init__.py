"""The OpenAPI document of the gateway's own paths, generated from the models its views use."""
