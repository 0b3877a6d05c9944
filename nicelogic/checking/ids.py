"""Record ids given to more than one record of an input: their results are ambiguous."""

from __future__ import annotations

from nicelogic.results import RecordResult


class IdWatch:
    """Notices repeated ids as results stream past. Only a hash of each id is kept, so that
    a national extract's ids fit in memory."""

    _SHOWN = 5

    def __init__(self, id_column: str | None = None) -> None:
        self.id_column = id_column
        self._seen: set[int] = set()
        self._repeats: list[str] = []
        self._count = 0

    def add(self, result: RecordResult) -> None:
        key = hash((result.source, result.id))
        if key in self._seen:
            self._count += 1
            if len(self._repeats) < self._SHOWN:
                self._repeats.append(f"{result.id!r} ({result.source}:{result.line})")
        else:
            self._seen.add(key)

    def warnings(self) -> list[str]:
        if not self._count:
            return []
        what = f"the id column {self.id_column!r} does not hold unique ids" if self.id_column else "record ids repeat"
        more = f" and {self._count - len(self._repeats)} more" if self._count > len(self._repeats) else ""
        return [f"{what}: {self._count} record(s) reuse an earlier id, e.g. {', '.join(self._repeats)}{more}"]
