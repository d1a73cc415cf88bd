"""Reading the process-wide hit log from Python (the same ops C++ and TorchScript use)."""
import functools
import json
import os
import warnings
from typing import Callable, Dict, Iterable, List, Mapping, NamedTuple

import torch



@functools.lru_cache(maxsize=None)
def hitlog_schema() -> Dict:
    """The hit-log record schema of the op library (csrc/hitlog/record_schema.h): {"columns": [{"name", "kind":
    "int"|"text"|"hitmap", "geometry", and "choices" for text columns}], "old_columns": {old name: name},
    "file_prefix", "old_file_prefix"}."""
    return json.loads(torch.ops.mercury.hitlog_schema())


def hitlog_columns() -> List[str]:
    """The record's columns, in the order of hitlog_table, the exported files and hitlog()'s dicts."""
    return [c["name"] for c in hitlog_schema()["columns"]]


@functools.lru_cache(maxsize=None)
def _decoders() -> Dict[str, Callable[[int], object]]:
    """Per table column: its value from the table's integer (a choice's index, a has-a-hit-map flag)."""
    out: Dict[str, Callable[[int], object]] = {}
    for column in hitlog_schema()["columns"]:
        if column["kind"] == "text":
            out[column["name"]] = column["choices"].__getitem__
        elif column["kind"] == "hitmap":
            out[column["name"]] = bool
    return out


def _decoded(table: torch.Tensor) -> List[Dict]:
    """The op's record table (a row per record) as dicts keyed by hitlog_columns()."""
    names, decoders = hitlog_columns(), _decoders()
    return [{name: decoders[name](value) if name in decoders else value for name, value in zip(names, row)}
            for row in table.tolist()]


class TakenRecords(NamedTuple):
    records: List[Dict]                     # as hitlog() gives them
    overflow: Dict[int, Dict[str, int]]     # as hitlog_overflow() gives it
    dropped_hitmaps: int                    # records stored without their hit map (the byte budget)


def hitlog_take(with_hitmaps: bool = False) -> TakenRecords:
    """The hit log's records, overflow and dropped-hit-map count, and the log reset, in one step: a record that
    another thread's call stores meanwhile lands either in what is taken or in the emptied log, never between a read
    and a reset (hitlog() then hitlog_reset() could lose it). What a reader that empties the log as it goes (e.g.
    mercury.profile) uses.

    >>> import torch, mercury
    >>> mercury.hitlog_reset()
    >>> _ = mercury.conv2d(torch.randn(1, 2, 6, 6), torch.randn(3, 2, 3, 3), layer_id=7, mode="observe")
    >>> taken = mercury.hitlog_take()
    >>> [r["layer_id"] for r in taken.records], mercury.hitlog_stats()["stored"]
    ([7], 0)
    """
    table, maps, overflow, dropped_hitmaps = torch.ops.mercury.hitlog_take(with_hitmaps)
    records = _decoded(table)
    if with_hitmaps:
        for record, hit_map in zip(records, maps):
            record["hitmap"] = hit_map if record["hitmap"] else None
    return TakenRecords(records, _overflow_dict(overflow), dropped_hitmaps)


def hitlog(with_hitmaps: bool = False, start: int = 0) -> List[Dict]:
    """Stored records from index `start` on (default: all), oldest first, as dicts keyed by hitlog_columns(); the
    'hitmap' column says whether the record kept its hit map (True/False), or with with_hitmaps=True holds the
    map itself (a bool tensor, None when not kept). A reader polling every step passes the count it has already
    seen, so each call copies only the new records.

    Warns when calls were dropped because the log was full (hitlog_overflow() has their per-layer totals)
    or hit maps were dropped for the byte budget. The C++ side also warns once, on stderr, when it happens.
    """
    records = _decoded(torch.ops.mercury.hitlog_table(start))
    if with_hitmaps:
        for index, record in enumerate(records, start):
            record["hitmap"] = hitlog_hitmap(index) if record["hitmap"] else None
    stats = hitlog_stats()
    if stats["dropped_calls"]:
        warnings.warn(f"mercury hit log overflowed: {stats['dropped_calls']} calls were counted but not "
                      "stored (see mercury.hitlog_overflow())")
    if stats["dropped_hitmaps"]:
        warnings.warn(f"mercury hit log: {stats['dropped_hitmaps']} records lost their hit maps to the "
                      f"{stats['hitmap_byte_capacity']}-byte hit-map budget (their counts are kept)")
    return records


def hitlog_hitmap(index: int) -> torch.Tensor:
    """Per-vector hit flags (bool, lookup order) of stored record `index`."""
    return torch.ops.mercury.hitlog_hitmap(index)


def hitlog_overflow() -> Dict[int, Dict[str, int]]:
    """Per layer: calls, hits, misses and vectors of calls that did not fit in the log."""
    return _overflow_dict(torch.ops.mercury.hitlog_overflow())


def _overflow_dict(table: torch.Tensor) -> Dict[int, Dict[str, int]]:
    return {r[0]: {"calls": r[1], "hits": r[2], "misses": r[3], "vectors": r[4]} for r in table.tolist()}


def hitlog_stats() -> Dict[str, int]:
    keys = ("stored", "dropped_calls", "dropped_hitmaps", "record_capacity", "hitmap_bytes",
            "hitmap_byte_capacity")
    return dict(zip(keys, torch.ops.mercury.hitlog_stats()))


def hitlog_reset() -> None:
    torch.ops.mercury.hitlog_reset()


def hitlog_set_capacity(records: int, hitmap_bytes: int = 256 << 20) -> None:
    torch.ops.mercury.hitlog_set_capacity(records, hitmap_bytes)


def _process_group_world_size() -> int:
    """World size of the initialised default process group, or 1 without one."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return 1


def hitlog_export(directory: str) -> int:
    """Write DIR/hitlog-NNN.csv per layer and DIR/overflow.csv; returns the number of layer files.

    Under an initialised torch.distributed process group with more than one rank, every rank has its own hit
    log and the fixed names would make the ranks overwrite each other; so there this writes rank-named files
    instead, through mercury.distributed.export_rank_hitlog(DIR): DIR/hitlog-NNN.rank<R>.csv and
    DIR/overflow.rank<R>.csv (R = torch.distributed.get_rank(); this rank's older rank-named files in DIR are
    removed first, other ranks' files are never touched), and returns the number of this rank's layer files.
    mercury.distributed.merge_rank_hitlogs(DIR, OUT) merges them into the single-process format above (what
    mercury-sim reads). Without a process group, or with a world size of 1, the behaviour is the plain one.
    """
    if _process_group_world_size() > 1:
        from mercury import distributed  # imported here: mercury.distributed imports mercury
        written = distributed.export_rank_hitlog(directory)
        return sum(1 for path in written if os.path.basename(path).startswith(hitlog_schema()["file_prefix"]))
    return torch.ops.mercury.hitlog_export(directory)


def layer_totals(records: Iterable[Mapping]) -> Dict[int, Dict[str, int]]:
    """{layer_id: {calls, hits, misses, vectors, sig_bits (of the last call)}} summed over the records' calls: the
    one place totals are made, for hitlog()'s dicts and for rows read from exported files alike."""
    out: Dict[int, Dict[str, int]] = {}
    for r in records:
        s = out.setdefault(int(r["layer_id"]), {"calls": 0, "hits": 0, "misses": 0, "vectors": 0})
        s["calls"] += 1
        for key in ("hits", "misses", "vectors"):
            s[key] += int(r[key])
        s["sig_bits"] = int(r["sig_bits"])
    return out
