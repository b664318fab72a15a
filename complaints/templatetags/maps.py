"""What every map's element tells static/js/maps.js: the tile server, its attribution and the
pin's images; and the numbers of the public precision rule, for the sentences that state it."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString

from complaints.map_views import public_precision as _public_precision

register = template.Library()


@register.simple_tag
def map_attrs() -> SafeString:
    """The data- attributes of a map's element. The pin's images are named through the static
    storage: in production their names carry a hash, which Leaflet's own way of finding them
    (from its stylesheet) does not expect."""
    return format_html(
        'data-tile-url="{}" data-attribution="{}" data-marker-icon="{}" '
        'data-marker-icon-2x="{}" data-marker-shadow="{}"',
        settings.LAPOR_MAP_TILE_URL,
        settings.LAPOR_MAP_ATTRIBUTION,
        static("vendor/leaflet/images/marker-icon.png"),
        static("vendor/leaflet/images/marker-icon-2x.png"),
        static("vendor/leaflet/images/marker-shadow.png"),
    )


@register.simple_tag
def public_precision() -> dict[str, float]:
    """``{"named_m": 220.0, "anonymous_km": 1.1}``: the grid cells of the public rule
    (``complaints.places``), for "{% public_precision as precision %}"."""
    return _public_precision()
