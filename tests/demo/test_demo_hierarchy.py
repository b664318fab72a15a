"""The demo hierarchy of ``make run`` (``demo.hierarchy``): its agencies, rules and officers,
idempotent seeding, and where the routing takes the demo's reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from complaints.models import Complaint, ComplaintEvent
from demo.hierarchy import DEMO_PASSWORD, seed_demo_hierarchy
from routing.models import Agency, Category, Officer, Region, RoutingRule
from tests.helpers import agency_rows, route_fully, rule_rows


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
        agencies, rules = agency_rows(), rule_rows()
        categories_before = list(
            Category.objects.order_by("pk").values_list("pk", "code", "position")
        )
        seed_demo_hierarchy()
        assert agency_rows() == agencies
        assert rule_rows() == rules
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
        assert events.last().to_status == complaint.status  # type: ignore[union-attr]  # the report has events

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
        # The dead-letter list (the outbox's messages given up on) is the dashboard's.
        assert client.get("/dashboard/pesan-gagal/").status_code == 200
        assert client.get("/admin/routing/agency/").status_code == 403
        client.logout()
        login["username"] = "dinkes.samarinda"
        assert client.post("/dashboard/login/", login).status_code == 302
        assert client.get("/dashboard/pesan-gagal/").status_code == 403
