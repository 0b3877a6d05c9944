"""``nicelogic new-pack``: a new rule pack from the templates in ``logic/scaffold/``."""

from __future__ import annotations

import re
from pathlib import Path

from nicelogic.errors import RuleError
from nicelogic.resources import logic_dir

_NAME = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)*$")


def new_pack(target: Path) -> list[Path]:
    """Write a working pack into the folder ``target`` (its name is the folder's name)."""
    name = target.name
    if not _NAME.match(name):
        raise RuleError(f"{name!r} cannot name a pack: use lower-case words joined by '.' or '-' (rule ids start with it)")
    if target.exists() and any(target.iterdir()):
        raise RuleError(f"{target} exists and is not empty")
    source = logic_dir() / "scaffold"
    written = []
    for template in sorted(source.rglob("*.in")):
        destination = target / template.relative_to(source).with_suffix("")
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(template.read_text(encoding="utf-8").replace("{{name}}", name), encoding="utf-8")
        written.append(destination)
    return written
