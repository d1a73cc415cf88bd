"""What reuse does to a model's output: agreement with the exact model, output errors, accuracy on labels, and
each layer's own error (its reused output against the exact conv of the same input).

A *measure* accumulates forward by forward (`add(approx, exact)`) and says what it saw (`summary()`, a dict of
numbers): OutputQuality for logits, EmbeddingQuality for embeddings, or a user's function of the two outputs
(FunctionQuality), chosen by `make_measure` the same way for mercury.profile and mercury.calibrate.

>>> import torch
>>> from mercury.quality import make_measure
>>> exact = torch.tensor([[2.0, 1.0], [0.0, 3.0]])
>>> logits = make_measure("logits")
>>> logits.add(exact + torch.tensor([[0.0, 1.5], [0.0, 0.0]]), exact)
>>> logits.summary()["top1_agreement"]
0.5
>>> gap = make_measure(lambda approx, exact: {"largest_gap": (approx - exact).abs().max().item()})
>>> gap.add(exact + 0.25, exact)
>>> gap.summary()
{'forwards': 1, 'largest_gap': 0.25}
"""
import functools
from typing import Callable, Dict, List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F


class OutputQuality:
    """Accumulates, batch by batch, the approximate model's outputs against the exact model's."""

    def __init__(self):
        self.n = self.agree = self.correct = self.correct_exact = self.labelled = 0
        self.rel_l2: List[float] = []
        self.max_prob_change = 0.0

    def add(self, approx: torch.Tensor, exact: torch.Tensor, labels: Optional[torch.Tensor] = None) -> None:
        self.n += len(exact)
        self.agree += (approx.argmax(1) == exact.argmax(1)).sum().item()
        self.rel_l2.append(((approx - exact).norm() / exact.norm().clamp_min(1e-30)).item())
        change = (F.softmax(approx, 1) - F.softmax(exact, 1)).abs().max().item()
        self.max_prob_change = max(self.max_prob_change, change)
        if labels is not None:
            labels = labels.to(approx.device)
            self.labelled += len(labels)
            self.correct += (approx.argmax(1) == labels).sum().item()
            self.correct_exact += (exact.argmax(1) == labels).sum().item()

    def summary(self) -> Dict:
        out = {"images": self.n, "top1_agreement": self.agree / self.n if self.n else None,
               "logit_rel_l2": sum(self.rel_l2) / len(self.rel_l2) if self.rel_l2 else None,
               "max_prob_change": self.max_prob_change}
        if self.labelled:
            out["accuracy"] = self.correct / self.labelled
            out["accuracy_exact"] = self.correct_exact / self.labelled
        return out


class EmbeddingQuality:
    """Accumulates sentence embeddings of the approximate model against the exact model's: the cosine similarity of
    each text's embedding with its exact one (mean and minimum over the texts)."""

    def __init__(self):
        self.cosines: List[float] = []

    def add(self, approx: torch.Tensor, exact: torch.Tensor, labels: Optional[torch.Tensor] = None) -> None:
        self.cosines += F.cosine_similarity(approx, exact, dim=-1).flatten().tolist()

    def summary(self) -> Dict:
        n = len(self.cosines)
        return {"texts": n, "mean_cosine": sum(self.cosines) / n if n else None,
                "min_cosine": min(self.cosines) if n else None}


class LayerErrors:
    """Forward hooks on the conv layers of a profile (mercury.profile's `layers`): relative L2 error of every
    reuse-mode call against torch's conv on the same input (the error a layer adds by itself)."""

    def __init__(self, layers):
        self.err: Dict[int, List[float]] = {}
        self.handles = [layer.module.register_forward_hook(functools.partial(self._hook, layer)) for layer in layers
                        if isinstance(layer.module, nn.Conv2d)]

    def _hook(self, layer, m, inputs, output):
        if layer.mode != "reuse" or layer.exact:
            return
        exact = F.conv2d(inputs[0], m.weight, m.bias, m.stride, m.padding, m.dilation, m.groups)
        self.err.setdefault(layer.layer_id, []).append(((output - exact).norm() / exact.norm().clamp_min(1e-30)).item())

    def remove(self) -> None:
        for h in self.handles:
            h.remove()

    def per_layer(self) -> Dict[int, float]:
        return {lid: sum(v) / len(v) for lid, v in sorted(self.err.items())}


def output_tensor(out) -> torch.Tensor:
    """The tensor a measure compares in a model's output: the tensor itself, a Hugging Face output's `logits` (else
    its `last_hidden_state`), or the first tensor of a tuple."""
    if isinstance(out, torch.Tensor):
        return out
    for name in ("logits", "last_hidden_state"):
        if isinstance(getattr(out, name, None), torch.Tensor):
            return getattr(out, name)
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], torch.Tensor):
        return out[0]
    raise TypeError(f"cannot find the output tensor in a model output of type {type(out).__name__}: pass "
                    "quality=<your function of (approx, exact)>")


class FunctionQuality:
    """A user's measure: fn(approx_output, exact_output) -> {name: number} for every forward (the model's raw
    outputs); the summary holds each number's mean over the forwards ('forwards': how many). An error in fn, or a
    result that is not a dict of numbers, is a RuntimeError naming the function."""

    def __init__(self, fn: Callable):
        self.fn, self.n, self.sums = fn, 0, {}
        self.name = getattr(fn, "__qualname__", None) or type(fn).__name__

    def add(self, approx, exact, labels=None) -> None:
        try:
            values = self.fn(approx, exact)
        except Exception as e:
            raise RuntimeError(f"quality function {self.name} raised {type(e).__name__}: {e}") from e
        if not isinstance(values, dict) or not all(isinstance(v, (int, float)) for v in values.values()):
            raise RuntimeError(f"quality function {self.name} must return a dict of numbers, got {values!r}")
        self.n += 1
        for key, value in values.items():
            self.sums[key] = self.sums.get(key, 0.0) + float(value)

    def summary(self) -> Dict:
        return {"forwards": self.n, **{k: v / self.n for k, v in self.sums.items()}}


class _TensorMeasure:
    """A built-in measure fed whole model outputs: it compares their output_tensor (float32)."""

    def __init__(self, measure):
        self.measure = measure

    def add(self, approx, exact, labels=None) -> None:
        self.measure.add(output_tensor(approx).float(), output_tensor(exact).float(), labels)

    def summary(self) -> Dict:
        return self.measure.summary()


MEASURES = {"logits": OutputQuality, "embedding": EmbeddingQuality}


def make_measure(quality: Union[None, str, Callable] = "logits"):
    """A fresh measure: "logits" (top-1 agreement, logits' relative L2 error, largest probability change),
    "embedding" (cosine of each embedding with its exact one, over the last dim), or a function of (approx, exact)
    outputs returning a dict of numbers (FunctionQuality). Built-in measures take whole model outputs
    (output_tensor finds the tensor)."""
    if callable(quality):
        return FunctionQuality(quality)
    if quality is None:
        quality = "logits"
    if quality not in MEASURES:
        raise ValueError(f"quality={quality!r}: one of {sorted(MEASURES)}, or a function (approx, exact) -> dict")
    return _TensorMeasure(MEASURES[quality]())
