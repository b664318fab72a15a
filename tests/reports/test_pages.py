import pytest
from reports.models import MonthlyRecap
from reports.selectors import quarterly_evaluation
from routing.models import Region

@pytest.mark.django_db
def test_smoke(built, client_for):
    for r in MonthlyRecap.objects.filter(month="2026-11-01").order_by("level","name"):
        print(r.level, r.code, r.name, r.parent_region_id, r.received, r.held, r.answered, r.in_process, r.unanswered, r.completed, r.archived, r.overdue, r.first_answers, r.answer_days, r.rating_count)
    for e in quarterly_evaluation(Region.objects.get(code="64"), 2026, 4):
        print(e.region.code, e.received, e.held, e.score, e.rank, e.half_followed_up)
    c = client_for("kaltim")
    r = c.get("/reports/?month=2026-11")
    print(r.status_code)
    print(r.content.decode()[-9000:])
    assert 0
