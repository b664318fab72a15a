from __future__ import annotations

import datetime as dt

import pytest

from lapor.lib.workdays import add_working_days, is_working_day

D = dt.date


class TestWorkingDays:
    def test_weekend_is_skipped(self) -> None:
        # Friday 27 November 2026 + 1 working day = Monday 30 November.
        assert add_working_days(D(2026, 11, 27), 1) == D(2026, 11, 30)

    def test_start_day_does_not_count(self) -> None:
        assert add_working_days(D(2026, 11, 30), 3) == D(2026, 12, 3)
        assert add_working_days(D(2026, 11, 30), 0) == D(2026, 11, 30)

    def test_national_holiday_and_cuti_bersama_are_skipped(self) -> None:
        # 24 Dec 2026 is cuti bersama for Christmas, 25 Dec is Christmas.
        assert not is_working_day(D(2026, 12, 24))
        assert not is_working_day(D(2026, 12, 25))
        assert add_working_days(D(2026, 12, 23), 1) == D(2026, 12, 28)

    def test_lebaran_2026(self) -> None:
        # Idul Fitri 2026 with its cuti bersama runs 18-24 March (Nyepi on the 19th).
        assert add_working_days(D(2026, 3, 17), 1) == D(2026, 3, 25)

    def test_extra_days_off_and_working_days(self) -> None:
        assert add_working_days(D(2026, 11, 30), 1, extra_days_off={D(2026, 12, 1)}) == D(
            2026, 12, 2
        )
        saturday = D(2026, 12, 5)
        assert is_working_day(saturday, extra_working_days={saturday})
        assert add_working_days(D(2026, 12, 4), 1, extra_working_days={saturday}) == saturday

    def test_negative_days_are_refused(self) -> None:
        with pytest.raises(ValueError):
            add_working_days(D(2026, 11, 30), -1)
