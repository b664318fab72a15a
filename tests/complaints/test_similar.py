"""Similar reports (complaints.similar): the words they are compared by, the selector's rule
(which reports, how they rank, none too unlike), staff's possible duplicates, and the public API
``/api/v1/complaints/similar/`` through HTTP. The selector's tests run on whichever database the
suite runs on (SQLite, or PostgreSQL with DATABASE_URL); those marked ``postgres`` check what
only PostgreSQL does (full-text candidates, the index in the plan)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from importlib import import_module
from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from rest_framework.test import APIClient

from complaints import similar, workflow
from complaints.models import Complaint, Reporter
from lapor.lib import words
from lapor.lib.tracking import hash_access_key
from routing.models import Agency, Category
from tests.helpers import NOW, in_indonesian, make_user, route_fully

pytestmark = pytest.mark.django_db

API = "/api/v1/complaints/similar/"
SAMARINDA = "64.72"
PALARAN = "64.72.01"
RAWA_MAKMUR = "64.72.01.1001"  # a village of Palaran
BALIKPAPAN = "64.71.01"
TITLE = "Puskesmas Palaran tutup sebelum jam layanan"
# A pin in Palaran, and points near it and far from it.
HERE = (-0.5700, 117.1800)
NEAR = (Decimal("-0.570300"), Decimal("117.180200"))  # about 40 m away
FAR = (Decimal("-0.600000"), Decimal("117.250000"))  # about 8 km away


@pytest.fixture
def report(regions: None, categories: None) -> Callable[..., Complaint]:
    """A report row as the workflow leaves it once disposed to an agency (most fields), filed
    three days before ``NOW``, in Palaran, about health; ``fields`` change any of it."""

    def make(**fields: Any) -> Complaint:
        values: dict[str, Any] = {
            "access_key_hash": hash_access_key("kunci"),
            "kind": Complaint.Kind.COMPLAINT,
            "title": TITLE,
            "description": "Puskesmas tutup pukul sepuluh pagi padahal jadwalnya sampai siang.",
            "category": Category.objects.get(code="kesehatan"),
            "region_id": PALARAN,
            "incident_date": dt.date(2026, 11, 25),
            "status": Complaint.Status.DISPOSED,
            "submitted_at": NOW - dt.timedelta(days=3),
        }
        values.update(fields)
        return Complaint.objects.create_with_tracking_number(**values)

    return make


def find(text: str = TITLE, **options: Any) -> list[similar.SimilarReport]:
    arguments: dict[str, Any] = {
        "text": text,
        "regency_code": SAMARINDA,
        "category": Category.objects.get(code="kesehatan"),
        "now": NOW,
    }
    arguments.update(options)
    return similar.similar_reports(**arguments)


def numbers(found: Iterable[similar.SimilarReport]) -> list[str]:
    return [f.complaint.tracking_number for f in found]


# --- words --------------------------------------------------------------------------------------


class TestWords:
    def test_folded_without_stopwords_and_lightly_stemmed(self) -> None:
        assert words.words("Jalan BERLUBANG di Jl. Juanda, lubangnya makin besar!!") == {
            "jalan",
            "lubang",
            "juanda",
            "makin",
            "besar",
        }
        # Accents and apostrophes go; numbers stay; single letters go.
        assert words.words("Puskésmas Sa'dan RT 5 a") == {"puskesmas", "sadan", "rt", "5"}

    def test_a_stem_keeps_four_letters(self) -> None:
        assert words.stem("diperbaiki") == "perbaiki"
        assert words.stem("dinas") == "dinas"  # "nas" would be too short
        assert words.stem("airnya") == "airnya"
        assert words.stem("sampahnya") == "sampah"

    def test_dice_and_coverage(self) -> None:
        a, b = (
            frozenset({"lampu", "jalan", "mati"}),
            frozenset({"lampu", "jalan", "padam", "gelap"}),
        )
        assert words.dice(a, b) == pytest.approx(2 * 2 / 7)
        assert words.coverage(a, b) == pytest.approx(2 / 3)
        assert words.dice(a, frozenset()) == 0
        assert words.coverage(frozenset(), b) == 0

    def test_prefix_terms_reach_the_affixed_forms(self) -> None:
        assert words.prefix_terms({"lubang", "rt"}) == [
            "berlubang",
            "dilubang",
            "lubang",
            "rt",
            "terlubang",
        ]


# --- the selector -------------------------------------------------------------------------------


class TestSimilarReports:
    def test_the_same_problem_first_and_an_unrelated_one_never(
        self, report: Callable[..., Complaint]
    ) -> None:
        same = report(title="Puskesmas Palaran tutup sebelum jam layanan berakhir")
        related = report(title="Antrean pasien Puskesmas Palaran sangat panjang")
        unrelated = report(
            title="Atap ruang kelas bocor", description="Siswa belajar di lorong setiap hujan."
        )
        found = find()
        assert numbers(found) == [same.tracking_number, related.tracking_number]
        assert unrelated.tracking_number not in numbers(found)
        assert 1 >= found[0].score > found[1].score >= similar.MIN_SCORE
        assert found[0].distance_m is None

    def test_the_title_counts_more_than_the_text(self, report: Callable[..., Complaint]) -> None:
        by_title = report(title="Puskesmas tutup sebelum jam layanan", description="Tolong.")
        by_text = report(
            title="Keluhan warga Palaran",
            description="Puskesmas tutup sebelum jam layanan selesai, pasien pulang.",
        )
        assert numbers(find()) == [by_title.tracking_number, by_text.tracking_number]

    def test_words_are_compared_folded_and_stemmed(self, report: Callable[..., Complaint]) -> None:
        shouted = report(title="PUSKÉSMAS PALARAN TUTUPNYA SEBELUM JAM LAYANAN!!!")
        assert numbers(find()) == [shouted.tracking_number]
        assert find()[0].score == pytest.approx(1.0)

    def test_only_open_public_reports_of_the_regency_category_and_window(
        self, report: Callable[..., Complaint], settings: Any
    ) -> None:
        in_the_city = report(region_id=SAMARINDA)
        in_a_village = report(region_id=RAWA_MAKMUR)
        answered = report(status=Complaint.Status.RESPONDED)
        being_routed = report(status=Complaint.Status.SUBMITTED)
        original = report()
        # Left out: another city, another category, closed, archived, confidential, too old,
        # merged into another report.
        report(region_id=BALIKPAPAN)
        report(category=Category.objects.get(code="pendidikan"))
        report(status=Complaint.Status.COMPLETED)
        report(status=Complaint.Status.ARCHIVED)
        report(is_confidential=True)
        report(submitted_at=NOW - dt.timedelta(days=91))
        report(duplicate_of=original)
        expected = {
            r.tracking_number for r in (in_the_city, in_a_village, answered, being_routed, original)
        }
        assert set(numbers(find(limit=20))) == expected
        # The window is a setting.
        settings.LAPOR_SIMILAR_DAYS = 2
        assert find(limit=20) == []

    def test_anonymous_reports_are_offered_without_their_reporter(
        self, report: Callable[..., Complaint]
    ) -> None:
        anonymous = report(is_anonymous=True)
        assert numbers(find()) == [anonymous.tracking_number]

    def test_nearer_reports_rank_higher_by_their_public_point(
        self, report: Callable[..., Complaint]
    ) -> None:
        far = report(latitude=FAR[0], longitude=FAR[1])
        near = report(latitude=NEAR[0], longitude=NEAR[1])
        without = report()
        found = find(point=HERE)
        assert numbers(found) == [
            near.tracking_number,
            without.tracking_number,
            far.tracking_number,
        ]
        assert found[0].distance_m is not None and found[0].distance_m < 200
        assert found[1].distance_m is None
        assert found[2].distance_m is not None and found[2].distance_m > 5000
        # Without a pin, distance does not count.
        assert [f.score for f in find()] == [pytest.approx(1.0)] * 3

    def test_the_exact_point_never_moves_a_public_score(
        self, report: Callable[..., Complaint]
    ) -> None:
        """Two pins in one cell of the public grid score the same: a series of queries cannot
        find where a report's pin is."""
        one = report(latitude=Decimal("-0.500100"), longitude=Decimal("117.150100"))
        two = report(latitude=Decimal("-0.501900"), longitude=Decimal("117.151900"))
        for pin in ((-0.5001, 117.1501), (-0.5019, 117.1519), (-0.52, 117.2)):
            scores = {f.complaint.pk: (f.score, f.distance_m) for f in find(point=pin)}
            assert scores[one.pk] == scores[two.pk]

    def test_exclude_limit_and_ties(self, report: Callable[..., Complaint]) -> None:
        older = report(submitted_at=NOW - dt.timedelta(days=5))
        supported = report(support_count=4)
        newer = report(submitted_at=NOW - dt.timedelta(days=1))
        assert numbers(find()) == [
            supported.tracking_number,
            newer.tracking_number,
            older.tracking_number,
        ]
        assert numbers(find(limit=1)) == [supported.tracking_number]
        assert numbers(find(exclude=[supported.pk, newer.pk])) == [older.tracking_number]

    @pytest.mark.parametrize("text", ["", "yang dan di", "   ", "!!! ???"])
    def test_a_query_without_meaningful_words_finds_nothing(
        self, report: Callable[..., Complaint], text: str
    ) -> None:
        report(title="Yang dan di")
        assert find(text) == []

    @pytest.mark.parametrize(
        "text",
        ["²³ ǅ Ⅷ puskesmas", "puskesmas ':* | & ! ( ) <-> \\", "ＰＵＳＫＥＳＭＡＳ", "x" * 400],
    )
    def test_odd_queries_are_read_safely(self, report: Callable[..., Complaint], text: str) -> None:
        report()
        assert isinstance(find(text), list)

    def test_few_candidates_are_read_at_most(
        self, report: Callable[..., Complaint], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(similar, "CANDIDATE_LIMIT", 3)
        for day in range(5):
            report(submitted_at=NOW - dt.timedelta(days=day + 1))
        assert len(find(limit=10)) == 3

    def test_the_index_condition_is_the_workflows_open_statuses(self) -> None:
        migration = import_module("complaints.migrations.0016_similar_index")
        assert migration.OPEN_STATUSES == sorted(workflow.OPEN)

    def test_the_query_reads_the_index(self, report: Callable[..., Complaint]) -> None:
        report()
        reports = similar._in_range(
            Complaint.objects.public(),
            SAMARINDA,
            Category.objects.get(code="kesehatan").pk,
            since=NOW - dt.timedelta(days=90),
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET enable_seqscan = off")
        try:
            plan = reports.explain()
        finally:
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("RESET enable_seqscan")
        assert "complaint_similar" in plan, plan


@pytest.mark.postgres
class TestFullTextCandidates:
    def test_the_best_match_is_found_among_more_reports_than_are_scored(
        self, report: Callable[..., Complaint], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """On PostgreSQL the candidates are the reports sharing the most words, not the newest:
        an older report of the same problem is found behind newer ones of another."""
        monkeypatch.setattr(similar, "CANDIDATE_LIMIT", 3)
        same = report(title="Puskesmas berlubang atapnya", submitted_at=NOW - dt.timedelta(days=60))
        for day in range(5):
            report(
                title=f"Obat habis di apotek nomor {day}",
                description="Stok vaksin kosong.",
                submitted_at=NOW - dt.timedelta(days=day + 1),
            )
        found = find("Atap puskesmas lubang bocor")
        assert numbers(found) == [same.tracking_number]


# --- staff: possible duplicates -----------------------------------------------------------------


class TestPossibleDuplicates:
    def test_around_the_report_never_itself_nor_its_duplicates(
        self, report: Callable[..., Complaint]
    ) -> None:
        complaint = report()
        earlier = report(submitted_at=complaint.submitted_at - dt.timedelta(days=30))
        later = report(submitted_at=complaint.submitted_at + dt.timedelta(days=30))
        report(duplicate_of=complaint)
        report(submitted_at=complaint.submitted_at + dt.timedelta(days=91))
        found = similar.possible_duplicates(complaint)
        assert set(numbers(found)) == {earlier.tracking_number, later.tracking_number}
        assert all(not f.openable for f in found)

    def test_none_for_a_duplicate_or_a_report_without_its_details(
        self, report: Callable[..., Complaint]
    ) -> None:
        original = report()
        duplicate = report(duplicate_of=original)
        report()
        assert similar.possible_duplicates(duplicate) == []
        by_email = report(category=None, region=None, channel=Complaint.Channel.EMAIL)
        assert similar.possible_duplicates(by_email) == []

    def test_staff_are_ranked_by_the_exact_point(self, report: Callable[..., Complaint]) -> None:
        complaint = report(latitude=Decimal(str(HERE[0])), longitude=Decimal(str(HERE[1])))
        near = report(latitude=NEAR[0], longitude=NEAR[1])
        found = similar.possible_duplicates(complaint)
        assert numbers(found) == [near.tracking_number]
        assert found[0].distance_m is not None and 30 < found[0].distance_m < 50

    def test_confidential_reports_only_for_staff_who_may_see_them(
        self, report: Callable[..., Complaint], tree: dict[str, Agency]
    ) -> None:
        complaint = report(current_agency=tree["dinkes"])
        hidden = report(is_confidential=True, current_agency=tree["dinkes"])
        held_elsewhere = report(current_agency=tree["rsud"])
        dinkes = make_user("petugas.dinkes", tree["dinkes"])
        rsud = make_user("petugas.rsud", tree["rsud"])
        assert numbers(similar.possible_duplicates(complaint)) == [held_elsewhere.tracking_number]
        for_dinkes = similar.possible_duplicates(complaint, user=dinkes)
        assert set(numbers(for_dinkes)) == {hidden.tracking_number, held_elsewhere.tracking_number}
        openable = {f.complaint.tracking_number: f.openable for f in for_dinkes}
        assert openable == {hidden.tracking_number: True, held_elsewhere.tracking_number: False}
        for_rsud = similar.possible_duplicates(complaint, user=rsud)
        assert numbers(for_rsud) == [held_elsewhere.tracking_number]
        assert for_rsud[0].openable

    def test_the_include_lists_them_without_the_reporter(
        self, report: Callable[..., Complaint], tree: dict[str, Agency]
    ) -> None:
        complaint = report(current_agency=tree["dinkes"])
        other = report(
            current_agency=tree["rsud"],
            address="Jl. Rahasia 7, rumah pelapor",
            latitude=NEAR[0],
            longitude=NEAR[1],
        )
        Reporter.objects.create(complaint=other, name="Siti Pelapor", email="siti@example.id")
        user = make_user("petugas.dinkes", tree["dinkes"])
        found = similar.possible_duplicates(complaint, user=user)
        request = RequestFactory().get("/")
        request.user = user
        context = {"complaint": complaint, "possible_duplicates": found}
        html = render_to_string("dashboard/includes/possible_duplicates.html", context, request)
        assert other.tracking_number in html
        assert f'href="/lacak/{other.tracking_number}/"' in html  # not this agency's: public
        for private in ("Rahasia", "Siti", "siti@example.id", "117.18"):
            assert private not in html
        assert "<form" not in html
        assert render_to_string(
            "dashboard/includes/possible_duplicates.html", {"possible_duplicates": []}
        ).strip() == ("")

    def test_merging_from_the_list(
        self, submit: Callable[..., Any], tree: dict[str, Agency]
    ) -> None:
        """The include's merge form, as rendered, is the dashboard's merge action: the officer
        gives a reason and the report follows the one offered."""
        from django.test import Client

        from dashboard.forms import MergeForm

        first = route_fully(submit().complaint)
        second = route_fully(submit(title="Puskesmas Palaran tutup di jam layanan siang").complaint)
        officer = make_user("petugas.dinkes", tree["dinkes"])
        found = similar.possible_duplicates(second, user=officer)
        assert numbers(found) == [first.tracking_number] and found[0].openable
        request = RequestFactory().get("/")
        request.user = officer
        html = render_to_string(
            "dashboard/includes/possible_duplicates.html",
            {"complaint": second, "possible_duplicates": found, "merge_form": MergeForm()},
            request,
        )
        action = f"/dashboard/complaints/{second.tracking_number}/merge/"
        assert f'action="{action}"' in html
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
        assert fields["original"] == first.tracking_number
        assert fields["version"] == str(second.version)
        assert 'name="reason"' in html and "required" in html
        client = Client()
        client.force_login(officer)
        fields.pop("csrfmiddlewaretoken", None)
        response = client.post(action, {**fields, "reason": "Puskesmas yang sama."})
        assert response.status_code == 302, response.content.decode()[:2000]
        second.refresh_from_db()
        assert second.duplicate_of_id == first.pk
        # Merged, it has no possible duplicates, and is none of the first one's.
        assert similar.possible_duplicates(second, user=officer) == []
        assert similar.possible_duplicates(first, user=officer) == []


# --- the API ------------------------------------------------------------------------------------


def get(params: dict[str, str], language: str = "en") -> Any:
    return APIClient().get(API, params, HTTP_ACCEPT_LANGUAGE=language)


def ask(**params: str) -> dict[str, str]:
    return {"q": TITLE, "region": SAMARINDA, "category": "kesehatan", **params}


@pytest.fixture
def today(report: Callable[..., Complaint]) -> Callable[..., Complaint]:
    """Reports filed a day before the moment the test runs (the API reads the clock)."""
    from django.utils import timezone

    def make(**fields: Any) -> Complaint:
        return report(submitted_at=timezone.now() - dt.timedelta(days=1), **fields)

    return make


class TestSimilarApi:
    def test_public_fields_only(self, today: Callable[..., Complaint]) -> None:
        exact = (Decimal("-0.570123"), Decimal("117.180456"))
        found = today(
            address="Jl. Rahasia 7, rumah pelapor",
            latitude=exact[0],
            longitude=exact[1],
            support_count=2,
        )
        Reporter.objects.create(complaint=found, name="Siti Pelapor", email="siti@example.id")
        response = get(ask(region=RAWA_MAKMUR, lat="-0.57", long="117.18"))
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["days"] == similar.DEFAULT_DAYS
        (item,) = body["results"]
        assert set(item) == {
            "tracking_number",
            "title",
            "status",
            "status_display",
            "region_code",
            "region_name",
            "support_count",
            "submitted_at",
            "public_url",
            "latitude",
            "longitude",
            "score",
        }
        assert item["tracking_number"] == found.tracking_number
        assert item["title"] == TITLE
        assert item["status"] == "DISPOSED"
        assert item["status_display"] == "handed to the agency in charge"
        assert (item["region_code"], item["region_name"]) == (PALARAN, "Palaran")
        assert item["support_count"] == 2
        assert item["public_url"] == f"http://testserver/lacak/{found.tracking_number}/"
        # The public point: the centre of its cell of the grid, never the pin.
        assert (item["latitude"], item["longitude"]) == (-0.571, 117.181)
        assert 0 < item["score"] <= 1
        text = response.content.decode()
        for private in ("Rahasia", "Siti", "siti@example.id", "0.570123", "117.180456"):
            assert private not in text

    def test_nothing_alike_is_an_empty_list(self, today: Callable[..., Complaint]) -> None:
        today()
        response = get(ask(q="Sekolah kekurangan guru honorer"))
        assert response.status_code == 200
        assert response.json()["results"] == []

    def test_an_empty_point_is_no_point(self, today: Callable[..., Complaint]) -> None:
        today()
        response = get(ask(lat="", long=""))
        assert response.status_code == 200
        assert len(response.json()["results"]) == 1

    @pytest.mark.parametrize(
        ("params", "field", "message"),
        [
            ({"q": ""}, "q", "This field may not be blank."),
            ({"q": "ab"}, "q", "Ensure this field has at least 3 characters."),
            ({"q": "x" * 201}, "q", "Ensure this field has no more than 200 characters."),
            ({"q": "puskesmas\x00"}, "q", "Null characters are not allowed."),
            (
                {"region": "99.99"},
                "region",
                "No region has this code. Give the code of a regency/city, or of a district or "
                "village inside one, such as 64.72.",
            ),
            (
                {"region": "Samarinda'"},
                "region",
                "No region has this code. Give the code of a regency/city, or of a district or "
                "village inside one, such as 64.72.",
            ),
            (
                {"region": "64"},
                "region",
                "This is a province: give a regency/city, or a district or village inside one.",
            ),
            ({"category": "tidak-ada"}, "category", "No category in use has this code."),
            ({"lat": "-0.5"}, "long", "Give lat and long together, or neither."),
            ({"long": "117.1"}, "lat", "Give lat and long together, or neither."),
            (
                {"lat": "91", "long": "117"},
                "lat",
                "Ensure this value is less than or equal to 90.",
            ),
            (
                {"lat": "0", "long": "-181"},
                "long",
                "Ensure this value is greater than or equal to -180.",
            ),
            ({"lat": "nan", "long": "117"}, "lat", "A valid number is required."),
            ({"lat": "utara", "long": "117"}, "lat", "A valid number is required."),
        ],
    )
    def test_bad_input_is_a_400_per_field(
        self, categories: None, regions: None, params: dict[str, str], field: str, message: str
    ) -> None:
        response = get(ask(**params))
        assert response.status_code == 400, response.content
        assert response.json() == {field: [message]}

    @pytest.mark.parametrize("missing", ["q", "region", "category"])
    def test_each_required_parameter(self, categories: None, regions: None, missing: str) -> None:
        params = ask()
        del params[missing]
        response = get(params)
        assert response.status_code == 400
        assert response.json() == {missing: ["This field is required."]}

    def test_messages_in_the_default_language(self, categories: None, regions: None) -> None:
        response = APIClient().get(API, ask(region="64"))
        assert response.status_code == 400
        assert response.json() == {
            "region": [
                in_indonesian(
                    "This is a province: give a regency/city, or a district or village inside one."
                )
            ]
        }

    def test_limited_like_every_api_request(
        self, today: Callable[..., Complaint], settings: Any
    ) -> None:
        settings.LAPOR_API_ADDRESS_RATE = "2/m"
        assert get(ask()).status_code == 200
        assert get(ask()).status_code == 200
        refused = get(ask())
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) > 0

    def test_support_it_instead(self, today: Callable[..., Complaint]) -> None:
        """What the form's button does: find the report, support it through the API, and the
        next suggestion shows the count risen."""
        today()
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        (item,) = client.get(API, ask()).json()["results"]
        assert item["support_count"] == 0
        supported = client.post(f"/api/v1/complaints/{item['tracking_number']}/support/")
        assert supported.status_code == 201
        assert supported.json()["support_count"] == 1
        again = client.post(f"/api/v1/complaints/{item['tracking_number']}/support/")
        assert again.status_code == 200
        (after,) = client.get(API, ask()).json()["results"]
        assert after["support_count"] == 1

    def test_a_real_report_is_found(
        self, submit: Callable[..., Any], tree: dict[str, Agency]
    ) -> None:
        """A report filed through the one door and routed to its agency is offered."""
        from django.utils import timezone

        now = timezone.now() - dt.timedelta(hours=2)
        receipt = submit(now=now, incident_date=now.date())
        complaint = route_fully(receipt.complaint, now=now)
        assert complaint.status == Complaint.Status.DISPOSED
        response = get(ask(q="Puskesmas tutup pada jam layanan"))
        assert [r["tracking_number"] for r in response.json()["results"]] == [
            complaint.tracking_number
        ]
        assert "Siti" not in json.dumps(response.json())

    def test_documented(self) -> None:
        from io import StringIO

        import yaml
        from django.core.management import call_command

        out = StringIO()
        call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
        operation = yaml.safe_load(out.getvalue())["paths"][API]["get"]
        assert {"200", "400", "429"} <= set(operation["responses"])
        assert {p["name"] for p in operation["parameters"]} == {
            "q",
            "region",
            "category",
            "lat",
            "long",
        }
        assert operation["security"] == [{}]
