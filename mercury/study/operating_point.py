"""The study's usable operating point: calibrate on some batches, evaluate on the others, and put the result next
to the trade-off curve (every layer on one candidate setting) and the reuse headroom (the oracle bound).

Layers that calibration leaves off leave no hit log, so the simulator gets the model's topology as well
(mercury.topology): a row without a log is reported at baseline cycles.
"""
import os
from typing import Dict, List, Sequence

import torch
import torch.nn as nn

import mercury
from mercury import calibrate as calibration
from mercury.files import write_json
from mercury.study.choices import CalibrationChoice, SimulatorChoice
from mercury.plots import pyplot, save_figure
from mercury.quality import OutputQuality
from mercury.simulate import export_hitlog, simulate


def write_topology(exact: nn.Module, example: torch.Tensor, out: str) -> str:
    from mercury import topology
    return topology.write_topology(topology.conv_layers(exact, example[:1], check_script=False),
                                   os.path.join(out, "topology.csv"))


def calibrate(exact: nn.Module, batches: Sequence[torch.Tensor], choice: CalibrationChoice,
              simulator: SimulatorChoice, out: str, say) -> calibration.Calibration:
    cal = calibration.calibrate(exact, batches, target_agreement=choice.target_agreement,
                                max_prob_change=choice.max_prob_change, config=simulator.config,
                                sim=simulator.binary, max_trials=choice.max_trials, progress=say)
    cal.save(os.path.join(out, "calibration.json"))
    return cal


def tradeoff_curve(scripted: torch.jit.ScriptModule, batches: Sequence[torch.Tensor],
                   exact_out: Sequence[torch.Tensor], candidates: Sequence[Dict], topology: str,
                   simulator: SimulatorChoice, out: str) -> List[Dict]:
    """Per candidate: every layer of the scripted exact model reuses with it; top-1 agreement against `exact_out`
    (the exact model's outputs on `batches`, the evaluation batches), probability change, simulated speedup."""
    points = []
    for i, cand in enumerate(candidates):
        model, _, _ = mercury.rewrite(scripted, **dict(cand, mode="reuse"))
        mercury.hitlog_reset()
        quality = OutputQuality()
        with torch.no_grad():
            for x, ref in zip(batches, exact_out):
                quality.add(model(x), ref)
        report = simulate(export_hitlog(os.path.join(out, "curve", f"c{i}", "hitlog")),
                          os.path.join(out, "curve", f"c{i}", "sim"), simulator.config, simulator.binary,
                          topology=topology)
        points.append(dict(cand, **quality.summary(), hit_rate=report.totals["hit_rate"],
                           speedup=report.totals["speedup"]))
    return points


def plot_curve(name: str, points: List[Dict], calibrated: Dict, out: str) -> str:
    plt = pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    for p in points:
        label = f"{p['signature']} {p['sig_bits']}b" + (f" w={p['bucket_width']:g}" if p["signature"] != "sign" else "")
        for ax, x in ((a1, 100 * p["hit_rate"]), (a2, p["speedup"])):
            ax.scatter([x], [100 * p["top1_agreement"]], label=label)
    for ax, x in ((a1, 100 * calibrated["hit_rate"]), (a2, calibrated["speedup"])):
        ax.scatter([x], [100 * calibrated["top1_agreement"]], marker="*", s=200, color="black", label="calibrated")
        ax.set_ylabel("top-1 agreement with the exact model (%)")
        ax.grid(alpha=0.3)
    a1.set_xlabel("hit rate (%)")
    a2.set_xlabel("simulated speedup (x, mercury-sim)")
    a2.axvline(1.0, color="grey", lw=0.8)
    a1.legend(fontsize=7)
    fig.suptitle(f"{name}: every layer on one setting vs the calibrated per-layer point (held-out images)")
    paths: List[str] = []
    save_figure(fig, os.path.join(out, "tradeoff.png"), paths)
    return paths[0]


def headroom_bound(exact: nn.Module, batches: Sequence[torch.Tensor], out: str) -> Dict:
    from mercury.headroom import headroom
    result = headroom(exact, batches, thresholds=(0.02, 0.05, 0.1))
    write_json(os.path.join(out, "headroom.json"), result)
    return result["model"]
