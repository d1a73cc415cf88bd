"""What reuse does to a model's output: agreement with the exact model, output errors, accuracy on labels, and
each layer's own error (its reused output against the exact conv of the same input)."""
from typing import Dict, List, Optional

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
        self.cosines += F.cosine_similarity(approx, exact, dim=-1).tolist()

    def summary(self) -> Dict:
        n = len(self.cosines)
        return {"texts": n, "mean_cosine": sum(self.cosines) / n if n else None,
                "min_cosine": min(self.cosines) if n else None}


class LayerErrors:
    """Forward hooks on the MercuryConv2d modules of an eager model: relative L2 error of every reuse-mode call
    against torch's conv on the same input (the error a layer adds by itself)."""

    def __init__(self, model: nn.Module):
        from mercury.convert import mercury_layers
        self.err: Dict[int, List[float]] = {}
        self.handles = [m.register_forward_hook(self._hook) for m in mercury_layers(model)]

    def _hook(self, m, inputs, output):
        if m.mode != "reuse":
            return
        exact = F.conv2d(inputs[0], m.weight, m.bias, m.stride, m.padding, m.dilation, m.groups)
        self.err.setdefault(m.layer_id, []).append(((output - exact).norm() / exact.norm().clamp_min(1e-30)).item())

    def remove(self) -> None:
        for h in self.handles:
            h.remove()

    def per_layer(self) -> Dict[int, float]:
        return {lid: sum(v) / len(v) for lid, v in sorted(self.err.items())}
