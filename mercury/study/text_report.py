"""What the study prints for a text model: per layer hit rate, cycles and speedup (attention's matmuls at
baseline), the totals, and what reuse did to the embeddings of the held-out e-mails."""
import os
from typing import Dict, List

from mercury.plots import pyplot, save_figure

LAYER_COLUMNS = ["layer_id", "name", "kind", "mode", "calls", "vectors", "hits", "hit_rate", "baseline_cycles",
                 "mercury_cycles", "speedup", "baseline_energy_uj", "mercury_energy_uj", "own_energy_share"]


def quality_line(q: Dict) -> str:
    return (f"embedding cosine with the exact one mean {q['mean_cosine']:.4f}, min {q['min_cosine']:.4f} over "
            f"{q['texts']} e-mails; top-1 neighbour kept {100 * q['top1_neighbour_agreement']:.1f}%, top-5 "
            f"neighbours kept {100 * q['top5_neighbours_kept']:.1f}%; ham/spam probe accuracy "
            f"{100 * q['probe_accuracy']:.2f}% (exact embeddings {100 * q['probe_accuracy_exact']:.2f}%)")


def print_text_table(summary: Dict) -> None:
    rows, t, s = summary["layers"], summary["totals"], summary["settings"]
    mode = "calibrated per layer" if summary.get("calibration") else f"mode {s['mode']}, {s['signature']} " \
        f"{s['sig_bits']}-bit signatures"
    print(f"\n== {summary['model']} ({summary['weights']} weights): {mode}, {summary['batches']} batches x "
          f"{summary['batch_size']} {summary['data']}, {s['cache_entries']}-entry MCACHE, config "
          f"{os.path.basename(summary['config'])}")
    print(f"{'id':>4} {'layer':<44} {'hit rate':>8} {'baseline cyc':>13} {'MERCURY cyc':>13} {'speedup':>8}")
    for r in rows:
        rate = f"{100 * r['hit_rate']:7.2f}%" if r["kind"] != "matmul" else f"{'(matmul)':>8}"
        print(f"{r['layer_id']:>4} {r['name'].removeprefix('encoder.')[-44:]:<44} {rate} {r['baseline_cycles']:13,.0f} "
              f"{r['mercury_cycles']:13,.0f} {r['speedup']:7.2f}x")
    print(f"{'':>4} {'TOTAL (' + str(int(t['layers'])) + ' layers, attention included)':<44} "
          f"{100 * t['hit_rate']:7.2f}% {t['baseline_cycles']:13,.0f} {t['mercury_cycles']:13,.0f} "
          f"{t['speedup']:7.2f}x")
    print(f"     cycles MERCURY cannot touch (attention's matmuls of two activations): "
          f"{100 * t['untouched_share']:.1f}% of the baseline")
    print(f"     energy: baseline {t['baseline_energy_uj']:.4g} uJ -> MERCURY {t['mercury_energy_uj']:.4g} uJ "
          f"({t['energy_ratio']:.3f}x less), MERCURY's signatures + lookups + fills {100 * t['own_energy_share']:.1f}% "
          f"of it; largest MCACHE {t['mcache_bytes'] / 1024:.1f} KiB")
    print(f"     {quality_line(summary['output_quality'])}")
    if summary.get("calibration"):
        c = summary["calibration"]
        print(f"     calibrated on {c['batches']} batch(es) of the calibration split (targets {c['targets']}, "
              f"{c['trials']} trials): reuse on layers {c['enabled_layers']}, every other layer off")
    if summary.get("headroom"):
        h = summary["headroom"]
        net = 1 - 1 / t["speedup"]
        print("     reuse headroom (oracle, first batch): removable linear MACs " +
              ", ".join(f"{100 * v:.1f}% at t={k} (end to end min cosine {h['end_to_end'][k]['min_cosine']:.4f})"
                        for k, v in h["removable_macs"].items()) + f"; achieved net cycle reduction {100 * net:.1f}%")
    for p in summary.get("tradeoff_curve", []):
        print(f"     every layer {p['signature']} {p['sig_bits']} bits"
              + (f" width {p['bucket_width']:g}" if p["signature"] != "sign" else "")
              + f": hit rate {100 * p['hit_rate']:.1f}%, speedup {p['speedup']:.3f}x; {quality_line(p)}")
    print(f"     cycles: {summary['simulator']}")
    print(f"     time: {', '.join(f'{k} {v:.1f}' for k, v in summary['timings_s'].items())}")


def plot_text_curve(name: str, points: List[Dict], calibrated: Dict, totals: Dict, out: str) -> str:
    """tradeoff.png: per setting (every layer on it) the held-out e-mails' minimum and mean cosine and the probe's
    accuracy against the simulated speedup, with the calibrated per-layer point."""
    plt = pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    here = dict(calibrated, speedup=totals["speedup"], signature="calibrated")
    for p in list(points) + [here]:
        label = "calibrated" if p is here else f"{p['signature']} {p['sig_bits']}b" + (
            f" w={p['bucket_width']:g}" if p["signature"] != "sign" else "")
        style = dict(marker="*", s=200, color="black") if p is here else {}
        a1.scatter([p["speedup"]], [p["min_cosine"]], label=label, **style)
        a2.scatter([p["speedup"]], [100 * p["probe_accuracy"]], label=label, **style)
    a1.set_ylabel("min cosine with the exact embedding")
    a2.set_ylabel("ham/spam probe accuracy (%)")
    a2.axhline(100 * calibrated["probe_accuracy_exact"], color="grey", lw=0.8, label="exact embeddings")
    for ax in (a1, a2):
        ax.set_xlabel("simulated speedup (x, mercury-sim)")
        ax.grid(alpha=0.3)
    a1.legend(fontsize=7)
    fig.suptitle(f"{name}: every layer on one setting vs the calibrated per-layer point (held-out e-mails)")
    paths: List[str] = []
    save_figure(fig, os.path.join(out, "tradeoff.png"), paths)
    return paths[0]
