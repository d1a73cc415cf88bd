"""Training study: small CNNs on Fashion-MNIST / MNIST, and the trained MiniLM fine-tuned with a classification
head on the SpamAssassin ham/spam split (--models minilm_l6 --datasets spam_assassin), baseline (plain nn.Conv2d /
nn.Linear) vs MERCURY reuse, same seeds.

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

A MERCURY variant trains inside mercury.profile with one window per epoch (<run>/epoch<k>/: its hit log, topology
and mercury-sim's reports). Simulated training-step speedup: `mercury-sim --training` (--config) on each epoch's hit
log (a layer's hit fraction is its hits / vectors over every call of the epoch): the speedup per epoch as the weights train; the table's main figure is the last epoch's. Per conv layer it simulates the
forward, input-gradient and weight-gradient GEMMs, baseline and MERCURY (which streams only the unique misses in
all three, as the op's backward does, and pays signatures, lookups and gradient summation once per step); see
sim/README.md, "Training step". For the CNNs only conv layers are counted (fully-connected layers, BatchNorm,
pooling and the optimizer are left out); for a text model every nn.Linear is a MERCURY layer (the same three GEMMs),
and attention's matmuls of two activations are counted at baseline (mercury.matmuls; their backward: two GEMMs
of the same shapes, also at baseline). A layer the adaptive policy turned off for the whole last epoch has no hit log and is
simulated at baseline (the window's topology.csv names it).
Wall-clock: the median time of a training step (forward, backward, optimizer) on this CPU, per variant.

Outputs in OUT (default out/train/): results.md (the table), results.json, curves_<model>_<dataset>.png (loss
per step, test accuracy per epoch), hitrates_<model>_<dataset>.png (per-layer hit rate per epoch), per run
epoch<k>/ (hitlog/, topology.csv, sim/).
"""
import argparse
import contextlib
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

import mercury
from mercury.adaptive import AdaptivePolicy
from mercury.hitlog import layer_totals
from mercury.order import ALL_KINDS, DEFAULT_KINDS, example_rows, layer_calls, run_example, to_device
from mercury.study import cli
from mercury.study.choices import OutputChoice, SimulatorChoice
from mercury.study.progress import progress
from mercury.study.training_plots import plot_pair
from mercury.study.training_report import write_results

VARIANTS = ("baseline", "mercury", "adaptive")


@dataclass(frozen=True)
class TrainingStudy:
    settings: Dict                  # the MERCURY settings of the mercury variant (mercury.settings)
    simulator: SimulatorChoice
    output: OutputChoice
    variants: List[str] = field(default_factory=lambda: ["baseline", "mercury"])  # run in this order
    epochs: int = 2
    batch_size: int = 64
    lr: float = 2e-3                # Adam
    seed: int = 0                   # initial weights and data order
    train_limit: int = 4000
    test_limit: int = 2000
    policy: Mapping = field(default_factory=dict)  # AdaptivePolicy's arguments (the adaptive variant)
    trace_every: int = 10           # steps per point of the hit-rate trace
    device: str = "cpu"             # where the models train (--device)


@dataclass
class _Model:
    """One variant's model: its layers' names and kinds; a MERCURY variant's profile (mercury.profile, open while it
    trains) and adaptive policy."""
    module: nn.Module
    layer_names: List[str]
    kinds: Sequence[str]
    policy: Optional[AdaptivePolicy] = None
    profile: Optional[mercury.profile] = None


@dataclass
class _Curves:
    """What a run records step by step."""
    losses: List[float] = field(default_factory=list)
    step_s: List[float] = field(default_factory=list)   # wall-clock of each step (forward, backward, optimizer)
    trace: List[Dict] = field(default_factory=list)     # per-layer hit rate over windows of trace_every steps
    window: Dict[int, List[int]] = field(default_factory=dict)


TEXT_DATASETS = ("spam_assassin",)


def load_data(name: str, train_limit: int, test_limit: int):
    """(inputs, labels) of the training and test sets; inputs is a tuple of tensors (images), or (input_ids,
    attention_mask) of full-length e-mails (mercury.study.text_inputs) for a text data set."""
    if name in TEXT_DATASETS:
        from mercury.study.text_inputs import training_tokens
        return training_tokens("training", train_limit), training_tokens("held_out", test_limit)
    from models import data
    (xtr, ytr), (xte, yte) = data.dataset(name, "train", limit=train_limit), data.dataset(name, "test", limit=test_limit)
    return ((xtr,), ytr), ((xte,), yte)


def evaluate(model: nn.Module, x, y: torch.Tensor, batch: int = 100) -> float:
    was = model.training
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            predicted = run_example(model, example_rows(x, i, i + batch)).argmax(1)
            correct += (predicted == y[i:i + batch].to(predicted.device)).sum().item()
    model.train(was)
    return correct / len(y)


def train_variant(model_name: str, dataset: str, variant: str, train, test, study: TrainingStudy, out: str) -> Dict:
    """One variant trained from the study's seed; its result (losses, per-epoch records, simulated speedups). A
    MERCURY variant trains inside mercury.profile, one window per epoch (OUT/epoch<k>/)."""
    xtr, ytr = train
    torch.manual_seed(study.seed)
    model = _build(model_name, variant, xtr, study)
    model.module.to(study.device).train()
    opt = torch.optim.Adam(model.module.parameters(), lr=study.lr)
    gen = torch.Generator().manual_seed(study.seed)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*xtr, ytr), batch_size=study.batch_size,
                                         shuffle=True, generator=gen, drop_last=True)
    curves = _Curves()
    epochs: List[Dict] = []
    sim: Dict = {}
    t_start = time.perf_counter()
    with _profiled(model, variant, xtr, study, len(loader), out):
        for epoch in range(1, study.epochs + 1):
            run = f"{model_name}/{dataset}/{variant}"
            t0 = time.perf_counter()
            steps = progress(loader, f"{run} epoch {epoch}/{study.epochs}", "step", quiet=study.output.quiet)
            ep_stats = _train_epoch(model, opt, steps, curves, study, run)
            rec = {"epoch": epoch, "train_loss": sum(curves.losses[-len(loader):]) / len(loader),
                   "train_s": time.perf_counter() - t0}
            if model.profile is not None:
                sim = _mercury_epoch_record(rec, model, ep_stats, test)
            else:
                rec["test_acc"] = evaluate(model.module, *test)
            epochs.append(rec)
            _say_epoch(study, run, rec, model.profile is not None)
    result = {"model": model_name, "dataset": dataset, "variant": variant, "losses": curves.losses, "epochs": epochs,
              "hit_rate_trace": curves.trace,
              "train_s": time.perf_counter() - t_start, "layers": model.layer_names,
              "step_ms_median": 1e3 * sorted(curves.step_s)[len(curves.step_s) // 2],
              "final_test_acc": epochs[-1]["test_acc"]}
    if model.policy is not None:
        result["adaptive"] = model.policy.state()
    if model.profile is not None:
        result["sim"] = sim  # the last epoch's
    return result


def _say_epoch(study: TrainingStudy, run: str, rec: Dict, profiled: bool) -> None:
    if not study.output.quiet:
        rates = [round(h, 3) for h in rec.get("hit_rate", {}).values()]
        extra = f", hit rates {rates}" if profiled else ""
        print(f"  {run} epoch {rec['epoch']}: loss {rec['train_loss']:.4f}, "
              f"test acc {rec['test_acc']:.4f}{extra} ({rec['train_s']:.1f} s)")


def _build(model_name: str, variant: str, xtr, study: TrainingStudy) -> _Model:
    """The zoo model from the study's seed (a text model: its classifier, 2 classes), its layers' names (convs; for
    a text model every nn.Linear too), and for the adaptive variant its policy."""
    from mercury import topology
    from models import zoo
    text = zoo.input_kind(model_name) == "text"
    kinds = ALL_KINDS if text else DEFAULT_KINDS
    module = zoo.build(model_name, seed=study.seed, **({"num_classes": 2} if text else {}))
    layers = topology.model_layers(module, example_rows(xtr, 0, study.batch_size), kinds)
    model = _Model(module, [l.name for l in layers], kinds)
    if variant == "baseline":
        return model
    twice = [c.name for c in layer_calls(module, example_rows(xtr, 0, 1), kinds) if c.call > 0]
    if twice:  # the eager swap gives one id per module; mercury.rewrite gives one per call
        raise ValueError(f"{model_name}: layers called more than once per forward ({twice[:3]}): use mercury.rewrite")
    if variant == "adaptive":
        model.policy = AdaptivePolicy(**study.policy)
    return model


@contextlib.contextmanager
def _profiled(model: _Model, variant: str, xtr, study: TrainingStudy, steps_per_epoch: int, out: str):
    """A MERCURY variant's training inside mercury.profile: its layers (ids in execution order) run with the study's
    settings, one window per epoch (OUT/epoch<k>/: hit log, topology, mercury-sim --training); the baseline plain."""
    if variant == "baseline":
        yield None
        return
    schedule = mercury.schedule(wait=0, warmup=0, active=steps_per_epoch, repeat=study.epochs)
    with mercury.profile(model.module, kinds=model.kinds, example=example_rows(xtr, 0, 1), schedule=schedule,
                         out=os.path.join(out, "epoch{window}"), config=study.simulator.config,
                         sim=study.simulator.binary, simulate=study.simulator.enabled, **study.settings) as prof:
        model.profile = prof
        if model.policy is not None:
            model.policy.apply(prof.layers)
        yield prof


def _train_epoch(model: _Model, opt, steps, curves: _Curves, study: TrainingStudy, run: str
                 ) -> Dict[int, Dict[str, int]]:
    """One epoch over `steps` (the loader, maybe behind a progress bar); returns the epoch's hits and vectors per
    layer (the adaptive policy sees them step by step)."""
    ep_stats: Dict[int, Dict[str, int]] = {}
    for *x, y in steps:
        x, y = to_device(x, study.device), y.to(study.device)
        step_start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model.module(*x), y)
        loss.backward()
        opt.step()
        curves.step_s.append(time.perf_counter() - step_start)
        curves.losses.append(loss.item())
        if model.profile is not None:
            model.profile.step()
            _observe_step(model, model.profile.step_records, curves, ep_stats, study)
        if not math.isfinite(curves.losses[-1]):
            raise RuntimeError(f"{run}: loss is {curves.losses[-1]} at step {len(curves.losses)}")
    return ep_stats


def _observe_step(model: _Model, records, curves: _Curves, ep_stats, study: TrainingStudy) -> None:
    """One step's records: the epoch's counts, the hit-rate trace, the adaptive policy."""
    _count_hits(layer_totals(records), ep_stats, curves.window)
    layers = model.profile.layers
    if len(curves.losses) % study.trace_every == 0:
        curves.trace.append({"step": len(curves.losses), "sig_bits": layers[0].sig_bits,
                             "hit_rate": {lid: h / v for lid, (h, v) in sorted(curves.window.items()) if v}})
        curves.window = {}
    if model.policy is not None:
        model.policy.observe_records(records)
        if model.policy.observe_loss(curves.losses[-1]):
            model.policy.apply(layers)


def _count_hits(totals: Dict[int, Dict[str, int]], ep_stats: Dict[int, Dict[str, int]],
                window: Dict[int, List[int]]) -> None:
    for lid, s in totals.items():
        e = ep_stats.setdefault(lid, {"hits": 0, "vectors": 0})
        e["hits"] += s["hits"]
        e["vectors"] += s["vectors"]
        w = window.setdefault(lid, [0, 0])
        w[0] += s["hits"]
        w[1] += s["vectors"]


def _mercury_epoch_record(rec: Dict, model: _Model, ep_stats: Dict[int, Dict[str, int]], test) -> Dict:
    """Fills an epoch's record of a MERCURY variant: test accuracy with exact layers and with reuse, hit rates,
    the policy's state, the simulated step (the epoch's window); returns the simulation."""
    with model.profile.paused(exact=True):
        rec["test_acc"] = evaluate(model.module, *test)
    with model.profile.paused():
        rec["test_acc_reuse_inference"] = evaluate(model.module, *test)
    rec["hit_rate"] = {lid: s["hits"] / s["vectors"] for lid, s in sorted(ep_stats.items()) if s["vectors"]}
    if model.policy is not None:
        rec["sig_bits"] = model.policy.sig_bits
        rec["disabled"] = sorted(model.policy.disabled)
    sim = step_result(model.profile.reports[-1], set(rec.get("disabled", [])))
    rec["sim_step_speedup"] = sim.get("step_speedup")
    rec["sim_forward_speedup"] = sim.get("forward_speedup")
    return sim


def step_result(report, disabled) -> Dict:
    """Simulated cycles and energy of one training step from an epoch's window (mercury.profile's report of it,
    mercury-sim --training on the epoch's hit log; a layer's hit fraction is over every call of the epoch)."""
    if report.sim is None:
        return {"error": report.sim_error or "skipped (--no-sim)"}
    t = report.sim.totals
    return {"simulator": report.simulator, "forward_speedup": t["forward_baseline"] / t["forward_mercury"],
            "step_baseline": t["step_baseline"], "step_mercury": t["step_mercury"], "step_speedup": t["step_speedup"],
            "phases": {k: t[k] for k in ("forward_baseline", "forward_mercury", "input_grad_baseline",
                                         "input_grad_mercury", "weight_grad_baseline", "weight_grad_mercury")},
            "energy_uj": {k: t[k] for k in ("baseline_energy_uj", "mercury_energy_uj", "signature_energy_uj",
                                            "lookup_energy_uj", "fill_energy_uj", "step_baseline_energy_uj",
                                            "step_mercury_energy_uj")},
            "step_energy_ratio": t["step_energy_ratio"],
            # signatures + lookups + fills (paid once per step, in the forward) over MERCURY's step energy
            "own_energy_share": (t["signature_energy_uj"] + t["lookup_energy_uj"] + t["fill_energy_uj"])
            / t["step_mercury_energy_uj"],
            "mcache_bytes": t["mcache_bytes"],
            "layers": [{"layer_id": r["layer_id"], "off": r["layer_id"] in disabled or not r["has_hitlog"],
                        "step_speedup": r["step_speedup"], "step_energy_ratio": r["step_energy_ratio"],
                        "energy_parts": _step_energy_parts(r)} for r in report.sim.layers]}


def _step_energy_parts(layer: Dict) -> Dict:
    """One layer's step energy (uJ) per side: the forward's parts plus its backward GEMMs (MERCURY: with the
    gradient summation)."""
    parts = {side: dict(layer["energy_parts"][side]) for side in ("baseline", "mercury")}
    parts["baseline"]["Backward"] = layer["input_grad_baseline_energy_uj"] + layer["weight_grad_baseline_energy_uj"]
    parts["mercury"]["Backward"] = (layer["input_grad_mercury_energy_uj"] + layer["grad_sum_energy_uj"]
                                    + layer["weight_grad_mercury_energy_uj"])
    return parts


def run_study(datasets: List[str], models: List[str], study: TrainingStudy) -> List[Dict]:
    """Every variant of every model on every dataset; plots per model and dataset; returns the results."""
    results = []
    for dataset in datasets:
        train, test = load_data(dataset, study.train_limit, study.test_limit)
        for model_name in models:
            pair = []
            for variant in study.variants:
                run_out = os.path.join(study.output.folder, f"{model_name}_{dataset}_{variant}")
                os.makedirs(run_out, exist_ok=True)
                r = train_variant(model_name, dataset, variant, train, test, study, run_out)
                if variant == "mercury":
                    r["sig_bits"] = study.settings["sig_bits"]
                pair.append(r)
            results += pair
            if study.output.plots:
                plot_pair(model_name, dataset, pair, study.output.folder)
    return results


# ---------------------------------------------------------------------------------------------------------------
# The command line (benchmarks/train_study.py)

def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="train_study", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_models(p, "small_cnn,small_resnet")
    p.add_argument("--datasets", default="fashion_mnist",
                   help="comma-separated: fashion_mnist, mnist, spam_assassin (for --models minilm_l6), or 'all' "
                        "(fashion_mnist and mnist; mnist only when its data is present)")
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
    cli.add_device(p)
    return p.parse_args(argv)


def datasets_from(arg: str) -> List[str]:
    from models import data
    names = ["fashion_mnist", "mnist"] if arg == "all" else [d.strip() for d in arg.split(",") if d.strip()]
    out = []
    for n in names:
        if n in TEXT_DATASETS:
            out.append(n)
            continue
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


def study_from(args: argparse.Namespace) -> TrainingStudy:
    policy = {"init_bits": args.adaptive_init_bits, "max_bits": args.adaptive_max_bits,
              "step_bits": args.adaptive_step_bits, "window": args.adaptive_window,
              "patience": args.adaptive_patience, "min_hit_rate": args.min_hit_rate, "min_gain": args.min_gain}
    return TrainingStudy(settings=mercury.settings.from_args(args), simulator=cli.simulator_choice(args),
                         output=cli.output_choice(args), variants=variants_from(args), epochs=args.epochs,
                         batch_size=args.batch_size, lr=args.lr, seed=args.data_seed, train_limit=args.train_limit,
                         test_limit=args.test_limit, policy=policy, trace_every=args.trace_every, device=args.device)


def main(argv=None) -> int:
    args = parse_args(argv)
    cli.apply_threads(args)
    study = study_from(args)
    os.makedirs(study.output.folder, exist_ok=True)
    t0 = time.perf_counter()
    results = run_study(datasets_from(args.datasets), cli.models_from(args), study)
    table = write_results(results, asdict(study), study.output.folder, time.perf_counter() - t0)
    print("\n" + table)
    print(f"\ntotal {time.perf_counter() - t0:.1f} s; results in {study.output.folder}")
    return 0
