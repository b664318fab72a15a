"""Who sees which report: the one rule, as a matrix of roles against reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User

from complaints import services as complaint_services
from complaints.models import Complaint
from complaints.selectors import access_complaint_for_staff
from routing.models import Agency, Category, Officer, Region
from tests.helpers import NOW, route_fully


@pytest.fixture
def world(tree: dict[str, Agency], submit: Callable[..., Any]) -> dict[str, Any]:
    dki = Agency.objects.create(
        code="dki", name="Diskominfo DKI", level="PROVINCE", region_id="31", parent=tree["national"]
    )
    closed = Agency.objects.create(
        code="closed",
        name="Dinas Lama",
        level="OPD",
        region_id="64.72",
        parent=tree["samarinda"],
        is_active=False,
    )
    reports = {
        "dinkes": route_fully(submit().complaint),
        "sosial": route_fully(submit(category=Category.objects.get(code="sosial")).complaint),
        "returned": route_fully(submit().complaint),
        "dki": route_fully(submit(region=Region.objects.get(code="31.71")).complaint),
    }
    complaint_services.request_transfer(
        complaint_id=reports["returned"].pk,
        agency=tree["dinkes"],
        reason="Kewenangan RSUD.",
        suggested_agency=tree["rsud"],
        actor=None,
        now=NOW,
    )
    complaint_services.dispose_complaint(
        complaint_id=reports["returned"].pk,
        coordinator=tree["samarinda"],
        to_agency=tree["rsud"],
        actor=None,
        now=NOW,
    )
    users: dict[str, Any] = {"anonymous": AnonymousUser()}
    for name, agency in [
        ("dinkes", tree["dinkes"]),
        ("rsud", tree["rsud"]),
        ("samarinda", tree["samarinda"]),
        ("kaltim", tree["kaltim"]),
        ("national", tree["national"]),
        ("dki", dki),
        ("closed", closed),
    ]:
        user = User.objects.create_user(f"u-{name}")
        Officer.objects.create(user=user, agency=agency)
        users[name] = user
    users["plain"] = User.objects.create_user("u-plain")
    users["superuser"] = User.objects.create_superuser("u-root")
    return {"reports": reports, "users": users}


# role → the reports it sees (the others it must not)
MATRIX = {
    "dinkes": {"dinkes", "returned"},  # returned it, but it was disposed there
    "rsud": {"returned"},
    "samarinda": {"dinkes", "returned"},
    "kaltim": {"dinkes", "returned", "sosial"},
    "dki": {"dki"},
    "national": {"dinkes", "returned", "sosial", "dki"},
    "closed": set(),  # an officer of an inactive agency
    "plain": set(),  # a user who is no officer
    "superuser": set(),  # system administrators configure; they are no agency
    "anonymous": set(),
}


@pytest.mark.django_db
class TestComplaintsVisibleTo:
    @pytest.mark.parametrize("role", sorted(MATRIX))
    def test_matrix(self, world: dict[str, Any], role: str) -> None:
        user = world["users"][role]
        reports = world["reports"]
        visible = set(Complaint.objects.visible_to(user).values_list("pk", flat=True))
        assert visible == {reports[name].pk for name in MATRIX[role]}
        for name, complaint in reports.items():
            if name in MATRIX[role]:
                assert access_complaint_for_staff(user, complaint.tracking_number) == complaint
            else:
                with pytest.raises(Complaint.DoesNotExist):
                    access_complaint_for_staff(user, complaint.tracking_number)
