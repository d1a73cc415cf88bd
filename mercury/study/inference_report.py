"""What the inference study prints and writes besides each model's files: one model's table, the models' summary."""
import os
from typing import Dict, List

from mercury.files import markdown_table, write_csv


def print_table(summary: Dict) -> None:
    rows, t, s = summary["layers"], summary["totals"], summary["settings"]
    mode = "calibrated per layer" if summary.get("calibration") else f"mode {s['mode']}"
    signatures = ("per-layer signatures (calibration.json)" if summary.get("calibration") else
                  f"{s['signature']} {s['sig_bits']}-bit signatures")
    print(f"\n== {summary['model']} ({summary['weights']} weights): {mode}, {summary['batches']} batches x "
          f"{summary['batch_size']} {summary['data']}, {signatures}, {s['cache_entries']}-entry "
          f"MCACHE, config {os.path.basename(summary['config'])}")
    print(f"{'id':>4} {'layer':<34} {'hit rate':>8} {'baseline cyc':>14} {'MERCURY cyc':>14} {'speedup':>8} "
          f"{'baseline uJ':>12} {'MERCURY uJ':>12} {'own %':>6}")

    def c(v):
        return f"{v:14,.0f}" if v is not None else f"{'-':>14}"

    def x(v):
        return f"{v:7.2f}x" if v else f"{'-':>8}"

    def e(r):  # energy: baseline, MERCURY (uJ), MERCURY's own structures' share of it
        if r.get("baseline_energy_uj") is None:
            return f"{'-':>12} {'-':>12} {'-':>6}"
        return f"{r['baseline_energy_uj']:12.4g} {r['mercury_energy_uj']:12.4g} {100 * r['own_energy_share']:6.1f}"
    for r in rows:
        print(f"{r['layer_id']:>4} {r['name'][:34]:<34} {100 * r['hit_rate']:7.2f}% {c(r.get('baseline_cycles'))} "
              f"{c(r.get('mercury_cycles'))} {x(r.get('speedup'))} {e(r)}")
    print(f"{'':>4} {'TOTAL (' + str(t['layers']) + ' layers)':<34} {100 * t['hit_rate']:7.2f}% "
          f"{c(t.get('baseline_cycles'))} {c(t.get('mercury_cycles'))} {x(t.get('speedup'))} {e(t)}")
    if t.get("baseline_energy_uj") is not None:
        print(f"     energy: baseline {t['baseline_energy_uj']:.4g} uJ -> MERCURY {t['mercury_energy_uj']:.4g} uJ "
              f"({t['energy_ratio']:.3f}x less), MERCURY's signatures + lookups + fills "
              f"{100 * t['own_energy_share']:.1f}% of it; largest MCACHE {t['mcache_bytes'] / 1024:.1f} KiB")
    q = summary["output_quality"]
    reused = s["mode"] == "reuse" or bool(summary.get("calibration", {}).get("enabled_layers"))
    what = ("outputs are exact (nothing reused: hits counted only)" if not reused else
            f"reuse changed the output: top-1 agreement with the exact model {100 * q['top1_agreement']:.1f}% "
            f"of {q['images']} images, logits rel. L2 error {q['logit_rel_l2']:.3g}, max probability change "
            f"{q['max_prob_change']:.3g}")
    if q.get("accuracy") is not None:
        what += f"; accuracy {100 * q['accuracy']:.2f}% (exact model {100 * q['accuracy_exact']:.2f}%)"
    print(f"     {what}")
    if summary.get("calibration"):
        c = summary["calibration"]
        print(f"     calibrated on {c['batches']} batch(es) (targets {c['targets']}, {c['trials']} trials): reuse on "
              f"layers {c['enabled_layers']}, every other layer off; the rows above are the held-out batches")
    for p in summary.get("tradeoff_curve", []):
        print(f"     every layer {p['signature']} {p['sig_bits']} bits"
              + (f" width {p['bucket_width']:g}" if p["signature"] != "sign" else "")
              + f": hit rate {100 * p['hit_rate']:.1f}%, speedup {p['speedup']:.3f}x, top-1 agreement "
              f"{100 * p['top1_agreement']:.1f}%, max prob. change {p['max_prob_change']:.3f}")
    if summary.get("headroom"):
        h = summary["headroom"]["removable_macs"]
        sp = summary["totals"].get("speedup")
        net = f"{100 * (1 - 1 / sp):.1f}%" if sp else "-"
        print(f"     reuse headroom (oracle, first batch): removable conv MACs " +
              ", ".join(f"{100 * v:.1f}% at t={k}" for k, v in h.items()) +
              f"; achieved net cycle reduction {net}")
    if summary["simulator"]:
        print(f"     cycles: {summary['simulator']}")
    print(f"     time: {', '.join(f'{k} {v:.1f}' for k, v in summary['timings_s'].items())}")


def write_model_summary(summaries: List[Dict], out: str) -> None:
    """OUT/summary.csv and OUT/summary.md: one row per model; the table is printed too."""
    header = ["model", "layers", "hit_rate", "baseline_cycles", "mercury_cycles", "speedup", "baseline_energy_uj",
              "mercury_energy_uj", "energy_ratio", "own_energy_share", "top1_agreement", "run_s"]

    def rounded(t, key, digits):
        return round(t[key], digits) if t.get(key) is not None else None
    rows = [[s["model"], s["totals"]["layers"], round(s["totals"]["hit_rate"], 4),
             s["totals"].get("baseline_cycles"), s["totals"].get("mercury_cycles"),
             round(s["totals"]["speedup"], 3) if s["totals"].get("speedup") else None,
             rounded(s["totals"], "baseline_energy_uj", 2), rounded(s["totals"], "mercury_energy_uj", 2),
             rounded(s["totals"], "energy_ratio", 3), rounded(s["totals"], "own_energy_share", 3),
             s["output_quality"]["top1_agreement"], round(s["timings_s"]["total_s"], 1)] for s in summaries]
    write_csv(os.path.join(out, "summary.csv"), header, rows)
    md = markdown_table(header, rows)
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(md + "\n")
    print("\n" + md)
