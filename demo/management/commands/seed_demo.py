"""Demo data for ``make run``: a demo administrator, the demo hierarchy with its officers, and a
few reports. Safe to run again."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from complaints.models import AnswerTemplate, Complaint
from complaints.services import submit_complaint
from demo.hierarchy import DEMO_OFFICERS, DEMO_PASSWORD, seed_demo_hierarchy
from demo.synthetic import generate_complaints
from reports.models import BUILD_DELAY, month_bounds
from reports.selectors import shift_month
from reports.services import build_monthly_recap
from routing.models import Category, Officer, Region

DEMO_HISTORY_SEED = 20261129


class DemoReport(TypedDict):
    kind: str
    title: str
    description: str
    category: str  # code
    region: str  # Kemendagri code
    is_anonymous: bool
    is_confidential: bool
    reporter_name: str
    # Where, when the reporter dropped a pin (latitude, longitude), and in their words.
    point: tuple[float, float] | None
    address: str


DEMO_REPORTS: list[DemoReport] = [
    {
        "kind": Complaint.Kind.COMPLAINT,
        "title": "Puskesmas tutup di jam layanan",
        "description": "Puskesmas di kecamatan kami tutup pada hari Selasa pukul 10 pagi, padahal "
        "jadwal layanan tertulis buka sampai pukul 14.00. Banyak warga lansia pulang tanpa dilayani.",
        "category": "kesehatan",
        "region": "64.72.01.1001",
        "is_anonymous": False,
        "is_confidential": False,
        "reporter_name": "Warga Demo",
        "point": (-0.5878, 117.1756),
        "address": "Jl. Pangeran Bendahara, depan pasar Palaran",
    },
    {
        "kind": Complaint.Kind.ASPIRATION,
        "title": "Usulan lampu penerangan jalan di jalan lingkungan",
        "description": "Jalan lingkungan di RT kami gelap setiap malam sehingga rawan kecelakaan "
        "dan kejahatan. Kami mengusulkan pemasangan lampu penerangan jalan umum.",
        "category": "infrastruktur",
        "region": "64.71",
        "is_anonymous": True,
        "is_confidential": False,
        "reporter_name": "",
        "point": (-1.2379, 116.8529),
        "address": "",
    },
    {
        "kind": Complaint.Kind.INFORMATION_REQUEST,
        "title": "Permintaan informasi anggaran perbaikan sekolah",
        "description": "Saya meminta informasi rincian anggaran perbaikan gedung SD negeri di "
        "kecamatan kami untuk tahun anggaran berjalan, sesuai UU Keterbukaan Informasi Publik.",
        "category": "pendidikan",
        "region": "64.72",
        "is_anonymous": False,
        "is_confidential": True,
        "reporter_name": "Warga Demo",
        "point": None,
        "address": "",
    },
    {
        # The same problem as the first, by another citizen: the form suggests the first while
        # one types, and an officer can merge it into it.
        "kind": Complaint.Kind.COMPLAINT,
        "title": "Puskesmas Palaran tutup sebelum jam layanan selesai",
        "description": "Hari ini puskesmas di Palaran sudah tutup sebelum pukul 11, padahal "
        "jadwalnya buka sampai siang. Ibu saya tidak jadi berobat.",
        "category": "kesehatan",
        "region": "64.72.01",
        "is_anonymous": False,
        "is_confidential": False,
        "reporter_name": "Warga Demo Kedua",
        "point": (-0.5881, 117.1749),
        "address": "",
    },
]


# (category code or None for every category, title, text)
DEMO_ANSWER_TEMPLATES = [
    (
        None,
        "Terima kasih, sedang ditindaklanjuti",
        "Terima kasih atas laporan Anda. Laporan telah kami terima dan sedang kami tindak lanjuti "
        "bersama unit terkait. Kami akan menyampaikan hasilnya melalui LAPOR.",
    ),
    (
        "kesehatan",
        "Layanan puskesmas telah dibenahi",
        "Terima kasih atas laporan Anda. Kami telah memeriksa puskesmas yang Anda laporkan dan "
        "meminta kepala puskesmas memastikan layanan buka sesuai jadwal. Bila masih terjadi, "
        "mohon sampaikan kembali melalui LAPOR.",
    ),
    (
        "infrastruktur",
        "Perbaikan masuk jadwal pemeliharaan",
        "Terima kasih atas laporan Anda. Lokasi yang Anda laporkan telah kami survei dan masuk "
        "jadwal pemeliharaan. Perkiraan pengerjaan akan kami kabarkan melalui LAPOR.",
    ),
]


class Command(BaseCommand):
    help = (
        "Create the demo administrator, the demo agencies, rules and officers, and demo reports "
        "(only if there are no reports yet)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--history",
            type=int,
            default=0,
            help="also N synthetic reports over the last two years, and the last 12 months' "
            "recaps built from them (first run only)",
        )

    def handle(self, *args: object, **options: Any) -> None:
        User = get_user_model()
        admin, created = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save(update_fields=["password"])
        if not Region.objects.exists():
            self.stderr.write("No regions: run `manage.py load_regions` first.")
            return
        # Before any report: routing starts at the national coordinator.
        seed_demo_hierarchy()
        self._seed_answer_templates()
        self._print_logins()
        if Complaint.objects.exists():
            self.stdout.write("Demo reports: already there.")
            return
        now = timezone.now()
        with transaction.atomic():
            for spec in DEMO_REPORTS:
                receipt = submit_complaint(
                    kind=spec["kind"],
                    title=spec["title"],
                    description=spec["description"],
                    category=Category.objects.get(code=spec["category"]),
                    region=Region.objects.get(code=spec["region"]),
                    incident_date=timezone.localdate(now) - dt.timedelta(days=2),
                    is_anonymous=spec["is_anonymous"],
                    is_confidential=spec["is_confidential"],
                    reporter_name=spec["reporter_name"],
                    point=spec["point"],
                    address=spec["address"],
                    now=now,
                )
                self.stdout.write(f"Demo report {receipt.complaint.tracking_number}")
        if options["history"] > 0:
            self._seed_history(options["history"], now)

    def _seed_history(self, count: int, now: dt.datetime) -> None:
        """Synthetic reports walked through the demo hierarchy, then the recaps of the 12 months
        before this one, so that the recap pages have something to show."""
        generate_complaints(count=count, seed=DEMO_HISTORY_SEED, now=now)
        this_month = timezone.localdate(now).replace(day=1)
        for back in range(12, 0, -1):
            month = shift_month(this_month, -back)
            # In the first half hour of a month, last month is not built yet (beat builds it).
            if month_bounds(month, timezone.get_default_timezone())[1] + BUILD_DELAY <= now:
                build_monthly_recap(month=month, now=now)
        self.stdout.write(f"Demo history: {count} synthetic reports, recaps of the last 12 months.")

    def _seed_answer_templates(self) -> None:
        if AnswerTemplate.objects.exists():
            return
        categories: dict[str | None, Category] = {c.code: c for c in Category.objects.all()}
        for code, title, text in DEMO_ANSWER_TEMPLATES:
            AnswerTemplate.objects.create(category=categories.get(code), title=title, text=text)

    def _print_logins(self) -> None:
        officers = {
            officer.user.username: officer.agency.name
            for officer in Officer.objects.filter(
                user__username__in=[username for username, _agency in DEMO_OFFICERS]
            ).select_related("user", "agency")
        }
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        self.stdout.write(f"  {'admin':<18} administrator (/admin/)")
        for username, _agency in DEMO_OFFICERS:
            if username in officers:
                self.stdout.write(f"  {username:<18} {officers[username]}")
        self.stdout.write(
            "The admin and the coordinators set up two-step sign-in at their first login (any "
            "authenticator app, or: oathtool --totp -b <the key shown>); OPD officers may."
        )
