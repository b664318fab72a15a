"""Regions by name: how typed names are compared (``lapor.lib.region_names``), and the selectors
that resolve a name, label each region so that its label names it alone, and suggest regions as
one types (``routing.selectors``)."""

from __future__ import annotations

import pytest

from lapor.lib.region_names import fold, key, looks_like_code, name_keys
from routing import selectors
from routing.models import Region
from routing.selectors import clear_settings_cache
from routing.services import load_regions


class TestNames:
    def test_fold_and_key(self) -> None:
        assert fold("  Kabupaten  Toli-Toli ") == "kabupaten toli toli"
        assert fold("Sa'dan") == fold("Sa’dan") == "sadan"
        assert fold("Sámarindá") == "samarinda"
        assert key("Toli-Toli") == key("toli toli") == key("TOLITOLI") == "tolitoli"

    def test_the_keys_a_region_is_found_by(self) -> None:
        assert {"kotabalikpapan", "balikpapan"} <= name_keys("Kota Balikpapan", 2)
        assert {"kabupatenkutaitimur", "kutaitimur", "kabkutaitimur"} <= name_keys(
            "Kabupaten Kutai Timur", 2
        )
        assert {"kalimantantimur", "provinsikalimantantimur", "kaltim"} <= name_keys(
            "Kalimantan Timur", 1
        )
        assert {"dkijakarta", "jakarta"} <= name_keys("Daerah Khusus Ibukota Jakarta", 1)
        assert {"palaran", "kecpalaran", "kecamatanpalaran"} <= name_keys("Palaran", 3)
        # "Kep." spelt out, and the other way round.
        assert "kabupatenkepulauansiautagulandangbiaro" in name_keys(
            "Kabupaten Kep. Siau Tagulandang Biaro", 2
        )
        # A city's name without "Kota" is not a district's.
        assert "balikpapan" not in name_keys("Balikpapan Kota", 3)

    @pytest.mark.parametrize(
        ("text", "is_code"),
        [
            ("64", True),
            ("64.72", True),
            ("64.72.", True),
            ("64.72.01.1001", True),
            ("Kota 64", False),
            ("", False),
            ("64..72x", False),
            ("Samarinda", False),
        ],
    )
    def test_codes(self, text: str, is_code: bool) -> None:
        assert looks_like_code(text) is is_code


@pytest.fixture
def more_regions(regions: None) -> None:
    """Kalimantan Timur and DKI Jakarta (``regions``), and Kepulauan Riau: two districts are
    called Batu Ampar (Kabupaten Kutai Timur, Kota Batam)."""
    load_regions(province_codes=["21"])
    clear_settings_cache()


@pytest.mark.django_db
@pytest.mark.usefixtures("more_regions")
class TestResolve:
    @pytest.mark.parametrize(
        ("text", "codes"),
        [
            ("Kota Balikpapan", ("64.71",)),
            ("kota balikpapan", ("64.71",)),
            ("Balikpapan", ("64.71",)),
            ("Balikpapan Kota", ("64.71.06",)),
            ("Kalimantan Timur", ("64",)),
            ("kaltim", ("64",)),
            ("Kab. Kutai Timur", ("64.08",)),
            ("Kec. Palaran", ("64.72.01",)),
            ("Batu Ampar", ("21.71.02", "64.08.17")),
            ("Batu Ampar, Kota Batam", ("21.71.02",)),
            ("Batu Ampar (Kalimantan Timur)", ("64.08.17",)),
            ("64.72", ("64.72",)),
            ("64.72.", ("64.72",)),
            # A code no region has is still a code (the API always took it so).
            ("64.7", ("64.7",)),
        ],
    )
    def test_names_and_codes(self, text: str, codes: tuple[str, ...]) -> None:
        assert selectors.resolve_region(text).codes == codes

    def test_a_shared_name_is_ambiguous(self) -> None:
        choice = selectors.resolve_region("batu ampar")
        assert choice.is_ambiguous
        assert [r.label for r in choice.regions] == [
            "Batu Ampar, Kota Batam",
            "Batu Ampar, Kabupaten Kutai Timur",
        ]
        assert not selectors.resolve_region("Batu Ampar, Kota Batam").is_ambiguous

    def test_an_unknown_name_says_what_is_like_it(self) -> None:
        with pytest.raises(selectors.UnknownRegion) as typo:
            selectors.resolve_region("Balikpapn")
        assert [r.label for r in typo.value.hints] == ["Kota Balikpapan"]
        with pytest.raises(selectors.UnknownRegion) as nothing:
            selectors.resolve_region("Atlantis")
        assert nothing.value.hints == []

    def test_every_label_names_its_region_alone(self) -> None:
        for region in Region.objects.filter(level__lte=Region.Level.DISTRICT):
            entry = selectors.get_region_entry(region.code)
            assert entry is not None
            assert selectors.resolve_region(entry.label).codes == (region.code,), entry.label

    def test_villages_are_chosen_from_their_district_not_by_name(self) -> None:
        village = Region.objects.get(code="64.72.01.1001")
        assert village.level == Region.Level.VILLAGE
        assert selectors.get_region_entry(village.code) is None
        # A village's code still names it, with everything in it, as every code does.
        assert selectors.resolve_region(village.code).codes == (village.code,)

    def test_a_region_loaded_later_is_found_once_the_cache_is_cleared(self) -> None:
        with pytest.raises(selectors.UnknownRegion):
            selectors.resolve_region("Kota Bogor")
        load_regions(province_codes=["32"])
        clear_settings_cache()
        assert selectors.resolve_region("Bogor").codes == ("32.01", "32.71")


@pytest.mark.django_db
@pytest.mark.usefixtures("more_regions")
class TestSuggestions:
    def test_names_that_start_so_first_then_words_then_anywhere(self) -> None:
        labels = [r.label for r in selectors.region_suggestions("samarinda")]
        assert labels[0] == "Kota Samarinda"
        assert {"Samarinda Ilir", "Samarinda Kota"} <= set(labels)
        timur = [r.label for r in selectors.region_suggestions("timur")]
        # A province whose name has the word, before regencies, before districts.
        assert timur[0] == "Kalimantan Timur"
        assert [r.label for r in selectors.region_suggestions("kota bal")] == ["Kota Balikpapan"]

    def test_within_a_region_and_by_code(self) -> None:
        inside = selectors.region_suggestions("batu", within="21")
        assert inside and all(r.code.startswith("21.") for r in inside)
        assert [r.code for r in selectors.region_suggestions("64.72")][:2] == ["64.72", "64.72.01"]
        assert len(selectors.region_suggestions("a", limit=5)) == 5
        assert selectors.region_suggestions("") == []
