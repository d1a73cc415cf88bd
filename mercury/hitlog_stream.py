"""Hit-log records streamed into a folder as they arrive: the files mercury.hitlog_export writes (hitlog-NNN.csv per
layer in the record schema's columns, overflow.csv), appended to batch by batch, so a window of any length keeps
bounded memory and no record is dropped. mercury.profile empties the process's hit log after handing each batch of
records here.
"""
import csv
import os
from typing import Dict, Iterable, List, Mapping

import torch

from mercury.hitlog import hitlog_columns, hitlog_schema

# Rows kept in memory before they are appended to their files.
BUFFERED_ROWS = 4096
_OVERFLOW_COLUMNS = ("layer_id", "dropped_calls", "dropped_hits", "dropped_misses", "dropped_vectors")


def _cell(column: str, value) -> object:
    """A record's value as the C++ writer prints it: a hit map as '0'/'1' per vector, no map as an empty cell."""
    if column != "hitmap":
        return value
    if isinstance(value, torch.Tensor):
        return "".join("1" if flag else "0" for flag in value.tolist())
    return ""


class HitlogStream:
    """Appends records (mercury.hitlog() dicts) to DIR/hitlog-NNN.csv, and per-layer totals of calls the C++ log
    dropped (mercury.hitlog_overflow()) to DIR/overflow.csv on close."""

    def __init__(self, directory: str):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):  # a folder used before: its files are replaced, never appended to
            if name.endswith(".csv"):
                os.remove(os.path.join(directory, name))
        self.columns = hitlog_columns()
        self.prefix = hitlog_schema()["file_prefix"]
        self.started: set = set()           # layer ids whose file has its header
        self.pending: Dict[int, List[List]] = {}
        self.buffered = 0
        self.overflow: Dict[int, Dict[str, int]] = {}
        self.seq = 0                        # the window's own arrival order and per-layer call index: the log is
        self.calls: Dict[int, int] = {}     # emptied at every step, so its seq and call restart there

    def path(self, layer_id: int) -> str:
        return os.path.join(self.directory, f"{self.prefix}{layer_id:03d}.csv")

    def add(self, records: Iterable[Mapping]) -> None:
        for r in records:
            layer_id = int(r["layer_id"])
            row = dict(r, seq=self.seq, call=self.calls.get(layer_id, 0))
            self.seq, self.calls[layer_id] = self.seq + 1, row["call"] + 1
            self.pending.setdefault(layer_id, []).append([_cell(c, row[c]) for c in self.columns])
            self.buffered += 1
        if self.buffered >= BUFFERED_ROWS:
            self.flush()

    def add_overflow(self, dropped: Mapping[int, Mapping[str, int]]) -> None:
        for layer_id, counts in dropped.items():
            total = self.overflow.setdefault(layer_id, {k: 0 for k in ("calls", "hits", "misses", "vectors")})
            for key in total:
                total[key] += counts[key]

    def flush(self) -> None:
        for layer_id, rows in self.pending.items():
            with open(self.path(layer_id), "a", newline="") as f:
                writer = csv.writer(f)
                if layer_id not in self.started:
                    writer.writerow(self.columns)
                    self.started.add(layer_id)
                writer.writerows(rows)
        self.pending, self.buffered = {}, 0

    def close(self) -> str:
        """Flushes the rows and writes overflow.csv (header only when nothing was dropped); returns the folder."""
        self.flush()
        with open(os.path.join(self.directory, "overflow.csv"), "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(_OVERFLOW_COLUMNS)
            for layer_id, t in sorted(self.overflow.items()):
                writer.writerow([layer_id, t["calls"], t["hits"], t["misses"], t["vectors"]])
        return self.directory
