"""The study's usable operating point: calibrate on some batches, evaluate on the others, and put the result next
to the trade-off curve (every layer on one candidate setting) and the reuse headroom (the oracle bound).

Every run is a mercury.profile window: layers that calibration leaves off leave no hit log, and the simulator
reports them at baseline from the window's topology.
"""
import copy
import os
from typing import Dict, List, Sequence

import torch
import torch.nn as nn

import mercury
from mercury import calibrate as calibration
from mercury.files import write_json
from mercury.study.choices import CalibrationChoice, SimulatorChoice
from mercury.study.progress import throttled
from mercury.plots import pyplot, save_figure
from mercury.order import DEFAULT_KINDS, run_example
from mercury.quality import OutputQuality


def calibrate(exact: nn.Module, batches: Sequence[torch.Tensor], choice: CalibrationChoice,
              simulator: SimulatorChoice, out: str, say) -> calibration.Calibration:
    cal = calibration.calibrate(exact, batches, target_agreement=choice.target_agreement,
                                max_prob_change=choice.max_prob_change, config=simulator.config,
                                sim=simulator.binary, max_trials=choice.max_trials, progress=say)
    cal.save(os.path.join(out, "calibration.json"))
    return cal


def tradeoff_curve(exact: nn.Module, batches: Sequence[torch.Tensor], exact_out: Sequence[torch.Tensor],
                   candidates: Sequence[Dict], simulator: SimulatorChoice, out: str, say) -> List[Dict]:
    """Per candidate: every layer of a copy of the exact model reuses with it (mercury.profile, its files in
    OUT/curve/c<i>/); top-1 agreement against `exact_out` (the exact model's outputs on `batches`, the evaluation
    batches), probability change, simulated speedup."""
    points = []
    for i, cand in enumerate(candidates):
        model = copy.deepcopy(exact)
        quality = OutputQuality()
        with torch.no_grad(), mercury.profile(model, kinds=DEFAULT_KINDS, out=os.path.join(out, "curve", f"c{i}"),
                                              config=simulator.config, sim=simulator.binary,
                                              **dict(cand, mode="reuse")) as prof:
            for x, ref in zip(batches, exact_out):
                quality.add(run_example(model, x), ref)
                prof.step()
        totals = prof.reports[0].totals
        points.append(dict(cand, **quality.summary(), hit_rate=totals["hit_rate"], speedup=totals["speedup"]))
        say(f"curve {i + 1}/{len(candidates)} {cand}: hit rate {totals['hit_rate']:.3f}, speedup "
            f"{totals['speedup']:.3f}x, top-1 agreement {points[-1]['top1_agreement']:.3f}")
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


def headroom_bound(exact: nn.Module, batches: Sequence, out: str, say, **options) -> Dict:
    """The oracle's bound (mercury.headroom, `options` passed on) at thresholds 2/5/10%, written to
    out/headroom.json; returns its model totals."""
    from mercury.headroom import headroom
    result = headroom(exact, batches, thresholds=(0.02, 0.05, 0.1), progress=throttled(say), **options)
    write_json(os.path.join(out, "headroom.json"), result)
    return result["model"]
