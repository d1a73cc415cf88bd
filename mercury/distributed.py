"""mercury::conv2d under torch.distributed (DDP, gloo): one hit log per rank, and a merge for mercury-sim.

Every process has its own process-wide hit log. The C++ export (``torch.ops.mercury.hitlog_export``) writes
fixed names (``hitlog-NNN.csv``, ``overflow.csv``), so ranks exporting into one folder would overwrite each
other; ``mercury.hitlog_export(dir)`` therefore delegates to ``export_rank_hitlog`` below whenever a process
group with more than one rank is initialised. Here:

- ``export_rank_hitlog(dir, rank)`` writes ``dir/hitlog-NNN.rank<R>.csv`` and ``dir/overflow.rank<R>.csv``
  (exported into a private temporary folder inside ``dir``, then renamed; no C++ change);
- ``merge_rank_hitlogs(dir, out)`` turns those files into the single-process format ``mercury-sim -m out``
  reads: one ``hitlog-NNN.csv`` per layer holding every rank's calls (``call`` renumbered 0..k-1 in
  (rank, call) order) and one ``overflow.csv`` with the ranks' dropped counts summed per layer. The ranks must
  agree on each layer's geometry (everything but the per-rank batch N and the per-call counts); otherwise
  ValueError names the file and line. A folder of per-rank files is not itself a ``mercury-sim`` input (its
  ``hitlog-NNN.rank<R>.csv`` names do not parse as layer ids): merge first.

Gradients need nothing: DDP all-reduces the weight gradients mercury::conv2d's autograd kernel returns, so the
weights stay identical across ranks in every mode (reuse included).

Launching
---------
``torchrun`` (``python -m torch.distributed.run``) works: each worker reads RANK, WORLD_SIZE, MASTER_ADDR and
MASTER_PORT from its environment and calls ``torch.distributed.init_process_group(backend, init_method="env://")``
(backend: gloo for models on the CPU, NCCL on CUDA: ``backend_for(device)``).
Example, from the checkout::

    PYTHONPATH=$PWD .venv/bin/torchrun --nproc_per_node 2 benchmarks/train_ddp.py --steps 3

For in-process use (a test, a notebook, ``benchmarks/train_ddp.py`` run plainly) ``launch`` below starts the ranks
with ``torch.multiprocessing.spawn``: it picks a free localhost port (a socket bound to port 0), spawns
``world_size`` processes that each call ``init_process_group("gloo", init_method="tcp://127.0.0.1:<port>",
rank=r, world_size=N)`` and then ``fn(rank, world_size, *args)``, waits with a timeout, and kills every process
if one hangs or fails::

    from mercury import distributed
    distributed.launch(worker, world_size=2, args=(out_dir,), timeout=600)

``worker`` must be a module-level function (spawn pickles it by name) and should ``import mercury`` itself (the op
library is loaded per process; the launcher puts this checkout on the children's PYTHONPATH). Example:
``PYTHONPATH=$PWD .venv/bin/python benchmarks/train_ddp.py --steps 5``.
"""
import csv
import datetime
import os
import shutil
import socket
import tempfile
import time
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import torch

import mercury  # noqa: F401  (loads the op library: torch.ops.mercury.*)
from mercury.hitlog import hitlog_schema, layer_totals
from mercury.files import read_csv_rows

OVERFLOW_COLUMNS = ("layer_id", "dropped_calls", "dropped_hits", "dropped_misses", "dropped_vectors")
SPATIAL_COLUMNS = ("H", "W", "out_h", "out_w")  # may differ from call to call (input sizes)


def geometry_columns() -> Tuple[str, ...]:
    """Columns every rank must agree on for one layer: the record's geometry but the per-rank batch N, and the
    vector kind (the per-call counts, sig_bits and mode may change from call to call, as in one process)."""
    schema = hitlog_schema()
    return tuple(c["name"] for c in schema["columns"] if c["geometry"] and c["name"] != "N") + ("vector_kind",)


def _layer_file_prefixes() -> Tuple[str, ...]:
    schema = hitlog_schema()
    return schema["file_prefix"], schema["old_file_prefix"]


def _default_rank(rank: Optional[int]) -> int:
    if rank is not None:
        return int(rank)
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank()
    return 0


def rank_file_name(kind: str, rank: int, layer_id: Optional[int] = None) -> str:
    """'hitlog-NNN.rank<R>.csv' (kind 'hitlog') or 'overflow.rank<R>.csv' (kind 'overflow')."""
    if kind == "hitlog":
        return f"{hitlog_schema()['file_prefix']}{int(layer_id):03d}.rank{int(rank)}.csv"
    if kind == "overflow":
        return f"overflow.rank{int(rank)}.csv"
    raise ValueError(f"unknown kind {kind!r}")


def _parse_rank_file(name: str) -> Optional[Tuple[str, Optional[int], int]]:
    """(kind, layer_id, rank) of a per-rank file name, or None for any other file."""
    if not name.endswith(".csv"):
        return None
    stem, dot, rank_part = name[:-4].rpartition(".")
    if not dot or not rank_part.startswith("rank") or not rank_part[4:].isdigit():
        return None
    rank = int(rank_part[4:])
    if stem == "overflow":
        return "overflow", None, rank
    layer_id = _layer_id_of(stem)
    return None if layer_id is None else ("hitlog", layer_id, rank)


def _layer_id_of(stem: str) -> Optional[int]:
    """NNN of 'hitlog-NNN' (or the older 'hitmap-NNN'), else None."""
    for prefix in _layer_file_prefixes():
        if stem.startswith(prefix) and stem[len(prefix):].isdigit():
            return int(stem[len(prefix):])
    return None


def export_rank_hitlog(directory: str, rank: Optional[int] = None) -> List[str]:
    """Export this process's hit log into `directory` under rank-specific names; returns the paths written.

    rank defaults to torch.distributed.get_rank() when a process group is initialised, else 0. This rank's
    older files in `directory` are removed first (a layer not reached this time leaves no stale file); other
    ranks' files are never touched."""
    rank = _default_rank(rank)
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        parsed = _parse_rank_file(name)
        if parsed is not None and parsed[2] == rank:
            os.remove(os.path.join(directory, name))
    tmp = tempfile.mkdtemp(prefix=f".export.rank{rank}.", dir=directory)  # same file system: rename is atomic
    written = []
    try:
        torch.ops.mercury.hitlog_export(tmp)  # the fixed-name C++ export (mercury.hitlog_export would recurse here)
        for name in sorted(os.listdir(tmp)):
            if name == "overflow.csv":
                target = rank_file_name("overflow", rank)
            elif name.endswith(".csv") and (layer_id := _layer_id_of(name[:-4])) is not None:
                target = rank_file_name("hitlog", rank, layer_id)
            else:
                continue
            dest = os.path.join(directory, target)
            os.replace(os.path.join(tmp, name), dest)
            written.append(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return written


def _read_rows(path: str) -> Tuple[List[str], List[Tuple[int, Dict[str, str]]]]:
    """read_csv_rows, refusing a file without a header; older column names read as the current ones."""
    header, rows = read_csv_rows(path)
    if not header:
        raise ValueError(f"{path}: empty file (no header)")
    old = hitlog_schema()["old_columns"]
    if any(c in old for c in header):
        header = [old.get(c, c) for c in header]
        rows = [(line, {old.get(k, k): v for k, v in row.items()}) for line, row in rows]
    return header, rows


def _int(row: Dict[str, str], column: str, path: str, line: int) -> int:
    try:
        return int(row[column])
    except KeyError:
        raise ValueError(f"{path}:{line}: no '{column}' column") from None
    except ValueError:
        raise ValueError(f"{path}:{line}: {column} is not an integer: {row[column]!r}") from None


def rank_files(directory: str) -> Dict[str, Dict]:
    """{'hitlog': {layer_id: {rank: path}}, 'overflow': {rank: path}} of the per-rank files in `directory`."""
    found: Dict[str, Dict] = {"hitlog": {}, "overflow": {}}
    for name in sorted(os.listdir(directory)):
        parsed = _parse_rank_file(name)
        if parsed is None:
            continue
        kind, layer_id, rank = parsed
        path = os.path.join(directory, name)
        if kind == "overflow":
            found["overflow"][rank] = path
        else:
            found["hitlog"].setdefault(layer_id, {})[rank] = path
    return found


def merge_rank_hitlogs(directory: str, out_directory: str, world_size: Optional[int] = None) -> Dict[int, Dict]:
    """Merge the per-rank files of `directory` into `out_directory` in the single-process export format.

    Writes out_directory/hitlog-NNN.csv per layer (the first rank's columns; every rank's rows in (rank, call)
    order, `call` renumbered 0..k-1) and out_directory/overflow.csv (dropped counts summed over the ranks).
    world_size: when given, every rank 0..world_size-1 must have exported (its overflow.rank<R>.csv exists).
    Raises ValueError (naming file and line) when ranks disagree on a layer's geometry (geometry_columns()),
    or when a file lacks a column. Returns {layer_id: {calls, hits, misses, vectors, sig_bits, ranks}} of the
    merged logs.
    """
    if os.path.abspath(directory) == os.path.abspath(out_directory):
        raise ValueError("merge_rank_hitlogs: out_directory must differ from the per-rank directory")
    files = rank_files(directory)
    ranks = sorted(set(files["overflow"]) | {r for per in files["hitlog"].values() for r in per})
    if not ranks:
        raise ValueError(f"{directory}: no per-rank hit log files (hitlog-NNN.rank<R>.csv, overflow.rank<R>.csv)")
    if world_size is not None:
        missing = [r for r in range(world_size) if r not in files["overflow"]]
        if missing:
            raise ValueError(f"{directory}: rank(s) {missing} exported nothing (no overflow.rank<R>.csv)")
    os.makedirs(out_directory, exist_ok=True)
    for name in os.listdir(out_directory):  # a clean single-process export: stale layers would be simulated too
        if (name.endswith(".csv") and _layer_id_of(name[:-4]) is not None) or name == "overflow.csv":
            os.remove(os.path.join(out_directory, name))
    summary: Dict[int, Dict] = {}
    for layer_id in sorted(files["hitlog"]):
        per_rank = files["hitlog"][layer_id]
        header, merged = _merge_layer(layer_id, per_rank)
        for call, row in enumerate(merged):
            row["call"] = str(call)
            row["layer_id"] = str(layer_id)  # files of older versions have no layer_id column
        _write_rows(os.path.join(out_directory, f"{hitlog_schema()['file_prefix']}{layer_id:03d}.csv"),
                    header + [c for c in ("layer_id",) if c not in header], merged)
        summary[layer_id] = {**layer_totals(merged)[layer_id], "ranks": sorted(per_rank)}
    _merge_overflow(files["overflow"], os.path.join(out_directory, "overflow.csv"))
    return summary


def _merge_layer(layer_id: int, per_rank: Dict[int, str]) -> Tuple[List[str], List[Dict[str, str]]]:
    """The columns and the rows, in (rank, call) order, of one layer's rank files; checks that the ranks agree
    on the layer's geometry and that the counts are integers."""
    header: Optional[List[str]] = None
    geometry = _LayerGeometry(layer_id)
    merged: List[Dict[str, str]] = []
    for rank in sorted(per_rank):
        path = per_rank[rank]
        file_header, rows = _read_rows(path)
        if header is None:
            header = file_header
            for needed in ("call",) + geometry_columns():
                if needed not in header:
                    raise ValueError(f"{path}:1: no '{needed}' column in the header")
        else:
            missing = [c for c in header if c not in file_header]
            if missing:
                raise ValueError(f"{path}:1: columns {missing} missing (the rank files come from different "
                                 "mercury versions?)")
        for line, row in sorted(rows, key=lambda item: _int(item[1], "call", path, item[0])):
            geometry.check(path, line, row)
            for column in ("hits", "misses", "vectors", "sig_bits"):
                _int(row, column, path, line)
            merged.append(row)
    assert header is not None
    return header, merged


class _LayerGeometry:
    """The geometry of one layer's first call, and the check that every other rank's calls match it."""

    def __init__(self, layer_id: int):
        self.layer_id = layer_id
        self.columns = [c for c in geometry_columns() if c not in SPATIAL_COLUMNS]  # must equal the reference's
        self.reference: Optional[Tuple[str, int, Dict[str, str]]] = None  # (path, line, row) that set it
        self.spatial = set()  # (H, W, out_h, out_w) seen by the reference rank (input sizes may vary per call)

    def check(self, path: str, line: int, row: Dict[str, str]) -> None:
        if self.reference is None:
            self.reference = (path, line, row)
        ref_path, ref_line, ref_row = self.reference
        spatial = tuple(row[c] for c in SPATIAL_COLUMNS)
        if ref_path == path:
            self.spatial.add(spatial)
            return
        for column in self.columns:
            if row[column] != ref_row[column]:
                raise ValueError(
                    f"{path}:{line}: layer {self.layer_id}: {column} {row[column]} differs from "
                    f"{ref_row[column]} in {ref_path}:{ref_line} (the ranks must run the same model)")
        if spatial not in self.spatial:
            raise ValueError(
                f"{path}:{line}: layer {self.layer_id}: input/output size H,W,out_h,out_w = "
                f"{','.join(spatial)} matches no call of {ref_path} (first: "
                f"{','.join(ref_row[c] for c in SPATIAL_COLUMNS)}, line {ref_line})")


def _merge_overflow(per_rank: Dict[int, str], out_path: str) -> None:
    """overflow.csv with the ranks' dropped counts summed per layer."""
    dropped: Dict[int, List[int]] = {}
    for rank in sorted(per_rank):
        path = per_rank[rank]
        header, rows = _read_rows(path)
        missing = [c for c in OVERFLOW_COLUMNS if c not in header]
        if missing:
            raise ValueError(f"{path}:1: columns {missing} missing from the header")
        for line, row in rows:
            sums = dropped.setdefault(_int(row, "layer_id", path, line), [0] * (len(OVERFLOW_COLUMNS) - 1))
            for i, column in enumerate(OVERFLOW_COLUMNS[1:]):
                sums[i] += _int(row, column, path, line)
    _write_rows(out_path, list(OVERFLOW_COLUMNS),
                [dict(zip(OVERFLOW_COLUMNS, [layer_id, *dropped[layer_id]])) for layer_id in sorted(dropped)])


def _write_rows(path: str, header: Sequence[str], rows: Sequence[Mapping]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow([row[c] for c in header])


# ---------------------------------------------------------------------------------------------------------------
# Launching in-process (torchrun needs none of this)

def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free right now on `host` (bind to port 0 and read it back)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def backend_for(device: Union[str, torch.device]) -> str:
    """The process group's backend for models on `device`: NCCL for CUDA, gloo for the CPU."""
    return "nccl" if torch.device(device).type == "cuda" else "gloo"


def rank_device(device: Union[str, torch.device], rank: int) -> torch.device:
    """Where rank `rank` runs when the study says `device`: "cuda" means one GPU per rank (cuda:<rank modulo the
    GPUs>); an explicit index or the CPU is used as given."""
    device = torch.device(device)
    if device.type == "cuda" and device.index is None:
        return torch.device("cuda", rank % max(1, torch.cuda.device_count()))
    return device


def init_process_group(rank: int, world_size: int, init_method: str, backend: str = "gloo",
                       timeout_s: float = 120.0) -> None:
    torch.distributed.init_process_group(backend, init_method=init_method, rank=rank, world_size=world_size,
                                         timeout=datetime.timedelta(seconds=timeout_s))


def _entry(rank: int, fn: Callable, world_size: int, init_method: str, backend: str, threads: Optional[int],
           args: Sequence, timeout_s: float = 120.0) -> None:
    """One rank: join the process group, run fn(rank, world_size, *args), leave the group."""
    if threads:
        torch.set_num_threads(threads)
    init_process_group(rank, world_size, init_method, backend, timeout_s)
    try:
        fn(rank, world_size, *args)
    finally:
        if torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def torchrun_rank() -> Optional[Tuple[int, int]]:
    """(rank, world_size) when this process was started by torchrun (its environment variables are set), else None."""
    names = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
    if not all(os.environ.get(n) for n in names):
        return None
    return int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])


def run_torchrun_rank(fn: Callable, args: Sequence = (), backend: str = "gloo", threads: Optional[int] = 1,
                      timeout_s: float = 120.0) -> int:
    """Run fn(rank, world_size, *args) as the rank torchrun started (init_method env://); returns the rank.
    timeout_s: the process group's collective timeout."""
    found = torchrun_rank()
    if found is None:
        raise RuntimeError("run_torchrun_rank: RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT are not set (not started by "
                           "torchrun); use launch() to start the ranks in-process")
    rank, world_size = found
    _entry(rank, fn, world_size, "env://", backend, threads, tuple(args), timeout_s)
    return rank


def launch(fn: Callable, world_size: int = 2, args: Sequence = (), timeout: Optional[float] = None,
           backend: str = "gloo", threads: Optional[int] = 1, port: Optional[int] = None) -> None:
    """Run fn(rank, world_size, *args) in `world_size` spawned processes joined in one process group
    (tcp://127.0.0.1:<free port>, localhost only). Raises TimeoutError (after killing every process) when they
    have not all finished within `timeout` seconds, and torch's ProcessRaisedException/ProcessExitedException
    (with the child's traceback) when one fails. threads: torch threads per process (default 1)."""
    import torch.multiprocessing as mp
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.environ.get("PYTHONPATH", "")
    if root not in path.split(os.pathsep):  # children import mercury (and the caller's modules) from this tree
        os.environ["PYTHONPATH"] = root + (os.pathsep + path if path else "")
    init_method = f"tcp://127.0.0.1:{port or free_port()}"
    context = mp.spawn(_entry, args=(fn, world_size, init_method, backend, threads, tuple(args)),
                       nprocs=world_size, join=False)
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while not context.join(timeout=1.0):
            if deadline is not None and time.monotonic() > deadline:
                alive = [i for i, p in enumerate(context.processes) if p.is_alive()]
                raise TimeoutError(f"mercury.distributed.launch: rank(s) {alive} still running after {timeout:.0f} s "
                                   "(killed)")
    finally:
        for p in context.processes:
            if p.is_alive():
                p.kill()
        for p in context.processes:
            p.join(5)
