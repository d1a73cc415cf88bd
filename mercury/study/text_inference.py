"""The inference study of a text model (models.zoo.TEXT_MODELS: the trained all-MiniLM-L6-v2 sentence embedder),
end to end: e-mails -> mercury.convert (every nn.Linear a mercury::linear layer) -> hit log, plus attention's
matmuls at baseline (mercury.matmuls) -> mercury-sim -t TOPOLOGY -m HITLOG -> per-layer hit rates, cycles and
speedups, and what reuse did to the output, on held-out e-mails: each embedding's cosine with the exact one (mean,
minimum), nearest-neighbour agreement against the training e-mails, and the ham/spam accuracy of a probe fitted
on exact embeddings (mercury.study.text_quality). With --calibrate-batches, mercury.calibrate picks per layer the
cheapest settings that keep every calibration e-mail's cosine >= --min-cosine; --curve puts every layer on each
candidate setting in turn.

Files in OUT/<model>/ as for the image models (layers.csv, summary.json, hitlog/, sim/, topology.csv, plots).
"""
import copy
import os
import time
from typing import Dict, List, Optional

import torch

import mercury
from mercury import calibrate as calibration
from mercury.files import write_csv, write_json
from mercury.hitlog import layer_totals
from mercury.matmuls import activation_matmuls, matmul_layers, write_matmul_hitlogs
from mercury.order import ALL_KINDS, run_example
from mercury.quality import EmbeddingQuality
from mercury.simulate import export_hitlog, mcache_flags, simulate
from mercury.study import plots
from mercury.study.choices import ModelChoice
from mercury.study.inputs import weights_label
from mercury.study.text_inputs import TextBatches, text_inputs
from mercury.study.text_quality import Probe, neighbour_agreement
from mercury.study.text_report import LAYER_COLUMNS, plot_text_curve, print_text_table
from mercury import topology


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


class _Layout:
    """The model's layers as topology rows (its linear layers, then attention's matmuls, mercury.matmuls) from one
    forward of the exact model: the same for every setting, so taken once. A layer left off has no hit log and is
    simulated at baseline from its row."""

    def __init__(self, exact, example):
        self.matmuls = activation_matmuls(exact, example)
        linears = topology.model_layers(exact, example, ALL_KINDS)
        self.first_matmul = len(linears)  # the matmuls' ids follow the MERCURY layers'
        self.rows = linears + matmul_layers(self.matmuls, self.first_matmul)


def _simulate(layout: _Layout, table: List[Dict], out: str, study) -> Dict:
    """The hit log of the last evaluation pass, attention's matmuls beside it, through mercury-sim."""
    totals = layer_totals(mercury.hitlog())
    hit_dir = export_hitlog(os.path.join(out, "hitlog"))
    write_matmul_hitlogs(layout.matmuls, hit_dir, layout.first_matmul)
    topo = topology.write_topology(layout.rows, os.path.join(out, "topology.csv"))
    report = simulate(hit_dir, os.path.join(out, "sim"), study.simulator.config, study.simulator.binary,
                      topology=topo, extra=mcache_flags(study.settings))
    off = {"calls": 0, "vectors": 0, "hits": 0}
    names = [layer.name for layer in layout.rows]
    rows = []
    for layer, lname in zip(report.layers, names):
        lid = layer["layer_id"]
        kind = table[lid]["kind"] if lid < len(table) else "matmul"
        counts = totals.get(lid, off)
        rows.append({"layer_id": lid, "name": lname, "kind": kind,
                     "mode": table[lid]["mode"] if lid < len(table) else "baseline",
                     **{k: counts[k] for k in off},
                     "hit_rate": counts["hits"] / counts["vectors"] if counts["vectors"] else 0.0,
                     **{k: layer[k] for k in ("baseline_cycles", "mercury_cycles", "speedup", *_ENERGY)}})
    untouched = sum(r["baseline_cycles"] for r in rows if r["kind"] == "matmul")
    model_totals = {k: report.totals[k] for k in ("layers", "vectors", "hits", "hit_rate", "baseline_cycles",
                                                   "mercury_cycles", "speedup", *_ENERGY)}
    model_totals["untouched_share"] = untouched / report.totals["baseline_cycles"]
    return {"rows": rows, "totals": model_totals, "command": " ".join(report.command)}


def _run(model, inputs, reference: _Reference) -> Dict:
    mercury.hitlog_reset()
    return reference.quality(_embed(model, inputs.evaluation))


def _headroom(exact, inputs, out: str) -> Dict:
    """The oracle's bound (mercury.headroom) on the linear layers, first evaluation batch."""
    from mercury.headroom import headroom
    result = headroom(exact, inputs.evaluation.batches[:1], thresholds=(0.02, 0.05, 0.1), kinds=ALL_KINDS,
                      embedding=True)
    write_json(os.path.join(out, "headroom.json"), result)
    return result["model"]


def _calibrate(exact, inputs, study, out: str) -> Optional[calibration.Calibration]:
    if not study.calibration.batches:
        return None
    cal = calibration.calibrate(exact, inputs.calibration.batches, kinds=ALL_KINDS,
                                min_cosine=study.calibration.min_cosine, config=study.simulator.config,
                                sim=study.simulator.binary, max_trials=study.calibration.max_trials)
    cal.save(os.path.join(out, "calibration.json"))
    return cal


def _curve(exact, inputs, reference: _Reference, layout: _Layout, candidates, study, out: str) -> List[Dict]:
    """Every layer on one candidate in turn: what it does to the output and its simulated speedup."""
    points = []
    for i, cand in enumerate(candidates):
        model = copy.deepcopy(exact)
        table = mercury.convert(model, example=inputs.evaluation.batches[0], kinds=ALL_KINDS,
                                **dict(study.settings, **cand, mode="reuse"))
        quality = _run(model, inputs, reference)
        sim = _simulate(layout, table, os.path.join(out, "curve", f"c{i}"), study)
        points.append(dict(cand, **quality, hit_rate=sim["totals"]["hit_rate"], speedup=sim["totals"]["speedup"]))
    return points


def run_text_model(choice: ModelChoice, study) -> Dict:
    """The study of one text model; writes OUT/<model>/ and prints its table; returns its summary."""
    from models import zoo
    name = choice.name
    out = os.path.join(study.output.folder, name)
    os.makedirs(out, exist_ok=True)
    timings, t0 = {}, time.perf_counter()
    inputs = text_inputs(study.data, study.calibration.batches)
    exact = zoo.build(name).eval()
    reference = _Reference(exact, inputs)
    layout = _Layout(exact, inputs.evaluation.batches[0])
    timings["data_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    cal = _calibrate(exact, inputs, study, out)
    settings = dict(study.settings, mode="off") if cal else study.settings
    timings["calibrate_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    model = copy.deepcopy(exact)
    table = mercury.convert(model, example=inputs.evaluation.batches[0], kinds=ALL_KINDS,
                            per_layer=cal.per_layer if cal else None, **settings)
    quality = _run(model, inputs, reference)
    timings["run_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    sim = _simulate(layout, table, out, study)
    timings["sim_s"] = time.perf_counter() - t0
    summary = {"model": name, "weights": weights_label(choice), "data": inputs.description,
               "batches": study.data.batches, "batch_size": study.data.batch_size, "settings": settings,
               "config": study.simulator.config, "simulator": sim["command"], "output_quality": quality,
               "totals": sim["totals"], "layers": sim["rows"]}
    if cal:
        summary["calibration"] = {"batches": study.calibration.batches, "targets": cal.targets,
                                  "enabled_layers": cal.enabled(), "trials": len(cal.trials),
                                  "file": os.path.join(out, "calibration.json")}
    if study.calibration.headroom:
        t0 = time.perf_counter()
        summary["headroom"] = _headroom(exact, inputs, out)
        timings["headroom_s"] = time.perf_counter() - t0
    if study.calibration.curve:
        t0 = time.perf_counter()
        summary["tradeoff_curve"] = _curve(exact, inputs, reference, layout, calibration.DEFAULT_CANDIDATES, study,
                                           out)
        if study.output.plots:
            summary["tradeoff_plot"] = plot_text_curve(name, summary["tradeoff_curve"], quality, sim["totals"], out)
        timings["curve_s"] = time.perf_counter() - t0
    summary["timings_s"] = dict(timings, total_s=sum(timings.values()))
    write_csv(os.path.join(out, "layers.csv"), LAYER_COLUMNS, ([r.get(h) for h in LAYER_COLUMNS] for r in sim["rows"]))
    if study.output.plots:
        summary["plots"] = plots.layer_plots(name, sim["rows"], out, settings, study.data, study.simulator.config)
    write_json(os.path.join(out, "summary.json"), summary)
    print_text_table(summary)
    return summary
