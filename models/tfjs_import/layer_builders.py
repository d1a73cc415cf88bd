"""One Keras layer's config (and weights) -> the PyTorch module it becomes (models.tfjs_import.keras_layers).

A builder gets (Keras class name, layer name, layer config, a zero batch of the layer's input -- its shape decides
TF "same" padding --, the weight reader, the activation by name) and returns the module."""
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np
import torch
import torch.nn as nn

from models.tfjs_import.keras_layers import (Add, Concat, Conv, Dense, Flatten, GlobalAvgPool, KerasReLU, Pool, Unary,
                                             tf_same_pads)

_ACTIVATIONS = {"linear": nn.Identity, "relu": nn.ReLU, "relu6": nn.ReLU6, "sigmoid": nn.Sigmoid,
                "tanh": nn.Tanh, "elu": nn.ELU, "selu": nn.SELU, "softplus": nn.Softplus, "swish": nn.SiLU}


def keras_activation(name: Optional[str], is_output: bool, drop_softmax: bool) -> nn.Module:
    if name is None or name == "linear":
        return nn.Identity()
    if name == "softmax":
        return nn.Identity() if (is_output and drop_softmax) else nn.Softmax(dim=1)
    if name not in _ACTIVATIONS:
        raise NotImplementedError(f"activation {name!r} not supported")
    return _ACTIVATIONS[name]()


def _pair(v: Any) -> Tuple[int, int]:
    if isinstance(v, (list, tuple)):
        return int(v[0]), int(v[1])
    return int(v), int(v)


def _channel_axis(axis: int, rank: int) -> int:
    """Keras channels_last axis of a rank-`rank` tensor -> torch NCHW dim."""
    axis = axis % rank
    if rank == 4:
        return {0: 0, 1: 2, 2: 3, 3: 1}[axis]
    return axis


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


class WeightReader:
    """weights["<layer>/<key>"], remembering which were read so that unused ones can be reported."""

    def __init__(self, weights: Dict[str, np.ndarray]):
        self.weights = weights
        self.used = set()

    def __call__(self, layer: str, key: str) -> np.ndarray:
        name = f"{layer}/{key}"
        if name not in self.weights:
            raise KeyError(f"weight {name!r} missing")
        self.used.add(name)
        return self.weights[name]

    def check_all_used(self) -> None:
        unused = sorted(set(self.weights) - self.used)
        if unused:
            raise ValueError(f"{len(unused)} weights not used by any layer: {unused[:5]}")


# The layer's activation by Keras name (keras_activation with the layer's is-output flag bound).
Activation = Callable[[Optional[str]], nn.Module]


def _conv(cls: str, name: str, c: Dict, xin: torch.Tensor, w: WeightReader, act: Activation) -> nn.Module:
    """Conv2D / DepthwiseConv2D (NHWC/HWIO kernels transposed)."""
    if c.get("data_format", "channels_last") != "channels_last":
        raise NotImplementedError(f"{name}: data_format {c['data_format']}")
    k, s, d = _pair(c["kernel_size"]), _pair(c["strides"]), _pair(c.get("dilation_rate", 1))
    cin = xin.shape[1]
    if cls == "Conv2D":
        kern = w(name, "kernel")                       # H, W, I, O
        cout, groups = kern.shape[3], 1
        weight = _t(kern.transpose(3, 2, 0, 1))
    else:
        kern = w(name, "depthwise_kernel")             # H, W, C, M
        mult = kern.shape[3]
        cout, groups = cin * mult, cin
        weight = _t(kern.transpose(2, 3, 0, 1).reshape(cin * mult, 1, kern.shape[0], kern.shape[1]))
    pad_mod: Optional[nn.ZeroPad2d] = None
    padding: Tuple[int, int] = (0, 0)
    if c["padding"] == "same":
        ph = tf_same_pads(xin.shape[2], k[0], s[0], d[0])
        pw = tf_same_pads(xin.shape[3], k[1], s[1], d[1])
        if ph[0] == ph[1] and pw[0] == pw[1]:
            padding = (ph[0], pw[0])
        else:
            pad_mod = nn.ZeroPad2d((pw[0], pw[1], ph[0], ph[1]))
    elif c["padding"] != "valid":
        raise NotImplementedError(f"{name}: padding {c['padding']!r}")
    conv = nn.Conv2d(cin, cout, k, stride=s, padding=padding, dilation=d, groups=groups,
                     bias=bool(c.get("use_bias", True)))
    with torch.no_grad():
        conv.weight.copy_(weight)
        if conv.bias is not None:
            conv.bias.copy_(_t(w(name, "bias")))
    return Conv(conv, pad_mod, act(c.get("activation")))


def _batch_norm(cls: str, name: str, c: Dict, xin: torch.Tensor, w: WeightReader, act: Activation) -> nn.Module:
    axis = c.get("axis", -1)
    axis = axis[0] if isinstance(axis, list) else axis
    if _channel_axis(axis, xin.dim()) != 1:
        raise NotImplementedError(f"{name}: BatchNormalization over axis {axis}")
    ch = xin.shape[1]
    bn = nn.BatchNorm2d(ch, eps=float(c.get("epsilon", 1e-3))) if xin.dim() == 4 else \
        nn.BatchNorm1d(ch, eps=float(c.get("epsilon", 1e-3)))
    with torch.no_grad():
        bn.weight.copy_(_t(w(name, "gamma")) if c.get("scale", True) else torch.ones(ch))
        bn.bias.copy_(_t(w(name, "beta")) if c.get("center", True) else torch.zeros(ch))
        bn.running_mean.copy_(_t(w(name, "moving_mean")))
        bn.running_var.copy_(_t(w(name, "moving_variance")))
    return Unary(bn)


def _relu(cls: str, name: str, c: Dict, xin: torch.Tensor, w: WeightReader, act: Activation) -> nn.Module:
    mv, ns, th = c.get("max_value"), float(c.get("negative_slope", 0) or 0), float(c.get("threshold", 0) or 0)
    if ns == 0 and th == 0 and mv is None:
        return Unary(nn.ReLU())
    if ns == 0 and th == 0 and float(mv) == 6.0:
        return Unary(nn.ReLU6())
    return Unary(KerasReLU(mv, ns, th))


def _zero_padding(cls: str, name: str, c: Dict, xin: torch.Tensor, w: WeightReader, act: Activation) -> nn.Module:
    p = c["padding"]
    if isinstance(p, int):
        p = [[p, p], [p, p]]
    elif isinstance(p[0], int):
        p = [[p[0], p[0]], [p[1], p[1]]]
    return Unary(nn.ZeroPad2d((p[1][0], p[1][1], p[0][0], p[0][1])))


def _pool(cls: str, name: str, c: Dict, xin: torch.Tensor, w: WeightReader, act: Activation) -> nn.Module:
    k = _pair(c["pool_size"])
    s = _pair(c["strides"] if c.get("strides") is not None else c["pool_size"])
    pads = (0, 0, 0, 0)
    if c["padding"] == "same":
        ph = tf_same_pads(xin.shape[2], k[0], s[0])
        pw = tf_same_pads(xin.shape[3], k[1], s[1])
        pads = (pw[0], pw[1], ph[0], ph[1])
    return Pool("max" if cls == "MaxPooling2D" else "avg", k, s, pads)


def _reshape(cls: str, name: str, c: Dict, xin: torch.Tensor, w: WeightReader, act: Activation) -> nn.Module:
    """Only the reshapes that are a flatten."""
    if list(c["target_shape"]) != [int(np.prod(xin.shape[1:]))] and not (
            xin.dim() == 4 and xin.shape[2] == 1 and xin.shape[3] == 1):
        raise NotImplementedError(f"{name}: Reshape to {c['target_shape']} not supported")
    return Flatten()


def _dense(cls: str, name: str, c: Dict, xin: torch.Tensor, w: WeightReader, act: Activation) -> nn.Module:
    kern = w(name, "kernel")                           # in, out
    lin = nn.Linear(kern.shape[0], kern.shape[1], bias=bool(c.get("use_bias", True)))
    with torch.no_grad():
        lin.weight.copy_(_t(kern.T))
        if lin.bias is not None:
            lin.bias.copy_(_t(w(name, "bias")))
    return Dense(lin, act(c.get("activation")))


LAYER_BUILDERS = {
    "Conv2D": _conv, "DepthwiseConv2D": _conv, "BatchNormalization": _batch_norm, "ReLU": _relu,
    "Activation": lambda cls, name, c, xin, w, act: Unary(act(c["activation"])),
    "ZeroPadding2D": _zero_padding, "MaxPooling2D": _pool, "AveragePooling2D": _pool,
    "GlobalAveragePooling2D": lambda *_: GlobalAvgPool(), "Flatten": lambda *_: Flatten(), "Reshape": _reshape,
    "Concatenate": lambda cls, name, c, xin, w, act: Concat(_channel_axis(int(c.get("axis", -1)), xin.dim())),
    "Add": lambda *_: Add(), "Dropout": lambda *_: Unary(nn.Identity()), "Dense": _dense,
}
