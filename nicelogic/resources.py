"""Where the shipped grammar and rule packs live.

``grammar/`` and ``logic/`` sit at the top of the repository for rule authors. A built
wheel carries them inside the package as ``nicelogic/_grammar`` and ``nicelogic/_logic``;
a source checkout (and an editable install of it) uses the top-level folders directly.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def _shipped_dir(name: str) -> Path:
    installed = _PACKAGE_DIR / f"_{name}"
    if installed.is_dir():
        return installed
    checkout = _PACKAGE_DIR.parent / name
    if checkout.is_dir():
        return checkout
    raise RuntimeError(  # pragma: no cover - only in a broken installation
        f"nicelogic installation is incomplete: neither {installed} nor {checkout} exists"
    )


def logic_dir() -> Path:
    """The folder holding the built-in rule packs and the fact vocabulary."""
    return _shipped_dir("logic")


def grammar_dir() -> Path:
    """The folder holding the Lark grammar of the text record format."""
    return _shipped_dir("grammar")


def shown_path(path: Path, *bases: Path) -> str:
    """A path as messages show it: relative to the working directory (or to one of
    ``bases``) where it lies below it, else as given."""
    for base in (Path.cwd(), *bases):
        try:
            return str(path.resolve().relative_to(base))
        except ValueError:
            continue
    return str(path)
