"""Records grouped by patient into ordered histories of episodes and spells.

An episode without a patient key cannot be placed in a history: it is judged by the rules
of one record and reported as not judged by the patient-level rules, with the reason; so is
an unfinished episode (EPISTAT other than 3: HES repeats it, finished, the next year). Two
episodes with the same episode key are both kept and reported, never merged. A patient with
more than :data:`MAX_EPISODES` episodes is not judged either, with the limit as the reason:
the whole history is held and grounded at once, and one bad key (every episode of a ward
under one placeholder patient) must not take the memory of the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from nicelogic.history.spells import spells_of
from nicelogic.input.records import TOO_LONG
from nicelogic.model import Episode, Record

NO_PATIENT = "no patient key"
UNFINISHED = "unfinished episode (EPISTAT is not 3)"
# Episodes of one patient judged together. Far above any real history (a dialysis patient of
# ten years has about 1,500); the time limit already stops longer solves (one patient of
# 10,000 dialysis episodes took 27.5 s with the consistency pack, benchmarks/patients_spark.py
# --long-patient), so this bounds what a history holds in memory before it is solved.
MAX_EPISODES = 10_000


def too_many_episodes(limit: int) -> str:
    """The reason a patient's records are not judged when the patient has too many."""
    return f"more than {limit:,} episodes for one patient (the limit of one history)"


def too_many_codes(limit: int) -> str:
    """The reason a record is not judged by patient-level rules when a section of it holds more
    codes than ``--max-codes``: the record pass rejected it, so no rule judges it."""
    return f"more than {limit:,} codes in a section (--max-codes): rejected, so not judged"


def rejected(label: str, limit: int) -> str:
    """The reason a record the record pass rejected (its problem's ``label``) is not judged by
    patient-level rules: it is in no history, and counted so."""
    if label == TOO_LONG:
        return too_many_codes(limit)
    return f"unreadable ({label}): rejected, so not judged"


@dataclass(frozen=True, slots=True)
class History:
    """One patient's episodes in order, and the spells they form (episode indexes, in order)."""

    patient: str
    episodes: tuple[Record, ...]
    spells: tuple[tuple[int, ...], ...]
    method: str  # how the spells were formed: "supplied" or "hes-pipeline"

    def spell_of(self, index: int) -> int:
        return next(n for n, members in enumerate(self.spells) if index in members)


@dataclass(frozen=True, slots=True)
class NotJudged:
    """A record the patient-level rules did not judge, and why."""

    record: Record
    reason: str


@dataclass(frozen=True, slots=True)
class Duplicate:
    """An episode key that more than one record holds."""

    patient: str
    episode: str
    records: tuple[Record, ...]


@dataclass(frozen=True, slots=True)
class Grouped:
    histories: tuple[History, ...]
    not_judged: tuple[NotJudged, ...]
    duplicates: tuple[Duplicate, ...]
    # records not judged that were counted and never held (a patient over the limit, on disk)
    not_judged_counts: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))


def _episode(record: Record) -> Episode:
    return record.episode or Episode()


def episode_end(record: Record) -> str:
    episode = _episode(record)
    return record.judged_on or episode.started or episode.admitted or ""


def episode_start(record: Record) -> str:
    episode = _episode(record)
    return episode.started or episode.admitted or record.judged_on or ""


def _order(record: Record) -> tuple[str, str, int, str]:
    return (episode_end(record), episode_start(record), _episode(record).order or 0, _episode(record).episode or record.id)


def spell_method(records: Sequence[Record], requested: str = "auto") -> str:
    """``auto``: the extract's spell keys where every episode of the patient has one, else derived."""
    if requested != "auto":
        return requested
    return "supplied" if records and all(_episode(r).spell for r in records) else "hes-pipeline"


def history(patient: str, records: Sequence[Record], method: str = "auto") -> History:
    ordered = sorted(records, key=_order)
    chosen = spell_method(ordered, method)
    groups = spells_of(ordered, chosen)

    def spell_key(members: list[int]) -> tuple[str, str]:
        ends = [_episode(ordered[i]).discharged or episode_end(ordered[i]) for i in members]
        starts = [_episode(ordered[i]).admitted or episode_start(ordered[i]) for i in members]
        return (max(ends), min(starts))

    spells = tuple(tuple(sorted(members)) for members in sorted(groups, key=spell_key))
    return History(patient, tuple(ordered), spells, chosen)


def not_judged_reason(record: Record) -> str | None:
    """Why a record cannot be placed in a patient's history, or None when it can."""
    episode = _episode(record)
    if not episode.patient:
        return NO_PATIENT
    if episode.status is not None and episode.status != "3":
        return UNFINISHED
    return None


def group_patients(records: Iterable[Record | NotJudged], method: str = "auto", max_episodes: int = MAX_EPISODES) -> Grouped:
    """Every checked record in a history, or not judged with its reason (held in memory: the
    research path groups by patient out of memory instead). A record the reader already
    found not judgeable comes as its :class:`NotJudged` and is counted so."""
    by_patient: dict[str, list[Record]] = {}
    not_judged: list[NotJudged] = []
    keys: dict[tuple[str, str], list[Record]] = {}
    for record in records:
        if isinstance(record, NotJudged):
            not_judged.append(record)
            continue
        reason = not_judged_reason(record)
        if reason is not None:
            not_judged.append(NotJudged(record, reason))
            continue
        episode = _episode(record)
        patient = episode.patient or ""
        if episode.episode:
            keys.setdefault((patient, episode.episode), []).append(record)
        by_patient.setdefault(patient, []).append(record)
    duplicates = tuple(Duplicate(p, e, tuple(found)) for (p, e), found in keys.items() if len(found) > 1)
    too_many = too_many_episodes(max_episodes)
    histories = []
    for patient, found in by_patient.items():
        if len(found) > max_episodes:
            not_judged += [NotJudged(record, too_many) for record in found]
        else:
            histories.append(history(patient, found, method))
    return Grouped(tuple(histories), tuple(not_judged), duplicates)
