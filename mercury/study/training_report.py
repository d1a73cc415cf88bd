"""The training study's results: the table (results.md) and results.json."""
import os
from typing import Dict, List

from mercury.files import markdown_table, write_json


def _step_energy(sim: Dict) -> str:
    e = sim.get("energy_uj")
    return f"{e['step_baseline_energy_uj']:.4g} -> {e['step_mercury_energy_uj']:.4g}" if e else "-"


def results_table(results: List[Dict]) -> str:
    header = ["model", "dataset", "variant", "test acc (exact inference)", "test acc (reuse inference)",
              "final train loss", "mean hit rate (last epoch)", "sig bits (end)", "layers off",
              "sim. forward speedup", "sim. training-step speedup", "sim. step speedup per epoch",
              "sim. step energy (uJ, baseline -> MERCURY)", "sim. step energy ratio",
              "MERCURY's own share of its step energy",
              "wall-clock step (ms, median)",
              "wall-clock step vs baseline", "train time (s)"]
    rows = []
    baseline_ms = {(r["model"], r["dataset"]): r["step_ms_median"] for r in results if r["variant"] == "baseline"}
    for r in results:
        base = baseline_ms.get((r["model"], r["dataset"]))
        last = r["epochs"][-1]
        hr = last.get("hit_rate")
        sim = r.get("sim") or {}
        ad = r.get("adaptive")
        rows.append([r["model"], r["dataset"], r["variant"], f"{100 * last['test_acc']:.2f}%",
                     f"{100 * last['test_acc_reuse_inference']:.2f}%" if "test_acc_reuse_inference" in last else "-",
                     f"{last['train_loss']:.4f}",
                     f"{100 * sum(hr.values()) / len(hr):.1f}%" if hr else "-",
                     (ad["sig_bits"] if ad else ("-" if r["variant"] == "baseline" else r.get("sig_bits", "-"))),
                     (len(ad["disabled"]) if ad else "-"),
                     f"{sim['forward_speedup']:.3f}x" if sim.get("forward_speedup") else "-",
                     f"{sim['step_speedup']:.3f}x" if sim.get("step_speedup") else "-",
                     " / ".join(f"{e['sim_step_speedup']:.2f}x" for e in r["epochs"] if e.get("sim_step_speedup"))
                     or "-",
                     _step_energy(sim), f"{sim['step_energy_ratio']:.3f}x" if sim.get("step_energy_ratio") else "-",
                     f"{100 * sim['own_energy_share']:.1f}%" if "own_energy_share" in sim else "-",
                     f"{r['step_ms_median']:.1f}",
                     f"{base / r['step_ms_median']:.2f}x" if base else "-",
                     f"{r['train_s']:.1f}"])
    return markdown_table(header, rows)


def write_results(results: List[Dict], settings: Dict, out: str, total_s: float) -> str:
    """OUT/results.md (the table, the adaptive decisions, failed simulations) and OUT/results.json; returns the
    table."""
    table = results_table(results)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(f"Settings: {settings}\n\n{table}\n")
        for r in results:
            if r.get("adaptive"):
                f.write(f"\nAdaptive decisions ({r['model']}/{r['dataset']}):\n")
                for h in r["adaptive"]["history"]:
                    f.write(f"- {h}\n")
            if r.get("sim", {}).get("error"):
                f.write(f"\nSimulation of {r['model']}/{r['dataset']}/{r['variant']} failed: {r['sim']['error']}\n")
    write_json(os.path.join(out, "results.json"), {"settings": settings, "results": results, "total_s": total_s})
    return table
