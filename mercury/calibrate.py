"""Calibration: per layer, the cheapest MERCURY settings (scheme, bits, bucket width, or off) that keep a model's
output within a target on calibration batches, guided by each layer's simulated cycle gain.

The procedure (deterministic; every trial is recorded in `Calibration.trials`):
1. The exact model's outputs on the calibration batches.
2. For each candidate (a dict of settings: the defaults below try the paper's sign RPQ, e2lsh and svd at several
   bucket widths), one pass over the batches with every layer in observe mode under that candidate, then
   mercury-sim -m on its hit log: per layer and candidate, the simulated gain = baseline - MERCURY cycles
   (signature and lookup costs included). A candidate whose gain is not positive is never tried for that layer.
3. Greedy, layers in order of their best gain: a layer's candidates with a positive gain are tried from the
   least aggressive (lowest hit rate in that layer) up, each in reuse mode on top of the layers already
   accepted; a candidate passes when the whole model still meets the targets on every calibration batch
   (a classifier: top-1 agreement with the exact model >= target_agreement and largest softmax probability change
   <= max_prob_change; a sentence embedder, with min_cosine given: every text's embedding keeps a cosine
   similarity >= min_cosine with its exact one). The layer keeps the last candidate that passed before the first that failed (more hits
   than a failing setting are assumed to fail too); if the first fails, the layer stays off. At most
   `max_trials` such model evaluations are run; layers not reached stay off.
The result's `per_layer` ({layer id: settings}) is what mercury.convert(..., per_layer=...) and
mercury.rewrite(..., per_layer=...) accept (ids are execution order in both); `save` / `load` keep it as JSON.
`kinds` says which layers are calibrated ('conv2d', 'linear': mercury.convert's option); a batch is a tensor, or a
tuple / dict of inputs (a tokenizer's batch).
"""
import copy
import json
import os
import tempfile
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional, Sequence

import torch
import torch.nn as nn

import mercury
from mercury import settings as mercury_settings
from mercury.convert import configure_layers, layer_table, mercury_layers
from mercury.files import write_json
from mercury.order import DEFAULT_KINDS, example_rows, run_example
from mercury.quality import make_measure
from mercury.simulate import export_hitlog, simulate
from mercury.tools import resolve_config

DEFAULT_CANDIDATES = (
    {"signature": "sign", "sig_bits": 20},
    {"signature": "e2lsh", "sig_bits": 16, "bucket_width": 2.0},
    {"signature": "e2lsh", "sig_bits": 16, "bucket_width": 1.0},
    {"signature": "svd", "sig_bits": 8, "bucket_width": 0.4},
    {"signature": "svd", "sig_bits": 8, "bucket_width": 0.2},
    {"signature": "svd", "sig_bits": 8, "bucket_width": 0.1},
)


@dataclass
class Calibration:
    per_layer: Dict[int, Dict]                 # layer id -> settings (mode "reuse" + the chosen candidate, or "off")
    names: List[str]                           # layer names by id
    targets: Dict
    candidates: List[Dict]
    gains: Dict[int, List[Optional[float]]]    # layer id -> simulated gain (cycles) per candidate
    candidate_totals: List[Dict] = field(default_factory=list)  # per candidate: cycles, hit rate (observe pass)
    trials: List[Dict] = field(default_factory=list)

    def enabled(self) -> List[int]:
        return [lid for lid, s in sorted(self.per_layer.items()) if s["mode"] == "reuse"]

    def to_json(self) -> Dict:
        return {"per_layer": {str(k): v for k, v in sorted(self.per_layer.items())}, "names": self.names,
                "targets": self.targets, "candidates": self.candidates,
                "gains": {str(k): v for k, v in sorted(self.gains.items())},
                "candidate_totals": self.candidate_totals, "trials": self.trials}

    def save(self, path: str) -> str:
        return write_json(path, self.to_json())


def load(path: str) -> Dict[int, Dict]:
    """The per_layer settings of a saved calibration, checked against the settings table."""
    with open(path) as f:
        data = json.load(f)
    try:
        per_layer = data["per_layer"]
    except (KeyError, TypeError):
        raise ValueError(f"{path}: not a mercury calibration file (no 'per_layer')") from None
    return {int(k): mercury_settings.check(v, f"{path}: layer {k}") for k, v in per_layer.items()}


class _Targets:
    """What a calibrated model must keep on every calibration batch: a classifier's top-1 agreement and largest
    probability change, or (min_cosine given) an embedder's smallest cosine similarity with the exact embedding, or
    (quality given) whatever `accept` says of the user's measure."""

    def __init__(self, target_agreement: float, max_prob_change: float, min_cosine: Optional[float],
                 quality: Optional[Callable] = None, accept: Optional[Callable[[Dict], bool]] = None):
        if quality is not None and (not callable(quality) or accept is None):
            raise ValueError("calibrate: quality= is a function (approx_output, exact_output) -> dict of numbers, "
                             "and needs accept= (a function of its summary dict -> bool)")
        self.kind = "function" if quality is not None else "embedding" if min_cosine is not None else "logits"
        self.function, self.accept = quality, accept
        self.values = {"function": lambda: {"quality": getattr(quality, "__qualname__", repr(quality))},
                       "embedding": lambda: {"min_cosine": float(min_cosine)},
                       "logits": lambda: {"top1_agreement": float(target_agreement),
                                          "max_prob_change": float(max_prob_change)}}[self.kind]()

    def quality(self):
        return make_measure(self.function if self.kind == "function" else self.kind)

    def met(self, q: Mapping) -> bool:
        if self.kind == "function":
            return bool(self.accept(q))
        if self.kind == "embedding":
            return q["min_cosine"] >= self.values["min_cosine"]
        return q["top1_agreement"] >= self.values["top1_agreement"] and \
            q["max_prob_change"] <= self.values["max_prob_change"]

    def trial_numbers(self, q: Mapping) -> Dict:
        return dict(q) if self.kind == "function" else {k: q[k] for k in self.values}


def _run(model: nn.Module, batches: Sequence, exact: Sequence, targets: _Targets, stop_early: bool = False) -> Dict:
    """Outputs of `model` against the exact ones; with stop_early, stops at the first batch that misses a target."""
    quality = targets.quality()
    with torch.no_grad():
        for x, ref in zip(batches, exact):
            quality.add(run_example(model, x), ref)
            q = quality.summary()
            if stop_early and not targets.met(q):
                q["stopped_early"] = True
                return q
    return quality.summary()


def calibrate(model: nn.Module, batches: Sequence, target_agreement: float = 0.99,
              max_prob_change: float = 0.05, candidates: Sequence[Mapping] = DEFAULT_CANDIDATES,
              config: Optional[str] = None, sim: Optional[str] = None, max_trials: int = 200,
              workdir: Optional[str] = None, progress=None, kinds: Sequence[str] = DEFAULT_KINDS,
              min_cosine: Optional[float] = None, quality: Optional[Callable] = None,
              accept: Optional[Callable[[Dict], bool]] = None, device=None) -> Calibration:
    """Calibrate a copy of the eager `model` (left unchanged) on `batches`; see the module doc.

    The targets: a classifier's (target_agreement, max_prob_change), an embedder's (min_cosine), or any model's
    with quality= a function (approx_output, exact_output) -> dict of numbers (mercury.quality.FunctionQuality:
    averaged over the batches) and accept= a function of that dict -> bool. config: a shipped config's name or a
    path; device: where the copy runs (default: the model's device); batches are moved there.

    >>> import torch, mercury
    >>> from mercury.calibrate import calibrate
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> model = torch.nn.Sequential(torch.nn.Conv2d(16, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
    ...                             torch.nn.Linear(64 * 16 * 16, 4))
    >>> batches = [torch.zeros(4, 16, 16, 16).index_fill_(2, torch.tensor([3]), 1.0) for _ in range(2)]  # repeats
    >>> def largest_gap(approx, exact):       # your own measure of what reuse does to the output
    ...     return {"gap": (approx - exact).abs().max().item()}
    >>> cal = calibrate(model, batches, quality=largest_gap, accept=lambda q: q["gap"] < 1e-3,
    ...                 candidates=[{"signature": "e2lsh", "sig_bits": 16, "bucket_width": 1.0}])
    >>> cal.targets, sorted(cal.per_layer)
    ({'quality': 'largest_gap'}, [0])
    >>> cal.per_layer[0]["mode"], cal.trials[0]["gap"] < 1e-3
    ('reuse', True)
    """
    if not batches:
        raise ValueError("calibrate needs at least one calibration batch")
    candidates = [mercury_settings.check(dict(c), f"candidate {i}") for i, c in enumerate(candidates)]
    goal = _Targets(target_agreement, max_prob_change, min_cosine, quality, accept)
    work = copy.deepcopy(model).eval()
    if device is not None:
        work.to(device)
    with torch.no_grad():
        exact = [run_example(work, x) for x in batches]
    table = layer_table(mercury.convert(work, example=example_rows(batches[0], 0, 1), mode="off", kinds=kinds))
    names = [row["name"] for row in table]
    gains, hit_rates, candidate_totals = _candidate_gains(work, batches, exact, goal, candidates,
                                                          resolve_config(config), sim, workdir, progress)
    per_layer, trials = _greedy(work, batches, exact, goal, candidates, gains, hit_rates, names, max_trials, progress)
    return Calibration(per_layer, names, goal.values, candidates, gains, candidate_totals, trials)


def _base() -> Dict:
    """The settings' defaults, less the mode."""
    return {k: v for k, v in mercury_settings.defaults().items() if k != "mode"}


def _candidate_gains(work: nn.Module, batches, exact, goal: _Targets, candidates: List[Dict], config: str, sim,
                     workdir, progress):
    """Per layer and candidate: the simulated gain (baseline - MERCURY cycles) and hit rate of an observe pass with
    every layer on the candidate; and per candidate its totals."""
    layers = mercury_layers(work)
    gains: Dict[int, List[Optional[float]]] = {lid: [None] * len(candidates) for lid in range(len(layers))}
    hit_rates: Dict[int, List[float]] = {lid: [0.0] * len(candidates) for lid in range(len(layers))}
    candidate_totals = []
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        for ci, cand in enumerate(candidates):
            configure_layers(work, **dict(_base(), **cand, mode="observe"))
            mercury.hitlog_reset()
            _run(work, batches, exact, goal)
            report = simulate(export_hitlog(os.path.join(tmp, f"c{ci}", "hitlog")), os.path.join(tmp, f"c{ci}", "sim"),
                              config, sim)
            for layer in report.layers:
                gains[layer["layer_id"]][ci] = layer["baseline_cycles"] - layer["mercury_cycles"]
                hit_rates[layer["layer_id"]][ci] = layer["hit_rate"]
            candidate_totals.append(dict(cand, **{k: report.totals[k] for k in
                                                  ("hit_rate", "baseline_cycles", "mercury_cycles", "speedup")}))
            if progress:
                progress(f"candidate {ci + 1}/{len(candidates)} {cand}: observe-pass speedup "
                         f"{report.totals['speedup']:.3f}x, hit rate {report.totals['hit_rate']:.3f}")
    configure_layers(work, **dict(_base(), mode="off"))
    return gains, hit_rates, candidate_totals


def _greedy(work: nn.Module, batches, exact, goal: _Targets, candidates: List[Dict], gains, hit_rates,
            names: List[str], max_trials: int, progress):
    """Step 3 of the module doc: layers in order of their best gain, each with the most aggressive candidate that
    keeps the targets on top of the layers already accepted. Returns (per_layer, trials)."""
    layers = mercury_layers(work)
    per_layer: Dict[int, Dict] = {lid: {"mode": "off"} for lid in range(len(layers))}
    trials: List[Dict] = []
    order = sorted(range(len(layers)), key=lambda lid: -max((g for g in gains[lid] if g is not None), default=0))
    for lid in order:
        ranked = sorted((ci for ci, g in enumerate(gains[lid]) if g is not None and g > 0),
                        key=lambda ci: hit_rates[lid][ci])
        for ci in ranked:
            if len(trials) >= max_trials:
                break
            layers[lid].configure(**dict(_base(), **candidates[ci], mode="reuse"))
            q = _run(work, batches, exact, goal, stop_early=True)
            ok = not q.get("stopped_early") and goal.met(q)
            trials.append({"layer_id": lid, "candidate": ci, "gain_cycles": gains[lid][ci], "accepted": ok,
                           **goal.trial_numbers(q)})
            if progress:
                progress(f"trial {len(trials)}/{max_trials}: layer {lid} ({names[lid]}) candidate {ci}: "
                         + ("kept" if ok else "misses the targets"))
            if not ok:
                break
            per_layer[lid] = dict(candidates[ci], mode="reuse")
        # the layer runs with what it kept (the last candidate that passed), or off
        layers[lid].configure(**dict(_base(), **per_layer[lid]))
        if progress and per_layer[lid]["mode"] == "reuse":
            progress(f"layer {lid} ({names[lid]}): {per_layer[lid]}")
    return per_layer, trials
