"""Where a record sits in a patient's history: patient, episode and spell keys, episode
order, dates, discharge and provider, as extracts name them.

Hospital Episode Statistics names are recognised by default (the first present column of
each field's list is read); every field can be named otherwise with
``--episode-column FIELD=COLUMN`` or the configuration file. A date that cannot be read
rejects its record naming the row and the field: patient-level rules order episodes by
them, and a guessed date would put an episode in the wrong place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from nicelogic.errors import UsageError
from nicelogic.input.attributes import FILLERS, parse_date
from nicelogic.model import Episode

# Each field of Episode, the extract columns that may hold it, in order of preference.
EPISODE_COLUMNS: dict[str, tuple[str, ...]] = {
    "patient": ("PSEUDO_HESID", "HESID", "ENCRYPTED_HESID", "TOKEN_PERSON_ID", "PERSON_ID_DEID"),
    "episode": ("EPIKEY",),
    "spell": ("SUSSPELLID", "PROVSPNO"),
    "order": ("EPIORDER",),
    "admitted": ("ADMIDATE",),
    "started": ("EPISTART",),
    "ended": ("EPIEND",),
    "discharged": ("DISDATE",),
    "discharge_method": ("DISMETH",),
    "status": ("EPISTAT",),
    "provider": ("PROCODE3", "PROCODE", "PROCODE5"),
}
EPISODE_DATES = frozenset({"admitted", "started", "ended", "discharged"})
# JSON Lines and the text format may also write these short names
SHORT_NAMES: dict[str, str] = {"patient": "patient", "spell": "spell", "episode_end": "ended", "episode": "episode"}
# HES writes -1 where a spell could not be built (SUSSPELLID)
NO_SPELL = frozenset({"-1"})


@dataclass(frozen=True, slots=True)
class EpisodeColumns:
    """Which columns hold each episode field: the HES names, or as the user named them."""

    named: tuple[tuple[str, str], ...] = ()  # (field, column) given by --episode-column

    def __post_init__(self) -> None:
        unknown = [name for name, _ in self.named if name not in EPISODE_COLUMNS]
        if unknown:
            raise UsageError(f"--episode-column {unknown[0]}: no such field (fields: {', '.join(EPISODE_COLUMNS)})")

    def sources(self) -> dict[str, tuple[str, ...]]:
        """Each field, with the column names (upper case) it is read from, in order."""
        chosen = dict(self.named)
        return {name: (chosen[name].upper(),) if name in chosen else columns for name, columns in EPISODE_COLUMNS.items()}

    def column_keys(self) -> frozenset[str]:
        return frozenset(key for keys in self.sources().values() for key in keys)

    @classmethod
    def parse(cls, values: Sequence[str]) -> EpisodeColumns:
        """``FIELD=COLUMN`` pairs as ``--episode-column`` takes them."""
        pairs = []
        for value in values:
            name, sep, column = value.partition("=")
            if not sep or not column.strip():
                raise UsageError(f"--episode-column {value!r}: expected FIELD=COLUMN (patient=PERSON_ID)")
            pairs.append((name.strip().lower(), column.strip()))
        return cls(tuple(pairs))


DEFAULT_COLUMNS = EpisodeColumns()


@dataclass(frozen=True, slots=True)
class EpisodeReader:
    """Reads the episode fields of rows with one header; built once per header."""

    indices: tuple[tuple[str, int, str], ...]  # (field, column index, column name as written)
    present: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def for_header(cls, header: Sequence[str], columns: EpisodeColumns = DEFAULT_COLUMNS) -> EpisodeReader:
        upper = {name.strip().upper(): index for index, name in reversed(list(enumerate(header)))}
        found = []
        for name, keys in columns.sources().items():
            key = next((key for key in keys if key in upper), None)
            if key is not None:
                found.append((name, upper[key], header[upper[key]].strip()))
        return cls(tuple(found), frozenset(name for name, _, _ in found))

    def read(self, cells: Sequence[str]) -> Episode | None:
        """The episode of a row (None when the header has no episode column); ValueError
        (column, field, message) for a date that cannot be read."""
        if not self.indices:
            return None
        width = len(cells)
        values: dict[str, object] = {}
        for name, index, column in self.indices:
            cell = str(cells[index]).strip() if index < width and cells[index] is not None else ""
            value = episode_value(name, cell, column, index + 1)
            if value is not None:
                values[name] = value
        return Episode(**values)  # type: ignore[arg-type]


def episode_value(name: str, cell: str, column: str, number: int = 0) -> str | int | None:
    """One field's cell as the episode holds it; ValueError (column number, field, message)."""
    if cell in FILLERS or (name == "spell" and cell in NO_SPELL):
        return None
    if name in EPISODE_DATES:
        try:
            return parse_date(cell)
        except ValueError as exc:
            raise ValueError(number, column, f"{column}: {exc.args[2]}") from None
    if name == "order":
        if not (cell.isascii() and cell.isdigit()):
            raise ValueError(number, column, f"{column}: episode order {cell!r} is not a whole number")
        return int(cell)
    return cell


def mapping_episode(record: Mapping[str, object], columns: EpisodeColumns = DEFAULT_COLUMNS) -> Episode | None:
    """The episode of a JSON-shaped record: HES names in any case, or the short names
    ``patient``, ``spell``, ``episode``, ``episode_end``; ValueError (0, key, message)."""
    by_upper = {str(key).upper(): (str(key), value) for key, value in record.items()}
    values: dict[str, object] = {}
    sources = columns.sources()
    for short, name in SHORT_NAMES.items():
        sources[name] = (*sources[name], short.upper())
    for name, keys in sources.items():
        key = next((key for key in keys if key in by_upper), None)
        if key is None:
            continue
        written, raw = by_upper[key]
        if raw is None:
            continue
        if not isinstance(raw, str | int) or isinstance(raw, bool):
            raise ValueError(0, written, f"{written!r} must be a string or a whole number")
        value = episode_value(name, str(raw).strip(), written)
        if value is not None:
            values[name] = value
    return Episode(**values) if values else None  # type: ignore[arg-type]
