"""Open311's two output formats: the same data as JSON or as XML.

The data is plain Python: dicts, lists, strings, numbers, booleans and None. In XML a list is an
element whose children are named after what it holds (``attributes`` holds ``attribute``
elements), a boolean is ``true``/``false`` and None is an empty element, as GeoReport v2 shows.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any
from xml.etree import ElementTree as ET  # writes XML; nothing here parses any

from django.http import HttpResponse

from lapor.lib.text import xml_safe


class Format(StrEnum):
    JSON = "json"
    XML = "xml"


CONTENT_TYPES = {
    Format.JSON: "application/json; charset=utf-8",
    Format.XML: "text/xml; charset=utf-8",
}

# The element name of one item of each list, by the list's element name.
_ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
}


def _text(value: Any) -> str:
    """An element's text. A character XML 1.0 cannot carry (a control character in a report
    stored before such text was refused, or written around the services) becomes U+FFFD: one
    such report must not make the whole list unreadable."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return xml_safe(str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(element, _ITEM_NAMES[element.tag]), item)
    else:
        element.text = _text(value)


def to_xml(root: str, data: Any) -> str:
    """``data`` as an XML document whose root element is ``root``."""
    element = ET.Element(root)
    _fill(element, data)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode")


def render(data: Any, fmt: Format, *, root: str, status: int = 200) -> HttpResponse:
    """An HTTP response with ``data`` in the format asked for; ``root`` names the XML root."""
    if fmt == Format.XML:
        body = to_xml(root, data)
    else:
        body = json.dumps(data, ensure_ascii=False)
    return HttpResponse(body.encode("utf-8"), status=status, content_type=CONTENT_TYPES[fmt])
