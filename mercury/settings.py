"""The MERCURY settings of mercury::conv2d, read from the op library's settings table (ops/settings.h).

Names, types, defaults and allowed values are defined once, in C++; this module only reads them
(``torch.ops.mercury.settings_table``), so Python, the schema, the kernels and the rewrite pass cannot disagree.
"""
import argparse
import json
from typing import Any, Dict, List, Mapping

import torch

_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


def table() -> List[Dict[str, Any]]:
    """One dict per setting, in schema order: name, type, default (typed), help, min/max or choices."""
    rows = json.loads(torch.ops.mercury.settings_table())
    for row in rows:
        row["default"] = _typed(row, row["default"])
    return rows


def _typed(row: Mapping, text: str):
    if row["type"] == "bool":
        return text == "true"
    return _TYPES[row["type"]](text)


def names() -> List[str]:
    return [row["name"] for row in table()]


def defaults() -> Dict[str, Any]:
    """{setting: default} as the op's schema has them, e.g. {'mode': 'observe', 'sig_bits': 20, ...}."""
    return {row["name"]: row["default"] for row in table()}


def check(settings: Mapping[str, Any], where: str = "settings") -> Dict[str, Any]:
    """Validated, typed copy of `settings` (a subset of the names). ValueError naming the key or value."""
    rows = {row["name"]: row for row in table()}
    unknown = sorted(set(settings) - set(rows))
    if unknown:
        raise ValueError(f"{where}: unknown setting(s) {unknown}; known: {list(rows)}")
    out = {}
    for key, value in settings.items():
        row = rows[key]
        if row["type"] == "bool":
            if isinstance(value, str) and value in ("true", "false", "True", "False", "1", "0"):
                value = value in ("true", "True", "1")
            if not isinstance(value, (bool, int)) or value not in (0, 1):
                raise ValueError(f"{where}: setting {key} needs true/false, got {value!r}")
            out[key] = bool(value)
        elif row["type"] == "int":
            try:
                number = int(value, 10) if isinstance(value, str) else int(value)
            except (TypeError, ValueError):
                raise ValueError(f"{where}: setting {key} needs an integer, got {value!r}") from None
            if isinstance(value, bool) or (isinstance(value, float) and value != number):
                raise ValueError(f"{where}: setting {key} needs an integer, got {value!r}")
            if not row["min"] <= number <= row["max"]:
                raise ValueError(f"{where}: setting {key} must be in [{row['min']}, {row['max']}], got {value!r}")
            out[key] = number
        elif row["type"] == "float":
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"{where}: setting {key} needs a number, got {value!r}") from None
            if isinstance(value, bool) or not row["min"] <= number <= row["max"]:  # also refuses nan
                raise ValueError(f"{where}: setting {key} must be in [{row['min']}, {row['max']}], got {value!r}")
            out[key] = number
        else:
            if value not in row["choices"]:
                raise ValueError(f"{where}: unknown {key} {value!r} (setting {key} must be one of "
                                 f"{', '.join(row['choices'])})")
            out[key] = value
    entries = out.get("cache_entries")
    ways = out.get("cache_ways")
    if entries is not None and ways is not None and (ways > entries or (ways and entries % ways)):
        raise ValueError(f"{where}: setting cache_ways ({ways}) must be 0 or divide cache_entries ({entries})")
    return out


def flag(name: str) -> str:
    """The command-line flag of a setting, the same in every CLI: sig_bits -> --sig-bits."""
    return "--" + name.replace("_", "-")


def add_arguments(parser: argparse.ArgumentParser, defaults_override: Mapping[str, Any] = None) -> None:
    """One flag per setting (--mode, --sig-bits, ...), with the table's defaults, types, ranges and help."""
    group = parser.add_argument_group("MERCURY settings (defaults for every layer; from the op's settings table)")
    for row in table():
        default = (defaults_override or {}).get(row["name"], row["default"])
        if row["type"] == "bool":
            group.add_argument(flag(row["name"]), dest=row["name"], action="store_true", default=default,
                               help=row["help"])
        elif row["type"] == "str":
            group.add_argument(flag(row["name"]), dest=row["name"], choices=row["choices"], default=default,
                               help=f"{row['help']} (default {default})")
        else:  # int and float: checked against the table's range when parsed
            group.add_argument(flag(row["name"]), dest=row["name"], type=_ranged(row), default=default,
                               help=f"{row['help']} (range {row['min']}..{row['max']}, default {default})")


def _ranged(row: Mapping):
    """argparse type: a number inside the setting's range, refused when given (exit 2 with the reason)."""
    def parse(text: str) -> int:
        try:
            return check({row["name"]: text}, flag(row["name"]))[row["name"]]
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    parse.__name__ = row["name"]
    return parse


def from_args(args: argparse.Namespace) -> Dict[str, Any]:
    """The settings chosen on a command line built with add_arguments, validated."""
    return check({name: getattr(args, name) for name in names()}, "command line")
