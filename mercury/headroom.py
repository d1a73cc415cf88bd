"""Reuse headroom: an oracle of how much convolution (and linear-layer) work ANY signature scheme could reuse
without changing a layer's output much.

Linear layers (kinds=('linear',) or both, as mercury.convert's option): a vector is one input row x_p (every leading
dim flattened, in order), its output row y_p = W x_p; one group. Everything below applies to them as to convs.

For every nn.Conv2d call of an eager model (in execution order, ``mercury.order.conv_calls``) and every batch, the
layer's vectors are its im2col patches x_p (one per output position p = (n, oh, ow), in that lookup order, and per
group: C/G*kh*kw values) and its output rows are y_p = W x_p (no bias; Cout/G values per patch and group). For
each position p the oracle finds the best EARLIER position s < p of the same layer, group and batch -- the one
minimising ||y_p - y_s|| = ||W (x_p - x_s)|| -- and calls p reusable at threshold t when

    ||y_p - y_s|| / ||y_p|| <= t + tol          (a zero row y_p: reusable only by an exactly equal row).

tol is the rounding of the device that computed the activations: an earlier row that equals x_p up to that
rounding is an exact repeat. Two rows equal in exact arithmetic come out of the layer before bit-identical only
where the processor computed them the same way, and it need not: on an AVX2 processor a float32 GEMM computes
some rows with another kernel than others (seen: identical rows 1e-8 apart), and a GPU sums in other orders
again. So tol defaults to REPEAT_ULPS units in the last place of the activations' dtype (float32: 7.6e-6), and
never less than 1e-9 (the float64 re-measure's own rounding).

Depthwise convs (Cout/G = 1, row_width 1 in the result) compare scalars: almost every position has an earlier
output within a few percent, so their fractions are high by construction.

A signature scheme can only do worse than this oracle (it must decide from a short signature of x_p, and it sees
only what its cache still holds), so the removable-MAC fractions are an upper bound for MERCURY at the same error
threshold. Note the metric is on the OUTPUT row: a scaled copy 3*x of an earlier patch is close in direction but
its output row differs by 2x, so it is not reusable at small t.

Search. Exact nearest-earlier search over all P positions costs ~P*P*Cout; it is done exactly when P*P*Cout <=
``budget`` (per layer and batch). Otherwise ``sample`` positions are drawn uniformly (seeded, without
replacement; the same positions for every group) and, for each, all earlier positions are searched exactly. The
search runs in chunked matmuls on the output rows in the activation dtype (||a-b||^2 = ||a||^2 + ||b||^2 - 2 a.b),
keeps the ``candidates`` closest earlier rows, and re-measures those in float64 (from a float64 conv of the same
input) to pick the best one and its error: the float32 formula alone cannot tell an exact repeat from a near one.

Fractions. A reusable (position, group) pair removes Cout/G * C/G*kh*kw MACs, the same amount for every pair of a
layer, so a layer's removable-MAC fraction equals its reusable-pair fraction; the model figure is MAC-weighted.
Sampled layers report the sample's fraction (an estimate; ``sample_size`` says how many positions it rests on).

End to end (``end_to_end=True``). The model is run again per threshold with forward hooks that replace each conv's
output rows at the reusable (position, group) pairs by the output row the same conv computed at the chosen earlier
position in this run (no chaining: the earlier row is the conv's own result there, reused or not). Which position
reuses which is decided once, on the exact model's activations; in sampled layers reuse is applied only at the
sampled positions (the end-to-end figure then understates the reuse the fractions promise). Reported: top-1
agreement with the exact model, mean logits relative L2 error, largest softmax probability change
(mercury.quality.OutputQuality).

Everything runs under torch.no_grad() in eval mode (every module's training flag is restored afterwards), and is
deterministic: the sample of layer l in batch b is drawn from a generator seeded with (seed, l, b).
"""
import math
import time
from typing import Dict, Iterable, List, Optional, Sequence

import torch
import torch.nn as nn

from mercury.order import DEFAULT_KINDS, example_size, layer_calls, layer_kind, run_example
from mercury.quality import EmbeddingQuality, OutputQuality

DEFAULT_THRESHOLDS = (0.02, 0.05, 0.1)
# An exact repeat: an earlier output row within this many units in the last place of the activations' dtype.
REPEAT_ULPS = 64
FLOAT64_SLACK = 1e-9


def repeat_tolerance(dtype: torch.dtype) -> float:
    """The relative output-row error below which an earlier row is an exact repeat of x_p, for activations of
    `dtype`: REPEAT_ULPS of its rounding (float32: 7.6e-6), at least FLOAT64_SLACK."""
    return max(FLOAT64_SLACK, REPEAT_ULPS * torch.finfo(dtype).eps)


def threshold_key(t: float) -> str:
    """The JSON key of a threshold: '%g' ('0.05', '0.1', '10', '0')."""
    return f"{float(t):g}"


def _logits(out):
    if isinstance(out, torch.Tensor):
        return out
    if hasattr(out, "logits"):
        return out.logits
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], torch.Tensor):
        return out[0]
    raise TypeError(f"headroom: cannot find the logits in a model output of type {type(out).__name__}")


def _conv_no_bias(m: nn.Conv2d, x: torch.Tensor, dtype: Optional[torch.dtype] = None) -> torch.Tensor:
    """The conv's output without bias (padding modes and padding='same' handled by nn.Conv2d itself)."""
    w = m.weight
    if dtype is not None:
        x, w = x.to(dtype), w.to(dtype)
    return nn.Conv2d._conv_forward(m, x, w, None)


def output_rows(m: nn.Module, x: torch.Tensor, dtype: Optional[torch.dtype] = None) -> torch.Tensor:
    """y_p = W x_p for every group and position: [G, P, Cout/G], P = N*OH*OW in lookup order (n, oh, ow); for an
    nn.Linear [1, rows, out_features]."""
    if isinstance(m, nn.Linear):
        w = m.weight if dtype is None else m.weight.to(dtype)
        rows = x.reshape(-1, x.shape[-1])
        return (rows if dtype is None else rows.to(dtype)).matmul(w.t())[None].contiguous()
    y = _conv_no_bias(m, x, dtype)
    n, cout, oh, ow = y.shape
    g = m.groups
    return y.reshape(n, g, cout // g, oh * ow).permute(1, 0, 3, 2).reshape(g, n * oh * ow, cout // g).contiguous()


def nearest_earlier(rows: torch.Tensor, rows64: torch.Tensor, queries: torch.Tensor, candidates: int = 4,
                    chunk_bytes: int = 64 << 20):
    """For every group g and query position p (sorted LongTensor), the earlier position s < p minimising
    ||rows[g, p] - rows[g, s]||. rows: [G, P, D] (search dtype), rows64: the same rows in float64 (re-measure).
    Returns (best [G, Q] long, -1 where p has no earlier position; dist [G, Q] float64, inf there)."""
    G, P, D = rows.shape
    Q = len(queries)
    device = rows.device
    best = torch.full((G, Q), -1, dtype=torch.long, device=device)
    dist = torch.full((G, Q), float("inf"), dtype=torch.float64, device=device)
    norms = (rows * rows).sum(-1)                                     # [G, P]
    gidx = torch.arange(G, device=device)[:, None, None]
    chunk = max(1, chunk_bytes // (4 * rows.element_size() * G * max(P, 1)))
    for i in range(0, Q, chunk):
        q = queries[i:i + chunk]
        cols = int(q[-1])                                             # earlier positions: s < max(q)
        if cols == 0:
            continue
        d2 = torch.baddbmm(norms[:, q, None] + norms[:, None, :cols], rows[:, q], rows[:, :cols].transpose(1, 2),
                           beta=1, alpha=-2)                          # [G, c, cols]
        d2.masked_fill_(torch.arange(cols, device=device)[None, None, :] >= q[None, :, None], float("inf"))
        k = min(candidates, cols)
        cand = d2.topk(k, dim=-1, largest=False).indices              # [G, c, k]
        valid = cand < q[None, :, None]
        diff = rows64[gidx, cand] - rows64[:, q][:, :, None, :]       # [G, c, k, D]
        e = diff.pow(2).sum(-1).sqrt().masked_fill(~valid, float("inf"))
        m, j = e.min(-1)
        b = cand.gather(-1, j[..., None]).squeeze(-1)
        found = torch.isfinite(m)
        best[:, i:i + len(q)] = torch.where(found, b, torch.full_like(b, -1))
        dist[:, i:i + len(q)] = m
    return best, dist


def relative_errors(rows64: torch.Tensor, queries: torch.Tensor, dist: torch.Tensor) -> torch.Tensor:
    """||y_p - y_s|| / ||y_p|| per group and query ([G, Q] float64); a zero row y_p: 0 when y_s equals it, else inf."""
    norm = rows64[:, queries].norm(dim=-1)
    rel = dist / norm
    zero = norm == 0
    rel[zero] = torch.where(dist[zero] == 0, torch.zeros_like(dist[zero]), torch.full_like(dist[zero], float("inf")))
    return rel


def _layer_macs(m: nn.Module, out_shape: Sequence[int]) -> int:
    if isinstance(m, nn.Linear):
        return int(math.prod(out_shape[:-1]) * m.in_features * m.out_features)
    n, cout, oh, ow = out_shape
    kh, kw = m.kernel_size
    return int(n * oh * ow * cout * (m.in_channels // m.groups) * kh * kw)


class _Reuse:
    """Forward hooks that apply a fixed reuse map per layer call (dst (group*P + p) <- src (group*P + s))."""

    def __init__(self, model: nn.Module, maps: List[Optional[tuple]], kinds: Sequence[str] = DEFAULT_KINDS):
        self.maps, self.calls = maps, 0
        self.handles = [m.register_forward_hook(self._hook) for m in model.modules() if layer_kind(m) in kinds]

    def _hook(self, m, inputs, out):
        lid = self.calls
        self.calls += 1
        if lid >= len(self.maps):
            raise RuntimeError("headroom: the model made more layer calls than in the exact pass "
                               "(data-dependent control flow is not supported)")
        if self.maps[lid] is None:
            return None
        dst, src = self.maps[lid]
        if isinstance(m, nn.Linear):
            o = out.reshape(-1, out.shape[-1])
            new = o.clone()
            new[dst] = o[src]
            return new.reshape(out.shape)
        n, cout, oh, ow = out.shape
        g = m.groups
        d = cout // g
        o = out.reshape(n, g, d, oh * ow).permute(1, 0, 3, 2).reshape(g * n * oh * ow, d)
        new = o.clone()
        new[dst] = o[src]
        return new.reshape(g, n, oh * ow, d).permute(1, 0, 3, 2).reshape(n, cout, oh, ow).contiguous()

    def remove(self):
        for h in self.handles:
            h.remove()


@torch.no_grad()
def analyse_layer(m: nn.Module, x: torch.Tensor, budget: float = 2e9, sample: int = 2048,
                  generator: Optional[torch.Generator] = None, candidates: int = 4,
                  chunk_bytes: int = 64 << 20) -> Dict:
    """The oracle on one conv call: m's input x. Returns {positions, groups, macs, sampled, queries (positions
    searched, sorted), best [G, Q], rel [G, Q]} (tensors; see module doc)."""
    rows = output_rows(m, x)
    rows64 = output_rows(m, x, torch.float64)
    G, P, D = rows.shape
    sampled = float(P) * P * G * D > budget and sample < P
    if sampled:
        queries = torch.randperm(P, generator=generator)[:sample].sort().values
    else:
        queries = torch.arange(P)
    on_device = queries.to(rows.device)  # the search runs where the layer does; the counts below on the CPU
    best, dist = nearest_earlier(rows, rows64, on_device, candidates, chunk_bytes)
    rel = relative_errors(rows64, on_device, dist)
    best, rel = best.cpu(), rel.cpu()
    out_shape = ((*x.shape[:-1], m.out_features) if isinstance(m, nn.Linear) else
                 (x.shape[0], m.out_channels) + tuple(_conv_no_bias(m, x[:1]).shape[2:]))
    return {"positions": P, "groups": G, "macs": _layer_macs(m, out_shape), "sampled": sampled, "queries": queries,
            "best": best, "rel": rel}


def headroom(model: nn.Module, batches: Iterable, thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
             budget: float = 2e9, sample: int = 2048, seed: int = 0, end_to_end: bool = True,
             tol: Optional[float] = None,
             candidates: int = 4, chunk_bytes: int = 64 << 20, progress=None, kinds: Sequence[str] = DEFAULT_KINDS,
             embedding: bool = False) -> Dict:
    """Oracle reuse headroom of `model` (eager; its layers of `kinds`) on `batches` (an iterable of inputs: tensors,
    or tuples / dicts of them, as mercury.order.run_example takes).
    embedding: the model returns sentence embeddings, so the end-to-end figures are cosines with the exact ones
    (mercury.quality.EmbeddingQuality) rather than a classifier's agreement.

    thresholds: relative output-row errors t; budget: exact search when P*P*Cout <= budget (per layer and batch),
    else `sample` seeded positions; tol: slack added to t, by default repeat_tolerance() of each layer's input
    dtype (rows equal up to the rounding that computed them are exact repeats; see the module doc);
    candidates: closest earlier rows (float formula) re-measured in float64; progress: optional callable(str).
    Returns a JSON-serialisable dict (threshold keys are threshold_key(t) strings):
      {"thresholds", "settings", "layers": [{"layer_id", "name", "positions", "groups", "macs", "sampled",
       "sample_size", "reusable_positions": {t: frac}, "removable_macs": {t: frac}, "batches": [...]}, ...],
       "model": {"macs", "removable_macs": {t: frac}, "end_to_end": {t: {top1_agreement, logit_rel_l2,
       max_prob_change, images}}}, "images", "batches", "wall_s", "notes"}"""
    keys = _check_thresholds(thresholds, sample)
    thresholds = [float(t) for t in thresholds]
    say = progress or (lambda s: None)
    t0 = time.time()
    modes = [(m, m.training) for m in model.modules()]
    layers: List[Dict] = []
    quality = {k: EmbeddingQuality() if embedding else OutputQuality() for k in keys}
    n_images = n_batches = 0
    try:
        model.eval()
        with torch.no_grad():
            for b, x in enumerate(batches):
                n_batches += 1
                n_images += example_size(x)
                calls = layer_calls(model, x, kinds, keep_inputs=True)
                model.eval()
                if b == 0:
                    layers = [_new_layer(c, keys) for c in calls]
                elif len(calls) != len(layers) or any(c.name != L["name"] for c, L in zip(calls, layers)):
                    raise RuntimeError(f"headroom: batch {b} made a different sequence of layer calls")
                maps = {k: [] for k in keys}
                for c, L in zip(calls, layers):
                    gen = torch.Generator().manual_seed(((seed * 1_000_003 + c.layer_id) * 10_007 + b) % (1 << 62))
                    r = analyse_layer(c.module, c.input, budget, sample, gen, candidates, chunk_bytes)
                    slack = repeat_tolerance(c.input.dtype) if tol is None else tol
                    c.input = None
                    per_batch = _count_reusable(L, r, thresholds, keys, slack, maps if end_to_end else None)
                    how = f"sampled {per_batch['sample_size']}" if r["sampled"] else "exact"
                    say(f"batch {b} layer {c.layer_id} {c.name}: P={r['positions']} G={r['groups']} {how} reusable "
                        + " ".join(f"{k}:{per_batch['reusable_positions'][k]:.3f}" for k in keys))
                if end_to_end:
                    _run_with_reuse(model, x, maps, len(calls), quality, kinds)
    finally:
        for m, training in modes:
            m.training = training
    if n_batches == 0:
        raise ValueError("headroom: no batches given")
    settings = {"budget": budget, "sample": sample, "seed": seed,
                "tol": "repeat_tolerance(input dtype)" if tol is None else tol, "candidates": candidates,
                "end_to_end": end_to_end}
    result = _result(layers, keys, settings, n_images, n_batches)
    if end_to_end:
        result["model"]["end_to_end"] = {k: quality[k].summary() for k in keys}
    result["wall_s"] = round(time.time() - t0, 3)
    return result


def _check_thresholds(thresholds: Sequence[float], sample: int) -> List[str]:
    """The thresholds' JSON keys, after checking the thresholds and the sample size."""
    thresholds = [float(t) for t in thresholds]
    if not thresholds:
        raise ValueError("headroom: give at least one threshold")
    if any(t < 0 for t in thresholds):
        raise ValueError(f"headroom: thresholds must be >= 0, got {thresholds}")
    if sample < 1:
        raise ValueError(f"headroom: sample must be >= 1, got {sample}")
    return [threshold_key(t) for t in thresholds]


def _new_layer(call, keys: Sequence[str]) -> Dict:
    """A layer's running counts over the batches (the keys starting with _ are dropped from the result)."""
    m = call.module
    groups = getattr(m, "groups", 1)
    width = m.out_features if isinstance(m, nn.Linear) else m.out_channels // groups
    return {"layer_id": call.layer_id, "name": call.name, "kind": call.kind, "positions": 0, "groups": groups,
            "row_width": width, "macs": 0, "sampled": False, "sample_size": 0, "_pairs": 0,
            "_reusable": {k: 0 for k in keys}, "batches": []}


def _count_reusable(L: Dict, r: Dict, thresholds: Sequence[float], keys: Sequence[str], tol: float,
                    maps: Optional[Dict[str, List]]) -> Dict:
    """Adds one batch's analyse_layer result `r` to the layer's counts `L`; with `maps`, appends the layer's
    (destination, source) rows of every threshold for the end-to-end run. Returns the batch's own record."""
    G, P, Q = r["groups"], r["positions"], len(r["queries"])
    L["positions"] += P
    L["macs"] += r["macs"]
    L["sampled"] = L["sampled"] or r["sampled"]
    L["sample_size"] += Q
    L["_pairs"] += G * Q
    per_batch = {"positions": P, "macs": r["macs"], "sampled": r["sampled"], "sample_size": Q,
                 "reusable_positions": {}}
    base = (torch.arange(G) * P)[:, None]
    for t, k in zip(thresholds, keys):
        ok = r["rel"] <= t + tol
        cnt = int(ok.sum())
        L["_reusable"][k] += cnt
        per_batch["reusable_positions"][k] = cnt / (G * Q)
        if maps is not None:
            dst = (base + r["queries"][None, :])[ok]
            src = (base + r["best"])[ok]
            maps[k].append((dst, src) if cnt else None)
    L["batches"].append(per_batch)
    return per_batch


def _run_with_reuse(model: nn.Module, x, maps: Dict[str, List], n_calls: int, quality: Dict,
                    kinds: Sequence[str]) -> None:
    """The model on `x` once exactly and once per threshold with its reusable rows replaced (end to end)."""
    exact = _logits(run_example(model, x)).float()
    for k, layer_maps in maps.items():
        hooks = _Reuse(model, layer_maps, kinds)
        try:
            approx = _logits(run_example(model, x)).float()
        finally:
            hooks.remove()
        if hooks.calls != n_calls:
            raise RuntimeError("headroom: the reuse pass made a different number of layer calls")
        quality[k].add(approx, exact)


def _result(layers: List[Dict], keys: List[str], settings: Dict, n_images: int, n_batches: int) -> Dict:
    total_macs = sum(L["macs"] for L in layers)
    out_layers = []
    for L in layers:
        frac = {k: L["_reusable"][k] / L["_pairs"] if L["_pairs"] else 0.0 for k in keys}
        out_layers.append({"layer_id": L["layer_id"], "name": L["name"], "kind": L["kind"], "positions": L["positions"],
                           "groups": L["groups"], "row_width": L["row_width"], "macs": L["macs"],
                           "sampled": L["sampled"],
                           "sample_size": L["sample_size"] if L["sampled"] else None,
                           "reusable_positions": frac, "removable_macs": dict(frac), "batches": L["batches"]})
    model_frac = {k: (sum(L["removable_macs"][k] * L["macs"] for L in out_layers) / total_macs if total_macs else 0.0)
                  for k in keys}
    return {"thresholds": keys, "settings": settings, "layers": out_layers,
            "model": {"macs": total_macs, "removable_macs": model_frac},
            "images": n_images, "batches": n_batches,
            "notes": ["removable_macs of a layer equals its reusable (position, group) fraction: every pair has "
                      "the same MACs; the model figure is MAC-weighted",
                      "sampled layers: fractions are the sample's; end to end, reuse is applied only at the "
                      "sampled positions",
                      "end to end: which position reuses which is decided on the exact model's activations"]}


def format_table(result: Dict) -> str:
    """A plain-text summary of a headroom() result."""
    keys = result["thresholds"]
    lines = [f"{'layer':>5} {'name':<32} {'positions':>9} {'MACs':>12} {'search':>12} "
             + " ".join(f"t={k:>6}" for k in keys)]
    for L in result["layers"]:
        how = f"sample {L['sample_size']}" if L["sampled"] else "exact"
        lines.append(f"{L['layer_id']:>5} {L['name'][:32]:<32} {L['positions']:>9} {L['macs']:>12} {how:>12} "
                     + " ".join(f"{L['removable_macs'][k]:>8.3f}" for k in keys))
    lines.append("model removable MACs: " + ", ".join(f"t={k}: {result['model']['removable_macs'][k]:.4f}"
                                                     for k in keys))
    for k, q in result["model"].get("end_to_end", {}).items():
        lines.append(f"end to end t={k}: " + (
            f"embedding cosine mean {q['mean_cosine']:.4f}, min {q['min_cosine']:.4f}" if "min_cosine" in q else
            f"top-1 agreement {q['top1_agreement']:.3f}, logit rel L2 {q['logit_rel_l2']:.4g}, max prob change "
            f"{q['max_prob_change']:.4g}"))
    lines.append(f"{result['images']} images in {result['batches']} batches, {result['wall_s']} s")
    return "\n".join(lines)
