"""Spells: the episodes of one stay in hospital, supplied by the extract or derived.

``supplied``: episodes sharing a provider and a spell key (SUSSPELLID, PROVSPNO, UK Biobank's
spell_index) are one spell; an episode without a key is a spell of its own.

``hes-pipeline``: the rule of HFAnalyticsLab/HES_pipeline (MIT licence,
``doc/adr/creating_inpatient_spells.md``): the episodes of one patient at one provider,
ordered by EPISTART, EPIEND, EPIORDER, EPIKEY; an episode continues the previous one's spell
when it has the same ADMIDATE, or the same EPISTART, or the previous episode's DISMETH is 8 or
9 (not finished, not known) and this EPISTART equals its EPIEND. (The pipeline also joins
provider spells into continuous inpatient spells on transfers up to 3 days apart; that is not
done here: a spell is a provider spell.)
"""

from __future__ import annotations

from collections.abc import Sequence

from nicelogic.model import Episode, Record

SPELL_METHODS = ("supplied", "hes-pipeline")
_UNFINISHED_DISCHARGE = frozenset({"8", "9", "98", "99"})


def _episode(record: Record) -> Episode:
    return record.episode or Episode()


def supplied_spells(records: Sequence[Record]) -> list[list[int]]:
    """Indexes of ``records`` grouped by (provider, spell key), in first appearance."""
    groups: dict[tuple[str, str] | int, list[int]] = {}
    for index, record in enumerate(records):
        episode = _episode(record)
        key: tuple[str, str] | int = (episode.provider or "", episode.spell) if episode.spell else index
        groups.setdefault(key, []).append(index)
    return list(groups.values())


def hes_pipeline_spells(records: Sequence[Record]) -> list[list[int]]:
    """Indexes of ``records`` grouped into provider spells by the HES_pipeline rule."""
    by_provider: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        by_provider.setdefault(_episode(record).provider or "", []).append(index)
    spells: list[list[int]] = []
    for indexes in by_provider.values():
        ordered = sorted(indexes, key=lambda i: _order_key(records[i]))
        current: list[int] = []
        for index in ordered:
            if current and _continues(_episode(records[current[-1]]), _episode(records[index])):
                current.append(index)
                continue
            if current:
                spells.append(current)
            current = [index]
        if current:
            spells.append(current)
    return spells


def _order_key(record: Record) -> tuple[str, str, int, str]:
    episode = _episode(record)
    return (episode.started or "", episode.ended or "", episode.order or 0, episode.episode or record.id)


def _continues(previous: Episode, episode: Episode) -> bool:
    if previous.admitted and previous.admitted == episode.admitted:
        return True
    if previous.started and previous.started == episode.started:
        return True
    unfinished = (previous.discharge_method or "") in _UNFINISHED_DISCHARGE
    return unfinished and bool(episode.started) and episode.started == previous.ended


def spells_of(records: Sequence[Record], method: str) -> list[list[int]]:
    if method == "supplied":
        return supplied_spells(records)
    if method == "hes-pipeline":
        return hes_pipeline_spells(records)
    raise ValueError(f"unknown spell method {method!r} (one of {', '.join(SPELL_METHODS)})")
