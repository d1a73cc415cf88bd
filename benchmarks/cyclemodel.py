"""Fallback cycle estimate, used by the study scripts ONLY when the real simulator (`mercury-sim`) is not built.

It is not mercury-sim: it is SCALE-Sim's first-order compute-cycle formula for a weight-stationary array, applied
to the hit log, so the scripts still give a speedup estimate (clearly labelled "python fallback") on a machine
without the simulator. No memory stalls, no SRAM model.

Per conv call and group, with K = C/G * kh * kw (vector length), F = Cout/G (filters) and S vectors streamed:
    folds    = ceil(K / R) * ceil(F / C)                 (R x C array, ws: K on rows, filters on columns)
    baseline = folds * (2R + C + S - 2)
    MERCURY  = ceil(K / R) * ceil(F / C) * (2R + C + misses - 2)            only misses are streamed
             + ceil(K / R) * ceil(bits / C) * (2R + C + S - 2)              signatures: a K x bits projection
             + S                                                            one MCACHE lookup per vector
Array size from the config's ArrayHeight/ArrayWidth (default 12 x 14, the Eyeriss-like array of the study).
"""
import configparser
import math
import os
from typing import Dict, List, Optional, Tuple


def array_size(config: Optional[str]) -> Tuple[int, int]:
    rows, cols = 12, 14
    if config and os.path.isfile(config):
        cp = configparser.ConfigParser()
        try:
            cp.read(config)
            for sec in cp.sections():
                for k, v in cp.items(sec):
                    if k.lower() == "arrayheight":
                        rows = int(v)
                    elif k.lower() == "arraywidth":
                        cols = int(v)
        except (configparser.Error, ValueError):
            pass
    return rows, cols


def call_cycles(rec: Dict, rows: int, cols: int) -> Tuple[float, float]:
    g = int(rec.get("groups", 1))
    k = int(rec["C"]) // g * int(rec["kernel_h"]) * int(rec["kernel_w"])
    f = int(rec["out_channels"]) // g
    s = int(rec["vectors"] if "vectors" in rec else rec["S0"]) / g
    miss = int(rec["misses"]) / g
    bits = int(rec["sig_bits"] if "sig_bits" in rec else rec["S1"])
    kr = math.ceil(k / rows)
    base = kr * math.ceil(f / cols) * (2 * rows + cols + s - 2)
    if rec.get("mode", "reuse") not in ("reuse", "observe"):
        return g * base, g * base
    merc = (kr * math.ceil(f / cols) * (2 * rows + cols + miss - 2)
            + kr * math.ceil(bits / cols) * (2 * rows + cols + s - 2) + s)
    return g * base, g * merc


def estimate(records: List[Dict], num_layers: int, config: Optional[str] = None) -> List[Dict]:
    """Per layer {baseline_cycles, mercury_cycles} summed over the calls in `records` (hit-log dicts)."""
    rows, cols = array_size(config)
    out = [{"layer": i, "name": None, "baseline_cycles": 0.0, "mercury_cycles": 0.0} for i in range(num_layers)]
    for r in records:
        b, m = call_cycles(r, rows, cols)
        out[int(r["layer_id"])]["baseline_cycles"] += b
        out[int(r["layer_id"])]["mercury_cycles"] += m
    return out
