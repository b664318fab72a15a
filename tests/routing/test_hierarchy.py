from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from routing.hierarchy import HierarchyError, load_agencies, load_rules
from routing.models import Agency, RoutingRule
from tests.helpers import agency_rows, rule_rows

EXAMPLE_CSV = Path(__file__).resolve().parents[2] / "docs" / "agencies-example.csv"


def agency(
    code: str, level: str, region: str = "", parent: str = "", **extra: str
) -> dict[str, str]:
    return {
        "code": code,
        "name": extra.pop("name", f"Agency {code}"),
        "level": level,
        "region": region,
        "parent": parent,
        **extra,
    }


def tree() -> list[dict[str, str]]:
    """A small valid hierarchy, children before parents."""
    return [
        agency("dinkes-64-72", "OPD", "64.72", "diskominfo-64-72", email="dinkes@example.org"),
        agency("disdikbud-64", "OPD", "64", "diskominfo-64"),
        agency("diskominfo-64-72", "REGENCY", "64.72", "diskominfo-64"),
        agency("diskominfo-31", "PROVINCE", "31", "nasional", active="no"),
        agency("diskominfo-64", "PROVINCE", "64", "nasional"),
        agency("nasional", "NATIONAL"),
    ]


def errors_of(rows: list[dict[str, str]], loader: Callable[..., Any] = load_agencies) -> str:
    with pytest.raises(HierarchyError) as raised:
        loader(rows)
    return raised.value.message


class TestLoadAgencies:
    def test_loads_rows_in_any_order_and_again_changes_nothing(self, regions: None) -> None:
        assert load_agencies(tree()) == {"created": 6, "updated": 0, "unchanged": 0}
        first = agency_rows()
        opd = Agency.objects.get(code="dinkes-64-72")
        assert opd.parent is not None and opd.parent.code == "diskominfo-64-72"
        assert opd.parent.parent is not None and opd.parent.parent.code == "diskominfo-64"
        assert opd.email == "dinkes@example.org" and opd.is_active
        assert not Agency.objects.get(code="diskominfo-31").is_active
        assert Agency.objects.get(code="nasional").parent is None

        assert load_agencies(list(reversed(tree()))) == {"created": 0, "updated": 0, "unchanged": 6}
        assert agency_rows() == first

    def test_updates_by_code(self, regions: None) -> None:
        load_agencies(tree())
        rows = tree()
        rows[0]["name"] = "Dinas Kesehatan Kota Samarinda"
        assert load_agencies(rows) == {"created": 0, "updated": 1, "unchanged": 5}
        assert Agency.objects.get(code="dinkes-64-72").name == "Dinas Kesehatan Kota Samarinda"

    def test_contact_columns_are_written_only_when_the_file_has_them(self, regions: None) -> None:
        rows = tree()
        rows[0].update(
            address="Jl. Contoh No. 1, Samarinda", phone="0541 000000", website="https://x.example"
        )
        load_agencies(rows)
        opd = Agency.objects.get(code="dinkes-64-72")
        assert (opd.address, opd.phone, opd.website) == (
            "Jl. Contoh No. 1, Samarinda",
            "0541 000000",
            "https://x.example",
        )
        # A later file without the columns leaves what an administrator entered.
        assert load_agencies(tree())["updated"] == 0
        opd.refresh_from_db()
        assert opd.address == "Jl. Contoh No. 1, Samarinda"
        # With the column empty, it is emptied.
        rows = tree()
        rows[0]["phone"] = ""
        assert load_agencies(rows)["updated"] == 1
        opd.refresh_from_db()
        assert (opd.phone, opd.website) == ("", "https://x.example")

    @pytest.mark.parametrize(
        ("extra", "message"),
        [
            ({"website": "javascript:alert(1)"}, "not an http(s) address"),
            ({"website": "dinkes.example"}, "not an http(s) address"),
            ({"phone": "0" * 31}, "phone is longer than 30"),
            ({"address": "x" * 301}, "address is longer than 300"),
        ],
    )
    def test_bad_contacts_are_refused_with_their_line(
        self, regions: None, extra: dict[str, str], message: str
    ) -> None:
        rows = tree()
        rows[0].update(extra)
        assert message in errors_of(rows)
        assert not Agency.objects.exists()

    def test_parent_already_in_the_database(self, regions: None) -> None:
        load_agencies(tree())
        counts = load_agencies([agency("dlh-64-72", "OPD", "64.72", "diskominfo-64-72")])
        assert counts["created"] == 1
        assert Agency.objects.get(code="dlh-64-72").parent == Agency.objects.get(
            code="diskominfo-64-72"
        )

    @pytest.mark.parametrize(
        ("bad", "message"),
        [
            (agency("x", "OPD", "64.72", "nowhere"), "unknown parent 'nowhere'"),
            (agency("x", "OPD", "99.99", "diskominfo-64-72"), "unknown region '99.99'"),
            (agency("x", "NATIONAL", "", "nasional"), "national coordinator has no parent"),
            (agency("x", "PROVINCE", "64.72", "nasional"), "region must be a province"),
            (agency("x", "PROVINCE", "", "nasional"), "region must be a province"),
            (agency("x", "PROVINCE", "31", "diskominfo-64"), "parent must be the national"),
            (agency("x", "PROVINCE", "31", ""), "only the national coordinator has none"),
            (agency("x", "REGENCY", "64", "diskominfo-64"), "region must be a regency/city"),
            (agency("x", "REGENCY", "64.71", "diskominfo-31"), "coordinator of province 64"),
            (agency("x", "REGENCY", "64.71", "nasional"), "coordinator of province 64"),
            (agency("x", "OPD", "", "nasional"), "OPD's parent must be a province or regency"),
            (agency("x", "OPD", "", "dinkes-64-72"), "OPD's parent must be a province or regency"),
            (agency("x", "OPD", "64.71", "diskominfo-64-72"), "region must be 64.72"),
            (agency("x", "OPD", "31", "diskominfo-64"), "region must be 64"),
            (agency("dinkes-64-72", "OPD", "64.72", "diskominfo-64-72"), "already on line 2"),
            (agency("x", "DINAS", "64.72", "diskominfo-64-72"), "level 'DINAS' is not one of"),
            (agency("x", "OPD", "64.72", "diskominfo-64-72", name=""), "name is empty"),
            (
                agency("Dinas Kesehatan", "OPD", "64.72", "diskominfo-64-72"),
                "code 'Dinas Kesehatan'",
            ),
            (agency("x", "OPD", "64.72", "diskominfo-64-72", email="dinkes@"), "e-mail 'dinkes@'"),
            (agency("x", "OPD", "64.72", "diskominfo-64-72", active="maybe"), "yes or no"),
            (agency("x", "OPD", "64.72", "diskominfo-64-72", kode="x"), "unknown column(s) kode"),
            (agency("x", "REGENCY", "64.72", "diskominfo-64"), "a second coordinator of 64.72"),
            (agency("x", "NATIONAL"), "a second national coordinator"),
        ],
    )
    def test_a_bad_row_writes_nothing(
        self, regions: None, bad: dict[str, str], message: str
    ) -> None:
        rows = [*tree(), bad]
        text = errors_of(rows)
        assert f"line {len(rows) + 1}: " in text and message in text
        assert not Agency.objects.exists()

    def test_a_bad_row_changes_nothing_already_loaded(self, regions: None) -> None:
        load_agencies(tree())
        before = agency_rows()
        rows = tree()
        rows[0]["name"] = "Renamed"
        rows.append(agency("x", "OPD", "64.72", "nowhere"))
        errors_of(rows)
        assert agency_rows() == before

    def test_lists_every_bad_row(self, regions: None) -> None:
        rows = [*tree(), agency("x", "OPD", "", "nowhere"), agency("y", "NOPE")]
        with pytest.raises(HierarchyError) as raised:
            load_agencies(rows)
        assert [line for line, _text in raised.value.errors] == [8, 9]

    def test_a_second_national_against_the_database(self, regions: None) -> None:
        load_agencies(tree())
        text = errors_of([agency("kemenpan", "NATIONAL")])
        assert "line 2: the national coordinator is already 'nasional'" in text
        assert not Agency.objects.filter(code="kemenpan").exists()

    def test_a_second_coordinator_against_the_database(self, regions: None) -> None:
        load_agencies(tree())
        text = errors_of([agency("kominfo-kaltim", "PROVINCE", "64", "nasional")])
        assert "coordinator of 64 is already 'diskominfo-64'" in text

    def test_moving_a_parent_checks_the_children_left_in_the_database(self, regions: None) -> None:
        load_agencies(tree())
        before = agency_rows()
        # diskominfo-64-72 stays in the database; its parent would no longer be its province's.
        text = errors_of(
            [
                agency("diskominfo-64", "PROVINCE", "31", "nasional"),
                agency("diskominfo-31", "PROVINCE", "64", "nasional"),
            ]
        )
        assert "existing agency 'diskominfo-64-72' under it" in text
        assert agency_rows() == before

    def test_line_numbers_of_a_csv_reader_skip_blank_lines(self, regions: None) -> None:
        text = (
            "code,name,level,region,parent,email,active\nnasional,N,NATIONAL,,,,\n\nx,X,OPD,,y,,\n"
        )
        with pytest.raises(HierarchyError) as raised:
            load_agencies(csv.DictReader(io.StringIO(text)))
        assert raised.value.errors == [(4, "unknown parent 'y'")]


class TestLoadRules:
    def rules(self) -> list[dict[str, str]]:
        return [
            {"category": "kesehatan", "level": "PROVINCE", "target": "REGENCY_COORDINATOR"},
            {
                "category": "kesehatan",
                "level": "REGENCY",
                "region": "64.72",
                "agency": "dinkes-64-72",
            },
            {
                "category": "pendidikan",
                "level": "PROVINCE",
                "region": "64",
                "agency": "disdikbud-64",
            },
        ]

    def test_loads_and_again_changes_nothing(self, regions: None, categories: None) -> None:
        load_agencies(tree())
        assert load_rules(self.rules()) == {"created": 3, "updated": 0, "unchanged": 0}
        first = rule_rows()
        assert first[0][1:] == ("kesehatan", "PROVINCE", None, "REGENCY_COORDINATOR", None)
        assert first[1][1:] == ("kesehatan", "REGENCY", "64.72", "AGENCY", "dinkes-64-72")
        assert load_rules(self.rules()) == {"created": 0, "updated": 0, "unchanged": 3}
        assert rule_rows() == first

    def test_upserts_on_category_level_and_region(self, regions: None, categories: None) -> None:
        load_agencies(tree())
        load_rules(self.rules())
        rows = self.rules()
        rows[2] = {
            "category": "pendidikan",
            "level": "PROVINCE",
            "region": "64",
            "target": "REGENCY_COORDINATOR",
        }
        assert load_rules(rows) == {"created": 0, "updated": 1, "unchanged": 2}
        rule = RoutingRule.objects.get(category__code="pendidikan", region_id="64")
        assert rule.target == RoutingRule.Target.REGENCY_COORDINATOR and rule.agency is None

    @pytest.mark.parametrize(
        ("bad", "message"),
        [
            (
                {"category": "nope", "level": "PROVINCE", "target": "REGENCY_COORDINATOR"},
                "unknown category 'nope'",
            ),
            ({"category": "sosial", "level": "KOTA", "agency": "dinkes-64-72"}, "level 'KOTA'"),
            (
                {
                    "category": "sosial",
                    "level": "REGENCY",
                    "region": "99",
                    "agency": "dinkes-64-72",
                },
                "unknown region '99'",
            ),
            (
                {"category": "sosial", "level": "REGENCY", "region": "64.72", "agency": "nope"},
                "unknown agency 'nope'",
            ),
            (
                {"category": "sosial", "level": "REGENCY", "region": "64.72"},
                "needs the code of an agency",
            ),
            (
                {"category": "sosial", "level": "REGENCY", "target": "REGENCY_COORDINATOR"},
                "PROVINCE rules only",
            ),
            (
                {
                    "category": "sosial",
                    "level": "PROVINCE",
                    "target": "REGENCY_COORDINATOR",
                    "agency": "dinkes-64-72",
                },
                "takes no agency",
            ),
            (
                {"category": "sosial", "level": "PROVINCE", "target": "ELSEWHERE"},
                "target 'ELSEWHERE'",
            ),
            (
                {
                    "category": "sosial",
                    "level": "PROVINCE",
                    "region": "64.72",
                    "agency": "disdikbud-64",
                },
                "region must be a province",
            ),
            (
                {
                    "category": "sosial",
                    "level": "REGENCY",
                    "region": "64",
                    "agency": "dinkes-64-72",
                },
                "region must be a regency/city",
            ),
            (
                {
                    "category": "sosial",
                    "level": "REGENCY",
                    "region": "64.72",
                    "agency": "diskominfo-64-72",
                },
                "must be an OPD",
            ),
            (
                {
                    "category": "sosial",
                    "level": "PROVINCE",
                    "region": "64",
                    "agency": "dinkes-64-72",
                },
                "under a province coordinator",
            ),
            (
                {
                    "category": "sosial",
                    "level": "REGENCY",
                    "region": "64.71",
                    "agency": "dinkes-64-72",
                },
                "not under the coordinator of 64.71",
            ),
            ({"category": "kesehatan", "level": "PROVINCE"}, "needs the code of an agency"),
            (
                {"category": "kesehatan", "level": "PROVINCE", "target": "REGENCY_COORDINATOR"},
                "already on line 2",
            ),
        ],
    )
    def test_a_bad_row_writes_nothing(
        self, regions: None, categories: None, bad: dict[str, str], message: str
    ) -> None:
        load_agencies(tree())
        rows = [*self.rules(), bad]
        text = errors_of(rows, load_rules)
        assert f"line {len(rows) + 1}: " in text and message in text
        assert not RoutingRule.objects.exists()


AGENCIES_CSV = """code,name,level,region,parent,email,active
diskominfo-64-72,Diskominfo Kota Samarinda,REGENCY,64.72,diskominfo-64,,
dinkes-64-72,Dinas Kesehatan Kota Samarinda,OPD,64.72,diskominfo-64-72,,yes
diskominfo-64,Diskominfo Provinsi Kalimantan Timur,PROVINCE,64,nasional,,
nasional,Pengelola Nasional,NATIONAL,,,,
"""

RULES_CSV = """category,level,region,target,agency
kesehatan,PROVINCE,,REGENCY_COORDINATOR,
kesehatan,REGENCY,64.72,AGENCY,dinkes-64-72
"""


class TestLoadAgenciesCommand:
    def test_loads_agencies_and_rules(
        self, regions: None, categories: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        agencies, rules = tmp_path / "agencies.csv", tmp_path / "rules.csv"
        agencies.write_text(AGENCIES_CSV, encoding="utf-8")
        rules.write_text(RULES_CSV, encoding="utf-8")
        call_command("load_agencies", str(agencies), "--rules", str(rules))
        out = capsys.readouterr().out
        assert "Instansi: 4 dibuat, 0 diperbarui, 0 tidak berubah" in out
        assert "Aturan penerusan: 2 dibuat, 0 diperbarui, 0 tidak berubah" in out
        assert RoutingRule.objects.get(region_id="64.72").agency == Agency.objects.get(
            code="dinkes-64-72"
        )
        call_command("load_agencies", str(agencies), "--rules", str(rules))
        out = capsys.readouterr().out
        assert "Instansi: 0 dibuat, 0 diperbarui, 4 tidak berubah" in out
        assert "Aturan penerusan: 0 dibuat, 0 diperbarui, 2 tidak berubah" in out

    def test_reads_semicolons_and_a_byte_order_mark(
        self, regions: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = tmp_path / "agencies.csv"
        path.write_text(AGENCIES_CSV.replace(",", ";"), encoding="utf-8-sig")
        call_command("load_agencies", str(path))
        assert "4 dibuat" in capsys.readouterr().out

    def test_a_bad_file_exits_with_the_line_and_writes_nothing(
        self, regions: None, categories: None, tmp_path: Path
    ) -> None:
        agencies = tmp_path / "agencies.csv"
        agencies.write_text(AGENCIES_CSV + "x,X,OPD,64.72,nowhere,,\n", encoding="utf-8")
        with pytest.raises(CommandError) as raised:
            call_command("load_agencies", str(agencies))
        assert f"{agencies}:6: unknown parent 'nowhere'" in str(raised.value)
        assert not Agency.objects.exists()

    def test_bad_rules_roll_back_the_agencies_too(
        self, regions: None, categories: None, tmp_path: Path
    ) -> None:
        agencies, rules = tmp_path / "agencies.csv", tmp_path / "rules.csv"
        agencies.write_text(AGENCIES_CSV, encoding="utf-8")
        rules.write_text(RULES_CSV + "nope,PROVINCE,,REGENCY_COORDINATOR,\n", encoding="utf-8")
        with pytest.raises(CommandError) as raised:
            call_command("load_agencies", str(agencies), "--rules", str(rules))
        assert f"{rules}:4: unknown category 'nope'" in str(raised.value)
        assert not Agency.objects.exists() and not RoutingRule.objects.exists()

    def test_a_missing_file(self, db: None, tmp_path: Path) -> None:
        with pytest.raises(CommandError, match="Tidak dapat membaca"):
            call_command("load_agencies", str(tmp_path / "missing.csv"))

    def test_the_example_in_the_docs_loads(self, regions: None) -> None:
        call_command("load_agencies", str(EXAMPLE_CSV))
        assert Agency.objects.get(code="diskominfo-64-72").parent == Agency.objects.get(
            code="diskominfo-64"
        )
