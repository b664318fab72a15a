"""The map tile server's address, as the Content-Security-Policy must name it.

The portal's maps draw tiles from one tile server (``LAPOR_MAP_TILE_URL``, a Leaflet URL
template). The browser fetches them as images, so the policy's ``img-src`` must allow that
server's origin, and only that one.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Leaflet puts a subdomain in {s} ("a", "b", "c"): the policy allows them all with a wildcard.
_SUBDOMAIN = "{s}"
_HOST = re.compile(r"^(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def tile_origin(template: str) -> str | None:
    """The origin the policy must allow for tiles from ``template``
    ("https://tile.openstreetmap.org/{z}/{x}/{y}.png" → "https://tile.openstreetmap.org";
    "https://{s}.tile.example.org/…" → "https://*.tile.example.org"), or ``None`` for a path on
    the portal itself ("/tiles/{z}/{x}/{y}.png"), which ``'self'`` already allows.

    :raises ValueError: when the template is not an http(s) URL or a path, or names its host
        with a placeholder other than a leading {s}.
    """
    if template.startswith("/") and not template.startswith("//"):
        return None
    parts = urlsplit(template.replace(_SUBDOMAIN, "*", 1))
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"A map tile URL must be an http(s) URL or a path, not {template!r}.")
    host = parts.netloc
    if not _HOST.match(host):
        raise ValueError(
            f"The map tile URL {template!r} does not name a host the policy can allow."
        )
    return f"{parts.scheme}://{host}"
