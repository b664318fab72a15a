"""The demo hierarchy of ``make run`` and the benchmarks: the national coordinator, a
coordinator for every province and for every regency/city of Kalimantan Timur, OPDs in Samarinda,
Balikpapan and the province, their routing rules, and one officer account each (password
``DEMO_PASSWORD``, for the demo only). Loaded through the same CSV loaders an administrator uses
(``routing.hierarchy``)."""

from __future__ import annotations

from django.contrib.auth.models import Permission, User
from django.db import transaction

from routing.hierarchy import load_agencies, load_rules
from routing.models import Agency, Category, Officer, Region, RoutingRule

DEMO_PASSWORD = "lapor-demo-2026"  # noqa: S105 (demo accounts of `make run`, documented)
DEMO_EMAIL_DOMAIN = "demo.lapor.localhost"
NATIONAL_CODE = "nasional"
NATIONAL_NAME = "Kementerian PANRB — Pengelola Nasional SP4N-LAPOR!"
DEMO_PROVINCE = "64"  # Kalimantan Timur
DEMO_CITIES = ("64.72", "64.71")  # Kota Samarinda, Kota Balikpapan

# code prefix, name (before the city's name), the category it answers in its city
CITY_OPDS = [
    ("dinkes", "Dinas Kesehatan", "kesehatan"),
    ("disdik", "Dinas Pendidikan", "pendidikan"),
    ("pupr", "Dinas Pekerjaan Umum dan Penataan Ruang", "infrastruktur"),
    ("disdukcapil", "Dinas Kependudukan dan Pencatatan Sipil", "kependudukan"),
    ("dlh", "Dinas Lingkungan Hidup", "lingkungan"),
    ("dishub", "Dinas Perhubungan", "perhubungan"),
]

# code prefix, name (before "Provinsi <name>"), the category the province holds authority for:
# SMA/SMK and provincial roads are provincial affairs (UU 23/2014, annex on concurrent affairs).
PROVINCE_OPDS = [
    ("disdikbud", "Dinas Pendidikan dan Kebudayaan", "pendidikan-menengah"),
    ("pupr", "Dinas Pekerjaan Umum dan Penataan Ruang", "jalan-provinsi"),
    ("dinkes", "Dinas Kesehatan", None),
]

# code, Indonesian name, English name, the category it is listed after
PROVINCIAL_CATEGORIES = [
    (
        "pendidikan-menengah",
        "Pendidikan Menengah (SMA/SMK)",
        "Secondary education (SMA/SMK)",
        "pendidikan",
    ),
    ("jalan-provinsi", "Jalan Provinsi", "Provincial roads", "infrastruktur"),
]

# username, agency code
DEMO_OFFICERS = [
    ("nasional", NATIONAL_CODE),
    ("kaltim", f"diskominfo-{DEMO_PROVINCE}"),
    ("samarinda", "diskominfo-64-72"),
    ("dinkes.samarinda", "dinkes-64-72"),
    ("dinkes.balikpapan", "dinkes-64-71"),
    ("pupr.samarinda", "pupr-64-72"),
]


def _slug(region_code: str) -> str:
    return region_code.replace(".", "-")


def demo_agency_rows() -> list[dict[str, str]]:
    """The demo hierarchy as agency CSV rows, for the regions that are loaded: the national
    coordinator, a coordinator for every province, one for every regency/city of Kalimantan
    Timur, OPDs in Samarinda and Balikpapan and in the province."""
    rows = [{"code": NATIONAL_CODE, "name": NATIONAL_NAME, "level": Agency.Level.NATIONAL}]
    for province in Region.objects.filter(level=Region.Level.PROVINCE).order_by("code"):
        rows.append(
            {
                "code": f"diskominfo-{province.code}",
                "name": f"Diskominfo Provinsi {province.name}",
                "level": Agency.Level.PROVINCE,
                "region": province.code,
                "parent": NATIONAL_CODE,
            }
        )
    kaltim = Region.objects.filter(code=DEMO_PROVINCE).first()
    if kaltim is None:
        return rows
    province_coordinator = f"diskominfo-{kaltim.code}"
    for code, name, _category in PROVINCE_OPDS:
        rows.append(
            {
                "code": f"{code}-{kaltim.code}",
                "name": f"{name} Provinsi {kaltim.name}",
                "level": Agency.Level.OPD,
                "region": kaltim.code,
                "parent": province_coordinator,
            }
        )
    for regency in Region.objects.filter(parent=kaltim).order_by("code"):
        coordinator = f"diskominfo-{_slug(regency.code)}"
        rows.append(
            {
                "code": coordinator,
                "name": f"Diskominfo {regency.name}",
                "level": Agency.Level.REGENCY,
                "region": regency.code,
                "parent": province_coordinator,
            }
        )
        if regency.code not in DEMO_CITIES:
            continue
        for code, name, _category in CITY_OPDS:
            rows.append(
                {
                    "code": f"{code}-{_slug(regency.code)}",
                    "name": f"{name} {regency.name}",
                    "level": Agency.Level.OPD,
                    "region": regency.code,
                    "parent": coordinator,
                }
            )
    return rows


def demo_rule_rows() -> list[dict[str, str]]:
    """The demo rules as rule CSV rows: every province passes a report on down to its
    regency/city, except for what is provincial authority; Samarinda and Balikpapan send six
    categories to their OPDs (the others wait for the city's coordinator to verify them)."""
    provincial = {code for code, *_rest in PROVINCIAL_CATEGORIES}
    rows = [
        {"category": category, "level": RoutingRule.Level.PROVINCE, "target": "REGENCY_COORDINATOR"}
        for category in Category.objects.exclude(code__in=provincial)
        .order_by("position", "code")
        .values_list("code", flat=True)
    ]
    loaded = set(
        Region.objects.filter(code__in=[DEMO_PROVINCE, *DEMO_CITIES]).values_list("code", flat=True)
    )
    if DEMO_PROVINCE in loaded:
        rows += [
            {
                "category": category,
                "level": RoutingRule.Level.PROVINCE,
                "region": DEMO_PROVINCE,
                "agency": f"{code}-{DEMO_PROVINCE}",
            }
            for code, _name, category in PROVINCE_OPDS
            if category
        ]
        rows += [
            {
                "category": category,
                "level": RoutingRule.Level.REGENCY,
                "region": city,
                "agency": f"{code}-{_slug(city)}",
            }
            for city in DEMO_CITIES
            if city in loaded
            for code, _name, category in CITY_OPDS
        ]
    known = set(Category.objects.values_list("code", flat=True))
    return [row for row in rows if row["category"] in known]


def _fill_demo_contacts() -> None:
    """How to reach the demo's agencies in Kalimantan Timur, for their public pages: a made-up
    street ("Jalan Contoh") and a page on example.org (RFC 2606), never a real address or
    number."""
    agencies = list(
        Agency.objects.filter(region__code__startswith=DEMO_PROVINCE)
        .select_related("region")
        .order_by("code")
    )
    for number, agency in enumerate(agencies, start=1):
        assert agency.region is not None  # the filter above
        agency.address = f"Jalan Contoh No. {number}, {agency.region.name}"
        agency.website = f"https://example.org/lapor-demo/{agency.code}"
    Agency.objects.bulk_update(agencies, ["address", "website"])


@transaction.atomic
def seed_demo_hierarchy() -> None:
    """The demo hierarchy of ``make run`` over the regions that are loaded: agencies, rules, the
    two provincial categories and the demo officers (password ``DEMO_PASSWORD``, set only when
    an account is created).

    Idempotent; it restores the demo agencies and rules to what is described here, so an
    administrator's edits to those (not to others) are undone by a second run.
    """
    for code, name_id, name_en, after in PROVINCIAL_CATEGORIES:
        neighbour = Category.objects.filter(code=after).first()
        position = neighbour.position if neighbour else Category.objects.count() + 1
        Category.objects.get_or_create(
            code=code, defaults={"name_id": name_id, "name_en": name_en, "position": position}
        )
    load_agencies(demo_agency_rows())
    load_rules(demo_rule_rows())
    _fill_demo_contacts()

    agencies = {a.code: a for a in Agency.objects.filter(code__in=[c for _u, c in DEMO_OFFICERS])}
    for username, agency_code in DEMO_OFFICERS:
        agency = agencies.get(agency_code)
        if agency is None:  # its region is not loaded
            continue
        email = f"{username}@{DEMO_EMAIL_DOMAIN}"
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": email, "is_staff": False}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        elif user.email != email:
            user.email = email
            user.save(update_fields=["email"])
        Officer.objects.update_or_create(user=user, defaults={"agency": agency})
    # The national coordinator may reveal an anonymous reporter through the dashboard's
    # recorded action (the dead-letter list of messages is the dashboard's, for him alone).
    national = User.objects.filter(username="nasional").first()
    if national is not None:
        if not national.is_staff:
            national.is_staff = True
            national.save(update_fields=["is_staff"])
        national.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="complaints", codename="reveal_reporter"
            ),
        )
