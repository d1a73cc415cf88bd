"""Export the hit log and run mercury-sim on it: the geometry of every layer travels in the hit log, so the
simulator needs no topology (mercury-sim -c CONFIG -m HITLOG_DIR). Its reports are read back once, here."""
import os
import subprocess
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import mercury
from mercury import tools
from mercury.files import read_csv


def export_hitlog(directory: str) -> str:
    """mercury.hitlog_export into a clean `directory` (every .csv file in it removed first)."""
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".csv"):
            os.remove(os.path.join(directory, name))
    mercury.hitlog_export(directory)
    return directory


@dataclass
class SimReport:
    """mercury-sim's MERCURY_REPORT.csv (one dict per layer, numbers as floats) and MERCURY_TOTAL.csv, with the
    energies of ENERGY_REPORT.csv (uJ, baseline and MERCURY) merged into each layer and into the totals."""
    command: List[str]
    layers: List[Dict] = field(default_factory=list)
    totals: Dict = field(default_factory=dict)


_LAYER_COLUMNS = {"LayerID": "layer_id", "Vectors": "vectors", "Hits": "hits", "HitRate": "hit_rate",
                  "SigBits": "sig_bits", "BaselineCycles": "baseline_cycles", "SignatureCycles": "signature_cycles",
                  "LookupCycles": "lookup_cycles", "OverheadCycles": "overhead_cycles",
                  "MercuryCycles": "mercury_cycles", "Speedup": "speedup"}
# With --training (mercury-sim's training step: forward, input gradient, weight gradient).
_STEP_COLUMNS = {"ForwardBaselineCycles": "forward_baseline", "ForwardMercuryCycles": "forward_mercury",
                 "InputGradBaselineCycles": "input_grad_baseline", "InputGradMercuryCycles": "input_grad_mercury",
                 "WeightGradBaselineCycles": "weight_grad_baseline", "WeightGradMercuryCycles": "weight_grad_mercury",
                 "StepBaselineCycles": "step_baseline", "StepMercuryCycles": "step_mercury",
                 "StepSpeedup": "step_speedup"}
_TOTAL_COLUMNS = {"Layers": "layers", "Vectors": "vectors", "Hits": "hits", "HitRate": "hit_rate",
                  "BaselineCycles": "baseline_cycles", "OverheadCycles": "overhead_cycles",
                  "MercuryCycles": "mercury_cycles", "Speedup": "speedup"}


# ENERGY_REPORT.csv (uJ): each layer's and the TOTAL row's; with --training the step's too. A layer's energy_parts
# holds its breakdown per side (compute, each buffer's SRAM traffic, DRAM; MERCURY also its signatures, lookups, fills).
_ENERGY_COLUMNS = {"BaselineTotalUJ": "baseline_energy_uj", "MercuryTotalUJ": "mercury_energy_uj",
                   "MercurySignatureUJ": "signature_energy_uj", "MercuryLookupUJ": "lookup_energy_uj",
                   "MercuryFillUJ": "fill_energy_uj", "MercuryOwnShare": "own_energy_share",
                   "EnergyRatio": "energy_ratio", "McacheBytes": "mcache_bytes"}
_STEP_ENERGY_COLUMNS = {"StepBaselineUJ": "step_baseline_energy_uj", "StepMercuryUJ": "step_mercury_energy_uj",
                        "StepEnergyRatio": "step_energy_ratio", "InputGradBaselineUJ": "input_grad_baseline_energy_uj",
                        "InputGradMercuryUJ": "input_grad_mercury_energy_uj", "GradSumUJ": "grad_sum_energy_uj",
                        "WeightGradBaselineUJ": "weight_grad_baseline_energy_uj",
                        "WeightGradMercuryUJ": "weight_grad_mercury_energy_uj"}
ENERGY_PARTS = ("Compute", "IfmapSram", "FilterSram", "OfmapSram", "Dram")
MERCURY_ENERGY_PARTS = ENERGY_PARTS + ("Signature", "Lookup", "Fill")


def _read_energy(outdir: str, targets: List[Dict], training: bool) -> None:
    """ENERGY_REPORT.csv's rows (the layers, then TOTAL) into `targets` (the layer dicts, then the totals)."""
    path = os.path.join(outdir, "ENERGY_REPORT.csv")
    if not os.path.isfile(path):
        raise RuntimeError(f"mercury-sim wrote no {path}")
    rows = read_csv(path)
    if len(rows) != len(targets) or rows[-1].get("LayerID") != "TOTAL":
        raise RuntimeError(f"{path}: expected {len(targets) - 1} layer rows and a TOTAL row, got {len(rows)} rows")
    columns = dict(_ENERGY_COLUMNS, **(_STEP_ENERGY_COLUMNS if training else {}))
    parts = {"baseline": {f"Baseline{p}UJ": p for p in ENERGY_PARTS},
             "mercury": {f"Mercury{p}UJ": p for p in MERCURY_ENERGY_PARTS}}
    for i, (target, row) in enumerate(zip(targets, rows)):
        target.update(_numbers(row, columns, path))
        if i < len(targets) - 1:  # the layers (the totals stay flat numbers)
            target["energy_parts"] = {side: _numbers(row, cols, path) for side, cols in parts.items()}


def _numbers(row: Dict[str, str], columns: Dict[str, str], where: str) -> Dict:
    try:
        return {key: float(row[col]) for col, key in columns.items()}
    except KeyError as e:
        raise RuntimeError(f"{where}: column {e} missing (mercury-sim and this package out of step?)") from None


def read_reports(outdir: str, command: Sequence[str] = ()) -> SimReport:
    layer_path = os.path.join(outdir, "MERCURY_REPORT.csv")
    total_path = os.path.join(outdir, "MERCURY_TOTAL.csv")
    for path in (layer_path, total_path):
        if not os.path.isfile(path):
            raise RuntimeError(f"mercury-sim wrote no {path}")
    layers = []
    rows = read_csv(layer_path)
    training = bool(rows) and "StepSpeedup" in rows[0]
    for row in rows:
        layer = _numbers(row, dict(_LAYER_COLUMNS, **(_STEP_COLUMNS if training else {})), layer_path)
        layer["layer_id"] = int(layer["layer_id"])
        layer["has_hitlog"] = row.get("HitLog") == "yes"
        layers.append(layer)
    totals_rows = read_csv(total_path)
    if len(totals_rows) != 1:
        raise RuntimeError(f"{total_path}: expected one row, got {len(totals_rows)}")
    totals = _numbers(totals_rows[0], dict(_TOTAL_COLUMNS, **(_STEP_COLUMNS if training else {})), total_path)
    _read_energy(outdir, layers + [totals], training)
    return SimReport(list(command), layers, totals)


def mcache_flags(settings: Dict) -> List[str]:
    """mercury-sim's --cache-entries / --cache-ways from the op's settings: the MCACHE geometry its energy and
    storage are computed for (the hit logs do not record it)."""
    flags = []
    for key, flag in (("cache_entries", "--cache-entries"), ("cache_ways", "--cache-ways")):
        if settings.get(key) is not None:
            flags += [flag, str(settings[key])]
    return flags


def simulate(hitlog_dir: str, outdir: str, config: Optional[str] = None, sim: Optional[str] = None,
             topology: Optional[str] = None, extra: Sequence[str] = ()) -> SimReport:
    """mercury-sim -c CONFIG -m HITLOG_DIR -o OUTDIR; its stdout/stderr go to OUTDIR/sim.log. Raises
    FileNotFoundError (no binary / config) or RuntimeError (the simulator failed, with its message).
    topology: only where some layers have no hit log (layers switched off for a whole run): a topology from
    mercury.topology whose rows without a log are then reported at baseline."""
    binary = tools.require_tool("mercury-sim", sim)
    config = config or tools.config_path()
    if not os.path.isfile(config):
        raise FileNotFoundError(f"simulator config not found: {config}")
    os.makedirs(outdir, exist_ok=True)
    cmd = [binary, "-c", config, "-m", hitlog_dir, "-o", outdir, *(["-t", topology] if topology else []), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    with open(os.path.join(outdir, "sim.log"), "w") as f:
        f.write("$ " + " ".join(cmd) + "\n" + proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise RuntimeError(f"mercury-sim failed (exit {proc.returncode}): {' '.join(cmd)}\n{proc.stderr.strip()}")
    return read_reports(outdir, cmd)
