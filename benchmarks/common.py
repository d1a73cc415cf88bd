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


def simulate(config: str, topology: str, outdir: str, hitlog_dir: str, num_layers: int, sim: Optional[str] = None,
             fallback: bool = True) -> Tuple[List[Dict], str]:
    """(per-layer cycles, simulator label): mercury-sim when built; else, with fallback=True, the labelled python
    estimate of benchmarks/cyclemodel.py (FileNotFoundError when fallback=False)."""
    if find_sim(sim) is not None or not fallback:
        return run_sim(config, topology, outdir, hitlog_dir, sim)["layers"], f"mercury-sim ({find_sim(sim)})"
    from benchmarks import cyclemodel
    from models import topology as topo
    layers = cyclemodel.estimate(topo.read_hitlog_dir(hitlog_dir), num_layers, config)
    return layers, "python fallback (benchmarks/cyclemodel.py; mercury-sim not built)"


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


def _norm(s: str) -> str:
    return "".join(ch for ch in s.lower() if ch.isalnum())


def _pick(row: Mapping[str, str], *candidates: str) -> Optional[str]:
    """Value of the first column whose normalized name equals one of the candidates (normalized)."""
    normed = {_norm(k): v for k, v in row.items()}
    for c in candidates:
        v = normed.get(_norm(c))
        if v not in (None, ""):
            return v
    return None


def _num(v: Optional[str]) -> Optional[float]:
    try:
        return float(v) if v is not None else None
    except ValueError:
        return None


def read_sim_reports(outdir: str) -> Dict:
    """Per-layer baseline and MERCURY cycles from mercury-sim's outdir.

    Returns {"layers": [{layer, name, baseline_cycles, mercury_cycles, ...}], "raw": {file: rows}}.
    MERCURY_REPORT.csv is read by column name; COMPUTE_REPORT.csv gives the baseline when MERCURY_REPORT lacks it."""
    raw = {}
    for fn in sorted(os.listdir(outdir)):
        if fn.endswith(".csv"):
            raw[fn] = _read_csv(os.path.join(outdir, fn))
    merc = raw.get("MERCURY_REPORT.csv")
    comp = raw.get("COMPUTE_REPORT.csv")
    if merc is None and comp is None:
        raise RuntimeError(f"{outdir}: neither MERCURY_REPORT.csv nor COMPUTE_REPORT.csv was written")
    layers = []
    src = merc if merc is not None else comp
    for i, row in enumerate(src):
        lid = _pick(row, "LayerID", "Layer ID", "layer_id", "Layer")
        try:
            lid = int(float(lid)) if lid is not None else i
        except ValueError:
            lid = i
        base = _num(_pick(row, "baseline_cycles", "Baseline Cycles", "Baseline Total Cycles", "baseline_total_cycles",
                          "Total Cycles Baseline", "base_cycles"))
        if base is None and comp is not None and i < len(comp):
            base = _num(_pick(comp[i], "Total Cycles", "total_cycles"))
        mer = _num(_pick(row, "mercury_cycles", "MERCURY Cycles", "Mercury Total Cycles", "mercury_total_cycles",
                         "Total Cycles MERCURY", "Total Cycles Mercury"))
        layer = {"layer": lid, "name": _pick(row, "Layer name", "layer_name", "name"),
                 "baseline_cycles": base, "mercury_cycles": mer, "row": dict(row)}
        for key, cands in (("signature_cycles", ("signature_cycles", "Signature Cycles", "sig_cycles")),
                           ("lookup_cycles", ("lookup_cycles", "Lookup Cycles", "cache_cycles", "mcache_cycles")),
                           ("hit_rate", ("hit_rate", "Hit Rate", "hitrate")),
                           ("hits", ("hits", "Hits")), ("vectors", ("vectors", "S0", "Vectors")),
                           ("speedup", ("speedup", "Speedup"))):
            layer[key] = _num(_pick(row, *cands))
        layers.append(layer)
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
