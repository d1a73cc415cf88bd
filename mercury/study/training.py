"""Training study: small CNNs on Fashion-MNIST / MNIST, baseline (plain nn.Conv2d) vs MERCURY reuse, same seeds.

    python3 benchmarks/train_study.py                      # default run (a few minutes)
    python3 benchmarks/train_study.py --adaptive           # + the adaptive policy
    python3 benchmarks/train_study.py --variants mercury --bucket-width 0.6   # one variant, e.g. a setting probe
    python3 benchmarks/train_study.py --models small_cnn,small_resnet --datasets all \
        --train-limit 60000 --test-limit 10000 --epochs 5 --adaptive             # a longer run

Variants (same initial weights, same data order, same optimizer):
    baseline   every conv is torch's nn.Conv2d
    mercury    every conv is mercury::conv2d in reuse mode, fixed signature length (--sig-bits)
    adaptive   (--adaptive) mercury.adaptive.AdaptivePolicy: signatures start at --adaptive-init-bits and grow
               when the training loss stalls; layers whose hit rate / estimated gain is too low are turned off

Measured: training loss per step, test accuracy per epoch (evaluated with exact convolutions, i.e. the accuracy of
the trained weights; for MERCURY variants also with reuse at inference), per-layer hit rates per epoch.

Simulated training-step speedup: `mercury-sim --training` (--config) on each epoch's hit log
(<run>/hitlog_epoch<k>/, simulated into <run>/sim_epoch<k>/; a layer's hit fraction is its hits / vectors over every
call of the epoch): the speedup per epoch as the weights train; the table's main figure is the last epoch's. Per conv layer it simulates the
forward, input-gradient and weight-gradient GEMMs, baseline and MERCURY (which streams only the unique misses in
all three, as the op's backward does, and pays signatures, lookups and gradient summation once per step); see
sim/README.md, "Training step". Only conv layers are counted (fully-connected layers, BatchNorm, pooling and the
optimizer are left out). A layer the adaptive policy turned off for the whole last epoch has no hit log and is
simulated at baseline (the run's topology.csv names it).
Wall-clock: the median time of a training step (forward, backward, optimizer) on this CPU, per variant.

Outputs in OUT (default out/train/): results.md (the table), results.json, curves_<model>_<dataset>.png (loss
per step, test accuracy per epoch), hitrates_<model>_<dataset>.png (per-layer hit rate per epoch), per run
topology.csv, hitlog_epoch<k>/ and sim_epoch<k>/.
"""
import argparse
import math
import os
import sys
import time
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

import mercury
from mercury.adaptive import AdaptivePolicy
from mercury.convert import configure_layers, mercury_layers
from mercury.order import conv_calls
from mercury.study import cli
from mercury.files import markdown_table, write_json
from mercury.study.plots import pyplot, save_figure
from mercury.study.progress import progress
from mercury.hitlog import layer_totals
from mercury.simulate import export_hitlog, simulate


VARIANTS = ("baseline", "mercury", "adaptive")
VARIANT_COLORS = {"baseline": "tab:blue", "mercury": "tab:orange", "adaptive": "tab:green"}  # the same in every panel


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="train_study", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_models(p, "small_cnn,small_resnet")
    p.add_argument("--datasets", default="fashion_mnist",
                   help="comma-separated: fashion_mnist, mnist, or 'all' (mnist only when its data is present)")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--train-limit", type=int, default=4000, help="training examples used (default 4000)")
    p.add_argument("--test-limit", type=int, default=2000, help="test examples used (default 2000)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate")
    p.add_argument("--data-seed", type=int, default=0, help="seed of the initial weights and the data order")
    cli.add_settings(p, mode="reuse")
    p.add_argument("--variants", default="baseline,mercury",
                   help="comma-separated, run in this order: baseline, mercury, adaptive (default baseline,mercury)")
    p.add_argument("--adaptive", action="store_true", help="also train with the adaptive policy")
    p.add_argument("--adaptive-init-bits", type=int, default=16)
    p.add_argument("--adaptive-max-bits", type=int, default=32)
    p.add_argument("--adaptive-step-bits", type=int, default=4)
    p.add_argument("--adaptive-window", type=int, default=10, help="steps per adaptive check")
    p.add_argument("--adaptive-patience", type=int, default=2)
    p.add_argument("--min-hit-rate", type=float, default=0.05)
    p.add_argument("--min-gain", type=float, default=1.0)
    p.add_argument("--trace-every", type=int, default=10, help="steps per point of the hit-rate trace")
    cli.add_simulator(p)
    cli.add_output(p, cli.default_out("train"))
    return p.parse_args(argv)


def datasets_from(arg: str) -> List[str]:
    from models import data
    names = ["fashion_mnist", "mnist"] if arg == "all" else [d.strip() for d in arg.split(",") if d.strip()]
    out = []
    for n in names:
        try:
            data.dataset_dir(n)
            out.append(n)
        except FileNotFoundError as e:
            if arg == "all":
                print(f"train_study: skipping {n}: {e}", file=sys.stderr)
            else:
                raise
    return out


def variants_from(args) -> List[str]:
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or not variants:
        raise SystemExit(f"train_study: --variants {args.variants!r}: choose from {', '.join(VARIANTS)}")
    if args.adaptive and "adaptive" not in variants:
        variants.append("adaptive")
    return variants


def load_data(name: str, train_limit: int, test_limit: int):
    from models import data
    return data.dataset(name, "train", limit=train_limit), data.dataset(name, "test", limit=test_limit)


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 100) -> float:
    was = model.training
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    model.train(was)
    return correct / len(x)


def train_variant(model_name: str, dataset: str, variant: str, train, test, args, out: str) -> Dict:
    from mercury import topology
    from models import zoo
    xtr, ytr = train
    xte, yte = test
    torch.manual_seed(args.data_seed)
    model = zoo.build(model_name, seed=args.data_seed)
    layers = topology.conv_layers(model, xtr[:args.batch_size], check_script=False)
    policy: Optional[AdaptivePolicy] = None
    mlayers = []
    if variant != "baseline":
        twice = [c.name for c in conv_calls(model, xtr[:1]) if c.call > 0]
        if twice:  # the eager swap gives one id per module; mercury.rewrite gives one per call
            raise ValueError(f"{model_name}: convs called more than once per forward ({twice[:3]}): use mercury.rewrite")
        mercury.convert(model, example=xtr[:1], **args.settings)
        mlayers = mercury_layers(model)
        topo = topology.write_topology(layers, os.path.join(out, "topology.csv"))  # for every epoch's simulation
        if variant == "adaptive":
            policy = AdaptivePolicy(init_bits=args.adaptive_init_bits, max_bits=args.adaptive_max_bits,
                                    step_bits=args.adaptive_step_bits, window=args.adaptive_window,
                                    patience=args.adaptive_patience, min_hit_rate=args.min_hit_rate,
                                    min_gain=args.min_gain)
            policy.apply(mlayers)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    gen = torch.Generator().manual_seed(args.data_seed)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xtr, ytr), batch_size=args.batch_size,
                                         shuffle=True, generator=gen, drop_last=True)
    losses: List[float] = []
    step_s: List[float] = []        # wall-clock of each step (forward, backward, optimizer), this CPU
    epochs: List[Dict] = []
    trace: List[Dict] = []          # per-layer hit rate over windows of args.trace_every steps
    win: Dict[int, List[int]] = {}
    t_start = time.perf_counter()
    for epoch in range(args.epochs):
        mercury.hitlog_reset()
        seen = 0
        ep_stats: Dict[int, Dict[str, int]] = {}
        t0 = time.perf_counter()
        bar = progress(loader, f"{model_name}/{dataset}/{variant} epoch {epoch + 1}/{args.epochs}", "step",
                       quiet=args.quiet)
        for x, y in bar:
            step_start = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            step_s.append(time.perf_counter() - step_start)
            losses.append(loss.item())
            if mlayers:
                recs = mercury.hitlog(start=seen)
                seen += len(recs)
                for lid, s in layer_totals(recs).items():
                    e = ep_stats.setdefault(lid, {"hits": 0, "vectors": 0})
                    e["hits"] += s["hits"]
                    e["vectors"] += s["vectors"]
                    w = win.setdefault(lid, [0, 0])
                    w[0] += s["hits"]
                    w[1] += s["vectors"]
                if len(losses) % args.trace_every == 0:
                    trace.append({"step": len(losses), "sig_bits": mlayers[0].sig_bits,
                                  "hit_rate": {lid: h / v for lid, (h, v) in sorted(win.items()) if v}})
                    win = {}
                if policy is not None:
                    policy.observe_records(recs)
                    if policy.observe_loss(loss.item()):
                        policy.apply(mlayers)
            if not math.isfinite(losses[-1]):
                raise RuntimeError(f"{model_name}/{dataset}/{variant}: loss is {losses[-1]} at step {len(losses)}")
        train_s = time.perf_counter() - t0
        if mlayers:  # each epoch's hit log, simulated below: the speedup as the weights train
            export_hitlog(epoch_hitlog_dir(out, epoch + 1))
        rec = {"epoch": epoch + 1, "train_loss": sum(losses[-len(loader):]) / len(loader), "train_s": train_s}
        if mlayers:
            saved = [(m.mode, m.sig_bits) for m in mlayers]
            configure_layers(model, mode="off")
            rec["test_acc"] = evaluate(model, xte, yte)
            for m, (mode, bits) in zip(mlayers, saved):
                m.mode, m.sig_bits = mode, bits
            rec["test_acc_reuse_inference"] = evaluate(model, xte, yte)
            rec["hit_rate"] = {lid: s["hits"] / s["vectors"] for lid, s in sorted(ep_stats.items()) if s["vectors"]}
            if policy is not None:
                rec["sig_bits"] = policy.sig_bits
                rec["disabled"] = sorted(policy.disabled)
            sim = simulate_step(epoch_hitlog_dir(out, epoch + 1), topo, set(rec.get("disabled", [])), args,
                                os.path.join(out, f"sim_epoch{epoch + 1}"))
            rec["sim_step_speedup"] = sim.get("step_speedup")
            rec["sim_forward_speedup"] = sim.get("forward_speedup")
        else:
            rec["test_acc"] = evaluate(model, xte, yte)
        epochs.append(rec)
        if not args.quiet:
            extra = f", hit rates {[round(h, 3) for h in rec.get('hit_rate', {}).values()]}" if mlayers else ""
            print(f"  {model_name}/{dataset}/{variant} epoch {epoch + 1}: loss {rec['train_loss']:.4f}, "
                  f"test acc {rec['test_acc']:.4f}{extra} ({train_s:.1f} s)")
    result = {"model": model_name, "dataset": dataset, "variant": variant, "losses": losses, "epochs": epochs,
              "hit_rate_trace": trace,
              "train_s": time.perf_counter() - t_start, "layers": [l.name for l in layers],
              "step_ms_median": 1e3 * sorted(step_s)[len(step_s) // 2],
              "final_test_acc": epochs[-1]["test_acc"]}
    if policy is not None:
        result["adaptive"] = policy.state()
    if mlayers:
        result["sim"] = sim  # the last epoch's
    return result


def epoch_hitlog_dir(out: str, epoch: int) -> str:
    return os.path.join(out, f"hitlog_epoch{epoch}")


def simulate_step(hit_dir: str, topo: str, disabled, args, out: str) -> Dict:
    """Simulated cycles of one training step from one epoch's hit log (mercury-sim --training), in `out`.
    The topology only names the layers a disabled policy left without a log (reported at baseline)."""
    if args.no_sim:
        return {"error": "skipped (--no-sim)"}
    try:
        report = simulate(hit_dir, out, args.config, args.sim, topology=topo,
                          extra=["--training"])
    except (FileNotFoundError, RuntimeError) as e:
        return {"error": str(e)}
    t = report.totals
    return {"simulator": " ".join(report.command), "forward_speedup": t["forward_baseline"] / t["forward_mercury"],
            "step_baseline": t["step_baseline"], "step_mercury": t["step_mercury"], "step_speedup": t["step_speedup"],
            "phases": {k: t[k] for k in ("forward_baseline", "forward_mercury", "input_grad_baseline",
                                         "input_grad_mercury", "weight_grad_baseline", "weight_grad_mercury")},
            "layers": [{"layer": r["layer"], "off": r["layer"] in disabled or not r["has_hitlog"],
                        "step_speedup": r["step_speedup"]} for r in report.layers]}


def label_axes(ax, xlabel: str, ylabel: str, title: str, xticks: Optional[List[int]] = None) -> None:
    if xticks is not None:
        ax.set_xticks(xticks)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
    ax.grid(alpha=0.3)


def plot_pair(model_name: str, dataset: str, results: List[Dict], out: str) -> List[str]:
    plt = pyplot()
    paths = []
    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(18, 4))
    for r in results:
        ls = r["losses"]
        k = max(1, len(ls) // 50)
        smooth = [sum(ls[max(0, i - k + 1):i + 1]) / len(ls[max(0, i - k + 1):i + 1]) for i in range(len(ls))]
        a1.plot(range(1, len(ls) + 1), smooth, label=r["variant"], color=VARIANT_COLORS[r["variant"]])
        a2.plot([e["epoch"] for e in r["epochs"]], [100 * e["test_acc"] for e in r["epochs"]], marker="o",
                label=r["variant"], color=VARIANT_COLORS[r["variant"]])
    epochs = [e["epoch"] for e in results[0]["epochs"]]
    label_axes(a1, "training step", f"training loss (moving average, {k} steps)",
               f"{model_name} on {dataset}: training loss")
    label_axes(a2, "epoch", "test accuracy (%), exact conv at inference", f"{model_name} on {dataset}: test accuracy",
               epochs)
    for r in results:
        pts = [(e["epoch"], e["sim_step_speedup"]) for e in r["epochs"] if e.get("sim_step_speedup")]
        if pts:
            a3.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=r["variant"],
                    color=VARIANT_COLORS[r["variant"]])
    a3.axhline(1.0, color="grey", lw=0.8, ls=":")
    label_axes(a3, "epoch", "simulated training-step speedup (x)",
               f"{model_name} on {dataset}: mercury-sim --training per epoch", epochs)
    save_figure(fig, os.path.join(out, f"curves_{model_name}_{dataset}.png"), paths)

    mres = [r for r in results if r["variant"] != "baseline"]
    if mres:
        fig, axes = plt.subplots(1, len(mres), figsize=(6 * len(mres), 4), squeeze=False)
        for ax, r in zip(axes[0], mres):
            n_layers = len(r["layers"])
            tr = r.get("hit_rate_trace", [])
            for lid in range(n_layers):
                pts = [(t["step"], 100 * t["hit_rate"][lid]) for t in tr if lid in t["hit_rate"]]
                if pts:
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=".", label=f"L{lid} {r['layers'][lid]}")
            steps_per_epoch = len(r["losses"]) // max(1, len(r["epochs"]))
            for e in range(1, len(r["epochs"])):
                ax.axvline(e * steps_per_epoch, color="grey", lw=0.6, ls=":")
            for h in (r.get("adaptive") or {}).get("history", []):
                ax.axvline(h["step"], color="red" if h["event"] == "disable" else "black", lw=0.8, ls="--")
                txt = f"L{h['layer']} off" if h["event"] == "disable" else f"{h['from']}->{h['to']} bits"
                ax.text(h["step"], 2, txt, rotation=90, fontsize=7, va="bottom")
            ax.set_xlabel(f"training step (dotted: epoch boundaries; dashed: adaptive decisions)")
            ax.set_ylabel(f"hit rate (%), mean over {args_trace_every(r)} steps")
            ax.set_ylim(0, 100)
            title = f"{model_name}/{dataset}: per-layer hit rate ({r['variant']})"
            ax.set_title(title)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7, ncol=2)
        save_figure(fig, os.path.join(out, f"hitrates_{model_name}_{dataset}.png"), paths)
    for r in results:
        if r.get("adaptive"):
            paths.append(plot_adaptive(model_name, dataset, r, out))
    return paths


def plot_adaptive(model_name: str, dataset: str, r: Dict, out: str) -> str:
    """The adaptive policy over time: signature length, and each layer on (reuse) or off."""
    plt = pyplot()
    steps = len(r["losses"])
    history = r["adaptive"]["history"]
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(10, 5), sharex=True, gridspec_kw={"height_ratios": [1, 2]})
    xs, ys = [0], []
    current = next((h["from"] for h in history if h["event"] == "grow_bits"), r["adaptive"]["sig_bits"])
    ys.append(current)
    for h in history:
        if h["event"] == "grow_bits":
            xs.append(h["step"])
            ys.append(h["to"])
    xs.append(steps)
    ys.append(ys[-1])
    a1.step(xs, ys, where="post")
    a1.set_ylabel("signature bits")
    a1.grid(alpha=0.3)
    off_at = {h["layer"]: h["step"] for h in history if h["event"] == "disable"}
    for lid, name in enumerate(r["layers"]):
        end = off_at.get(lid, steps)
        a2.broken_barh([(0, end)], (lid - 0.4, 0.8), color="tab:green")
        if end < steps:
            a2.broken_barh([(end, steps - end)], (lid - 0.4, 0.8), color="tab:grey")
    a2.set_yticks(range(len(r["layers"])))
    a2.set_yticklabels([f"L{i} {n}" for i, n in enumerate(r["layers"])], fontsize=7)
    a2.set_xlabel("training step (green: MERCURY reuse, grey: switched off)")
    a2.set_xlim(0, steps)
    fig.suptitle(f"{model_name}/{dataset}: adaptive policy decisions")
    paths: List[str] = []
    save_figure(fig, os.path.join(out, f"adaptive_{model_name}_{dataset}.png"), paths)
    return paths[0]


def args_trace_every(r: Dict) -> int:
    tr = r.get("hit_rate_trace") or []
    return tr[1]["step"] - tr[0]["step"] if len(tr) > 1 else (tr[0]["step"] if tr else 1)


def results_table(results: List[Dict]) -> str:
    header = ["model", "dataset", "variant", "test acc (exact inference)", "test acc (reuse inference)",
              "final train loss", "mean hit rate (last epoch)", "sig bits (end)", "layers off",
              "sim. forward speedup", "sim. training-step speedup", "sim. step speedup per epoch",
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
                     f"{r['step_ms_median']:.1f}",
                     f"{base / r['step_ms_median']:.2f}x" if base else "-",
                     f"{r['train_s']:.1f}"])
    return markdown_table(header, rows)


def main(argv=None) -> int:
    args = parse_args(argv)
    cli.apply_threads(args)
    args.settings = mercury.settings.from_args(args)
    os.makedirs(args.out, exist_ok=True)
    variants = variants_from(args)
    all_results = []
    t0 = time.perf_counter()
    for dataset in datasets_from(args.datasets):
        train, test = load_data(dataset, args.train_limit, args.test_limit)
        for model_name in cli.models_from(args):
            pair = []
            for variant in variants:
                run_out = os.path.join(args.out, f"{model_name}_{dataset}_{variant}")
                os.makedirs(run_out, exist_ok=True)
                r = train_variant(model_name, dataset, variant, train, test, args, run_out)
                if variant == "mercury":
                    r["sig_bits"] = args.sig_bits
                pair.append(r)
            all_results += pair
            if not args.no_plots:
                plot_pair(model_name, dataset, pair, args.out)
    table = results_table(all_results)
    settings = {k: v for k, v in vars(args).items()}
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(f"Settings: {settings}\n\n{table}\n")
        for r in all_results:
            if r.get("adaptive"):
                f.write(f"\nAdaptive decisions ({r['model']}/{r['dataset']}):\n")
                for h in r["adaptive"]["history"]:
                    f.write(f"- {h}\n")
            if r.get("sim", {}).get("error"):
                f.write(f"\nSimulation of {r['model']}/{r['dataset']}/{r['variant']} failed: {r['sim']['error']}\n")
    write_json(os.path.join(args.out, "results.json"),
                      {"settings": settings, "results": all_results, "total_s": time.perf_counter() - t0})
    print("\n" + table)
    print(f"\ntotal {time.perf_counter() - t0:.1f} s; results in {args.out}")
    return 0

