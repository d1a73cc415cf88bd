"""Signature-length and cache-capacity sweeps: hit rate, output error vs exact convolution, accuracy of a trained
small model, simulated speedup.

    python3 benchmarks/sweep.py                       # resnet18 on photos + small_cnn on F-MNIST
    python3 benchmarks/sweep.py --models resnet101 --bits 8,12,16,20,24,32 --caches 64,1024

Two parts, each swept over signature bits (cache fixed at --cache-entries) and over cache entries (bits fixed at
--sig-bits), all in reuse mode (hits really reuse cached results):

1. photos: zoo model --models (random init unless --weights) on --batches x --batch-size real photos.
   - hit rate: hits / vectors over all layers and calls
   - logits error: ||logits_reuse - logits_exact|| / ||logits_exact|| (the approximation accumulated through the net)
   - per-layer error: for each conv, ||reuse(x) - conv(x)|| / ||conv(x)|| on the input x that layer really received
     in the reuse run (the error a layer adds by itself); the table gives the mean and max over layers
   - simulated speedup: mercury-sim (--config) on the hit log of the run
2. fashion_mnist: small_cnn trained (exact convs, --train-epochs on --train-limit examples, fixed seed), then
   evaluated on --test-limit test images with reuse at inference: test accuracy vs the exact model's, hit rate,
   logits error, simulated speedup.

Outputs in OUT (default out/sweep/): sweep.csv, sweep.md, and per part and swept parameter a PNG with
hit rate, error / accuracy and speedup against the parameter.
"""
import argparse
import os
import time
from dataclasses import asdict, dataclass
from typing import Dict, List

import torch
import torch.nn.functional as F

import mercury
from mercury.order import DEFAULT_KINDS, run_example
from mercury.study import cli
from mercury.study.choices import DataChoice, ModelChoice, OutputChoice, SimulatorChoice
from mercury.study.inputs import model_input
from mercury.files import markdown_table, write_csv
from mercury.plots import pyplot, save_figure
from mercury.quality import LayerErrors, OutputQuality
from mercury.study.progress import progress


@dataclass(frozen=True)
class SweepStudy:
    model: ModelChoice              # the photos part's model
    data: DataChoice                # the photos part's inputs; its seed also seeds the small model
    settings: Dict                  # the MERCURY settings the swept ones replace (mercury.settings)
    simulator: SimulatorChoice
    output: OutputChoice
    bits: List[int]
    caches: List[int]
    parts: List[str]                # photos, fashion_mnist
    small_model: str = "small_cnn"  # the fashion_mnist part's model, trained with exact convs first
    train_epochs: int = 2
    train_limit: int = 10000
    test_limit: int = 2000


def measure(model, exact_model, batches, labels, settings, study: "SweepStudy", out_dir) -> Dict:
    """One configuration: the model profiled in reuse mode (mercury.profile, its files in out_dir) over the batches;
    hit rate, errors, accuracy, simulated speedup."""
    quality = OutputQuality()
    simulator = study.simulator
    with torch.no_grad(), mercury.profile(model, kinds=DEFAULT_KINDS, example=batches[0][:1], out=out_dir,
                                          config=simulator.config, sim=simulator.binary, simulate=simulator.enabled,
                                          **dict(study.settings, mode="reuse", **settings)) as prof:
        layer_errors = LayerErrors(prof.layers)
        for i, x in enumerate(batches):
            quality.add(run_example(model, x), run_example(exact_model, x), labels[i] if labels is not None else None)
            prof.step()
        layer_errors.remove()
    report = prof.reports[0]
    per_layer = list(layer_errors.per_layer().values())
    q = quality.summary()
    res = {**settings, "hit_rate": report.totals["hit_rate"], "logits_rel_l2": q["logit_rel_l2"],
           "top1_agreement": q["top1_agreement"],
           "layer_rel_l2_mean": sum(per_layer) / len(per_layer) if per_layer else 0.0,
           "layer_rel_l2_max": max(per_layer) if per_layer else 0.0,
           "accuracy": q.get("accuracy"), "accuracy_exact": q.get("accuracy_exact"), "speedup": None}
    if report.simulator:
        res["simulator"] = report.simulator
        res.update({k: report.totals[k] for k in ("baseline_cycles", "mercury_cycles", "speedup")})
    elif report.sim_error:
        res["sim_error"] = report.sim_error.splitlines()[0]
    return res


def train_small(study: SweepStudy):
    """The small model trained with exact convs on Fashion-MNIST (deterministic)."""
    from models import data, zoo
    xtr, ytr = data.fashion_mnist("train", limit=study.train_limit)
    torch.manual_seed(study.data.seed)
    model = zoo.build(study.small_model, seed=study.data.seed).train()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    gen = torch.Generator().manual_seed(study.data.seed)
    dl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xtr, ytr), batch_size=64, shuffle=True,
                                     generator=gen, drop_last=True)
    for _ in range(study.train_epochs):
        for x, y in dl:
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
    return model.eval()


def run_part(part: str, study: SweepStudy) -> List[Dict]:
    import copy
    from models import data, zoo
    out = os.path.join(study.output.folder, part)
    if part == "photos":
        name = study.model.name
        inputs = model_input(name, study.data)
        batches, labels = inputs.batches, inputs.labels
        exact = zoo.build(name, weights_path=study.model.weights).eval()
    elif part == "fashion_mnist":
        t0 = time.perf_counter()
        exact = train_small(study)
        print(f"sweep: trained {study.small_model} on {study.train_limit} Fashion-MNIST images, "
              f"{study.train_epochs} epochs ({time.perf_counter() - t0:.1f} s)")
        xte, yte = data.fashion_mnist("test", limit=study.test_limit)
        bs = 100
        batches = [xte[i:i + bs] for i in range(0, len(xte), bs)]
        labels = [yte[i:i + bs] for i in range(0, len(yte), bs)]
        name = study.small_model
    else:
        raise ValueError(f"unknown part {part!r}; use photos, fashion_mnist")
    model = copy.deepcopy(exact).eval()
    rows = []
    configs = [("sig_bits", {"sig_bits": b, "cache_entries": study.settings["cache_entries"]}) for b in study.bits]
    configs += [("cache_entries", {"sig_bits": study.settings["sig_bits"], "cache_entries": c}) for c in study.caches]
    for swept, settings in progress(configs, f"sweep {part} ({name})", "setting", quiet=study.output.quiet):
        t0 = time.perf_counter()
        tag = f"{swept}_{settings[swept]}"
        r = measure(model, exact, batches, labels, settings, study, os.path.join(out, tag))
        r.update({"part": part, "model": name, "swept": swept, "time_s": time.perf_counter() - t0})
        rows.append(r)
    return rows


COLUMNS = ["part", "model", "swept", "sig_bits", "cache_entries", "hit_rate", "top1_agreement", "logits_rel_l2",
           "layer_rel_l2_mean",
           "layer_rel_l2_max", "accuracy", "accuracy_exact", "baseline_cycles", "mercury_cycles", "speedup", "time_s"]


def plot(rows: List[Dict], out: str) -> List[str]:
    plt = pyplot()
    paths = []
    for part in sorted({r["part"] for r in rows}):
        for swept in ("sig_bits", "cache_entries"):
            rs = [r for r in rows if r["part"] == part and r["swept"] == swept]
            if not rs:
                continue
            xs = [r[swept] for r in rs]
            panels = [("hit rate (%)", [100 * r["hit_rate"] for r in rs])]
            if rs[0].get("accuracy") is not None:
                panels.append(("test accuracy (%)", [100 * r["accuracy"] for r in rs]))
            panels.append(("relative L2 error", None))
            if any(r.get("speedup") for r in rs):
                panels.append(("simulated speedup (x)", [r.get("speedup") or float("nan") for r in rs]))
            fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.8), squeeze=False)
            for ax, (ylabel, ys) in zip(axes[0], panels):
                if ys is None:
                    ax.plot(xs, [r["logits_rel_l2"] for r in rs], marker="o", label="logits")
                    ax.plot(xs, [r["layer_rel_l2_mean"] for r in rs], marker="s", label="per layer (mean)")
                    ax.plot(xs, [r["layer_rel_l2_max"] for r in rs], marker="^", label="per layer (max)")
                    ax.set_yscale("log")
                    ax.legend(fontsize=8)
                else:
                    ax.plot(xs, ys, marker="o")
                    if ylabel.startswith("test accuracy"):
                        ax.axhline(100 * rs[0]["accuracy_exact"], color="grey", ls="--", lw=0.8,
                                   label="exact conv")
                        ax.legend(fontsize=8)
                    if ylabel.startswith("simulated"):
                        ax.axhline(1.0, color="grey", lw=0.8)
                if swept == "cache_entries":
                    ax.set_xscale("log", base=2)
                ax.set_xlabel("signature bits" if swept == "sig_bits" else "MCACHE entries")
                ax.set_ylabel(ylabel)
                ax.grid(alpha=0.3)
            fixed = (f"{rs[0]['cache_entries']}-entry cache" if swept == "sig_bits"
                     else f"{rs[0]['sig_bits']}-bit signatures")
            fig.suptitle(f"{rs[0]['model']} ({part}), reuse mode, {fixed}")
            save_figure(fig, os.path.join(out, f"sweep_{part}_{swept}.png"), paths)
    return paths


def run_sweep(study: SweepStudy) -> None:
    """Every part; sweep.csv, sweep.md and the figures in the output folder; the table printed."""
    os.makedirs(study.output.folder, exist_ok=True)
    t0 = time.perf_counter()
    rows = []
    for part in study.parts:
        rows += run_part(part, study)
    write_csv(os.path.join(study.output.folder, "sweep.csv"), COLUMNS, ([r.get(c) for c in COLUMNS] for r in rows))

    def f(v, pct=False):
        if v is None:
            return "-"
        return f"{100 * v:.2f}%" if pct else (f"{v:.3g}" if isinstance(v, float) else v)
    header = ["part", "model", "sig bits", "cache", "hit rate", "top-1 agreement", "logits rel. L2", "layer rel. L2 mean/max",
              "accuracy (exact)", "sim. speedup"]
    table = markdown_table(header, [[r["part"], r["model"], r["sig_bits"], r["cache_entries"],
                                            f(r["hit_rate"], True), f(r["top1_agreement"], True),
                                            f(r["logits_rel_l2"]),
                                            f"{f(r['layer_rel_l2_mean'])} / {f(r['layer_rel_l2_max'])}",
                                            (f"{f(r['accuracy'], True)} ({f(r['accuracy_exact'], True)})"
                                             if r.get("accuracy") is not None else "-"),
                                            f"{r['speedup']:.3f}x" if r.get("speedup") else "-"] for r in rows])
    with open(os.path.join(study.output.folder, "sweep.md"), "w") as fh:
        fh.write(f"Settings: {asdict(study)}\n\n{table}\n")
        errs = {r.get("sim_error") for r in rows if r.get("sim_error")} | {
            "cycles: " + r["simulator"].split(" -o ")[0] for r in rows if r.get("simulator")}
        for e in errs:
            fh.write(f"\nSimulator: {e}\n")
    plot(rows, study.output.folder)
    print("\n" + table)
    print(f"\ntotal {time.perf_counter() - t0:.1f} s; results in {study.output.folder}")


# ---------------------------------------------------------------------------------------------------------------
# The command line (benchmarks/sweep.py)

def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="sweep", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_models(p, "resnet18")
    p.add_argument("--weights", default=None)
    p.add_argument("--batches", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--bits", default="4,8,12,16,20,24,32,48")
    p.add_argument("--caches", default="16,64,256,1024,4096")
    p.add_argument("--parts", default="photos,fashion_mnist")
    p.add_argument("--small-model", default="small_cnn")
    p.add_argument("--train-epochs", type=int, default=2)
    p.add_argument("--train-limit", type=int, default=10000)
    p.add_argument("--test-limit", type=int, default=2000)
    p.add_argument("--data-seed", type=int, default=0, help="seed of the photo crops and of the small model")
    cli.add_settings(p, mode="reuse")
    cli.add_simulator(p)
    cli.add_output(p, cli.default_out("sweep"))
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    cli.apply_threads(args)
    run_sweep(SweepStudy(model=ModelChoice(cli.models_from(args)[0], args.weights), data=cli.data_choice(args),
                         settings=mercury.settings.from_args(args), simulator=cli.simulator_choice(args),
                         output=cli.output_choice(args), bits=_numbers(args.bits), caches=_numbers(args.caches),
                         parts=[p.strip() for p in args.parts.split(",") if p.strip()], small_model=args.small_model,
                         train_epochs=args.train_epochs, train_limit=args.train_limit, test_limit=args.test_limit))
    return 0


def _numbers(csv: str) -> List[int]:
    return [int(v) for v in csv.split(",") if v.strip()]
