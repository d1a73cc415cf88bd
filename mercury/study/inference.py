"""The inference study, end to end: a zoo model is just a model, profiled (mercury.profile: its convs as MERCURY
layers, the hit log, mercury-sim on it) on real data, beside the exact model on the same data -> per-layer hit
rates, cycles, speedups, and what reuse did to the output (agreement with the exact model) -> tables, CSV, JSON,
plots.

    python3 -m mercury.study                                # resnet101, 4 batches of 8 photos, observe mode
    python3 -m mercury.study --models all --mode reuse      # alexnet, googlenet, resnet101, hits reused for real
    python3 -m mercury.study --models inception_v3_nsfwjs --calibrate-batches 2 --curve --headroom
        # a trained network: calibrate per layer on 2 batches, evaluate the calibrated point on the others, next to
        # the trade-off curve (every layer on one setting) and the oracle's reuse headroom

Per model, in OUT/<model>/: hitlog/ (what mercury-sim -m reads), topology.csv (the layers' names; layers left off
have no hit log and are simulated at baseline from it), sim/ (mercury-sim's reports and sim.log), layers.csv,
summary.json, hit_rate.png, speedup.png, cycles.png. With several models OUT/summary.{csv,md}. Model cycles and
speedup are mercury-sim's MERCURY_TOTAL.csv. With --calibrate-batches also calibration.json, tradeoff.png (--curve;
its runs in curve/c<i>/) and headroom.json (--headroom).
"""
import argparse
import copy
import os
import sys
import time
from dataclasses import dataclass
from typing import Dict, List, Optional

import torch

import mercury
from mercury import plots
from mercury.calibrate import Calibration
from mercury.files import write_csv, write_json
from mercury.order import DEFAULT_KINDS, run_example
from mercury.quality import OutputQuality
from mercury.study import cli, operating_point
from mercury.study.choices import CalibrationChoice, DataChoice, ModelChoice, OutputChoice, SimulatorChoice
from mercury.study.inference_report import print_table, write_model_summary
from mercury.study.inputs import model_input, weights_label
from mercury.study.progress import progress

STUDY_MODELS = ("alexnet", "googlenet", "resnet101")
SHORTHANDS = {"all": STUDY_MODELS}
LAYER_COLUMNS = ["layer_id", "name", "mode", "calls", "vectors", "hits", "hit_rate", "baseline_cycles",
                 "mercury_cycles", "speedup"]


@dataclass(frozen=True)
class InferenceStudy:
    settings: Dict                  # the MERCURY settings of every layer (mercury.settings)
    data: DataChoice
    calibration: CalibrationChoice
    simulator: SimulatorChoice
    output: OutputChoice
    device: str = "cpu"             # where the models run (--device)


@dataclass
class _Evaluation:
    """What the study's run sees: the evaluation batches (the held-out ones after calibration)."""
    batches: List[torch.Tensor]
    labels: Optional[List[torch.Tensor]]
    source: str
    calibrated: Optional[Calibration] = None


def run_model(model: ModelChoice, study: InferenceStudy) -> Dict:
    """The study of one model; writes OUT/<model>/ and prints its table; returns its summary."""
    from models import zoo
    name = model.name
    out = os.path.join(study.output.folder, name)
    os.makedirs(out, exist_ok=True)
    timings = {}
    t0 = time.perf_counter()
    inputs = model_input(name, study.data)
    timings["data_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    exact = zoo.build(name, weights_path=model.weights).eval().to(study.device)
    settings = study.settings
    run = _Evaluation(inputs.batches, inputs.labels, inputs.description)
    if study.calibration.batches:
        run = _calibrate(name, exact, run, study, out)
        settings = dict(settings, mode="off")  # layers calibration did not enable
        timings["calibrate_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
    per_layer = run.calibrated.per_layer if run.calibrated else None

    quality, exact_out, report = _run_batches(f"{name} ({settings['mode']})", exact, run, settings, per_layer,
                                              study, out)
    timings["run_s"] = time.perf_counter() - t0
    rows, totals = _layer_rows(report)
    extras = _operating_point(name, exact, exact_out, run, quality, totals, study, out, timings)
    timings["total_s"] = sum(timings.values())

    write_csv(os.path.join(out, "layers.csv"), LAYER_COLUMNS, ([r.get(h) for h in LAYER_COLUMNS] for r in rows))
    summary = {
        "model": name, "weights": weights_label(model),
        "data": run.source, "batches": study.data.batches, "batch_size": study.data.batch_size,
        "input": list(run.batches[0].shape[1:]), "settings": settings, "config": study.simulator.config,
        "device": study.device, "simulator": report.simulator, "sim_error": report.sim_error,
        "output_quality": quality.summary(), "totals": totals, **extras, "timings_s": timings,
        "layers": rows,
    }
    if study.output.plots:
        summary["plots"] = plots.layer_plots(name, rows, out, plot_label(name, settings, study.data),
                                             study.simulator.config)
    write_json(os.path.join(out, "summary.json"), summary)
    print_table(summary)
    return summary


def plot_label(name: str, settings: Dict, data: DataChoice) -> str:
    return f"{name}, {data.batches}x{data.batch_size} inputs, {settings['sig_bits']}-bit signatures, {settings['mode']}"


def _calibrate(name: str, exact: torch.nn.Module, run: _Evaluation, study: InferenceStudy, out: str) -> _Evaluation:
    """Calibrates on the first batches; the evaluation keeps the others."""
    n = study.calibration.batches
    if not 0 < n < len(run.batches):
        raise ValueError(f"--calibrate-batches {n} must leave evaluation batches (--batches {study.data.batches})")
    calibrated = operating_point.calibrate(exact, run.batches[:n], study.calibration, study.simulator, out,
                                           lambda m: _say(study.output, f"{name}: {m}"))
    return _Evaluation(run.batches[n:], run.labels[n:] if run.labels else None, run.source, calibrated)


def _run_batches(desc: str, exact: torch.nn.Module, run: _Evaluation, settings: Dict, per_layer, study, out: str):
    """A copy of the model profiled (mercury.profile: one window, its files in `out`) on every batch, against the
    exact model: (quality, exact outputs, the profile's report)."""
    quality = OutputQuality()
    exact_out = []
    model = copy.deepcopy(exact)
    with torch.no_grad(), mercury.profile(model, kinds=DEFAULT_KINDS, per_layer=per_layer, out=out,
                                          config=study.simulator.config, sim=study.simulator.binary,
                                          simulate=study.simulator.enabled, **settings) as prof:
        for i, x in enumerate(progress(run.batches, desc, "batch", quiet=study.output.quiet)):
            exact_out.append(run_example(exact, x))
            quality.add(run_example(model, x), exact_out[-1], run.labels[i] if run.labels else None)
            prof.step()
    report = prof.reports[0]
    if report.sim_error:
        print(f"mercury.study: {desc}: simulator skipped: {report.sim_error}", file=sys.stderr)
    return quality, exact_out, report


_ROW_KEYS = ("layer_id", "name", "mode", "calls", "vectors", "hits", "hit_rate", "baseline_cycles", "mercury_cycles",
             "speedup", "signature_cycles", "lookup_cycles", "baseline_energy_uj", "mercury_energy_uj",
             "own_energy_share", "energy_ratio", "mcache_bytes", "energy_parts")
_TOTAL_KEYS = ("layers", "vectors", "hits", "hit_rate", "baseline_cycles", "mercury_cycles", "speedup",
               "baseline_energy_uj", "mercury_energy_uj", "own_energy_share", "energy_ratio", "mcache_bytes")


def _layer_rows(report):
    """Per-layer rows and the model's totals, from the profile's report (cycles and energy: mercury-sim's)."""
    rows = [{k: r[k] for k in _ROW_KEYS if k in r} for r in report.layers]
    return rows, {k: report.totals[k] for k in _TOTAL_KEYS if k in report.totals}


def _operating_point(name: str, exact, exact_out, run: _Evaluation, quality: OutputQuality, totals: Dict,
                     study: InferenceStudy, out: str, timings: Dict) -> Dict:
    """The summary's calibration, trade-off curve and headroom entries (those asked for)."""
    extras = {}
    calibrated = run.calibrated
    if calibrated is not None:
        extras["calibration"] = {"batches": study.calibration.batches, "targets": calibrated.targets,
                                 "enabled_layers": calibrated.enabled(), "trials": len(calibrated.trials),
                                 "file": os.path.join(out, "calibration.json")}
        if study.calibration.curve and study.simulator.enabled and "speedup" in totals:
            t0 = time.perf_counter()
            points = operating_point.tradeoff_curve(exact, run.batches, exact_out, calibrated.candidates,
                                                    study.simulator, out,
                                                    lambda m: _say(study.output, f"{name}: {m}"))
            here = dict(quality.summary(), hit_rate=totals["hit_rate"], speedup=totals["speedup"])
            extras["tradeoff_curve"] = points
            extras["tradeoff_plot"] = operating_point.plot_curve(name, points, here, out)
            timings["curve_s"] = time.perf_counter() - t0
    if study.calibration.headroom:
        t0 = time.perf_counter()
        _say(study.output, f"{name}: reuse headroom (oracle) on the first evaluation batch")
        extras["headroom"] = operating_point.headroom_bound(exact, run.batches[:1], out,
                                                            lambda m: _say(study.output, f"{name}: {m}"))
        timings["headroom_s"] = time.perf_counter() - t0
    return extras


def _run_any(model: ModelChoice, study: InferenceStudy) -> Dict:
    """run_model, or for a text model (models.zoo.TEXT_MODELS) mercury.study.text_inference's run."""
    from models import zoo
    if zoo.input_kind(model.name) == "text":
        from mercury.study.text_inference import run_text_model
        return run_text_model(model, study)
    return run_model(model, study)


def _say(output: OutputChoice, message: str) -> None:
    if not output.quiet:
        print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------------
# The command line (python3 -m mercury.study)

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
    g.add_argument("--min-cosine", type=float, default=0.99,
                   help="a text model's target: every calibration e-mail's embedding keeps this cosine with the "
                        "exact one (default 0.99)")
    g.add_argument("--max-trials", type=int, default=40,
                   help="model evaluations calibration may spend (default 40); layers not reached stay off")
    g.add_argument("--curve", action="store_true",
                   help="also run every candidate setting on every layer (trade-off curve, tradeoff.png)")
    g.add_argument("--headroom", action="store_true",
                   help="also compute the oracle's reuse headroom on the first evaluation batch (mercury.headroom)")
    cli.add_settings(p)
    cli.add_simulator(p)
    cli.add_output(p, cli.default_out())
    cli.add_device(p)
    return p.parse_args(argv)


def study_from(args: argparse.Namespace) -> InferenceStudy:
    return InferenceStudy(
        settings=mercury.settings.from_args(args), data=cli.data_choice(args),
        calibration=CalibrationChoice(batches=args.calibrate_batches, target_agreement=args.target_agreement,
                                      max_prob_change=args.max_prob_change, max_trials=args.max_trials,
                                      min_cosine=args.min_cosine,
                                      curve=args.curve, headroom=args.headroom),
        simulator=cli.simulator_choice(args), output=cli.output_choice(args), device=args.device)


def main(argv=None) -> int:
    args = parse_args(argv)
    cli.apply_threads(args)
    study = study_from(args)
    summaries = [_run_any(ModelChoice(n, args.weights), study) for n in cli.models_from(args, SHORTHANDS)]
    if len(summaries) > 1:
        write_model_summary(summaries, study.output.folder)
    return 0
