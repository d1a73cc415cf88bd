"""Import TensorFlow.js Keras "layers" models into PyTorch, and the two pretrained nsfwjs classifiers.

    load_tfjs_layers_model(model_json, weights)   -> KerasGraph (nn.Module), from a parsed model.json + weights
    read_nsfwjs_model(name, data_dir=None)        -> (model_json dict, {weight name: float32 ndarray})
    build_nsfwjs(name, data_dir=None)             -> eval-mode KerasGraph: NCHW RGB in [0, 1] -> 5 logits
    nsfwjs_preprocess(images, size)               -> float32 [N, 3, size, size] (pixels / 255, align-corners
                                                     bilinear squash to size x size), as nsfwjs does it

nsfwjs (npm `nsfwjs@4.3.0`, MIT, https://github.com/infinitered/nsfwjs) ships its TF.js models as browserify
modules: `dist/models/<name>/model.min.js` exports the model.json object (a JavaScript object literal, not JSON:
unquoted keys, `!0`/`!1` for true/false, `.5` numbers) and `group1-shard<i>of<n>.min.js` exports one weight shard
as a base64 string. `.ci/fetch_data.sh` unpacks them, without running any of the package's code, into
<repo>/data/npm/nsfwjs/<name>/ ($MERCURY_NSFWJS overrides the folder). They are read here by a small JavaScript
literal parser: nothing is evaluated. The weights are uint8-quantized per tensor (value = min + scale * q, the
manifest's quantization fields, as TF.js dequantizes them).

Models (Keras 2.2.4 functional models converted to TF.js; class order Drawing, Hentai, Neutral, Porn, Sexy):
    inception_v3_nsfwjs   InceptionV3 body (BatchNorm without gamma), 299x299 input
    mobilenet_v2_nsfwjs   MobileNetV2 (alpha 1.0) body, 224x224 input
Both end in AveragePooling2D -> Flatten -> Dense 256 relu -> Dropout -> Dense 128 relu -> Dropout -> Dense 5
softmax. The importer drops the final softmax by default, so the modules return the 5 pre-softmax logits.
(`mobilenet_v2_mid`, a TF.js graph model, is not supported.)

The Keras DAG becomes a `KerasGraph`: an nn.ModuleList of layer modules in topological (= Keras) order, each
taking a List[Tensor] of its inputs, plus integer index lists saying which earlier outputs feed each layer and
which outputs can be released after it. `forward` walks that list; it compiles with torch.jit.script. Every
convolution is a real nn.Conv2d (inside a `Conv` wrapper with an optional nn.ZeroPad2d), so mercury.convert /
mercury.rewrite swap them like any other conv. Tensors are NCHW inside; NHWC/HWIO weights are transposed.

TF "same" padding is resolved statically from the model's input shape (the layers' input sizes are found by
running a zero tensor through the layers as they are built): total = max((ceil(in / s) - 1) * s + (k - 1) * d +
1 - in, 0), split as total // 2 before and the rest after (the extra pixel goes bottom/right). When both
spatial splits are symmetric the padding sits inside nn.Conv2d; otherwise an explicit nn.ZeroPad2d precedes a
padding=0 nn.Conv2d. A model built for one input size therefore keeps that padding at other sizes (only strided
"same" layers are affected). Pooling follows TF too: "same" max pooling pads with -inf, "same" average pooling
excludes the padding from the count.
"""
import base64
import json
import math
import os
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NSFWJS_DIR = os.path.join(ROOT, "data", "npm", "nsfwjs")
NSFWJS_CLASSES = ("Drawing", "Hentai", "Neutral", "Porn", "Sexy")
# zoo name -> (folder in the nsfwjs package's dist/models, input size)
NSFWJS_MODELS = {"inception_v3_nsfwjs": ("inception_v3", 299), "mobilenet_v2_nsfwjs": ("mobilenet_v2", 224)}
FETCH_HINT = "run `bash .ci/fetch_data.sh` (it unpacks npm's nsfwjs@4.3.0 models into data/npm/nsfwjs)"


# ------------------------------------------------------------------------------ JavaScript literal parsing

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<bool>![01])
  | (?P<ident>[A-Za-z_$][\w$]*)
  | (?P<punct>[{}\[\]:,])
""", re.VERBOSE)


def _js_string(tok: str) -> str:
    if tok[0] == "'":
        body = tok[1:-1].replace('\\\'', "'").replace('"', '\\"')
        tok = '"' + body + '"'
    return json.loads(tok)


def parse_js_literal(text: str, pos: int = 0) -> Tuple[Any, int]:
    """Parse one JavaScript literal (object, array, string, number, true/false/!0/!1, null, void 0) of
    minified JS starting at text[pos]; returns (value, index just after it). Only data, nothing evaluated."""

    def next_tok(p: int) -> Tuple[str, str, int]:
        while True:
            m = _TOKEN.match(text, p)
            if m is None:
                raise ValueError(f"cannot parse JavaScript literal at offset {p}: {text[p:p + 40]!r}")
            if m.lastgroup != "ws":
                return m.lastgroup, m.group(), m.end()
            p = m.end()

    def value(p: int) -> Tuple[Any, int]:
        kind, tok, p = next_tok(p)
        if kind == "str":
            return _js_string(tok), p
        if kind == "num":
            return (float(tok) if any(c in tok for c in ".eE") else int(tok)), p
        if kind == "bool":
            return tok == "!0", p
        if kind == "ident":
            consts = {"true": True, "false": False, "null": None, "Infinity": math.inf, "NaN": math.nan}
            if tok in consts:
                return consts[tok], p
            if tok == "void":
                _, _, p = next_tok(p)
                return None, p
            raise ValueError(f"unexpected identifier {tok!r} in JavaScript literal at offset {p}")
        if tok == "[":
            out: List[Any] = []
            kind, tok, q = next_tok(p)
            if tok == "]":
                return out, q
            while True:
                v, p = value(p)
                out.append(v)
                kind, tok, p = next_tok(p)
                if tok == "]":
                    return out, p
                if tok != ",":
                    raise ValueError(f"expected ',' or ']' at offset {p}, got {tok!r}")
        if tok == "{":
            obj: Dict[str, Any] = {}
            kind, tok, q = next_tok(p)
            if tok == "}":
                return obj, q
            while True:
                kind, key, p = next_tok(p)
                if kind == "str":
                    key = _js_string(key)
                elif kind not in ("ident", "num"):
                    raise ValueError(f"bad object key {key!r} at offset {p}")
                _, colon, p = next_tok(p)
                if colon != ":":
                    raise ValueError(f"expected ':' at offset {p}, got {colon!r}")
                obj[key], p = value(p)
                kind, tok, p = next_tok(p)
                if tok == "}":
                    return obj, p
                if tok != ",":
                    raise ValueError(f"expected ',' or '}}' at offset {p}, got {tok!r}")
        raise ValueError(f"unexpected token {tok!r} at offset {p}")

    return value(pos)


_EXPORTS = re.compile(r"\{1:\[function\(\w+,(\w+),\w+\)\{\1\.exports=")


def read_browserify_export(path: str) -> Any:
    """The literal that a browserify bundle's module 1 assigns to module.exports (nsfwjs' *.min.js files)."""
    with open(path, "r", encoding="utf-8") as f:
        text = f.read()
    m = _EXPORTS.search(text)
    if m is None:
        raise ValueError(f"{path}: no browserify `module.exports=` literal found")
    val, end = parse_js_literal(text, m.end())
    if not text.startswith("}", end):
        raise ValueError(f"{path}: unexpected text after the exported literal: {text[end:end + 40]!r}")
    return val


# ------------------------------------------------------------------------------ weights

_NP_DTYPES = {"float32": np.float32, "int32": np.int32, "bool": np.bool_, "uint8": np.uint8, "uint16": np.uint16}


def decode_weights(manifest: List[Dict[str, Any]], shards: Dict[str, bytes]) -> Dict[str, np.ndarray]:
    """Weights of a TF.js weightsManifest: each group's shards are concatenated and sliced in manifest order;
    quantized tensors (uint8/uint16 with min/scale) are dequantized to float32 as TF.js does."""
    out: Dict[str, np.ndarray] = {}
    for group in manifest:
        buf = b"".join(shards[p] for p in group["paths"])
        off = 0
        for w in group["weights"]:
            shape = tuple(int(s) for s in w["shape"])
            count = int(np.prod(shape)) if shape else 1
            q = w.get("quantization")
            if q is not None:
                qdt = _NP_DTYPES[q["dtype"]]
                raw = np.frombuffer(buf, dtype=qdt, count=count, offset=off)
                off += raw.nbytes
                if "scale" not in q:
                    raise NotImplementedError(f"weight {w['name']}: quantization without scale/min (float16?)")
                vals = (raw.astype(np.float32) * np.float32(q["scale"]) + np.float32(q["min"]))
            else:
                dt = _NP_DTYPES[w["dtype"]]
                vals = np.frombuffer(buf, dtype=dt, count=count, offset=off)
                off += vals.nbytes
            out[w["name"]] = vals.astype(np.float32 if w["dtype"] == "float32" else vals.dtype).reshape(shape)
        if off != len(buf):
            raise ValueError(f"weights manifest uses {off} bytes but its shards hold {len(buf)}")
    return out


def nsfwjs_model_dir(name: str, data_dir: Optional[str] = None) -> str:
    """Folder of nsfwjs model `name` (inception_v3 / mobilenet_v2 or the zoo names); FileNotFoundError when
    model.min.js is missing."""
    folder = NSFWJS_MODELS[name][0] if name in NSFWJS_MODELS else name
    base = data_dir or os.environ.get("MERCURY_NSFWJS") or NSFWJS_DIR
    path = os.path.join(base, folder)
    if not os.path.isfile(os.path.join(path, "model.min.js")):
        raise FileNotFoundError(f"nsfwjs model {folder!r} not found in {base}: {FETCH_HINT}")
    return path


def read_nsfwjs_model(name: str, data_dir: Optional[str] = None) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
    """(model.json as a dict, dequantized weights by name) of an unpacked nsfwjs model folder."""
    path = nsfwjs_model_dir(name, data_dir)
    model_json = read_browserify_export(os.path.join(path, "model.min.js"))
    shards: Dict[str, bytes] = {}
    for group in model_json["weightsManifest"]:
        for p in group["paths"]:
            f = os.path.join(path, p + ".min.js")
            if not os.path.isfile(f):
                raise FileNotFoundError(f"nsfwjs weight shard {f} missing: {FETCH_HINT}")
            shards[p] = base64.b64decode(read_browserify_export(f))
    return model_json, decode_weights(model_json["weightsManifest"], shards)


# ------------------------------------------------------------------------------ layer modules
# Every layer module takes the List[Tensor] of its inputs (the loop in KerasGraph.forward calls them alike).

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


# ------------------------------------------------------------------------------ Keras JSON -> modules

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


def load_tfjs_layers_model(model_json: Dict[str, Any], weights: Dict[str, np.ndarray],
                           drop_final_softmax: bool = True,
                           input_hw: Optional[Tuple[int, int]] = None) -> KerasGraph:
    """Build a KerasGraph (eval mode) from a TF.js layers model.json dict (or its modelTopology / model_config)
    and its weights {"<layer>/<kernel|bias|gamma|...>": ndarray}. The input size used to resolve TF "same"
    padding comes from the InputLayer's batch_input_shape unless input_hw is given."""
    topo = model_json.get("modelTopology", model_json)
    cfg = topo.get("model_config", topo)
    if cfg.get("class_name") not in ("Model", "Functional"):
        raise NotImplementedError(f"only Keras functional models are supported, got {cfg.get('class_name')!r}")
    cfg = cfg["config"]
    if len(cfg["input_layers"]) != 1 or len(cfg["output_layers"]) != 1:
        raise NotImplementedError("only single-input, single-output models are supported")
    input_name = cfg["input_layers"][0][0]
    output_name = cfg["output_layers"][0][0]
    used = set()

    def w(layer: str, key: str) -> np.ndarray:
        name = f"{layer}/{key}"
        if name not in weights:
            raise KeyError(f"weight {name!r} missing")
        used.add(name)
        return weights[name]

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
            bshape = c["batch_input_shape"]
            h, wd = input_hw if input_hw is not None else (bshape[1], bshape[2])
            if h is None or wd is None:
                raise ValueError("input size unknown: pass input_hw")
            slot[name] = 0
            probe[0] = torch.zeros(1, int(bshape[3]), int(h), int(wd))
            continue
        nodes = layer["inbound_nodes"]
        if len(nodes) != 1:
            raise NotImplementedError(f"layer {name!r} is shared or unconnected ({len(nodes)} inbound nodes)")
        srcs = []
        for ref in nodes[0]:
            if ref[1] != 0 or ref[2] != 0:
                raise NotImplementedError(f"layer {name!r}: multi-node / multi-output inputs not supported")
            srcs.append(slot[ref[0]])
        xin = probe[srcs[0]]
        is_out = name == output_name

        if cls in ("Conv2D", "DepthwiseConv2D"):
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
            mod: nn.Module = Conv(conv, pad_mod, _activation(c.get("activation"), is_out, drop_final_softmax))
        elif cls == "BatchNormalization":
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
            mod = Unary(bn)
        elif cls == "Activation":
            mod = Unary(_activation(c["activation"], is_out, drop_final_softmax))
        elif cls == "ReLU":
            mv, ns, th = c.get("max_value"), float(c.get("negative_slope", 0) or 0), float(c.get("threshold", 0) or 0)
            if ns == 0 and th == 0 and mv is None:
                op: nn.Module = nn.ReLU()
            elif ns == 0 and th == 0 and float(mv) == 6.0:
                op = nn.ReLU6()
            else:
                op = KerasReLU(mv, ns, th)
            mod = Unary(op)
        elif cls == "ZeroPadding2D":
            p = c["padding"]
            if isinstance(p, int):
                p = [[p, p], [p, p]]
            elif isinstance(p[0], int):
                p = [[p[0], p[0]], [p[1], p[1]]]
            mod = Unary(nn.ZeroPad2d((p[1][0], p[1][1], p[0][0], p[0][1])))
        elif cls in ("MaxPooling2D", "AveragePooling2D"):
            k = _pair(c["pool_size"])
            s = _pair(c["strides"] if c.get("strides") is not None else c["pool_size"])
            pads = (0, 0, 0, 0)
            if c["padding"] == "same":
                ph = tf_same_pads(xin.shape[2], k[0], s[0])
                pw = tf_same_pads(xin.shape[3], k[1], s[1])
                pads = (pw[0], pw[1], ph[0], ph[1])
            mod = Pool("max" if cls == "MaxPooling2D" else "avg", k, s, pads)
        elif cls == "GlobalAveragePooling2D":
            mod = GlobalAvgPool()
        elif cls == "Flatten":
            mod = Flatten()
        elif cls == "Reshape":
            if list(c["target_shape"]) != [int(np.prod(xin.shape[1:]))] and not (
                    xin.dim() == 4 and xin.shape[2] == 1 and xin.shape[3] == 1):
                raise NotImplementedError(f"{name}: Reshape to {c['target_shape']} not supported")
            mod = Flatten()
        elif cls == "Concatenate":
            mod = Concat(_channel_axis(int(c.get("axis", -1)), xin.dim()))
        elif cls == "Add":
            mod = Add()
        elif cls == "Dropout":
            mod = Unary(nn.Identity())
        elif cls == "Dense":
            kern = w(name, "kernel")                           # in, out
            lin = nn.Linear(kern.shape[0], kern.shape[1], bias=bool(c.get("use_bias", True)))
            with torch.no_grad():
                lin.weight.copy_(_t(kern.T))
                if lin.bias is not None:
                    lin.bias.copy_(_t(w(name, "bias")))
            mod = Dense(lin, _activation(c.get("activation"), is_out, drop_final_softmax))
        else:
            raise NotImplementedError(f"Keras layer {cls} ({name}) not supported")

        mod.eval()
        idx = len(modules)
        modules.append(mod)
        names.append(name)
        inputs.append(srcs)
        slot[name] = idx + 1
        with torch.no_grad():
            probe[idx + 1] = mod([probe[j] for j in srcs])
    unused = sorted(set(weights) - used)
    if unused:
        raise ValueError(f"{len(unused)} weights not used by any layer: {unused[:5]}")
    return KerasGraph(modules, names, inputs, slot[output_name]).eval()


def build_nsfwjs(name: str, data_dir: Optional[str] = None, drop_final_softmax: bool = True,
                 num_classes: int = 5) -> KerasGraph:
    """nsfwjs model `name` ("inception_v3_nsfwjs" / "mobilenet_v2_nsfwjs" or the package's folder names) as an
    eval-mode KerasGraph taking NCHW RGB in [0, 1] at its native size and returning the 5 logits.
    (num_classes is there for models.zoo.build: only 5 is accepted.)"""
    if num_classes != len(NSFWJS_CLASSES):
        raise ValueError(f"nsfwjs models have {len(NSFWJS_CLASSES)} classes, num_classes={num_classes} given")
    model_json, weights = read_nsfwjs_model(name, data_dir)
    return load_tfjs_layers_model(model_json, weights, drop_final_softmax=drop_final_softmax)


# ------------------------------------------------------------------------------ preprocessing

ImageLike = Union[np.ndarray, torch.Tensor]


def nsfwjs_preprocess(images: Union[ImageLike, Sequence[ImageLike]], size: int) -> torch.Tensor:
    """nsfwjs' preprocessing: pixels / 255, then tf.image.resizeBilinear(..., alignCorners=true) to size x size
    (a squash: no crop, no mean/std). `images`: one HxWxC (or HxW gray) array/tensor (uint8 0..255, or float in
    0..255), a sequence of them (sizes may differ), or an NHWC batch. Alpha is dropped, gray is replicated.
    Returns float32 [N, 3, size, size]."""
    if isinstance(images, (np.ndarray, torch.Tensor)) and images.ndim in (2, 3):
        images = [images]
    out = []
    for img in images:
        t = torch.as_tensor(np.array(img)) if not isinstance(img, torch.Tensor) else img
        if t.dim() == 2:
            t = t[:, :, None]
        if t.shape[2] == 1:
            t = t.expand(-1, -1, 3)
        t = t[:, :, :3].to(torch.float32) / 255.0
        t = t.permute(2, 0, 1).unsqueeze(0)
        if t.shape[2] != size or t.shape[3] != size:
            t = F.interpolate(t, size=(size, size), mode="bilinear", align_corners=True)
        out.append(t)
    return torch.cat(out, 0).contiguous()


def nsfwjs_batches(batch_size: int, num_batches: int, size: int, start: int = 0) -> List[torch.Tensor]:
    """Batches of the project's photos (models.data.photo_paths) as nsfwjs sees them (pixels / 255, squashed to
    size x size); stream position i is photo i mod n, mirrored left-right on odd rounds, so a stream longer than
    the photo set repeats no image exactly. Deterministic."""
    from models import data
    paths = data.photo_paths()
    out = []
    for b in range(num_batches):
        idx = range(start + b * batch_size, start + (b + 1) * batch_size)
        x = nsfwjs_preprocess(load_photos([paths[i % len(paths)] for i in idx]), size)
        flip = torch.tensor([(i // len(paths)) % 2 == 1 for i in idx])
        x[flip] = x[flip].flip(-1)
        out.append(x)
    return out


def load_photos(paths: Sequence[str]) -> List[np.ndarray]:
    """RGB uint8 HxWx3 arrays of image files (PIL)."""
    from PIL import Image
    res = []
    for p in paths:
        with Image.open(p) as im:
            res.append(np.asarray(im.convert("RGB"), dtype=np.uint8))
    return res


REFERENCE_PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg")


def reference_photo_paths() -> List[str]:
    """The python3-skimage photos of the TF.js reference fixture (tests/python/fixtures/nsfwjs_reference.json)."""
    import skimage
    return [os.path.join(skimage.data_dir, n) for n in REFERENCE_PHOTOS]
