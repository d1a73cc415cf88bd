"""The inference study, end to end: model -> TorchScript -> mercury.rewrite -> real data -> hit log ->
mercury-sim -m (geometry from the hit log) -> per-layer hit rates, cycles, speedups, and what reuse did to the
output (agreement with the exact model) -> tables, CSV, JSON, plots.

    python3 -m mercury.study                                # resnet101, 4 batches of 8 photos, observe mode
    python3 -m mercury.study --models all --mode reuse      # alexnet, googlenet, resnet101, hits reused for real
    python3 -m mercury.study --models inception_v3_nsfwjs --calibrate-batches 2 --curve --headroom
        # a trained network: calibrate per layer on 2 batches, evaluate the calibrated point on the others, next to
        # the trade-off curve (every layer on one setting) and the oracle's reuse headroom

Per model, in OUT/<model>/: hitlog/ (what mercury-sim -m reads), sim/ (mercury-sim's reports and sim.log),
layers.csv, summary.json, hit_rate.png, speedup.png, cycles.png. With several models OUT/summary.{csv,md}.
Model totals (cycles, hit rate, speedup) are mercury-sim's MERCURY_TOTAL.csv. With --calibrate-batches also
calibration.json, topology.csv (layers left off have no hit log and are simulated at baseline), tradeoff.png
(--curve) and headroom.json (--headroom).
"""
import argparse
import os
import sys
import time
from typing import Dict, List, Optional

import torch

import mercury
from mercury.study import cli, operating_point, plots
from mercury.files import markdown_table, write_csv, write_json
from mercury.study.progress import progress
from mercury.quality import OutputQuality
from mercury.hitlog import layer_totals
from mercury.simulate import export_hitlog, simulate

STUDY_MODELS = ("alexnet", "googlenet", "resnet101")
SHORTHANDS = {"all": STUDY_MODELS}
LAYER_COLUMNS = ["layer", "name", "mode", "calls", "vectors", "hits", "hit_rate", "baseline_cycles", "mercury_cycles",
                 "speedup"]


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python3 -m mercury.study", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_models(p, "resnet101", SHORTHANDS)
    g = p.add_argument_group("data")
    g.add_argument("--batches", type=int, default=4, help="number of batches (default 4)")
    g.add_argument("--batch-size", type=int, default=8, help="images per batch (default 8)")
    g.add_argument("--size", type=int, default=None, help="input height/width (default: the model's own)")
    g.add_argument("--data-seed", type=int, default=0, help="seed of the photo crops / variants")
    g.add_argument("--weights", default=None, help="state_dict file for the model (default: random init)")
    g = p.add_argument_group("calibration (mercury.calibrate)")
    g.add_argument("--calibrate-batches", type=int, default=0,
                   help="calibrate per layer on the first N batches and evaluate on the others (default 0: no "
                        "calibration, every layer uses the settings below)")
    g.add_argument("--target-agreement", type=float, default=0.99, help="top-1 agreement to keep (default 0.99)")
    g.add_argument("--max-prob-change", type=float, default=0.05, help="largest probability change (default 0.05)")
    g.add_argument("--max-trials", type=int, default=40,
                   help="model evaluations calibration may spend (default 40); layers not reached stay off")
    g.add_argument("--curve", action="store_true",
                   help="also run every candidate setting on every layer (trade-off curve, tradeoff.png)")
    g.add_argument("--headroom", action="store_true",
                   help="also compute the oracle's reuse headroom on the first evaluation batch (mercury.headroom)")
    cli.add_settings(p)
    cli.add_simulator(p)
    cli.add_output(p, cli.default_out())
    return p.parse_args(argv)


def model_input(name: str, args) -> (List[torch.Tensor], Optional[List[torch.Tensor]], str):
    """(batches, labels or None, description): photos for 3-channel models (as the nsfwjs models expect them for
    those), Fashion-MNIST test images (labelled) for 1-channel ones."""
    from models import data, zoo
    c, h, _ = zoo.input_shape(name)
    size = args.size or h
    n = args.batch_size
    if name in zoo.PRETRAINED_MODELS:
        from models import tfjs_import
        return (tfjs_import.nsfwjs_batches(n, args.batches, size), None,
                "photos (skimage/opencv, pixels/255 squashed as nsfwjs does)")
    if c == 3:
        return (list(data.image_batches(n, args.batches, size=size, seed=args.data_seed)), None,
                "photos (skimage/opencv)")
    x, y = data.fashion_mnist("test", limit=n * args.batches)
    if size != 28:
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return ([x[i * n:(i + 1) * n] for i in range(args.batches)], [y[i * n:(i + 1) * n] for i in range(args.batches)],
            "Fashion-MNIST test images")


def run_model(name: str, args, settings: Dict) -> Dict:
    from models import zoo
    out = os.path.join(args.out, name)
    os.makedirs(out, exist_ok=True)
    timings = {}
    t0 = time.perf_counter()
    batches, labels, source = model_input(name, args)
    timings["data_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    exact = zoo.build(name, weights_path=args.weights).eval()
    calibrated = None
    per_layer = None
    topology = None
    if args.calibrate_batches:
        if not 0 < args.calibrate_batches < len(batches):
            raise ValueError(f"--calibrate-batches {args.calibrate_batches} must leave evaluation batches "
                             f"(--batches {args.batches})")
        calib, batches = batches[:args.calibrate_batches], batches[args.calibrate_batches:]
        labels = labels[args.calibrate_batches:] if labels else None
        calibrated = operating_point.calibrate(exact, calib, args, out, lambda m: _say(args, f"{name}: {m}"))
        per_layer = calibrated.per_layer
        settings = dict(settings, mode="off")  # layers calibration did not enable
        topology = operating_point.write_topology(exact, batches[0], out)
        timings["calibrate_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
    exact_scripted = torch.jit.script(exact)
    scripted, table, warnings = mercury.rewrite(exact_scripted, per_layer=per_layer, **settings)
    for w in warnings:
        print(f"mercury.rewrite: warning: {w}", file=sys.stderr)
    names = [row["name"] for row in table]
    timings["prepare_s"] = time.perf_counter() - t0

    mercury.hitlog_reset()
    quality = OutputQuality()
    exact_out = []
    t0 = time.perf_counter()
    with torch.no_grad():
        for i, x in enumerate(progress(batches, f"{name} ({settings['mode']})", "batch", quiet=args.quiet)):
            exact_out.append(exact(x))
            quality.add(scripted(x), exact_out[-1], labels[i] if labels else None)
    timings["run_s"] = time.perf_counter() - t0

    totals = layer_totals(mercury.hitlog())
    if per_layer is None and sorted(totals) != list(range(len(names))):
        raise RuntimeError(f"{name}: hit log holds layer ids {sorted(totals)[:5]}..., expected 0..{len(names) - 1}")
    hit_dir = export_hitlog(os.path.join(out, "hitlog"))
    off = {"calls": 0, "vectors": 0, "hits": 0}
    rows = [{"layer": lid, "name": lname, "mode": table[lid]["mode"], **{k: totals.get(lid, off)[k] for k in off}}
            for lid, lname in enumerate(names)]
    for r in rows:
        r["hit_rate"] = r["hits"] / r["vectors"] if r["vectors"] else 0.0
    model_totals = {"layers": len(rows), "vectors": sum(r["vectors"] for r in rows),
                    "hits": sum(r["hits"] for r in rows)}
    model_totals["hit_rate"] = model_totals["hits"] / model_totals["vectors"] if model_totals["vectors"] else 0.0
    sim_error, sim_command = None, None
    if not args.no_sim:
        t0 = time.perf_counter()
        try:
            report = simulate(hit_dir, os.path.join(out, "sim"), args.config, args.sim, topology=topology)
            sim_command = " ".join(report.command)
            if len(report.layers) != len(rows):
                raise RuntimeError(f"mercury-sim reported {len(report.layers)} layers, the model has {len(rows)}")
            for row, layer in zip(rows, report.layers):
                row.update({k: layer[k] for k in ("baseline_cycles", "mercury_cycles", "speedup",
                                                  "signature_cycles", "lookup_cycles")})
            model_totals.update({k: report.totals[k] for k in ("baseline_cycles", "mercury_cycles", "speedup")})
        except (FileNotFoundError, RuntimeError) as e:
            sim_error = str(e)
            print(f"mercury.study: {name}: simulator skipped: {e}", file=sys.stderr)
        timings["sim_s"] = time.perf_counter() - t0
    extras = {}
    if calibrated is not None:
        extras["calibration"] = {"batches": args.calibrate_batches, "targets": calibrated.targets,
                                 "enabled_layers": calibrated.enabled(), "trials": len(calibrated.trials),
                                 "file": os.path.join(out, "calibration.json")}
        if args.curve and not args.no_sim and "speedup" in model_totals:
            t0 = time.perf_counter()
            points = operating_point.tradeoff_curve(exact_scripted, batches, exact_out, calibrated.candidates,
                                                    topology, args, out)
            here = dict(quality.summary(), hit_rate=model_totals["hit_rate"], speedup=model_totals["speedup"])
            extras["tradeoff_curve"] = points
            extras["tradeoff_plot"] = operating_point.plot_curve(name, points, here, out)
            timings["curve_s"] = time.perf_counter() - t0
    if args.headroom:
        t0 = time.perf_counter()
        extras["headroom"] = operating_point.headroom_bound(exact, batches[:1], out)
        timings["headroom_s"] = time.perf_counter() - t0
    timings["total_s"] = sum(timings.values())

    write_csv(os.path.join(out, "layers.csv"), LAYER_COLUMNS, ([r.get(h) for h in LAYER_COLUMNS] for r in rows))
    summary = {
        "model": name, "weights": weights_label(name, args),
        "data": source, "batches": args.batches, "batch_size": args.batch_size, "input": list(batches[0].shape[1:]),
        "settings": settings, "config": args.config, "simulator": sim_command, "sim_error": sim_error,
        "output_quality": quality.summary(), "totals": model_totals, **extras, "timings_s": timings,
        "layers": rows,
    }
    if not args.no_plots:
        summary["plots"] = plots.layer_plots(name, rows, out, settings, args)
    write_json(os.path.join(out, "summary.json"), summary)
    print_table(summary)
    return summary


def weights_label(name: str, args) -> str:
    from models import zoo
    if args.weights:
        return f"trained ({args.weights})"
    if name in zoo.PRETRAINED_MODELS:
        return "trained (npm nsfwjs@4.3.0)"
    return "random (seeded initialisation)"


def _say(args, message: str) -> None:
    if not args.quiet:
        print(message, file=sys.stderr, flush=True)


def print_table(summary: Dict) -> None:
    rows, t, s = summary["layers"], summary["totals"], summary["settings"]
    mode = "calibrated per layer" if summary.get("calibration") else f"mode {s['mode']}"
    signatures = ("per-layer signatures (calibration.json)" if summary.get("calibration") else
                  f"{s['signature']} {s['sig_bits']}-bit signatures")
    print(f"\n== {summary['model']} ({summary['weights']} weights): {mode}, {summary['batches']} batches x "
          f"{summary['batch_size']} {summary['data']}, {signatures}, {s['cache_entries']}-entry "
          f"MCACHE, config {os.path.basename(summary['config'])}")
    print(f"{'id':>4} {'layer':<34} {'hit rate':>8} {'baseline cyc':>14} {'MERCURY cyc':>14} {'speedup':>8}")

    def c(v):
        return f"{v:14,.0f}" if v is not None else f"{'-':>14}"

    def x(v):
        return f"{v:7.2f}x" if v else f"{'-':>8}"
    for r in rows:
        print(f"{r['layer']:>4} {r['name'][:34]:<34} {100 * r['hit_rate']:7.2f}% {c(r.get('baseline_cycles'))} "
              f"{c(r.get('mercury_cycles'))} {x(r.get('speedup'))}")
    print(f"{'':>4} {'TOTAL (' + str(t['layers']) + ' layers)':<34} {100 * t['hit_rate']:7.2f}% "
          f"{c(t.get('baseline_cycles'))} {c(t.get('mercury_cycles'))} {x(t.get('speedup'))}")
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


def main(argv=None) -> int:
    args = parse_args(argv)
    cli.apply_threads(args)
    settings = mercury.settings.from_args(args)
    summaries = [run_model(n, args, settings) for n in cli.models_from(args, SHORTHANDS)]
    if len(summaries) > 1:
        header = ["model", "layers", "hit_rate", "baseline_cycles", "mercury_cycles", "speedup", "top1_agreement",
                  "run_s"]
        rows = [[s["model"], s["totals"]["layers"], round(s["totals"]["hit_rate"], 4),
                 s["totals"].get("baseline_cycles"), s["totals"].get("mercury_cycles"),
                 round(s["totals"]["speedup"], 3) if s["totals"].get("speedup") else None,
                 s["output_quality"]["top1_agreement"], round(s["timings_s"]["total_s"], 1)] for s in summaries]
        write_csv(os.path.join(args.out, "summary.csv"), header, rows)
        md = markdown_table(header, rows)
        with open(os.path.join(args.out, "summary.md"), "w") as f:
            f.write(md + "\n")
        print("\n" + md)
    return 0
