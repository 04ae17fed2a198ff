"""Whether the gateway's answer equals Redmine's own, modulo fields that differ per record."""

import xml.etree.ElementTree as ET
from typing import Any

from .endpoints import Answer

# What Redmine assigns anew to each record: two identical creations differ only here.
PER_RECORD_FIELDS = frozenset({"id", "created_on", "updated_on"})


def assert_same_answer(
    via_gateway: Answer, direct: Answer, *, ignored: frozenset[str] = frozenset()
) -> None:
    # Plain asserts here are not rewritten by pytest (this is no test module): spell out the diff.
    seen = (via_gateway.status, via_gateway.content_type)
    expected = (direct.status, direct.content_type)
    assert seen == expected, f"status, content type: gateway {seen} != Redmine {expected}"
    seen_body = comparable_body(via_gateway, ignored)
    expected_body = comparable_body(direct, ignored)
    assert seen_body == expected_body, f"body: gateway {seen_body!r} != Redmine {expected_body!r}"


def comparable_body(answer: Answer, ignored: frozenset[str]) -> object:
    """The body as bytes, or parsed without the `ignored` fields of the record it holds."""
    if not ignored or not answer.body:
        return answer.body
    media_type = (answer.content_type or "").partition(";")[0]
    if media_type == "application/json":
        return _json_without(answer.json(), ignored)
    if media_type == "application/xml":
        return _xml_without(answer.xml(), ignored)
    raise AssertionError(f"no field-wise comparison for {media_type!r} bodies")


def _json_without(document: dict[str, Any], ignored: frozenset[str]) -> dict[str, Any]:
    # Redmine wraps one record in its type name: {"time_entry": {...}}.
    return {
        name: {k: v for k, v in record.items() if k not in ignored}
        if isinstance(record, dict)
        else record
        for name, record in document.items()
    }


def _xml_without(root: ET.Element, ignored: frozenset[str]) -> str:
    for child in list(root):
        if child.tag in ignored:
            root.remove(child)
    return ET.tostring(root, encoding="unicode")
