"""A TF.js Keras "layers" model.json (functional model) and its weights -> KerasGraph.

TF "same" padding is resolved statically: each layer's input size is found by running a zero tensor through the
layers as they are built (see the package docstring)."""
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn as nn

from models.tfjs_import.keras_layers import (Add, Concat, Conv, Dense, Flatten, GlobalAvgPool, KerasGraph, KerasReLU,
                                             Pool, Unary, tf_same_pads)

_ACTIVATIONS = {"linear": nn.Identity, "relu": nn.ReLU, "relu6": nn.ReLU6, "sigmoid": nn.Sigmoid,
                "tanh": nn.Tanh, "elu": nn.ELU, "selu": nn.SELU, "softplus": nn.Softplus, "swish": nn.SiLU}


def _activation(name: Optional[str], is_output: bool, drop_softmax: bool) -> nn.Module:
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


class _WeightReader:
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


# A layer builder: (Keras class name, layer name, layer config, zero-batch input, weights, activation by name).
Activation = Callable[[Optional[str]], nn.Module]


def _conv(cls: str, name: str, c: Dict, xin: torch.Tensor, w: _WeightReader, act: Activation) -> nn.Module:
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


def _batch_norm(cls: str, name: str, c: Dict, xin: torch.Tensor, w: _WeightReader, act: Activation) -> nn.Module:
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


def _relu(cls: str, name: str, c: Dict, xin: torch.Tensor, w: _WeightReader, act: Activation) -> nn.Module:
    mv, ns, th = c.get("max_value"), float(c.get("negative_slope", 0) or 0), float(c.get("threshold", 0) or 0)
    if ns == 0 and th == 0 and mv is None:
        return Unary(nn.ReLU())
    if ns == 0 and th == 0 and float(mv) == 6.0:
        return Unary(nn.ReLU6())
    return Unary(KerasReLU(mv, ns, th))


def _zero_padding(cls: str, name: str, c: Dict, xin: torch.Tensor, w: _WeightReader, act: Activation) -> nn.Module:
    p = c["padding"]
    if isinstance(p, int):
        p = [[p, p], [p, p]]
    elif isinstance(p[0], int):
        p = [[p[0], p[0]], [p[1], p[1]]]
    return Unary(nn.ZeroPad2d((p[1][0], p[1][1], p[0][0], p[0][1])))


def _pool(cls: str, name: str, c: Dict, xin: torch.Tensor, w: _WeightReader, act: Activation) -> nn.Module:
    k = _pair(c["pool_size"])
    s = _pair(c["strides"] if c.get("strides") is not None else c["pool_size"])
    pads = (0, 0, 0, 0)
    if c["padding"] == "same":
        ph = tf_same_pads(xin.shape[2], k[0], s[0])
        pw = tf_same_pads(xin.shape[3], k[1], s[1])
        pads = (pw[0], pw[1], ph[0], ph[1])
    return Pool("max" if cls == "MaxPooling2D" else "avg", k, s, pads)


def _reshape(cls: str, name: str, c: Dict, xin: torch.Tensor, w: _WeightReader, act: Activation) -> nn.Module:
    """Only the reshapes that are a flatten."""
    if list(c["target_shape"]) != [int(np.prod(xin.shape[1:]))] and not (
            xin.dim() == 4 and xin.shape[2] == 1 and xin.shape[3] == 1):
        raise NotImplementedError(f"{name}: Reshape to {c['target_shape']} not supported")
    return Flatten()


def _dense(cls: str, name: str, c: Dict, xin: torch.Tensor, w: _WeightReader, act: Activation) -> nn.Module:
    kern = w(name, "kernel")                           # in, out
    lin = nn.Linear(kern.shape[0], kern.shape[1], bias=bool(c.get("use_bias", True)))
    with torch.no_grad():
        lin.weight.copy_(_t(kern.T))
        if lin.bias is not None:
            lin.bias.copy_(_t(w(name, "bias")))
    return Dense(lin, act(c.get("activation")))


_BUILDERS = {
    "Conv2D": _conv, "DepthwiseConv2D": _conv, "BatchNormalization": _batch_norm, "ReLU": _relu,
    "Activation": lambda cls, name, c, xin, w, act: Unary(act(c["activation"])),
    "ZeroPadding2D": _zero_padding, "MaxPooling2D": _pool, "AveragePooling2D": _pool,
    "GlobalAveragePooling2D": lambda *_: GlobalAvgPool(), "Flatten": lambda *_: Flatten(), "Reshape": _reshape,
    "Concatenate": lambda cls, name, c, xin, w, act: Concat(_channel_axis(int(c.get("axis", -1)), xin.dim())),
    "Add": lambda *_: Add(), "Dropout": lambda *_: Unary(nn.Identity()), "Dense": _dense,
}


def _functional_config(model_json: Dict[str, Any]) -> Tuple[Dict[str, Any], str, str]:
    """(the functional model's config, input layer name, output layer name)."""
    topo = model_json.get("modelTopology", model_json)
    cfg = topo.get("model_config", topo)
    if cfg.get("class_name") not in ("Model", "Functional"):
        raise NotImplementedError(f"only Keras functional models are supported, got {cfg.get('class_name')!r}")
    cfg = cfg["config"]
    if len(cfg["input_layers"]) != 1 or len(cfg["output_layers"]) != 1:
        raise NotImplementedError("only single-input, single-output models are supported")
    return cfg, cfg["input_layers"][0][0], cfg["output_layers"][0][0]


def _input_probe(c: Dict[str, Any], input_hw: Optional[Tuple[int, int]]) -> torch.Tensor:
    """A zero batch of one image of the InputLayer's size (or input_hw)."""
    bshape = c["batch_input_shape"]
    h, wd = input_hw if input_hw is not None else (bshape[1], bshape[2])
    if h is None or wd is None:
        raise ValueError("input size unknown: pass input_hw")
    return torch.zeros(1, int(bshape[3]), int(h), int(wd))


def _inbound_slots(layer: Dict[str, Any], slot: Dict[str, int]) -> List[int]:
    name, nodes = layer["name"], layer["inbound_nodes"]
    if len(nodes) != 1:
        raise NotImplementedError(f"layer {name!r} is shared or unconnected ({len(nodes)} inbound nodes)")
    srcs = []
    for ref in nodes[0]:
        if ref[1] != 0 or ref[2] != 0:
            raise NotImplementedError(f"layer {name!r}: multi-node / multi-output inputs not supported")
        srcs.append(slot[ref[0]])
    return srcs


def load_tfjs_layers_model(model_json: Dict[str, Any], weights: Dict[str, np.ndarray],
                           drop_final_softmax: bool = True,
                           input_hw: Optional[Tuple[int, int]] = None) -> KerasGraph:
    """Build a KerasGraph (eval mode) from a TF.js layers model.json dict (or its modelTopology / model_config)
    and its weights {"<layer>/<kernel|bias|gamma|...>": ndarray}. The input size used to resolve TF "same"
    padding comes from the InputLayer's batch_input_shape unless input_hw is given."""
    cfg, input_name, output_name = _functional_config(model_json)
    read_weight = _WeightReader(weights)
    slot: Dict[str, int] = {}
    modules: List[nn.Module] = []
    names: List[str] = []
    inputs: List[List[int]] = []
    probe: Dict[int, torch.Tensor] = {}            # slot -> zero-batch output, to know shapes as we build
    for layer in cfg["layers"]:
        cls, name, c = layer["class_name"], layer["name"], layer["config"]
        if cls == "InputLayer":
            if name != input_name:
                raise NotImplementedError(f"extra input layer {name!r}")
            slot[name] = 0
            probe[0] = _input_probe(c, input_hw)
            continue
        srcs = _inbound_slots(layer, slot)
        if cls not in _BUILDERS:
            raise NotImplementedError(f"Keras layer {cls} ({name}) not supported")

        def act(activation: Optional[str], is_output: bool = name == output_name) -> nn.Module:
            return _activation(activation, is_output, drop_final_softmax)
        mod = _BUILDERS[cls](cls, name, c, probe[srcs[0]], read_weight, act)
        mod.eval()
        modules.append(mod)
        names.append(name)
        inputs.append(srcs)
        slot[name] = len(modules)
        with torch.no_grad():
            probe[len(modules)] = mod([probe[j] for j in srcs])
    read_weight.check_all_used()
    return KerasGraph(modules, names, inputs, slot[output_name]).eval()
