"""Two codings of the same episodes compared, as a clinical coding audit does
(``nicelogic compare ORIGINAL AUDITED``).

``units`` turns a record's sections into the units that are compared (an OPCS-4 procedure
with its site and laterality codes is one unit); ``levels`` names how far apart two codes
are; ``methods`` holds the counting conventions; ``compare`` compares one episode;
``kappa`` and ``tally`` make the figures; ``thresholds`` judges them against the published
profiles (data in ``thresholds.toml``); ``standards`` compares what the rule packs find in
each coding; ``matching`` reads both inputs and pairs their episodes in bounded memory;
``formats`` and ``terminal`` write the results, ``results`` puts them in a results database
and ``report`` adds them to ``nicelogic report``.
"""

from nicelogic.audit.compare import CodeType, EpisodeComparison, Outcome, compare_episode
from nicelogic.audit.levels import ErrorLevel
from nicelogic.audit.methods import DEFAULT_METHOD, METHODS, Method
from nicelogic.audit.units import Coding, Unit, coding_of

__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "CodeType",
    "Coding",
    "EpisodeComparison",
    "ErrorLevel",
    "Method",
    "Outcome",
    "Unit",
    "compare_episode",
    "coding_of",
]
