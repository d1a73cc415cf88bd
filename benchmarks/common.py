"""Shared pieces of the study scripts (run_study, train_study, sweep).

- `swap_convs` / `set_layers`: mercury.convert in execution order, and changing MercuryConv2d settings between
  steps (the adaptive policy needs that).
- `prepare_scripted`: zoo model -> scripted model whose convs are mercury::conv2d (mercury.rewrite).
- `layer_stats`: per-layer hits/misses/vectors from hit-log records.
- `find_sim` / `run_sim` / `read_sim_reports`: run `mercury-sim` and read its reports (columns found by name).
- small helpers for tables and plots (matplotlib, Agg backend).
"""
import csv
import json
import os
import shutil
import subprocess
import sys
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import mercury  # noqa: E402  (loads the op library)

DEFAULT_SIM = os.path.join(ROOT, "build", "sim", "mercury-sim")
DEFAULT_CONFIG = os.path.join(ROOT, "configs", "eyeriss_ws.cfg")


# ------------------------------------------------------------------------------------------- the conv swap

def swap_convs(model: nn.Module, example: torch.Tensor, **settings) -> List[Dict]:
    """mercury.convert with ids in execution order of `example`; refuses convs called twice per forward
    (the eager swap gives one id per module; mercury.rewrite handles them)."""
    from models import topology
    dup = [l.name for l in topology.conv_layers(model, example, check_script=False) if "#" in l.name]
    if dup:
        raise ValueError(f"convs called more than once per forward ({dup[:3]}): use mercury.rewrite")
    return mercury.convert(model, example=example, **settings)


def mercury_layers(model: nn.Module) -> List[mercury.MercuryConv2d]:
    """The MercuryConv2d modules of a converted model, sorted by layer id."""
    return sorted((m for m in model.modules() if isinstance(m, mercury.MercuryConv2d)), key=lambda m: m.layer_id)


def set_layers(model: nn.Module, **settings) -> None:
    for m in mercury_layers(model):
        m.configure(**settings)


def prepare_scripted(name: str, example: torch.Tensor, mode: str = "observe", sig_bits: int = 20,
                     cache_entries: int = 1024, vector: str = "patch", seed: int = 0,
                     model: Optional[nn.Module] = None):
    """(scripted module whose convs are mercury::conv2d, [layer names by id]) for zoo model `name` (or `model`)."""
    from models import zoo
    if model is None:
        model = zoo.build(name)
    module, table, warnings = mercury.rewrite(torch.jit.script(model.eval()), mode=mode, sig_bits=sig_bits,
                                              cache_entries=cache_entries, vector=vector, seed=seed)
    for w in warnings:
        print(f"mercury.rewrite: warning: {w}", file=sys.stderr)
    return module, [row["name"] for row in table]


# ------------------------------------------------------------------------------------------- hit-log stats

def layer_stats(records: Iterable[Mapping]) -> Dict[int, Dict[str, int]]:
    """{layer_id: {calls, hits, misses, vectors, sig_bits}} summed over calls."""
    out: Dict[int, Dict[str, int]] = {}
    for r in records:
        lid = int(r["layer_id"])
        s = out.setdefault(lid, {"calls": 0, "hits": 0, "misses": 0, "vectors": 0, "sig_bits": int(r["sig_bits"])})
        s["calls"] += 1
        s["hits"] += int(r["hits"])
        s["misses"] += int(r["misses"])
        s["vectors"] += int(r["vectors"])
    return out


def hit_rate(s: Mapping[str, int]) -> float:
    return s["hits"] / s["vectors"] if s.get("vectors") else 0.0


# ------------------------------------------------------------------------------------------- the simulator

def find_sim(path: Optional[str] = None) -> Optional[str]:
    """The mercury-sim binary: `path`, $MERCURY_SIM, build/sim/mercury-sim or on PATH; None when absent."""
    for cand in (path, os.environ.get("MERCURY_SIM"), DEFAULT_SIM, shutil.which("mercury-sim")):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return None


def run_sim(config: str, topology: str, outdir: str, hitlog_dir: Optional[str] = None,
            sim: Optional[str] = None, extra: Sequence[str] = ()) -> Dict:
    """Run mercury-sim; returns read_sim_reports(outdir). Raises FileNotFoundError / RuntimeError with the reason."""
    binary = find_sim(sim)
    if binary is None:
        raise FileNotFoundError(f"mercury-sim not found (looked at {sim or DEFAULT_SIM}, $MERCURY_SIM, PATH): "
                                "build it with cmake -S . -B build && cmake --build build -j2")
    if not os.path.isfile(config):
        raise FileNotFoundError(f"simulator config not found: {config}")
    os.makedirs(outdir, exist_ok=True)
    cmd = [binary, "-c", config, "-t", topology, "-o", outdir]
    if hitlog_dir is not None:
        cmd += ["-m", hitlog_dir]
    cmd += list(extra)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    with open(os.path.join(outdir, "sim.log"), "w") as f:
        f.write("$ " + " ".join(cmd) + "\n" + proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise RuntimeError(f"mercury-sim failed (exit {proc.returncode}): {' '.join(cmd)}\n{proc.stderr.strip()}")
    return read_sim_reports(outdir)


def simulate(config: str, topology: str, outdir: str, hitlog_dir: str, sim: Optional[str] = None
             ) -> Tuple[List[Dict], str]:
    """(per-layer cycles from mercury-sim's reports, "mercury-sim (<binary>)")."""
    return run_sim(config, topology, outdir, hitlog_dir, sim)["layers"], f"mercury-sim ({find_sim(sim)})"


def _read_csv(path: str) -> List[Dict[str, str]]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return []
    header = [h.strip() for h in rows[0]]
    out = []
    for row in rows[1:]:
        if not any(c.strip() for c in row):
            continue
        out.append({h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header) if h})
    return out


def read_sim_reports(outdir: str) -> Dict:
    """Per-layer cycles from mercury-sim's MERCURY_REPORT.csv (or COMPUTE_REPORT.csv when run without hit logs).

    Returns {"layers": [{layer, name, baseline_cycles, mercury_cycles, signature_cycles, lookup_cycles, hit_rate,
    hits, vectors, speedup}], "raw": {file: rows}}."""
    raw = {fn: _read_csv(os.path.join(outdir, fn)) for fn in sorted(os.listdir(outdir)) if fn.endswith(".csv")}
    if "MERCURY_REPORT.csv" not in raw:
        if "COMPUTE_REPORT.csv" not in raw:
            raise RuntimeError(f"{outdir}: mercury-sim wrote neither MERCURY_REPORT.csv nor COMPUTE_REPORT.csv")
        layers = [{"layer": int(r["LayerID"]), "name": None, "baseline_cycles": float(r["Total Cycles"]),
                   "mercury_cycles": None} for r in raw["COMPUTE_REPORT.csv"]]
        return {"layers": layers, "raw": raw}
    layers = []
    for r in raw["MERCURY_REPORT.csv"]:
        layers.append({"layer": int(r["LayerID"]), "name": r["LayerName"], "has_hitlog": r["HitLog"] == "yes",
                       "baseline_cycles": float(r["BaselineCycles"]), "mercury_cycles": float(r["MercuryCycles"]),
                       "signature_cycles": float(r["SignatureCycles"]), "lookup_cycles": float(r["LookupCycles"]),
                       "hit_rate": float(r["HitRate"]), "hits": float(r["Hits"]), "vectors": float(r["Vectors"]),
                       "speedup": float(r["Speedup"])})
    return {"layers": layers, "raw": raw}


# ------------------------------------------------------------------------------------------- output helpers

def markdown_table(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    def fmt(v):
        if isinstance(v, float):
            return f"{v:.4g}" if abs(v) < 1e6 else f"{v:,.0f}"
        if isinstance(v, int):
            return f"{v:,}"
        return str(v)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(fmt(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def write_csv(path: str, header: Sequence[str], rows: Iterable[Sequence]) -> str:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow(r)
    return path


def write_json(path: str, obj) -> str:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=False)
        f.write("\n")
    return path


def pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def progress(iterable, **kw):
    """tqdm when installed (Debian python3-tqdm), else the plain iterable."""
    try:
        from tqdm import tqdm
        return tqdm(iterable, **kw)
    except ImportError:
        return iterable
