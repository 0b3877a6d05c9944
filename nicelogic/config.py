"""Project configuration: ``nicelogic.toml`` or ``[tool.nicelogic]`` in ``pyproject.toml``.

Found by walking up from the current folder, as ruff and sqlfluff find theirs; the first
folder holding either file wins (``nicelogic.toml`` before ``pyproject.toml``, and a
``pyproject.toml`` without a ``[tool.nicelogic]`` table does not count). Keys are the long
option names of the commands (``rules``, ``select``, ``ignore``, ``format``,
``opcs-file``, ...); top-level keys apply to every command that has the option, a table
named after a command (``[check]``, ``[tool.nicelogic.check]``) to that command only.
Options given on the command line override the file. Paths are relative to the file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nicelogic.errors import ConfigError

CONFIG_NAME = "nicelogic.toml"
# Options whose values are paths: resolved against the configuration file's folder.
PATH_OPTIONS = frozenset({"opcs_file", "icd10_file", "ncci_dir"})


@dataclass(frozen=True)
class Config:
    path: Path | None = None  # None: no file found, defaults only
    values: Mapping[str, Any] = field(default_factory=dict)  # the nicelogic table, keys as written

    def for_command(self, command: str, options: Mapping[str, str]) -> dict[str, Any]:
        """Defaults for one command: ``options`` maps each long option name (``opcs-file``)
        to its parameter name; the result maps parameter names to values."""
        own = self.values.get(command)
        sections = [self.values, own] if isinstance(own, Mapping) else [self.values]
        chosen: dict[str, Any] = {}
        for section in sections:
            for key, value in section.items():
                name = options.get(key.replace("_", "-"))
                if name is not None and not isinstance(value, Mapping):
                    chosen[name] = self._resolve(name, value)
        return chosen

    def unknown_keys(self, options_by_command: Mapping[str, Iterable[str]]) -> list[str]:
        """Keys that no command has: typos, reported rather than silently ignored."""
        every = {name for options in options_by_command.values() for name in options}
        unknown = []
        for key, value in self.values.items():
            if isinstance(value, Mapping):
                if key not in options_by_command:
                    unknown.append(f"[{key}]")
                    continue
                own = set(options_by_command[key])
                unknown += [f"{key}.{option}" for option in value if option.replace("_", "-") not in own]
            elif key.replace("_", "-") not in every:
                unknown.append(key)
        return unknown

    def _resolve(self, name: str, value: Any) -> Any:
        if name in PATH_OPTIONS and isinstance(value, str) and self.path is not None:
            return str((self.path.parent / value).resolve())
        return value


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def load_config(path: Path) -> Config:
    """A named configuration file (``--config``): nicelogic.toml or a pyproject.toml."""
    data = _read(path)
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("nicelogic")
        if table is None:
            raise ConfigError(f"{path}: has no [tool.nicelogic] table")
        data = table
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: [tool.nicelogic] must be a table")
    return Config(path.resolve(), data)


def find_config(start: Path | None = None) -> Config:
    """The nearest configuration above ``start`` (the current folder), or none."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        own = candidate / CONFIG_NAME
        if own.is_file():
            return load_config(own)
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and "nicelogic" in _read(pyproject).get("tool", {}):
            return load_config(pyproject)
    return Config()
