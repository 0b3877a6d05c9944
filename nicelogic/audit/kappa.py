"""Cohen's kappa between two codings of the same episodes, from counts of label pairs, so
that any number of episodes is held as one count per pair of labels seen."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

NONE_LABEL = "(none)"  # an episode one coding gives no code of this type


@dataclass(frozen=True, slots=True)
class Kappa:
    episodes: int
    observed: float | None  # the share of episodes both codings label alike
    expected: float | None  # the share expected by chance from each coding's own frequencies
    kappa: float | None  # None when undefined: no episodes, or one label only in both codings

    def text(self) -> str:
        return "-" if self.kappa is None else f"{self.kappa:.3f}"


def cohen_kappa(pairs: Counter[tuple[str, str]]) -> Kappa:
    """Cohen (1960): (observed - expected) / (1 - expected) agreement."""
    total = sum(pairs.values())
    if total == 0:
        return Kappa(0, None, None, None)
    rows: Counter[str] = Counter()
    columns: Counter[str] = Counter()
    agree = 0
    for (first, second), count in pairs.items():
        rows[first] += count
        columns[second] += count
        if first == second:
            agree += count
    observed = agree / total
    expected = sum(rows[label] * columns[label] for label in rows) / (total * total)
    if expected >= 1.0:  # every episode has the same one label in both codings: kappa is 0/0
        return Kappa(total, observed, expected, None)
    return Kappa(total, observed, expected, (observed - expected) / (1.0 - expected))


def kappa_of(labels: Iterable[tuple[str, str]]) -> Kappa:
    return cohen_kappa(Counter(labels))
