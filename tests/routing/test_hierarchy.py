from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from complaints.models import Complaint, ComplaintEvent
from demo.hierarchy import DEMO_PASSWORD, seed_demo_hierarchy
from routing.hierarchy import HierarchyError, load_agencies, load_rules
from routing.models import Agency, Category, Officer, Region, RoutingRule
from tests.factories import route_fully

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


def snapshot() -> list[tuple[Any, ...]]:
    return list(
        Agency.objects.order_by("code").values_list(
            "pk", "code", "name", "level", "region_id", "parent__code", "email", "is_active"
        )
    )


def rules_snapshot() -> list[tuple[Any, ...]]:
    return list(
        RoutingRule.objects.order_by("category__code", "level", "region_id").values_list(
            "pk", "category__code", "level", "region_id", "target", "agency__code"
        )
    )


def errors_of(rows: list[dict[str, str]], loader: Callable[..., Any] = load_agencies) -> str:
    with pytest.raises(HierarchyError) as raised:
        loader(rows)
    return raised.value.message


class TestLoadAgencies:
    def test_loads_rows_in_any_order_and_again_changes_nothing(self, regions: None) -> None:
        assert load_agencies(tree()) == {"created": 6, "updated": 0, "unchanged": 0}
        first = snapshot()
        opd = Agency.objects.get(code="dinkes-64-72")
        assert opd.parent is not None and opd.parent.code == "diskominfo-64-72"
        assert opd.parent.parent is not None and opd.parent.parent.code == "diskominfo-64"
        assert opd.email == "dinkes@example.org" and opd.is_active
        assert not Agency.objects.get(code="diskominfo-31").is_active
        assert Agency.objects.get(code="nasional").parent is None

        assert load_agencies(list(reversed(tree()))) == {"created": 0, "updated": 0, "unchanged": 6}
        assert snapshot() == first

    def test_updates_by_code(self, regions: None) -> None:
        load_agencies(tree())
        rows = tree()
        rows[0]["name"] = "Dinas Kesehatan Kota Samarinda"
        assert load_agencies(rows) == {"created": 0, "updated": 1, "unchanged": 5}
        assert Agency.objects.get(code="dinkes-64-72").name == "Dinas Kesehatan Kota Samarinda"

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
        before = snapshot()
        rows = tree()
        rows[0]["name"] = "Renamed"
        rows.append(agency("x", "OPD", "64.72", "nowhere"))
        errors_of(rows)
        assert snapshot() == before

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
        before = snapshot()
        # diskominfo-64-72 stays in the database; its parent would no longer be its province's.
        text = errors_of(
            [
                agency("diskominfo-64", "PROVINCE", "31", "nasional"),
                agency("diskominfo-31", "PROVINCE", "64", "nasional"),
            ]
        )
        assert "existing agency 'diskominfo-64-72' under it" in text
        assert snapshot() == before

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
        first = rules_snapshot()
        assert first[0][1:] == ("kesehatan", "PROVINCE", None, "REGENCY_COORDINATOR", None)
        assert first[1][1:] == ("kesehatan", "REGENCY", "64.72", "AGENCY", "dinkes-64-72")
        assert load_rules(self.rules()) == {"created": 0, "updated": 0, "unchanged": 3}
        assert rules_snapshot() == first

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


class TestSeedDemoHierarchy:
    def test_creates_the_demo_hierarchy(self, regions: None, categories: None) -> None:
        seed_demo_hierarchy()
        national = Agency.objects.get(code="nasional")
        assert national.level == Agency.Level.NATIONAL
        for code, name in (("64", "Kalimantan Timur"), ("31", "Daerah Khusus Ibukota Jakarta")):
            province = Agency.objects.get(code=f"diskominfo-{code}")
            assert province.name == f"Diskominfo Provinsi {name}"
            assert (province.level, province.region_id, province.parent) == (
                "PROVINCE",
                code,
                national,
            )
        kaltim = Agency.objects.get(code="diskominfo-64")
        regencies = Agency.objects.filter(level=Agency.Level.REGENCY)
        assert sorted(regencies.values_list("region_id", flat=True)) == sorted(
            Region.objects.filter(parent_id="64").values_list("code", flat=True)
        )
        assert all(regency.parent == kaltim for regency in regencies)
        assert Agency.objects.get(code="diskominfo-64-72").name == "Diskominfo Kota Samarinda"
        for city, city_name in (("64-72", "Kota Samarinda"), ("64-71", "Kota Balikpapan")):
            coordinator = Agency.objects.get(code=f"diskominfo-{city}")
            opds = {a.code: a.name for a in Agency.objects.filter(parent=coordinator)}
            assert opds == {
                f"dinkes-{city}": f"Dinas Kesehatan {city_name}",
                f"disdik-{city}": f"Dinas Pendidikan {city_name}",
                f"pupr-{city}": f"Dinas Pekerjaan Umum dan Penataan Ruang {city_name}",
                f"disdukcapil-{city}": f"Dinas Kependudukan dan Pencatatan Sipil {city_name}",
                f"dlh-{city}": f"Dinas Lingkungan Hidup {city_name}",
                f"dishub-{city}": f"Dinas Perhubungan {city_name}",
            }
        assert set(
            Agency.objects.filter(parent=kaltim, level=Agency.Level.OPD).values_list(
                "name", flat=True
            )
        ) == {
            "Dinas Pendidikan dan Kebudayaan Provinsi Kalimantan Timur",
            "Dinas Pekerjaan Umum dan Penataan Ruang Provinsi Kalimantan Timur",
            "Dinas Kesehatan Provinsi Kalimantan Timur",
        }
        secondary = Category.objects.get(code="pendidikan-menengah")
        assert (secondary.name_id, secondary.name_en) == (
            "Pendidikan Menengah (SMA/SMK)",
            "Secondary education (SMA/SMK)",
        )
        roads = Category.objects.get(code="jalan-provinsi")
        assert (roads.name_id, roads.name_en) == ("Jalan Provinsi", "Provincial roads")
        assert RoutingRule.objects.get(category=roads, level="PROVINCE", region_id="64").agency == (
            Agency.objects.get(code="pupr-64")
        )
        # Nothing passes provincial authority on down to a regency/city.
        assert not RoutingRule.objects.filter(category=roads, region__isnull=True).exists()
        for code in ("perizinan", "sosial", "ketenagakerjaan", "lainnya"):
            assert not RoutingRule.objects.filter(category__code=code, level="REGENCY").exists()

    def test_creates_the_demo_officers(self, regions: None, categories: None) -> None:
        seed_demo_hierarchy()
        expected = {
            "nasional": "nasional",
            "kaltim": "diskominfo-64",
            "samarinda": "diskominfo-64-72",
            "dinkes.samarinda": "dinkes-64-72",
            "dinkes.balikpapan": "dinkes-64-71",
            "pupr.samarinda": "pupr-64-72",
        }
        for username, agency_code in expected.items():
            officer = Officer.objects.select_related("user", "agency").get(user__username=username)
            assert officer.agency.code == agency_code
            assert officer.user.email == f"{username}@demo.lapor.localhost"
            assert officer.user.check_password(DEMO_PASSWORD)
            assert not officer.user.is_superuser
            # Only the national coordinator enters the admin, for the dead-letter list.
            assert officer.user.is_staff == (username == "nasional")

    def test_again_changes_nothing(self, regions: None, categories: None) -> None:
        seed_demo_hierarchy()
        users = list(
            get_user_model()
            .objects.order_by("pk")
            .values_list("pk", "username", "password", "email")
        )
        officers = list(Officer.objects.order_by("pk").values_list("pk", "agency_id"))
        agencies, rules = snapshot(), rules_snapshot()
        categories_before = list(
            Category.objects.order_by("pk").values_list("pk", "code", "position")
        )
        seed_demo_hierarchy()
        assert snapshot() == agencies
        assert rules_snapshot() == rules
        assert (
            list(Category.objects.order_by("pk").values_list("pk", "code", "position"))
            == categories_before
        )
        assert (
            list(
                get_user_model()
                .objects.order_by("pk")
                .values_list("pk", "username", "password", "email")
            )
            == users
        )
        assert list(Officer.objects.order_by("pk").values_list("pk", "agency_id")) == officers


RULED = [
    ("kesehatan", "Dinas Kesehatan"),
    ("pendidikan", "Dinas Pendidikan"),
    ("infrastruktur", "Dinas Pekerjaan Umum dan Penataan Ruang"),
    ("kependudukan", "Dinas Kependudukan dan Pencatatan Sipil"),
    ("lingkungan", "Dinas Lingkungan Hidup"),
    ("perhubungan", "Dinas Perhubungan"),
]


class TestRoutingTheDemo:
    @pytest.fixture(autouse=True)
    def _demo(self, regions: None, categories: None) -> None:
        seed_demo_hierarchy()

    def report(self, submit: Callable[..., Any], category: str, region: str) -> Complaint:
        receipt = submit(
            category=Category.objects.get(code=category), region=Region.objects.get(code=region)
        )
        return route_fully(receipt.complaint)

    def assert_path(self, complaint: Complaint, codes: list[str]) -> None:
        """One disposition per hand-over, numbered 1..n, each with its event; waiting in a
        queue is an event without a disposition."""
        dispositions = list(complaint.dispositions.order_by("sequence"))
        assert [d.sequence for d in dispositions] == list(range(1, len(codes) + 1))
        assert [d.to_agency.code for d in dispositions] == codes
        assert complaint.routing_step == len(codes)
        events = complaint.events.exclude(type=ComplaintEvent.Type.SUBMITTED).order_by("pk")
        handovers = events.exclude(type=ComplaintEvent.Type.AWAITING_VERIFICATION)
        assert [(e.data["disposition"], e.data["agency_id"]) for e in handovers] == [
            (d.sequence, d.to_agency_id) for d in dispositions
        ]
        assert events.last().to_status == complaint.status  # type: ignore[union-attr]

    @pytest.mark.parametrize(
        ("city", "city_name"), [("64.72", "Kota Samarinda"), ("64.71", "Kota Balikpapan")]
    )
    @pytest.mark.parametrize(("category", "opd"), RULED)
    def test_rule_categories_end_at_the_city_opd(
        self, submit: Callable[..., Any], city: str, city_name: str, category: str, opd: str
    ) -> None:
        complaint = self.report(submit, category, city)
        assert complaint.status == Complaint.Status.DISPOSED
        assert complaint.current_agency is not None
        assert complaint.current_agency.name == f"{opd} {city_name}"
        slug = city.replace(".", "-")
        self.assert_path(
            complaint, ["diskominfo-64", f"diskominfo-{slug}", complaint.current_agency.code]
        )
        assert complaint.events.get(type=ComplaintEvent.Type.DISPOSED).data["agency_name"] == (
            f"{opd} {city_name}"
        )

    def test_a_category_without_a_rule_waits_for_the_city(self, submit: Callable[..., Any]) -> None:
        complaint = self.report(submit, "perizinan", "64.72")
        assert complaint.status == Complaint.Status.AWAITING_VERIFICATION
        assert complaint.current_agency is not None
        assert complaint.current_agency.name == "Diskominfo Kota Samarinda"
        self.assert_path(complaint, ["diskominfo-64", "diskominfo-64-72"])

    def test_a_regency_without_opds_waits_for_its_coordinator(
        self, submit: Callable[..., Any]
    ) -> None:
        complaint = self.report(submit, "kesehatan", "64.01")
        assert complaint.status == Complaint.Status.AWAITING_VERIFICATION
        assert complaint.current_agency is not None
        assert complaint.current_agency.name == "Diskominfo Kabupaten Paser"
        self.assert_path(complaint, ["diskominfo-64", "diskominfo-64-01"])

    def test_secondary_education_goes_to_the_province(self, submit: Callable[..., Any]) -> None:
        complaint = self.report(submit, "pendidikan-menengah", "64.72.01")
        assert complaint.status == Complaint.Status.DISPOSED
        assert complaint.current_agency is not None
        assert (
            complaint.current_agency.name
            == "Dinas Pendidikan dan Kebudayaan Provinsi Kalimantan Timur"
        )
        self.assert_path(complaint, ["diskominfo-64", "disdikbud-64"])

    def test_provincial_roads_go_to_the_province(self, submit: Callable[..., Any]) -> None:
        complaint = self.report(submit, "jalan-provinsi", "64.71")
        assert complaint.status == Complaint.Status.DISPOSED
        assert complaint.current_agency is not None
        assert complaint.current_agency.code == "pupr-64"

    def test_a_province_without_regency_coordinators_waits_there(
        self, submit: Callable[..., Any]
    ) -> None:
        complaint = self.report(submit, "kesehatan", "31.71")
        assert complaint.status == Complaint.Status.AWAITING_VERIFICATION
        assert complaint.current_agency is not None
        assert complaint.current_agency.code == "diskominfo-31"
        assert complaint.current_agency.name == "Diskominfo Provinsi Daerah Khusus Ibukota Jakarta"
        self.assert_path(complaint, ["diskominfo-31"])


@pytest.mark.django_db
class TestNationalSeesDeadLetters:
    def test_the_national_coordinator_opens_the_dead_letter_list(
        self, regions: None, categories: None, client: Client
    ) -> None:
        seed_demo_hierarchy()
        # Through the login form: the login lockout (django-axes) needs the request.
        login = {"username": "nasional", "password": DEMO_PASSWORD, "next": "/admin/"}
        assert client.post("/admin/login/", login).status_code == 302
        assert client.get("/admin/complaints/routingfailure/").status_code == 200
        assert client.get("/admin/routing/agency/").status_code == 403
        client.logout()
        login["username"] = "dinkes.samarinda"
        assert client.post("/dashboard/login/", login).status_code == 302
        assert client.get("/admin/complaints/routingfailure/").status_code == 302
