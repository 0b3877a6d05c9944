"""Threshold profiles (data: ``thresholds.toml`` beside this module, or a file of the same
shape) and the verdict of an audit's figures against them."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from nicelogic.audit.compare import CodeType
from nicelogic.errors import UsageError

THRESHOLDS_FILE = Path(__file__).with_name("thresholds.toml")
_KEYS = {"title", "source", "min_episodes", *(t.value for t in CodeType)}


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    title: str
    source: str
    minimums: tuple[tuple[CodeType, float], ...]  # percentage correct, per code type it sets
    min_episodes: int = 0


@dataclass(frozen=True, slots=True)
class Verdict:
    profile: Profile
    met: bool
    results: tuple[tuple[CodeType, float, float | None, bool], ...]  # (type, minimum, percentage, met)
    notes: tuple[str, ...] = ()


def _profiles(table: Mapping[str, object], where: str) -> dict[str, Profile]:
    found: dict[str, Profile] = {}
    for name, body in table.items():
        if not isinstance(body, dict):
            raise UsageError(f"{where}: [{name}] must be a table of thresholds")
        unknown = sorted(set(body) - _KEYS)
        if unknown:
            raise UsageError(f"{where}: [{name}] has unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")
        if not str(body.get("source", "")).strip():
            raise UsageError(f"{where}: [{name}] needs a source: where the thresholds come from")
        minimums = []
        for code_type in CodeType:
            value = body.get(code_type.value)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
                raise UsageError(f"{where}: [{name}] {code_type.value} must be a percentage from 0 to 100")
            minimums.append((code_type, float(value)))
        if not minimums:
            raise UsageError(f"{where}: [{name}] sets no threshold (give {', '.join(t.value for t in CodeType)})")
        episodes = body.get("min_episodes", 0)
        if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 0:
            raise UsageError(f"{where}: [{name}] min_episodes must be a whole number")
        found[name] = Profile(name, str(body.get("title", name)), str(body["source"]), tuple(minimums), episodes)
    return found


@cache
def builtin_profiles() -> dict[str, Profile]:
    with open(THRESHOLDS_FILE, "rb") as handle:
        return _profiles(tomllib.load(handle), THRESHOLDS_FILE.name)


def load_profiles(names: Sequence[str]) -> list[Profile]:
    """Built-in profiles by name, and the profiles of any file named (a TOML file of the
    shape of ``thresholds.toml``); none named: every built-in profile."""
    if not names:
        return list(builtin_profiles().values())
    chosen: list[Profile] = []
    for name in names:
        if name in builtin_profiles():
            chosen.append(builtin_profiles()[name])
            continue
        path = Path(name)
        if not path.is_file():
            known = ", ".join(builtin_profiles())
            raise UsageError(f"--threshold {name!r} is neither a profile ({known}) nor a file")
        try:
            with open(path, "rb") as handle:
                table = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise UsageError(f"cannot read thresholds from {name}: {exc}") from None
        chosen += _profiles(table, name).values()
    return chosen


def judge(profile: Profile, percentages: Mapping[CodeType, float | None], episodes: int) -> Verdict:
    """Met when every percentage the profile sets reaches its minimum (a code type with no
    codes to count cannot fail), and the sample is as large as the profile asks."""
    results = []
    for code_type, minimum in profile.minimums:
        value = percentages.get(code_type)
        results.append((code_type, minimum, value, value is None or value >= minimum))
    notes = []
    large_enough = episodes >= profile.min_episodes
    if not large_enough:
        notes.append(f"the profile asks for at least {profile.min_episodes} episodes; {episodes} were compared")
    met = large_enough and all(ok for *_, ok in results)
    return Verdict(profile, met, tuple(results), tuple(notes))
