"""The report's statistics against statsmodels, a maintained implementation."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.proportion import proportion_confint

from nicelogic.research.statistics import SUPPRESSED, funnel_limits, rate, shown_count, wilson_interval, z_value

CASES = [(0, 1), (1, 1), (0, 10), (3, 10), (10, 10), (7, 8), (1, 1000), (523, 2942), (450, 823), (17477, 20000)]


@pytest.mark.parametrize(("successes", "trials"), CASES)
@pytest.mark.parametrize("level", [0.95, 0.998])
def test_wilson_interval_matches_statsmodels(successes: int, trials: int, level: float) -> None:
    low, high = proportion_confint(successes, trials, alpha=1 - level, method="wilson")
    ours = wilson_interval(successes, trials, level)
    assert ours == pytest.approx((low, high), abs=1e-12)


@pytest.mark.parametrize("volume", [8, 50, 823, 4310, 1_000_000])
@pytest.mark.parametrize("level", [0.95, 0.998])
def test_funnel_limits_are_wilson_limits_around_the_overall_rate(volume: int, level: float) -> None:
    overall = 0.126
    low, high = proportion_confint(overall * volume, volume, alpha=1 - level, method="wilson")
    assert funnel_limits(overall, volume, level) == pytest.approx((low, high), abs=1e-12)
    # the 99.8% limits are wider than the 95% ones, and both narrow as volume grows
    wide, narrow = funnel_limits(overall, volume, 0.998), funnel_limits(overall, volume, 0.95)
    assert wide[0] < narrow[0] < overall < narrow[1] < wide[1]
    assert funnel_limits(overall, volume * 4, level)[1] < funnel_limits(overall, volume, level)[1]


def test_z_values_of_the_two_control_limits() -> None:
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_value(0.998) == pytest.approx(3.090232, abs=1e-6)


def test_no_records_is_no_rate() -> None:
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    assert rate(0, 0).value is None and rate(0, 0).text() == "-"


def test_counts_of_one_to_seven_records_are_suppressed_and_their_rates_withheld() -> None:
    assert [shown_count(n) for n in (0, 1, 7, 8, 12345)] == ["0", SUPPRESSED, SUPPRESSED, "8", "12,345"]
    assert rate(3, 1000).suppressed and rate(3, 1000).value is None and rate(3, 1000).text() == SUPPRESSED
    assert rate(0, 5).suppressed  # a rate of five records gives each away
    assert not rate(8, 8).suppressed and rate(8, 8).value == 1.0
    assert not rate(0, 1000).suppressed and rate(0, 1000).text().startswith("0.0% (0.0%-")
    # switched off, for local use
    assert shown_count(3, suppress=False) == "3"
    assert rate(3, 1000, suppress=False).value == 0.003
