"""Adaptive MERCURY during training: signature length grows when the loss stalls; layers that gain too little
are turned off.

The MERCURY paper (Janfaza et al., HPCA 2023, arXiv 2110.14904) adapts the scheme during training: signatures start
short (more hits, more approximation) and get longer when training stops making progress, and MERCURY is switched
off for layers where similarity detection does not pay. The exact thresholds of the paper were not available to us
(no copy of the text could be consulted), so this module implements the following rules, which are ours and are
documented here precisely:

Signature length (one value for all enabled layers)
    Starts at `init_bits`. Training losses are fed with `observe_loss(loss)` (one value per step); every `window`
    steps their mean is one *check*. A check *improves* when its mean loss is below
    best_so_far * (1 - min_rel_improvement). After `patience` consecutive checks without improvement the loss has
    *stalled*: sig_bits += step_bits (capped at max_bits), the best loss and the stall counter are reset
    (the next check after a change becomes the new reference). At max_bits nothing grows any more.

Turning layers off (per layer, decided at every check from the hit counts of that window)
    `observe_layer(layer_id, hits, vectors, out_channels, kernel_elems)` accumulates a layer's hits/vectors
    between checks. At a check (after `warmup_checks` checks, and only for layers that saw at least `min_vectors`
    vectors in the window) a layer is disabled when
      - its hit rate h < min_hit_rate, or
      - its estimated gain < min_gain, where the estimate counts multiply-accumulates per input vector of length
        K (= kernel_elems): the baseline does K * Cout; MERCURY does (1 - h) * K * Cout for the misses plus
        K * sig_bits for the signature (the random projection):
            gain = Cout / ((1 - h) * Cout + sig_bits)
        (the cache lookup is not counted). With Cout small (first layers of small CNNs) the signature alone
        costs more than the products it saves, whatever the hit rate.
    A disabled layer runs the exact convolution (mode "off") and stays off for the rest of training: with
    MERCURY off its hits are no longer measured, and bits only grow (so its hit rate would only fall).

Every decision is appended to `history` with the step, the check and a `reason` sentence (the numbers that
triggered it). The gain estimate above is a multiply-accumulate count, cheap enough for every check; the training
study's reported speedups come from mercury-sim, not from it.

The policy is framework-free (plain numbers in, decisions out); `apply(modules)` writes the decisions into
modules that have `layer_id`, `mode` and `sig_bits` attributes (mercury.MercuryConv2d).
`history` records every decision (step, event, details) for plots and reports.
"""
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional


@dataclass
class AdaptivePolicy:
    init_bits: int = 12
    max_bits: int = 32
    step_bits: int = 4
    window: int = 20              # steps per check
    patience: int = 2             # checks without improvement = stall
    min_rel_improvement: float = 0.01
    min_hit_rate: float = 0.05
    min_gain: float = 1.0
    warmup_checks: int = 1        # checks before any layer may be turned off
    min_vectors: int = 1
    reuse_mode: str = "reuse"     # the mode an enabled layer runs in

    sig_bits: int = field(init=False)
    disabled: Dict[int, str] = field(init=False, default_factory=dict)   # layer id -> reason
    history: List[Dict] = field(init=False, default_factory=list)
    step: int = field(init=False, default=0)
    checks: int = field(init=False, default=0)

    def __post_init__(self):
        if not (1 <= self.init_bits <= self.max_bits <= 64):
            raise ValueError(f"need 1 <= init_bits ({self.init_bits}) <= max_bits ({self.max_bits}) <= 64")
        if self.step_bits < 1 or self.window < 1 or self.patience < 1:
            raise ValueError("step_bits, window and patience must be >= 1")
        self.sig_bits = self.init_bits
        self._losses: List[float] = []
        self._best: Optional[float] = None
        self._stalled = 0
        self._layer_acc: Dict[int, List[float]] = {}   # id -> [hits, vectors, out_channels, kernel_elems]
        self.last_hit_rate: Dict[int, float] = {}
        self.last_gain: Dict[int, float] = {}

    # ----------------------------------------------------------------- inputs
    def observe_layer(self, layer_id: int, hits: int, vectors: int, out_channels: int, kernel_elems: int = 1) -> None:
        acc = self._layer_acc.setdefault(int(layer_id), [0, 0, out_channels, kernel_elems])
        acc[0] += int(hits)
        acc[1] += int(vectors)
        acc[2], acc[3] = int(out_channels), int(kernel_elems)

    def observe_records(self, records: Iterable[Dict]) -> None:
        """Hit-log records (mercury.hitlog() dicts): reuse/observe calls only."""
        for r in records:
            if r.get("mode") in ("reuse", "observe"):
                k = int(r["C"]) // int(r.get("groups", 1)) * int(r["kernel_h"]) * int(r["kernel_w"])
                self.observe_layer(int(r["layer_id"]), int(r["hits"]), int(r["vectors"]), int(r["out_channels"]), k)

    def observe_loss(self, loss: float) -> bool:
        """Feed one step's training loss; returns True when this step ended a check that changed the settings."""
        self.step += 1
        self._losses.append(float(loss))
        if len(self._losses) < self.window:
            return False
        return self.check()

    # ----------------------------------------------------------------- decisions
    def estimated_gain(self, hit_rate: float, out_channels: int, sig_bits: Optional[int] = None) -> float:
        bits = self.sig_bits if sig_bits is None else sig_bits
        return out_channels / ((1.0 - hit_rate) * out_channels + bits)

    def check(self) -> bool:
        """One check (normally called by observe_loss every `window` steps): loss stall -> more bits; low hit
        rate / gain -> layer off. Returns True when anything changed."""
        changed = False
        self.checks += 1
        mean = sum(self._losses) / len(self._losses) if self._losses else None
        self._losses = []
        if mean is not None:
            if self._best is None or mean < self._best * (1.0 - self.min_rel_improvement):
                self._best = mean
                self._stalled = 0
            else:
                self._stalled += 1
                if self._stalled >= self.patience and self.sig_bits < self.max_bits:
                    old = self.sig_bits
                    self.sig_bits = min(self.max_bits, self.sig_bits + self.step_bits)
                    reason = (f"loss stalled: {self._stalled} checks with mean loss {mean:.4g} not below "
                              f"{self._best:.4g} x (1 - {self.min_rel_improvement})")
                    self.history.append({"step": self.step, "check": self.checks, "event": "grow_bits",
                                         "from": old, "to": self.sig_bits, "loss": mean, "reason": reason})
                    self._best = None
                    self._stalled = 0
                    changed = True
        for lid, (hits, vectors, cout, _k) in sorted(self._layer_acc.items()):
            if lid in self.disabled or vectors < max(1, self.min_vectors):
                continue
            h = hits / vectors
            gain = self.estimated_gain(h, cout)
            self.last_hit_rate[lid], self.last_gain[lid] = h, gain
            if self.checks <= self.warmup_checks:
                continue
            reason = None
            if h < self.min_hit_rate:
                reason = f"hit rate {h:.3f} < {self.min_hit_rate}"
            elif gain < self.min_gain:
                reason = f"estimated gain {gain:.3f} < {self.min_gain} (Cout {cout}, {self.sig_bits} bits, h {h:.3f})"
            if reason:
                self.disabled[lid] = reason
                self.history.append({"step": self.step, "check": self.checks, "event": "disable", "layer_id": lid,
                                     "hit_rate": h, "gain": gain, "reason": reason})
                changed = True
        self._layer_acc = {}
        return changed

    # ----------------------------------------------------------------- outputs
    def layer_mode(self, layer_id: int) -> str:
        return "off" if int(layer_id) in self.disabled else self.reuse_mode

    def apply(self, modules: Iterable) -> None:
        """Set .mode and .sig_bits of modules carrying a layer_id (e.g. mercury.MercuryConv2d)."""
        for m in modules:
            m.mode = self.layer_mode(m.layer_id)
            m.sig_bits = self.sig_bits

    def state(self) -> Dict:
        return {"sig_bits": self.sig_bits, "disabled": dict(self.disabled), "step": self.step,
                "checks": self.checks, "history": list(self.history)}
