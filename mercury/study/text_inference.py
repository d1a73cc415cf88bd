"""The inference study of a text model (models.zoo.TEXT_MODELS: the trained all-MiniLM-L6-v2 sentence embedder),
end to end: e-mails -> mercury.profile (every nn.Linear a mercury::linear layer, attention's matmuls at baseline;
its hit log through mercury-sim) -> per-layer hit rates, cycles and speedups, and what reuse did to the output, on held-out e-mails: each embedding's cosine with the exact one (mean,
minimum), nearest-neighbour agreement against the training e-mails, and the ham/spam accuracy of a probe fitted
on exact embeddings (mercury.study.text_quality). With --calibrate-batches, mercury.calibrate picks per layer the
cheapest settings that keep every calibration e-mail's cosine >= --min-cosine; --curve puts every layer on each
candidate setting in turn.

Files in OUT/<model>/ as for the image models (layers.csv, summary.json, hitlog/, sim/, topology.csv, plots).
"""
import copy
import os
import sys
import time
from typing import Dict, List, Optional

import torch

import mercury
from mercury import calibrate as calibration
from mercury import plots
from mercury.files import write_csv, write_json
from mercury.order import ALL_KINDS, run_example
from mercury.quality import EmbeddingQuality
from mercury.study import operating_point
from mercury.study.choices import ModelChoice
from mercury.study.inference import plot_label
from mercury.study.inputs import weights_label
from mercury.study.text_inputs import TextBatches, text_inputs
from mercury.study.text_quality import Probe, neighbour_agreement
from mercury.study.text_report import LAYER_COLUMNS, plot_text_curve, print_text_table


_ENERGY = ("baseline_energy_uj", "mercury_energy_uj", "own_energy_share", "energy_ratio", "mcache_bytes")


def _embed(model, data: TextBatches) -> List[torch.Tensor]:
    with torch.no_grad():
        return [run_example(model, x) for x in data.batches]


class _Reference:
    """The exact model's embeddings of the evaluation and probe e-mails, and the probe fitted on the latter."""

    def __init__(self, exact, inputs):
        self.evaluation = _embed(exact, inputs.evaluation)
        self.database = torch.cat(_embed(exact, inputs.probe_training))
        self.probe = Probe(self.database, torch.cat(inputs.probe_training.labels))
        self.labels = torch.cat(inputs.evaluation.labels)

    def quality(self, approx: List[torch.Tensor]) -> Dict:
        """What reuse did, on the evaluation e-mails."""
        cosine = EmbeddingQuality()
        for a, e in zip(approx, self.evaluation):
            cosine.add(a, e)
        exact, reused = torch.cat(self.evaluation), torch.cat(approx)
        return {**cosine.summary(), **neighbour_agreement(exact, reused, self.database),
                "probe_accuracy": self.probe.accuracy(reused, self.labels),
                "probe_accuracy_exact": self.probe.accuracy(exact, self.labels)}


_ROW_KEYS = ("layer_id", "name", "kind", "mode", "calls", "vectors", "hits", "hit_rate", "baseline_cycles",
             "mercury_cycles", "speedup", *_ENERGY)


def _profiled_run(exact, inputs, reference: _Reference, out: str, study, per_layer=None, **settings) -> Dict:
    """A copy of the model profiled (mercury.profile: every nn.Linear a MERCURY layer, attention's matmuls at
    baseline; one window, its files in `out`) on the evaluation e-mails: what reuse did to their embeddings, and
    the simulated rows and totals."""
    model = copy.deepcopy(exact)
    embeddings = []
    with torch.no_grad(), mercury.profile(model, kinds=ALL_KINDS, per_layer=per_layer, out=out,
                                          config=study.simulator.config, sim=study.simulator.binary,
                                          **settings) as prof:
        for x in inputs.evaluation.batches:
            embeddings.append(run_example(model, x))
            prof.step()
    report = prof.reports[0]
    if report.sim_error:
        raise RuntimeError(report.sim_error)
    model_totals = {k: report.sim.totals[k] for k in ("layers", "vectors", "hits", "hit_rate", "baseline_cycles",
                                                       "mercury_cycles", "speedup", *_ENERGY)}
    model_totals["untouched_share"] = report.totals["untouched_share"]
    return {"quality": reference.quality(embeddings), "rows": [{k: r[k] for k in _ROW_KEYS} for r in report.layers],
            "totals": model_totals, "command": report.simulator}


def _calibrate(exact, inputs, study, out: str, say) -> Optional[calibration.Calibration]:
    if not study.calibration.batches:
        return None
    cal = calibration.calibrate(exact, inputs.calibration.batches, kinds=ALL_KINDS,
                                min_cosine=study.calibration.min_cosine, config=study.simulator.config,
                                sim=study.simulator.binary, max_trials=study.calibration.max_trials, progress=say)
    cal.save(os.path.join(out, "calibration.json"))
    return cal


def _curve(exact, inputs, reference: _Reference, candidates, study, out: str, say) -> List[Dict]:
    """Every layer on one candidate in turn: what it does to the output and its simulated speedup."""
    points = []
    for i, cand in enumerate(candidates):
        run = _profiled_run(exact, inputs, reference, os.path.join(out, "curve", f"c{i}"), study,
                            **dict(study.settings, **cand, mode="reuse"))
        points.append(dict(cand, **run["quality"], hit_rate=run["totals"]["hit_rate"],
                           speedup=run["totals"]["speedup"]))
        say(f"curve {i + 1}/{len(candidates)} {cand}: hit rate {run['totals']['hit_rate']:.3f}, speedup "
            f"{run['totals']['speedup']:.3f}x, min cosine {run['quality']['min_cosine']:.4f}")
    return points


def run_text_model(choice: ModelChoice, study) -> Dict:
    """The study of one text model; writes OUT/<model>/ and prints its table; returns its summary."""
    from models import zoo
    name = choice.name
    out = os.path.join(study.output.folder, name)
    os.makedirs(out, exist_ok=True)
    say = _progress(study, name)
    timings, t0 = {}, time.perf_counter()
    say("reading and tokenizing the e-mails; exact embeddings and the ham/spam probe")
    inputs = text_inputs(study.data, study.calibration.batches)
    say("e-mails tokenized; embedding them with the exact model and fitting the probe")
    exact = zoo.build(name).eval().to(study.device)
    reference = _Reference(exact, inputs)
    timings["data_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if study.calibration.batches:
        say(f"calibrating on {study.calibration.batches} batch(es)")
    cal = _calibrate(exact, inputs, study, out, say)
    settings = dict(study.settings, mode="off") if cal else study.settings
    timings["calibrate_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    run = _profiled_run(exact, inputs, reference, out, study, per_layer=cal.per_layer if cal else None, **settings)
    timings["run_s"] = time.perf_counter() - t0
    summary = {"model": name, "weights": weights_label(choice), "data": inputs.description,
               "batches": study.data.batches, "batch_size": study.data.batch_size, "settings": settings,
               "config": study.simulator.config, "device": study.device, "simulator": run["command"],
               "output_quality": run["quality"], "totals": run["totals"], "layers": run["rows"]}
    if cal:
        summary["calibration"] = {"batches": study.calibration.batches, "targets": cal.targets,
                                  "enabled_layers": cal.enabled(), "trials": len(cal.trials),
                                  "file": os.path.join(out, "calibration.json")}
    if study.calibration.headroom:
        t0 = time.perf_counter()
        say("reuse headroom (oracle) on the first evaluation batch")
        # the oracle's bound on the linear layers, first evaluation batch
        summary["headroom"] = operating_point.headroom_bound(exact, inputs.evaluation.batches[:1], out, say,
                                                             kinds=ALL_KINDS, embedding=True)
        timings["headroom_s"] = time.perf_counter() - t0
    if study.calibration.curve:
        t0 = time.perf_counter()
        summary["tradeoff_curve"] = _curve(exact, inputs, reference, calibration.DEFAULT_CANDIDATES, study, out, say)
        if study.output.plots:
            summary["tradeoff_plot"] = plot_text_curve(name, summary["tradeoff_curve"], run["quality"],
                                                       run["totals"], out)
        timings["curve_s"] = time.perf_counter() - t0
    return _write(summary, dict(timings, total_s=sum(timings.values())), study, out)


def _write(summary: Dict, timings: Dict, study, out: str) -> Dict:
    """layers.csv, plots, summary.json, and the table."""
    summary["timings_s"] = timings
    write_csv(os.path.join(out, "layers.csv"), LAYER_COLUMNS, ([r.get(h) for h in LAYER_COLUMNS]
                                                                for r in summary["layers"]))
    if study.output.plots:
        label = plot_label(summary["model"], summary["settings"], study.data)
        summary["plots"] = plots.layer_plots(summary["model"], summary["layers"], out, label, study.simulator.config)
    write_json(os.path.join(out, "summary.json"), summary)
    print_text_table(summary)
    return summary


def _progress(study, name: str):
    """Progress lines on stderr (quiet: none): the text study's steps take tens of seconds each."""
    start = time.perf_counter()

    def say(message: str) -> None:
        if not study.output.quiet:
            print(f"{name}: {message} ({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)
    return say
