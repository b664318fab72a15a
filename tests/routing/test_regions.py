from __future__ import annotations

import pytest

from routing.models import Region
from routing.services import load_regions


@pytest.mark.django_db
class TestLoadRegions:
    def test_loads_every_region_once(self) -> None:
        counts = load_regions()
        assert counts == {1: 38, 2: 514, 3: 7285, 4: 83762}
        assert Region.objects.filter(level=Region.Level.PROVINCE).count() == 38
        assert Region.objects.filter(level=Region.Level.REGENCY).count() == 514
        assert Region.objects.filter(level=Region.Level.DISTRICT).count() == 7285
        assert Region.objects.filter(level=Region.Level.VILLAGE).count() == 83762
        samarinda = Region.objects.get(code="64.72")
        assert samarinda.name == "Kota Samarinda" and samarinda.parent_id == "64"
        assert Region.objects.get(code="64.72.01").parent_id == "64.72"
        assert Region.objects.get(code="64.72.01.1001").parent_id == "64.72.01"
        # a second run changes nothing
        assert load_regions() == counts
        assert Region.objects.count() == 38 + 514 + 7285 + 83762

    def test_command(self, capsys: pytest.CaptureFixture[str]) -> None:
        from django.core.management import call_command

        call_command("load_regions")
        assert (
            "38 provinces, 514 regencies/cities, 7285 districts, 83762 villages"
            in capsys.readouterr().out
        )
