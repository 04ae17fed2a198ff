"""Builds the OpenAPI 3.1 document from the route table and the operations' pydantic models."""

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aiohttp import hdrs, web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from gateway import __version__
from gateway.contract.operations import OPERATIONS, Operation, Reply
from gateway.errors import Handler
from gateway.page.api import is_behind_session
from gateway.page.guard import COOKIE
from gateway.page.views import asset, index, to_index
from gateway.redmine.client import API_KEY_HEADER

OPENAPI_VERSION = "3.1.0"
REF_TEMPLATE = "#/components/schemas/{model}"
JSON_TYPE = "application/json"
SECURITY_SCHEMES = {
    "redmineApiKey": {
        "type": "apiKey",
        "in": "header",
        "name": API_KEY_HEADER,
        "description": "The caller's Redmine API key.",
    },
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "The caller's Redmine API key as a bearer token (GitScrum style).",
    },
}
REQUIRE_KEY: list[dict[str, list[str]]] = [{name: []} for name in SECURITY_SCHEMES]
PAGE_SESSION_SCHEME = {
    "pageSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": COOKIE,
        "description": "The page's session (HttpOnly, set by signing in on the page).",
    }
}
REQUIRE_SESSION: list[dict[str, list[str]]] = [{"pageSession": []}]
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
        "required": True,
    }
}

# The page's files (HTML, script, style) are not API operations.
PAGE_FILES: frozenset[Handler] = frozenset({index, asset, to_index})
ModelKey = tuple[type[BaseModel], JsonSchemaMode]
# Each model's {"$ref": ...} in components.schemas.
Refs = Mapping[ModelKey, Mapping[str, Any]]


class UndescribedRoute(LookupError):
    """A route of the table has no entry in OPERATIONS (or an entry has no route)."""


def document_bytes(table: Sequence[web.RouteDef]) -> bytes:
    """The document as served: built once, at start-up."""
    return json.dumps(openapi_document(table), separators=(",", ":")).encode()


def openapi_document(
    table: Sequence[web.RouteDef], operations: Mapping[Handler, Operation] = OPERATIONS
) -> dict[str, Any]:
    """Every route of `table` but the catch-alls (any method: 404 or 405 in the error shape),
    the page's files, and the time-tracking routes again behind the page's session; each
    described by its handler's entry in `operations`."""
    routes = [
        route
        for route in table
        if route.method != hdrs.METH_ANY
        and route.handler not in PAGE_FILES
        and not is_behind_session(route.handler)
    ]
    described = described_routes(routes, operations)
    keys = sorted(models_of(op for _, op in described), key=_model_order)
    found, top = models_json_schema(keys, ref_template=REF_TEMPLATE)
    refs: Refs = {key: found[key] for key in keys}
    schemas: dict[str, Any] = top.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for route, operation in described:
        item = paths.setdefault(openapi_path(route.path), {})
        item[route.method.lower()] = operation_object(route, operation, refs, schemas)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "timer-gateway",
            "version": __version__,
            "description": (
                "The gateway's own paths: the GitScrum-style /time-trackings API and the "
                "operational /-/ endpoints (on GATEWAY_ADMIN_PORT only, when that is set). "
                "The timer page is served at /-/app/ (on the public port); its API, under "
                "/-/app/api/, is its session, the issue picker, and every /time-trackings "
                "operation again at /-/app/api/time-trackings..., where the page's session "
                "cookie (plus X-CSRF-Token on POST, PUT, PATCH and DELETE) stands for the key. "
                "Every other path is Redmine's, passed through unchanged."
            ),
        },
        "tags": [
            {"name": "timers", "description": "Timers and time trackings."},
            {"name": "analytics", "description": "Figures from Redmine's time entries."},
            {"name": "workspaces", "description": "GitScrum's workspace and project search."},
            {"name": "ops", "description": "Health, readiness, metrics and this document."},
            {"name": "page", "description": "The timer page's session and issue picker."},
        ],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {**SECURITY_SCHEMES, **PAGE_SESSION_SCHEME},
        },
    }


def described_routes(
    routes: Iterable[web.RouteDef], operations: Mapping[Handler, Operation]
) -> list[tuple[web.RouteDef, Operation]]:
    described = []
    for route in routes:
        operation = operations.get(route.handler)
        if operation is None:
            raise UndescribedRoute(f"{route.method} {route.path} has no entry in OPERATIONS")
        described.append((route, operation))
    stale = set(operations) - {route.handler for route, _ in described}
    if stale:
        names = ", ".join(sorted(handler.__qualname__ for handler in stale))
        raise UndescribedRoute(f"OPERATIONS describes handlers with no route: {names}")
    return described


def models_of(operations: Iterable[Operation]) -> set[ModelKey]:
    """What requests are validated with, and what answers are serialized with."""
    keys: set[ModelKey] = set()
    for operation in operations:
        for model in (operation.query, operation.path, operation.body):
            if model is not None:
                keys.add((model, "validation"))
        keys.update(
            (reply.model, "serialization")
            for reply in operation.replies.values()
            if reply.model is not None
        )
    return keys


def _model_order(key: ModelKey) -> tuple[str, str]:
    return key[0].__name__, key[1]


def openapi_path(path: str) -> str:
    """`/time-trackings/{timer_id:\\d{1,18}}` as OpenAPI spells it: `/time-trackings/{timer_id}`."""
    return web.UrlDispatcher().add_resource(path).canonical


def operation_object(
    route: web.RouteDef,
    operation: Operation,
    refs: Refs,
    schemas: Mapping[str, Any],
) -> dict[str, Any]:
    parameters = [
        *parameters_of(operation.path, "path", refs, schemas),
        *parameters_of(operation.query, "query", refs, schemas),
    ]
    result: dict[str, Any] = {
        "operationId": route.handler.__name__,
        "summary": operation.summary,
        "tags": [operation.tag],
        "security": security_of(operation),
    }
    if parameters:
        result["parameters"] = parameters
    if operation.body is not None:
        result["requestBody"] = {
            # An empty body is read as {}.
            "required": False,
            "content": {JSON_TYPE: {"schema": refs[(operation.body, "validation")]}},
        }
    result["responses"] = {
        str(status): response_object(reply, refs)
        for status, reply in sorted(operation.replies.items())
    }
    return result


def security_of(operation: Operation) -> list[dict[str, list[str]]]:
    if operation.secured:
        return REQUIRE_KEY
    return REQUIRE_SESSION if operation.session else []


def response_object(reply: Reply, refs: Refs) -> dict[str, Any]:
    content: dict[str, Any] = {}
    if reply.model is not None:
        content[JSON_TYPE] = {"schema": refs[(reply.model, "serialization")]}
    if reply.text is not None:
        content[reply.text] = {"schema": {"type": "string"}}
    result: dict[str, Any] = {"description": reply.description}
    if content:
        result["content"] = content
    if reply.retry_after:
        result["headers"] = RETRY_AFTER
    return result


def parameters_of(
    model: type[BaseModel] | None,
    where: str,
    refs: Refs,
    schemas: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """A model's fields as parameters: optional ones are simply left out (never sent as null);
    a list is one comma-separated value (`users=alice,bob`)."""
    if model is None:
        return []
    schema = schemas[refs[(model, "validation")]["$ref"].rpartition("/")[2]]
    required = set(schema.get("required", ()))
    parameters = []
    for name, field_schema in schema["properties"].items():
        value = without_null(field_schema)
        parameter: dict[str, Any] = {
            "name": name,
            "in": where,
            "required": where == "path" or name in required,
            "schema": value,
        }
        if value.get("type") == "array":
            parameter |= {"style": "form", "explode": False}
        parameters.append(parameter)
    return parameters


def without_null(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A field's schema without its null branch or null default: absent, not null."""
    result = {
        k: v for k, v in schema.items() if k != "title" and not (k == "default" and v is None)
    }
    branches = [b for b in result.pop("anyOf", ()) if b != {"type": "null"}]
    if len(branches) == 1:
        result |= branches[0]
    elif branches:
        result["anyOf"] = branches
    return result
