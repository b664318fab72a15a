"""Where a report happened, as each audience may see it.

A report's point (``Complaint.latitude``/``longitude``) and address are part of the reporter's
privacy: a pin dropped on one's own street can name the one who complained. Staff see them as
given (they need them to act), anonymous reports included. The public, and everything public
(the map at ``/peta/``, Open311's GET, the public API), sees a public report's point only
snapped to the centre of a grid cell:

- ``PUBLIC_GRID_DEGREES`` (0.002°, about 220 m) for a report with a named reporter: it shows
  the neighbourhood of the problem, not a house;
- ``ANONYMOUS_GRID_DEGREES`` (0.01°, about 1.1 km) for an anonymous report, whose reporter's
  own street must not be guessed from it;
- nothing for a confidential report, or one the public may not see at all.

The address is never public: it is the reporter's words, and may name their house.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from complaints.models import Complaint

PUBLIC_GRID_DEGREES = Decimal("0.002")
ANONYMOUS_GRID_DEGREES = Decimal("0.01")

EARTH_RADIUS_M = 6_371_000.0
# A degree of latitude, in metres (near enough everywhere for a rule stated in round figures).
METRES_PER_DEGREE = 111_320


def cell_metres(grid: Decimal) -> float:
    """A grid cell's side north to south, in metres: how coarse a public point is."""
    return float(grid) * METRES_PER_DEGREE


def snap(value: Decimal, grid: Decimal) -> Decimal:
    """The centre of the grid cell ``value`` lies in (cells start at 0°, so a cell is the same
    whichever side of the equator or meridian it lies)."""
    cell = (value / grid).to_integral_value(rounding="ROUND_FLOOR")
    return (cell * grid + grid / 2).quantize(grid / 2)


def public_point(complaint: Complaint) -> tuple[Decimal, Decimal] | None:
    """The report's point as the public may see it (see the module's rule), or ``None``."""
    if complaint.latitude is None or complaint.longitude is None:
        return None
    if complaint.is_confidential or not complaint.is_public:
        return None
    grid = ANONYMOUS_GRID_DEGREES if complaint.is_anonymous else PUBLIC_GRID_DEGREES
    return snap(Decimal(complaint.latitude), grid), snap(Decimal(complaint.longitude), grid)


def staff_point(complaint: Complaint) -> tuple[Decimal, Decimal] | None:
    """The report's point as shared, for the staff who act on it."""
    if complaint.latitude is None or complaint.longitude is None:
        return None
    return Decimal(complaint.latitude), Decimal(complaint.longitude)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The great-circle distance between two (latitude, longitude) points, in metres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
