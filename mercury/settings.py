"""The MERCURY settings of mercury::conv2d, read from the op library's settings table (csrc/settings/settings_list.h).

Names, types, defaults and allowed values are defined once, in C++; this module only reads them
(``torch.ops.mercury.settings_table``), so Python, the schema, the kernels and the rewrite pass cannot disagree.
"""
import argparse
import copy
import functools
import json
from typing import Any, Dict, List, Mapping

import torch

_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


@functools.lru_cache(maxsize=None)
def _table() -> tuple:
    """The op library's table, read once (it cannot change while the library is loaded)."""
    rows = json.loads(torch.ops.mercury.settings_table())
    for row in rows:
        row["default"] = _typed(row, row["default"])
    return tuple(rows)


def table() -> List[Dict[str, Any]]:
    """One dict per setting, in schema order: name, type, default (typed), help, min/max or choices."""
    return copy.deepcopy(list(_table()))


def _typed(row: Mapping, text: str):
    if row["type"] == "bool":
        return text == "true"
    return _TYPES[row["type"]](text)


def names() -> List[str]:
    return [row["name"] for row in _table()]


def defaults() -> Dict[str, Any]:
    """{setting: default} as the op's schema has them, e.g. {'mode': 'observe', 'sig_bits': 20, ...}."""
    return {row["name"]: row["default"] for row in _table()}


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 63:
        return str(int(value))  # 20.0 -> "20": an integer setting accepts it, a float setting reads it back
    return str(value)


def check(settings: Mapping[str, Any], where: str = "settings") -> Dict[str, Any]:
    """Validated, typed copy of `settings` (a subset of the names). ValueError naming the key or value.

    The checks are the op library's own (mercury::check_settings, the settings table in csrc/settings/settings_list.h)."""
    rows = {row["name"]: row for row in _table()}
    unknown = sorted(set(settings) - set(rows))
    if unknown:
        raise ValueError(f"{where}: unknown setting(s) {unknown}; known: {list(rows)}")
    keys = list(settings)
    try:
        canonical = torch.ops.mercury.check_settings(keys, [_as_text(settings[k]) for k in keys])
    except RuntimeError as e:
        raise ValueError(f"{where}: {str(e).splitlines()[0]}") from None
    return {k: _typed(rows[k], text) for k, text in zip(keys, canonical)}


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
