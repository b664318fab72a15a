"""Routing's pure decisions over the reference data: where a report goes next from its holder
(``next_holder``), deadlines in working days (``due_at``), and which rules are valid. No report
is involved: the workflow acts on these decisions (``tests/complaints/test_routing_flow.py``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from routing import selectors
from routing.models import Agency, CalendarException, Category, DeadlineSetting, RoutingRule
from tests.helpers import WIB

Step = DeadlineSetting.Step


def decide(tree: dict[str, Agency], holder: str, category: str, region: str) -> str | None:
    target, _rule = selectors.next_holder(
        category_id=Category.objects.get(code=category).pk,
        region_code=region,
        holder=tree[holder],
    )
    return target.code if target is not None else None


@pytest.mark.django_db
class TestNextHolder:
    def test_national_hands_every_report_to_the_province_of_its_region(
        self, tree: dict[str, Agency]
    ) -> None:
        assert decide(tree, "national", "kesehatan", "64.72.01") == "kaltim"
        assert decide(tree, "national", "sosial", "64.71") == "kaltim"
        # No coordinator for DKI Jakarta (31): nothing decides, the national queue it is.
        assert decide(tree, "national", "kesehatan", "31.71") is None

    def test_the_province_follows_its_rule_down_to_the_regency_or_to_its_own_opd(
        self, tree: dict[str, Agency]
    ) -> None:
        assert decide(tree, "kaltim", "kesehatan", "64.72.01") == "smd"
        assert decide(tree, "kaltim", "pendidikan", "64.72") == "disdik-kaltim"
        # No rule for this category: the province's coordinator decides.
        assert decide(tree, "kaltim", "sosial", "64.72") is None

    def test_the_regency_follows_its_rule_to_an_opd(self, tree: dict[str, Agency]) -> None:
        _target, rule = selectors.next_holder(
            category_id=Category.objects.get(code="kesehatan").pk,
            region_code="64.72.01",
            holder=tree["samarinda"],
        )
        assert _target == tree["dinkes"]
        assert rule is not None and rule.level == RoutingRule.Level.REGENCY
        assert decide(tree, "samarinda", "sosial", "64.72") is None

    def test_an_opd_hands_nothing_on(self, tree: dict[str, Agency]) -> None:
        assert decide(tree, "dinkes", "kesehatan", "64.72.01") is None

    def test_a_rule_with_a_region_wins_over_one_for_everywhere(
        self, tree: dict[str, Agency]
    ) -> None:
        health = Category.objects.get(code="kesehatan")
        RoutingRule.objects.create(
            category=health, level="REGENCY", target="AGENCY", agency=tree["rsud"]
        )
        selectors.clear_settings_cache()
        assert decide(tree, "samarinda", "kesehatan", "64.72") == "dinkes-smd"  # its own rule
        RoutingRule.objects.filter(region_id="64.72").delete()
        selectors.clear_settings_cache()
        assert decide(tree, "samarinda", "kesehatan", "64.72") == "rsud-smd"  # everywhere's

    @pytest.mark.parametrize("where", ["itself", "above", "elsewhere", "inactive"])
    def test_a_rule_that_does_not_lead_down_decides_nothing(
        self, tree: dict[str, Agency], where: str
    ) -> None:
        """A rule naming the holder, an agency above or beside it, or an inactive one would
        loop or leak: the coordinator decides instead."""
        rule = RoutingRule.objects.get(level="REGENCY", region_id="64.72")
        if where == "inactive":
            Agency.objects.filter(pk=tree["dinkes"].pk).update(is_active=False)
        else:
            rule.agency = {
                "itself": tree["samarinda"],
                "above": tree["kaltim"],
                "elsewhere": tree["disdik"],
            }[where]
            rule.save(update_fields=["agency"])
        selectors.clear_settings_cache()
        assert decide(tree, "samarinda", "kesehatan", "64.72.01") is None


@pytest.mark.django_db
class TestDueAt:
    """The end of the last working day allowed, counted from the day after the start."""

    def due(self, start: dt.datetime, step: str = Step.VERIFICATION, kind: str = "") -> dt.datetime:
        return selectors.due_at(start=start, step=step, kind=kind)

    def test_three_working_days_across_nyepi_idul_fitri_and_cuti_bersama_2026(
        self, categories: None
    ) -> None:
        # Tuesday 17 March 2026; 18-24 March are Nyepi, Idul Fitri and cuti bersama.
        start = dt.datetime(2026, 3, 17, 9, tzinfo=WIB)
        assert self.due(start) == dt.datetime(2026, 3, 27, 23, 59, 59, tzinfo=WIB)

    def test_a_weekend_is_skipped(self, categories: None) -> None:
        start = dt.datetime(2026, 11, 27, 9, tzinfo=WIB)  # a Friday
        assert self.due(start) == dt.datetime(2026, 12, 2, 23, 59, 59, tzinfo=WIB)

    def test_the_day_is_jakartas_even_for_a_start_given_in_utc(self, categories: None) -> None:
        # 20:00 UTC on Thursday 26 November is already Friday 27 November in Jakarta.
        start = dt.datetime(2026, 11, 26, 20, tzinfo=dt.UTC)
        assert self.due(start) == dt.datetime(2026, 12, 2, 23, 59, 59, tzinfo=WIB)

    def test_an_administrators_extra_day_off(self, categories: None) -> None:
        start = dt.datetime(2026, 11, 30, 9, tzinfo=WIB)  # Monday
        assert self.due(start) == dt.datetime(2026, 12, 3, 23, 59, 59, tzinfo=WIB)
        CalendarException.objects.create(
            date=dt.date(2026, 12, 1), is_working_day=False, description="Cuti bersama baru"
        )
        selectors.clear_settings_cache()
        assert self.due(start) == dt.datetime(2026, 12, 4, 23, 59, 59, tzinfo=WIB)

    def test_an_administrators_extra_working_day(self, categories: None) -> None:
        start = dt.datetime(2026, 11, 27, 9, tzinfo=WIB)  # Friday
        assert self.due(start) == dt.datetime(2026, 12, 2, 23, 59, 59, tzinfo=WIB)
        CalendarException.objects.create(
            date=dt.date(2026, 11, 28), is_working_day=True, description="Sabtu masuk kerja"
        )
        selectors.clear_settings_cache()
        assert self.due(start) == dt.datetime(2026, 12, 1, 23, 59, 59, tzinfo=WIB)

    def test_completion_depends_on_the_kind_and_a_missing_setting_says_which(
        self, categories: None
    ) -> None:
        start = dt.datetime(2026, 11, 30, 9, tzinfo=WIB)
        aspiration = self.due(start, Step.COMPLETION, "ASPIRATION")  # 5 working days
        complaint = self.due(start, Step.COMPLETION, "COMPLAINT")  # 14 working days
        assert aspiration == dt.datetime(2026, 12, 7, 23, 59, 59, tzinfo=WIB)
        assert complaint == dt.datetime(2026, 12, 18, 23, 59, 59, tzinfo=WIB)
        DeadlineSetting.objects.filter(step=Step.CITIZEN_REPLY).delete()
        selectors.clear_settings_cache()
        with pytest.raises(LookupError, match="CITIZEN_REPLY"):
            self.due(start, Step.CITIZEN_REPLY)


@pytest.mark.django_db
class TestRuleValidation:
    def test_region_must_fit_the_level(self, tree: dict[str, Agency]) -> None:
        health = Category.objects.get(code="kesehatan")
        wrong = RoutingRule(
            category=health,
            level="PROVINCE",
            region_id="64.72",
            target="AGENCY",
            agency=tree["dinkes"],
        )
        with pytest.raises(ValidationError) as info:
            wrong.full_clean()
        assert "region" in info.value.message_dict
        RoutingRule(
            category=health,
            level="REGENCY",
            region_id="64.71",
            target="AGENCY",
            agency=tree["dinkes"],
        ).full_clean()

    def test_only_a_province_rule_sends_on_down(self, tree: dict[str, Agency]) -> None:
        rule = RoutingRule(
            category=Category.objects.get(code="kesehatan"),
            level="REGENCY",
            region_id="64.71",
            target="REGENCY_COORDINATOR",
        )
        with pytest.raises(ValidationError) as info:
            rule.full_clean()
        assert "target" in info.value.message_dict
