"""A patient's history as facts, in the patient vocabulary of ``logic/lib/vocabulary.lp``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from nicelogic.asp.facts import quote
from nicelogic.history.patients import History, episode_end, episode_start
from nicelogic.model import Record, System

_EPOCH = date(1970, 1, 1).toordinal()
DIED = "4"  # DISMETH: the patient died


def day(iso: str) -> int | None:
    """An ISO date as the day number rules read (days since 1 January 1970)."""
    return date.fromisoformat(iso).toordinal() - _EPOCH if iso else None


def _prefixes(system: System, code: str) -> list[str]:
    if system is System.CPT:
        return [code]
    return list(dict.fromkeys([code, code[:5], code[:3], code[:1]]))


def provider_of(records: Sequence[Record]) -> str:
    """The provider of a spell (or an episode): the first its episodes record."""
    return next((r.episode.provider for r in records if r.episode is not None and r.episode.provider), "")


def ended_of(records: Sequence[Record]) -> str:
    """When a spell (or an episode) ended, as an ISO date: its discharge, else its last episode's end."""
    episodes = [r.episode for r in records if r.episode is not None]
    discharged = [e.discharged for e in episodes if e.discharged] or [episode_end(r) for r in records if episode_end(r)]
    return max(discharged, default="")


def history_facts(history: History, p: int) -> str:
    out = [f"patient({p})."]
    for e, record in enumerate(history.episodes, start=1):
        out.append(f"episode({p},{e}).")
        for system, codes in record.sections:
            for n, code in enumerate(codes, start=1):
                out.append(f"episode_code({p},{e},{system.value},{n},{quote(code.value)}).")
                out += [f"episode_code_prefix({p},{e},{system.value},{n},{quote(x)})." for x in _prefixes(system, code.value)]
        start, end = day(episode_start(record)), day(episode_end(record))
        if start is not None:
            out.append(f"episode_start({p},{e},{start}).")
        if end is not None:
            out.append(f"episode_end({p},{e},{end}).")
        if record.sex is not None:
            out.append(f"episode_sex({p},{e},{record.sex.value}).")
        if record.age is not None:
            out.append(f"episode_age({p},{e},{record.age}).")
    for s, members in enumerate(history.spells, start=1):
        records = [history.episodes[i] for i in members]
        episodes = [r.episode for r in records if r.episode is not None]
        out.append(f"spell({p},{s}).")
        out += [f"in_spell({p},{i + 1},{s})." for i in members]
        admitted = [e.admitted for e in episodes if e.admitted] or [episode_start(r) for r in records if episode_start(r)]
        discharged = ended_of(records)
        if admitted:
            out.append(f"spell_start({p},{s},{day(min(admitted))}).")
        if discharged:
            out.append(f"spell_end({p},{s},{day(discharged)}).")
        if any(e.discharge_method == DIED for e in episodes):
            out.append(f"spell_died({p},{s}).")
        provider = provider_of(records)
        if provider:
            out.append(f"spell_provider({p},{s},{quote(provider)}).")
        age = next((r.age for r in records if r.age is not None), None)
        if age is not None:
            out.append(f"spell_age({p},{s},{age}).")
    return "\n".join(out)
