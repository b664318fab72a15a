"""The recap's arithmetic: medians and percentiles as statistics software and spreadsheets
compute them, and percentages rounded half up, the way a reviewer checks them by hand."""

from __future__ import annotations

import statistics
from collections import Counter

import pytest

from reports.figures import FIGURES, GROUPS, round_half_up, share
from reports.models import COUNTS, histogram_percentile


def histogram(*days: int) -> dict[str, int]:
    return {str(d): n for d, n in Counter(days).items()}


class TestPercentiles:
    def test_the_median_of_an_even_count_is_the_mean_of_the_two_middle_values(self) -> None:
        assert histogram_percentile(histogram(1, 4, 9, 12), 0.5) == 6.5

    def test_the_median_of_an_odd_count_is_the_middle_value(self) -> None:
        assert histogram_percentile(histogram(1, 4, 4, 9, 30), 0.5) == 4.0

    @pytest.mark.parametrize(
        ("days", "share_", "expected"),
        [
            # Excel's PERCENTILE.INC (R type 7, numpy's default) on the same values.
            ((1, 4, 9, 12), 0.9, 11.1),
            ((2, 2, 2, 2, 10), 0.9, 6.8),
            ((5,), 0.9, 5.0),
            ((0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.9, 9.0),
        ],
    )
    def test_percentiles_interpolate_between_ranks(
        self, days: tuple[int, ...], share_: float, expected: float
    ) -> None:
        result = histogram_percentile(histogram(*days), share_)
        assert result is not None and abs(result - expected) < 1e-9

    def test_agrees_with_the_statistics_module_on_many_histograms(self) -> None:
        import random

        rng = random.Random(20261207)
        for _ in range(500):
            days = [rng.randint(0, 40) for _ in range(rng.randint(1, 30))]
            assert histogram_percentile(histogram(*days), 0.5) == pytest.approx(
                statistics.median(days)
            )
            quantiles = (
                statistics.quantiles(days, n=10, method="inclusive")
                if len(days) > 1
                else [days[0]] * 9
            )
            assert histogram_percentile(histogram(*days), 0.9) == pytest.approx(quantiles[8])

    def test_nothing_to_count_has_no_median(self) -> None:
        assert histogram_percentile({}, 0.5) is None


class TestRounding:
    @pytest.mark.parametrize(
        ("value", "places", "expected"),
        [(6.25, 1, 6.3), (6.35, 1, 6.4), (2.675, 2, 2.68), (0.05, 1, 0.1), (-6.25, 1, -6.3)],
    )
    def test_halves_go_up_not_to_the_even_neighbour(
        self, value: float, places: int, expected: float
    ) -> None:
        assert round_half_up(value, places) == expected

    def test_a_share_is_a_percentage_with_one_decimal(self) -> None:
        assert share(1, 16) == 6.3  # 6.25 %
        assert share(2, 3) == 66.7
        assert share(0, 0) is None


class TestDefinitions:
    def test_every_figure_has_a_sentence_and_a_group(self) -> None:
        groups = {key for key, _, _ in GROUPS}
        for figure in FIGURES:
            assert str(figure.definition).endswith("."), figure.key
            assert figure.group in groups, figure.key

    def test_flows_and_stock_are_never_in_one_group(self) -> None:
        stock = {"open", "queue", "unanswered", "in_process", "awaiting_citizen", "overdue"}
        for figure in FIGURES:
            assert (figure.key in stock) == (figure.group == "stock"), figure.key
        assert stock <= set(COUNTS)
