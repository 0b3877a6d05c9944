"""The statistics of the report: proportions with Wilson score intervals, funnel-plot
control limits, and small-number suppression. Small and pure, so that the tests can hold
them against a maintained implementation (statsmodels).

The funnel plot's limits are Wilson score intervals around the overall rate at each
volume, at 95% (about 2 standard deviations) and 99.8% (about 3), the method of the
indicator funnel plots published for NHS providers (Public Health England's tools, after
Spiegelhalter, "Funnel plots for comparing institutional performance", 2005).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

SUPPRESS_BELOW = 8  # counts of 1 to 7 records are shown as "*" and rates from them withheld
SUPPRESSED = "*"


def z_value(level: float) -> float:
    """The two-sided standard normal quantile of a confidence level (1.96 for 0.95)."""
    return NormalDist().inv_cdf(0.5 + level / 2)


def wilson_interval(successes: float, trials: float, level: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (Wilson 1927; Newcombe 1998, method 3)."""
    if trials <= 0:
        return (math.nan, math.nan)
    z = z_value(level)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def funnel_limits(rate: float, volume: float, level: float) -> tuple[float, float]:
    """Control limits at ``volume`` records around the overall ``rate``: a provider outside
    them differs from the rest by more than chance would make it, at that level."""
    return wilson_interval(rate * volume, volume, level)


@dataclass(frozen=True, slots=True)
class Rate:
    """A proportion of records, with its 95% Wilson interval; shown or withheld."""

    numerator: int
    denominator: int
    suppressed: bool = False

    @property
    def value(self) -> float | None:
        if self.suppressed or self.denominator == 0:
            return None
        return self.numerator / self.denominator

    @property
    def interval(self) -> tuple[float, float] | None:
        if self.value is None:
            return None
        return wilson_interval(self.numerator, self.denominator)

    def text(self) -> str:
        """``12.3% (11.0-13.7)``, or ``*`` when withheld, ``-`` for no records."""
        if self.suppressed:
            return SUPPRESSED
        if self.value is None or self.interval is None:
            return "-"
        low, high = self.interval
        return f"{self.value:.1%} ({low:.1%}-{high:.1%})"


def rate(numerator: int, denominator: int, suppress: bool = True) -> Rate:
    """A rate, withheld when either count is from 1 to 7 records (and suppression is on):
    the count itself would be shown as ``*``, and the rate with the other count would give
    it away."""
    small = any(0 < count < SUPPRESS_BELOW for count in (numerator, denominator))
    return Rate(numerator, denominator, suppress and small)


def shown_count(count: int, suppress: bool = True) -> str:
    return SUPPRESSED if suppress and 0 < count < SUPPRESS_BELOW else f"{count:,}"
