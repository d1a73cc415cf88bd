"""The MERCURY study, end to end: model -> TorchScript -> mercury rewrite -> real photos -> hit logs -> topology ->
mercury-sim -> per-layer hit rates, cycles and speedups (tables, CSV, JSON, plots).

    PYTHONPATH=. /usr/bin/python3 benchmarks/run_study.py                 # resnet101, 4 batches of 8 photos
    PYTHONPATH=. /usr/bin/python3 -m benchmarks.run_study --all           # alexnet, googlenet, resnet101
    PYTHONPATH=. /usr/bin/python3 benchmarks/run_study.py --model alexnet --mode reuse --config configs/eyeriss_ws.cfg

Per model, in OUT/<model>/ (OUT defaults to out/):
    hitlog/hitmap-NNN.csv   the exported hit log (one row per call), what mercury-sim -m reads
    topology.csv            SCALE-Sim conv topology, row i = layer id i (models.topology.topology_from_hitlog)
    sim/                    mercury-sim's reports (COMPUTE_REPORT.csv, MERCURY_REPORT.csv, ...) and sim.log
    layers.csv              per layer: name, vectors, hits, hit rate, baseline / MERCURY cycles, speedup
    summary.json            settings, totals, per-layer rows, timings
    hit_rate.png, speedup.png, cycles.png
With several models, OUT/summary.csv and OUT/summary.md hold one row per model.

Model totals: cycles are summed over the layers (baseline total / MERCURY total = model speedup); the model hit
rate is hits / vectors summed over layers and calls.
"""
import argparse
import os
import sys
import time
from typing import Dict, List, Optional

import torch

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import common  # noqa: E402
import mercury  # noqa: E402

STUDY_MODELS = ("alexnet", "googlenet", "resnet101")


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="run_study", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="resnet101", help="zoo model (default resnet101)")
    p.add_argument("--all", action="store_true", help=f"the original study's models: {', '.join(STUDY_MODELS)}")
    p.add_argument("--mode", default="observe", choices=("observe", "reuse"),
                   help="observe: exact outputs, hits counted; reuse: hits really reuse cached results")
    p.add_argument("--batches", type=int, default=4, help="number of batches (default 4)")
    p.add_argument("--batch-size", type=int, default=8, help="images per batch (default 8)")
    p.add_argument("--size", type=int, default=None,
                   help="input height/width (default: the model's native size, 224 or 28)")
    p.add_argument("--sig-bits", type=int, default=20)
    p.add_argument("--cache-entries", type=int, default=1024)
    p.add_argument("--vector", default="patch", choices=("patch", "channel"))
    p.add_argument("--seed", type=int, default=0, help="projection seed and data-variant seed")
    p.add_argument("--config", default=common.DEFAULT_CONFIG, help="mercury-sim config (default configs/eyeriss_ws.cfg)")
    p.add_argument("--sim", default=None, help="mercury-sim binary (default build/sim/mercury-sim)")
    p.add_argument("--no-sim", action="store_true", help="skip the simulator (hit rates only)")
    p.add_argument("--out", default=os.path.join(common.ROOT, "out"), help="output folder (default out/)")
    p.add_argument("--weights", default=None, help="state_dict file for the model (default: random init)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    p.add_argument("--no-plots", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p.parse_args(argv)


def model_input(name: str, args, batch_size: int, num_batches: int):
    """Real data batches for the model: photos for 3-channel models, Fashion-MNIST test images for 1-channel ones."""
    from models import data, zoo
    c, h, w = zoo.input_shape(name)
    size = args.size or h
    if c == 3:
        return list(data.image_batches(batch_size, num_batches, size=size, seed=args.seed)), "photos (skimage/opencv)"
    x, _ = data.fashion_mnist("test", limit=batch_size * num_batches)
    if size != 28:
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return [x[i * batch_size:(i + 1) * batch_size] for i in range(num_batches)], "Fashion-MNIST test images"


def run_model(name: str, args, out_root: str) -> Dict:
    from models import topology, zoo
    out = os.path.join(out_root, name)
    os.makedirs(out, exist_ok=True)
    timings = {}
    t0 = time.perf_counter()
    batches, source = model_input(name, args, args.batch_size, args.batches)
    timings["data_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    model = zoo.build(name, weights_path=args.weights)
    scripted, names = common.prepare_scripted(name, batches[0], mode=args.mode, sig_bits=args.sig_bits,
                                               cache_entries=args.cache_entries, vector=args.vector,
                                               seed=args.seed, model=model)
    timings["prepare_s"] = time.perf_counter() - t0

    exact = zoo.build(name, weights_path=args.weights).eval() if args.mode == "reuse" else None
    mercury.hitlog_reset()
    t0 = time.perf_counter()
    errs = []
    with torch.no_grad():
        for x in common.progress(batches, desc=f"{name} ({args.mode})", unit="batch", disable=args.quiet):
            y = scripted(x)
            if exact is not None:
                ref = exact(x)
                errs.append(((y - ref).norm() / ref.norm().clamp_min(1e-30)).item())
    timings["run_s"] = time.perf_counter() - t0

    records = mercury.hitlog()
    stats = common.layer_stats(records)
    if sorted(stats) != list(range(len(names))):
        raise RuntimeError(f"{name}: hit log holds layer ids {sorted(stats)[:5]}..., expected 0..{len(names) - 1}")
    hit_dir = os.path.join(out, "hitlog")
    os.makedirs(hit_dir, exist_ok=True)
    for f in os.listdir(hit_dir):
        if f.endswith(".csv"):
            os.remove(os.path.join(hit_dir, f))
    mercury.hitlog_export(hit_dir)
    topo_path = os.path.join(out, "topology.csv")
    topology.write_topology(topology.topology_from_hitlog(records, names), topo_path)

    sim_layers: Optional[List[Dict]] = None
    sim_error = None
    sim_label = None
    if not args.no_sim:
        t0 = time.perf_counter()
        try:
            sim_layers, sim_label = common.simulate(args.config, topo_path, os.path.join(out, "sim"), hit_dir,
                                                    args.sim)
        except (FileNotFoundError, RuntimeError) as e:
            sim_error = str(e)
            print(f"run_study: {name}: simulator skipped: {e}", file=sys.stderr)
        timings["sim_s"] = time.perf_counter() - t0
        if sim_layers is not None and len(sim_layers) != len(names):
            raise RuntimeError(f"{name}: mercury-sim reported {len(sim_layers)} layers, the model has {len(names)}")

    rows = []
    for lid, lname in enumerate(names):
        s = stats[lid]
        row = {"layer": lid, "name": lname, "calls": s["calls"], "vectors": s["vectors"], "hits": s["hits"],
               "hit_rate": common.hit_rate(s), "baseline_cycles": None, "mercury_cycles": None, "speedup": None}
        if sim_layers is not None:
            b, m = sim_layers[lid]["baseline_cycles"], sim_layers[lid]["mercury_cycles"]
            row["baseline_cycles"], row["mercury_cycles"] = b, m
            row["speedup"] = (b / m) if (b and m) else None
            for k in ("signature_cycles", "lookup_cycles"):
                if sim_layers[lid].get(k) is not None:
                    row[k] = sim_layers[lid][k]
        rows.append(row)

    total = {"layers": len(rows), "vectors": sum(r["vectors"] for r in rows), "hits": sum(r["hits"] for r in rows)}
    total["hit_rate"] = total["hits"] / total["vectors"] if total["vectors"] else 0.0
    if sim_layers is not None:
        total["baseline_cycles"] = sum(r["baseline_cycles"] or 0 for r in rows)
        total["mercury_cycles"] = sum(r["mercury_cycles"] or 0 for r in rows)
        total["speedup"] = total["baseline_cycles"] / total["mercury_cycles"] if total["mercury_cycles"] else None
    timings["total_s"] = sum(v for v in timings.values())

    header = ["layer", "name", "calls", "vectors", "hits", "hit_rate", "baseline_cycles", "mercury_cycles", "speedup"]
    common.write_csv(os.path.join(out, "layers.csv"), header, ([r[h] for h in header] for r in rows))
    summary = {
        "model": name, "mode": args.mode, "data": source, "batches": args.batches,
        "batch_size": args.batch_size, "input": list(batches[0].shape[1:]), "sig_bits": args.sig_bits,
        "cache_entries": args.cache_entries, "vector": args.vector, "seed": args.seed,
        "config": os.path.relpath(args.config, common.ROOT) if os.path.isabs(args.config) else args.config,
        "simulator": sim_label, "sim_error": sim_error,
        "logit_rel_l2_error": (sum(errs) / len(errs)) if errs else None,
        "totals": total, "timings_s": timings, "layers": rows,
    }
    common.write_json(os.path.join(out, "summary.json"), summary)
    if not args.no_plots:
        summary["plots"] = make_plots(name, rows, out, args, sim_label)
        common.write_json(os.path.join(out, "summary.json"), summary)
    print_table(summary)
    return summary


def make_plots(name: str, rows: List[Dict], out: str, args, sim_label: Optional[str] = None) -> List[str]:
    plt = common.pyplot()
    ids = [r["layer"] for r in rows]
    n = len(rows)
    width = max(8.0, min(24.0, 0.18 * n + 4))
    label = f"{name}, {args.batches}x{args.batch_size} images, {args.sig_bits}-bit signatures, {args.mode}"
    tick_step = max(1, n // 40)
    paths = []

    def finish(ax, fig, fname, ylabel):
        ax.set_xlabel("conv layer id (execution order)")
        ax.set_ylabel(ylabel)
        ax.set_xticks(ids[::tick_step])
        ax.set_xlim(-1, n)
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        path = os.path.join(out, fname)
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)

    fig, ax = plt.subplots(figsize=(width, 4))
    ax.bar(ids, [100 * r["hit_rate"] for r in rows], color="tab:blue")
    ax.set_ylim(0, 100)
    ax.set_title(f"MCACHE hit rate per layer - {label}")
    finish(ax, fig, "hit_rate.png", "hit rate (%)")

    if all(r["speedup"] for r in rows):
        fig, ax = plt.subplots(figsize=(width, 4))
        sp = [r["speedup"] for r in rows]
        ax.bar(ids, sp, color=["tab:green" if s >= 1 else "tab:red" for s in sp])
        ax.axhline(1.0, color="black", lw=0.8)
        ax.set_title(f"Simulated speedup per layer (baseline / MERCURY cycles) - {name} (mercury-sim)")
        finish(ax, fig, "speedup.png", "speedup (x)")

        fig, ax = plt.subplots(figsize=(width, 4))
        wbar = 0.4
        ax.bar([i - wbar / 2 for i in ids], [r["baseline_cycles"] for r in rows], wbar, label="baseline")
        ax.bar([i + wbar / 2 for i in ids], [r["mercury_cycles"] for r in rows], wbar, label="MERCURY")
        ax.set_title(f"Simulated cycles per layer - {name} ({os.path.basename(args.config)}, mercury-sim)")
        ax.legend()
        finish(ax, fig, "cycles.png", "cycles")
    return paths


def print_table(summary: Dict) -> None:
    rows, t = summary["layers"], summary["totals"]
    print(f"\n== {summary['model']}: mode {summary['mode']}, {summary['batches']} batches x {summary['batch_size']} "
          f"{summary['data']}, {summary['sig_bits']}-bit signatures, {summary['cache_entries']}-entry MCACHE, "
          f"config {summary['config']}")
    if summary.get("simulator"):
        print(f"     cycles: {summary['simulator']}")
    print(f"{'id':>4} {'layer':<34} {'hit rate':>8} {'baseline cyc':>14} {'MERCURY cyc':>14} {'speedup':>8}")

    def c(v):
        return f"{v:14,.0f}" if v is not None else f"{'-':>14}"
    for r in rows:
        sp = f"{r['speedup']:7.2f}x" if r["speedup"] else f"{'-':>8}"
        print(f"{r['layer']:>4} {r['name'][:34]:<34} {100 * r['hit_rate']:7.2f}% {c(r['baseline_cycles'])} "
              f"{c(r['mercury_cycles'])} {sp}")
    sp = f"{t['speedup']:7.2f}x" if t.get("speedup") else f"{'-':>8}"
    print(f"{'':>4} {'TOTAL (' + str(t['layers']) + ' layers)':<34} {100 * t['hit_rate']:7.2f}% "
          f"{c(t.get('baseline_cycles'))} {c(t.get('mercury_cycles'))} {sp}")
    if summary.get("logit_rel_l2_error") is not None:
        print(f"     logits relative L2 error vs exact conv: {summary['logit_rel_l2_error']:.4g}")
    print(f"     time: {', '.join(f'{k} {v:.1f}' for k, v in summary['timings_s'].items())}")


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if not args.no_sim and common.find_sim(args.sim) is None:
        print(f"run_study: warning: mercury-sim not found ({args.sim or common.DEFAULT_SIM}); hit rates only. "
              "Build it: cmake -S . -B build && cmake --build build -j2", file=sys.stderr)
    names = list(STUDY_MODELS) if args.all else [m.strip() for m in args.model.split(",") if m.strip()]
    summaries = [run_model(n, args, args.out) for n in names]
    if len(summaries) > 1:
        header = ["model", "layers", "hit_rate", "baseline_cycles", "mercury_cycles", "speedup", "run_s"]
        rows = [[s["model"], s["totals"]["layers"], round(s["totals"]["hit_rate"], 4),
                 s["totals"].get("baseline_cycles"), s["totals"].get("mercury_cycles"),
                 round(s["totals"]["speedup"], 3) if s["totals"].get("speedup") else None,
                 round(s["timings_s"]["total_s"], 1)] for s in summaries]
        common.write_csv(os.path.join(args.out, "summary.csv"), header, rows)
        md = common.markdown_table(header, rows)
        with open(os.path.join(args.out, "summary.md"), "w") as f:
            f.write(md + "\n")
        print("\n" + md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
