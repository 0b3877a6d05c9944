"""The attributes a researcher groups records by, as extracts name them: provider,
specialty, dates, patient key, and any column asked for with ``--carry``.

They are not read by the rules (a rule sees codes, sex, age and the record's date); they
are carried beside each record's result into a results database. Hospital Episode
Statistics name them ``PROCODE3``, ``MAINSPEF``, ``ADMIDATE``...; JSON Lines records may
use the same names or the names of the results schema (``provider``, ``main_specialty``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nicelogic.errors import UsageError
from nicelogic.input.attributes import FILLERS, parse_date

# Each attribute, the extract columns that hold it in order of preference (the first
# present is read); the attribute's own name is also accepted (JSON Lines).
ATTRIBUTE_COLUMNS: dict[str, tuple[str, ...]] = {
    "provider": ("PROCODE3", "PROCODE", "PROCODE5"),
    "main_specialty": ("MAINSPEF",),
    "treatment_specialty": ("TRETSPEF",),
    "admission_date": ("ADMIDATE",),
    "episode_start": ("EPISTART",),
    "patient": ("HESID", "TOKEN_PERSON_ID"),
}
DATE_ATTRIBUTES = ("admission_date", "episode_start")
ATTRIBUTES = tuple(ATTRIBUTE_COLUMNS)


def attribute_keys(carry: Sequence[str] = (), patient_column: str | None = None) -> frozenset[str]:
    """Every key (upper case) a record may hold one of these attributes under."""
    names = {name.upper() for columns in ATTRIBUTE_COLUMNS.values() for name in columns}
    names |= {name.upper() for name in ATTRIBUTES}
    names |= {name.upper() for name in carry}
    if patient_column:
        names.add(patient_column.upper())
    return frozenset(names)


@dataclass(frozen=True, slots=True)
class CarrySpec:
    """Which attributes to carry: the recognised ones, ``--patient-column`` and ``--carry``."""

    carry: tuple[str, ...] = ()  # extra columns, as named by the user
    patient_column: str | None = None

    def __post_init__(self) -> None:
        clash = [name for name in self.carry if carried_name(name) in RESERVED_NAMES]
        if clash:
            raise UsageError(f"--carry {clash[0]} would be named {carried_name(clash[0])!r}, a column the results already have")
        names = [carried_name(name) for name in self.carry]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise UsageError(f"--carry names {repeated[0]!r} more than once")

    @property
    def carried_names(self) -> tuple[str, ...]:
        """The results columns of the ``--carry`` columns."""
        return tuple(carried_name(name) for name in self.carry)

    def sources(self) -> dict[str, tuple[str, ...]]:
        """Each attribute and carried column, with the keys (upper case) it is read from."""
        found = {name: (*columns, name.upper()) for name, columns in ATTRIBUTE_COLUMNS.items()}
        if self.patient_column:
            found["patient"] = (self.patient_column.upper(),)
        for name in self.carry:
            found[carried_name(name)] = (name.upper(),)
        return found

    def keys(self) -> frozenset[str]:
        return attribute_keys(self.carry, self.patient_column)


# The columns of the results' records table that a carried column may not take (kept here
# so that the input side refuses a clash before anything is read; the schema checks it too).
RESERVED_NAMES = frozenset(
    {"run_id", "seq", "id", "source", "line", "date", "valid", "rejected", "reason", "reason_kind", "reason_column",
     "reason_field", "errors", "warnings", "waived", "applies", *ATTRIBUTES}
)  # fmt: skip


def carried_name(column: str) -> str:
    """The results column of an extract column given to ``--carry``: its name in lower case."""
    return column.strip().lower()


class AttributeReader:
    """Reads the attributes of one kind of row (a header of names) into a tuple, in the
    order of :meth:`CarrySpec.sources`; one reader per header, built once."""

    def __init__(self, spec: CarrySpec, header: Sequence[str]) -> None:
        upper = {name.strip().upper(): index for index, name in reversed(list(enumerate(header)))}
        self.names = tuple(spec.sources())
        self.indices: tuple[int | None, ...] = tuple(
            next((upper[key] for key in keys if key in upper), None) for keys in spec.sources().values()
        )
        self._dates = tuple(name in DATE_ATTRIBUTES for name in self.names)

    def read(self, cells: Sequence[object]) -> tuple[object, ...]:
        width = len(cells)
        values: list[object] = []
        for index, is_date in zip(self.indices, self._dates, strict=True):
            cell = cells[index] if index is not None and index < width else None
            values.append(attribute_value(cell, is_date))
        return tuple(values)


def attribute_value(cell: object, is_date: bool) -> object:
    """A cell as carried: text (None when empty or a HES filler), or for dates an ISO date
    (None when it is not one: the checker rejects a bad ADMIDATE, and a bad EPISTART is
    no reason to reject a record the rules do not date by)."""
    if cell is None:
        return None
    text = str(cell).strip()
    if text in FILLERS:
        return None
    if not is_date:
        return text
    try:
        return parse_date(text)
    except ValueError:
        return None


def mapping_attributes(spec: CarrySpec, record: dict[str, object]) -> tuple[object, ...]:
    """The attributes of a JSON-shaped record (keys matched without regard to case)."""
    upper = {str(key).upper(): value for key, value in record.items()}
    values: list[object] = []
    for name, keys in spec.sources().items():
        cell = next((upper[key] for key in keys if key in upper), None)
        values.append(attribute_value(cell, name in DATE_ATTRIBUTES))
    return tuple(values)
