"""The PyTorch modules a Keras functional model becomes. Every layer module takes the List[Tensor] of its inputs
(the loop in KerasGraph.forward calls them alike); tensors are NCHW."""
import math
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


def tf_same_pads(size: int, k: int, s: int, d: int = 1) -> Tuple[int, int]:
    """(before, after) padding of TF "same" along one dimension; the odd pixel goes after (bottom/right)."""
    eff = (k - 1) * d + 1
    out = -(-size // s)
    total = max((out - 1) * s + eff - size, 0)
    return total // 2, total - total // 2


class Conv(nn.Module):
    """Conv2D / DepthwiseConv2D: optional explicit nn.ZeroPad2d (asymmetric TF "same"), a real nn.Conv2d, then
    the layer's fused activation."""

    def __init__(self, conv: nn.Conv2d, pad: Optional[nn.ZeroPad2d], act: nn.Module):
        super().__init__()
        self.pad = pad if pad is not None else nn.Identity()
        self.conv = conv
        self.act = act

    def forward(self, xs: List[torch.Tensor]) -> torch.Tensor:
        return self.act(self.conv(self.pad(xs[0])))


class Dense(nn.Module):
    def __init__(self, linear: nn.Linear, act: nn.Module):
        super().__init__()
        self.linear = linear
        self.act = act

    def forward(self, xs: List[torch.Tensor]) -> torch.Tensor:
        return self.act(self.linear(xs[0]))


class Unary(nn.Module):
    """Wraps a one-input module (BatchNorm2d, ReLU, ZeroPad2d, Dropout, ...)."""

    def __init__(self, op: nn.Module):
        super().__init__()
        self.op = op

    def forward(self, xs: List[torch.Tensor]) -> torch.Tensor:
        return self.op(xs[0])


class KerasReLU(nn.Module):
    """Keras ReLU(max_value, negative_slope, threshold)."""

    def __init__(self, max_value: Optional[float], negative_slope: float, threshold: float):
        super().__init__()
        self.max_value = float(max_value) if max_value is not None else math.inf
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.where(x >= self.threshold, x, (x - self.threshold) * self.negative_slope)
        return torch.clamp(y, max=self.max_value)


class Pool(nn.Module):
    """Max / average pooling with TF padding. pads = (left, right, top, bottom)."""

    def __init__(self, kind: str, kernel: Tuple[int, int], stride: Tuple[int, int], pads: Tuple[int, int, int, int]):
        super().__init__()
        self.is_max = kind == "max"
        self.kernel = list(kernel)
        self.stride = list(stride)
        self.pads = list(pads)
        self.any_pad = any(p > 0 for p in pads)

    def forward(self, xs: List[torch.Tensor]) -> torch.Tensor:
        x = xs[0]
        if self.is_max:
            if self.any_pad:
                x = F.pad(x, self.pads, value=-math.inf)
            return F.max_pool2d(x, self.kernel, self.stride)
        if not self.any_pad:
            return F.avg_pool2d(x, self.kernel, self.stride)
        ones = torch.ones([1, 1, x.shape[2], x.shape[3]], dtype=x.dtype, device=x.device)
        s = F.avg_pool2d(F.pad(x, self.pads), self.kernel, self.stride)
        n = F.avg_pool2d(F.pad(ones, self.pads), self.kernel, self.stride)
        return s / n


class GlobalAvgPool(nn.Module):
    def forward(self, xs: List[torch.Tensor]) -> torch.Tensor:
        return xs[0].mean(dim=[2, 3])


class Flatten(nn.Module):
    """Keras Flatten of channels_last data: NCHW -> NHWC order, then flatten."""

    def forward(self, xs: List[torch.Tensor]) -> torch.Tensor:
        x = xs[0]
        if x.dim() == 4:
            x = x.permute(0, 2, 3, 1)
        return torch.flatten(x, 1)


class Concat(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, xs: List[torch.Tensor]) -> torch.Tensor:
        return torch.cat(xs, dim=self.dim)


class Add(nn.Module):
    def forward(self, xs: List[torch.Tensor]) -> torch.Tensor:
        y = xs[0]
        for i in range(1, len(xs)):
            y = y + xs[i]
        return y


class KerasGraph(nn.Module):
    """A Keras functional model: `layers` (nn.ModuleList, topological order), `inputs[i]` = value slots fed to
    layer i (slot 0 = the model input, slot i + 1 = output of layer i), `release[i]` = slots no longer needed
    after layer i (freed to keep memory low), `output` = slot returned. `layer_names[i]` = Keras layer name."""

    layer_names: List[str]
    inputs: List[List[int]]
    release: List[List[int]]
    output: int

    def __init__(self, layers: List[nn.Module], names: List[str], inputs: List[List[int]], output: int):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.layer_names = list(names)
        self.inputs = [list(i) for i in inputs]
        last_use: Dict[int, int] = {}
        for i, ins in enumerate(inputs):
            for j in ins:
                last_use[j] = i
        release: List[List[int]] = [[] for _ in inputs]
        for j, i in last_use.items():
            if j != output:
                release[i].append(j)
        self.release = release
        self.output = output

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        empty = torch.empty(0)
        values: List[torch.Tensor] = [x]
        for i, layer in enumerate(self.layers):
            args: List[torch.Tensor] = []
            for j in self.inputs[i]:
                args.append(values[j])
            values.append(layer(args))
            for j in self.release[i]:
                values[j] = empty
        return values[self.output]
