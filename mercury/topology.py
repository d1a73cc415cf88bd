"""SCALE-Sim topology CSVs of a model (execution order): the simulator's input format.

CLI: python3 -m mercury.topology MODEL [--size 224] -o topo.csv [--gemm] [--padded-ifmap] [--photos]

Conv format (docs/INTERFACES.md, SCALE-Sim v2's conv topology format, trailing comma on every line):

    Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
    L000_conv1,230,230,7,7,3,64,2,

Row i (0-based, after the header) is layer id i; its name is `L<id, 3 digits>_<qualified module name>`.
IFMAP sizes: see the note on SCALE-Sim's output size below; filter sizes are the effective dilated sizes
d*(k-1)+1; a conv with G > 1 groups is written as one group (Channels = C/G, Num Filter = Cout/G), which is what
SCALE-Sim simulates; mercury-sim takes G from the layer's hit log (the study runs `mercury-sim -m` on the hit
log alone, so this file is for SCALE-Sim and for users). SCALE-Sim has a single stride column: stride_h != stride_w
is an error.

Layer ids = execution order of the convs, which is the order in which the TorchScript rewrite pass numbers them
(graph order of the inlined scripted forward). `conv_layers` finds it by running one forward pass with forward
pre-hooks on every nn.Conv2d: a module that is called twice in one forward gets two ids (two rows, same name
plus the suffix `#<call>` for calls after the first) just as two call sites in the graph get two ids.
Convs done through torch.nn.functional.conv2d (not an nn.Conv2d module) are not seen by the hooks: such a model
raises an error rather than exporting ids that would not line up with the rewrite pass (checked by comparing with
the scripted graph's conv count when the model scripts).

Note on SCALE-Sim's output size: SCALE-Sim computes ofmap = ceil((IFMAP - filter + stride) / stride), PyTorch
floor((IFMAP - filter) / stride) + 1; they differ when (IFMAP - filter) % stride != 0 (e.g. ResNet conv1:
(230 - 7) / 2). So by default (`exact_ifmap=True`) the IFMAP written is the padded region actually read,
(out - 1) * stride + filter, on which both agree (docs/INTERFACES.md); `exact_ifmap=False` writes H + 2 * pad.

GEMM format (`gemm=True`, SCALE-Sim's `-i gemm` input): `Layer Name, M, N, K,` per conv (per group) with
M = out_h * out_w (one image; times batch when batch is given), N = Num Filter, K = filter_h * filter_w * Channels.
"""
import argparse
import math
import os
import sys
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from mercury.order import DEFAULT_KINDS, LayerCall, conv_calls, layer_calls

CONV_HEADER = ("Layer name", "IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels",
               "Num Filter", "Strides")
GEMM_HEADER = ("Layer Name", "M", "N", "K")


@dataclass
class ConvLayer:
    """One conv call: everything a topology row (conv or GEMM) needs."""
    layer_id: int
    name: str          # qualified module name (without the L<id>_ prefix)
    N: int
    C: int
    H: int
    W: int
    out_channels: int
    kernel_h: int
    kernel_w: int
    out_h: int
    out_w: int
    groups: int = 1
    stride_h: int = 1
    stride_w: int = 1
    pad_h: int = 0     # total padding (both sides) is pad_top + pad_bottom; see pad_total_*
    pad_w: int = 0
    dilation_h: int = 1
    dilation_w: int = 1
    pad_total_h: Optional[int] = None   # set for asymmetric padding ('same' with even d*(k-1)); else 2*pad
    pad_total_w: Optional[int] = None

    # --- derived
    @property
    def eff_kh(self) -> int:
        return self.dilation_h * (self.kernel_h - 1) + 1

    @property
    def eff_kw(self) -> int:
        return self.dilation_w * (self.kernel_w - 1) + 1

    @property
    def padded_h(self) -> int:
        return self.H + (2 * self.pad_h if self.pad_total_h is None else self.pad_total_h)

    @property
    def padded_w(self) -> int:
        return self.W + (2 * self.pad_w if self.pad_total_w is None else self.pad_total_w)

    def validate(self) -> None:
        where = f"layer {self.layer_id} ({self.name})"
        for field in ("N", "C", "H", "W", "out_channels", "kernel_h", "kernel_w", "out_h", "out_w", "groups",
                      "stride_h", "stride_w", "dilation_h", "dilation_w"):
            v = getattr(self, field)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{where}: {field} must be a positive int, got {v!r}")
        for field in ("pad_h", "pad_w"):
            v = getattr(self, field)
            if not isinstance(v, int) or v < 0:
                raise ValueError(f"{where}: {field} must be a non-negative int, got {v!r}")
        if self.C % self.groups or self.out_channels % self.groups:
            raise ValueError(f"{where}: groups={self.groups} must divide C={self.C} and "
                             f"out_channels={self.out_channels}")
        if self.stride_h != self.stride_w:
            raise ValueError(f"{where}: stride {self.stride_h}x{self.stride_w} is not square; SCALE-Sim's topology "
                             "format has a single Strides column")
        if self.eff_kh > self.padded_h or self.eff_kw > self.padded_w:
            raise ValueError(f"{where}: effective filter {self.eff_kh}x{self.eff_kw} larger than padded input "
                             f"{self.padded_h}x{self.padded_w}")
        oh = (self.padded_h - self.eff_kh) // self.stride_h + 1
        ow = (self.padded_w - self.eff_kw) // self.stride_w + 1
        if (oh, ow) != (self.out_h, self.out_w):
            raise ValueError(f"{where}: output {self.out_h}x{self.out_w} inconsistent with input {self.H}x{self.W}, "
                             f"padding {self.pad_h}/{self.pad_w}, kernel {self.kernel_h}x{self.kernel_w}, stride "
                             f"{self.stride_h}, dilation {self.dilation_h}/{self.dilation_w} (expected {oh}x{ow})")
        if "," in self.name or "\n" in self.name:
            raise ValueError(f"{where}: a layer name cannot contain a comma or newline")

    def row_name(self) -> str:
        return f"L{self.layer_id:03d}_{self.name}"

    def conv_row(self, exact_ifmap: bool = True) -> Tuple:
        self.validate()
        if exact_ifmap:
            ih = (self.out_h - 1) * self.stride_h + self.eff_kh
            iw = (self.out_w - 1) * self.stride_w + self.eff_kw
        else:
            ih, iw = self.padded_h, self.padded_w
        return (self.row_name(), ih, iw, self.eff_kh, self.eff_kw, self.C // self.groups,
                self.out_channels // self.groups, self.stride_h)

    def gemm_row(self, batch: int = 1) -> Tuple:
        self.validate()
        cg = self.C // self.groups
        return (self.row_name(), batch * self.out_h * self.out_w, self.out_channels // self.groups,
                self.kernel_h * self.kernel_w * cg)


# ------------------------------------------------------------------------------------ from a model

def _conv_layer(call: LayerCall) -> ConvLayer:
    if len(call.input_shape) != 4:
        raise ValueError(f"conv {call.name} got a {len(call.input_shape)}-d input; only batched 4-d inputs "
                         "are supported")
    module, (n, c, h, w), out = call.module, call.input_shape, call.output_shape
    ph, pw, th, tw = _padding(module)
    sh, sw = _pair(module.stride)
    dh, dw = _pair(module.dilation)
    return ConvLayer(layer_id=call.layer_id, name=call.name, N=n, C=c, H=h, W=w, out_channels=module.out_channels,
                     kernel_h=module.kernel_size[0], kernel_w=module.kernel_size[1], out_h=int(out[2]),
                     out_w=int(out[3]), groups=module.groups, stride_h=sh, stride_w=sw, pad_h=ph, pad_w=pw,
                     dilation_h=dh, dilation_w=dw, pad_total_h=th, pad_total_w=tw)


def gemm_layer(layer_id: int, name: str, samples: int, heads: int, m: int, k: int, n: int) -> ConvLayer:
    """A GEMM of `samples` x `heads` [m, k] x [k, n] products as the 1 x 1 conv the hit log records for it
    (csrc/hitlog/record_schema.h; SCALE-Sim's GEMM mapping, M = m rows per sample), heads as groups."""
    return ConvLayer(layer_id=layer_id, name=name, N=samples, C=k * heads, H=m, W=1, out_channels=n * heads,
                     kernel_h=1, kernel_w=1, out_h=m, out_w=1, groups=heads)


def _linear_layer(call: LayerCall) -> ConvLayer:
    """A linear call: samples = the first dim of an input of 3 or more dims, every row of a 2-d one (the op's
    rule, ops/linear_options.h)."""
    shape = call.input_shape
    rows = math.prod(shape[:-1])
    samples = shape[0] if len(shape) >= 3 else rows
    return gemm_layer(call.layer_id, call.name, samples, 1, rows // samples, shape[-1], call.module.out_features)


def call_layer(call: LayerCall) -> ConvLayer:
    """One conv or linear call as a topology record (a linear layer as the 1 x 1 conv it equals)."""
    return _conv_layer(call) if call.kind == "conv2d" else _linear_layer(call)


def model_layers(model: nn.Module, example, kinds: Sequence[str] = DEFAULT_KINDS) -> List[ConvLayer]:
    """The layers of `kinds` of one forward pass on `example` (any input mercury.order.run_example takes), in
    execution order, as topology records: a linear layer as the 1 x 1 conv it equals. Their ids are the ids
    mercury.convert(model, example, kinds=kinds) gives (a module called twice: one id per call here)."""
    return [call_layer(c) for c in layer_calls(model, example, kinds)]


def _pair(v) -> Tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (tuple, list)) else (int(v), int(v))


def _padding(m: nn.Conv2d) -> Tuple[int, int, Optional[int], Optional[int]]:
    """(pad_h, pad_w, total_h or None, total_w or None) of a Conv2d, including padding='same'/'valid'."""
    if isinstance(m.padding, str):
        if m.padding == "valid":
            return 0, 0, None, None
        # 'same' (stride 1 only): total d*(k-1), the extra odd pixel on the bottom/right.
        th = m.dilation[0] * (m.kernel_size[0] - 1)
        tw = m.dilation[1] * (m.kernel_size[1] - 1)
        return th // 2, tw // 2, (th if th % 2 else None), (tw if tw % 2 else None)
    ph, pw = _pair(m.padding)
    return ph, pw, None, None


def scripted_conv_weights(model: nn.Module) -> Optional[List[Tuple[int, ...]]]:
    """Weight shapes of the conv nodes (aten::conv2d/_convolution/convolution) of the frozen, inlined scripted
    forward, in graph order -- what a TorchScript rewrite pass numbering convs in graph order sees. Freezing
    (torch.jit.freeze) matters: it folds module attributes such as MobileNetV2's `use_res_connect`, whose
    un-frozen `if` duplicates every block's convs into both branches (102 conv nodes for 52 convs).
    Returns None when the model does not script/freeze (or is in training mode, which freezing refuses)."""
    if model.training:
        return None
    try:
        sm = model if isinstance(model, torch.jit.ScriptModule) else torch.jit.script(model)
        graph = torch.jit.freeze(sm).graph
    except Exception:
        return None
    kinds = {"aten::conv2d", "aten::_convolution", "aten::convolution"}
    shapes: List[Tuple[int, ...]] = []

    def walk(block):
        for node in block.nodes():
            if node.kind() in kinds:
                w = list(node.inputs())[1].toIValue()
                shapes.append(tuple(w.shape) if isinstance(w, torch.Tensor) else ())
            for b in node.blocks():
                walk(b)
    walk(graph)
    return shapes


def _eval_copy_weights(model: nn.Module) -> Optional[List[Tuple[int, ...]]]:
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        return scripted_conv_weights(model)
    finally:
        for m, training in modes:
            m.training = training


def conv_layers(model: nn.Module, example: Union[torch.Tensor, Sequence[int]], check_script: bool = True
                ) -> List[ConvLayer]:
    """Run one forward pass of `model` (no grad, in eval mode; each module's mode is restored) on `example` -- a
    real input batch, or an input shape (N, C, H, W) / (C, H, W) for which zeros are used -- and return its
    nn.Conv2d calls in execution order as ConvLayer records (layer_id = call index).

    check_script: also script + freeze the model and check that its graph's convs, in graph order, have the weight
    shapes of the calls seen, in execution order (skipped when the model does not script);
    a mismatch (functional convs, convs in data-dependent branches) raises RuntimeError."""
    if isinstance(model, torch.jit.ScriptModule):
        raise TypeError("conv_layers needs the eager nn.Module (forward hooks do not fire in a ScriptModule); "
                        "pass models.zoo.build(name) rather than script(name)")
    if not isinstance(example, torch.Tensor):
        shape = tuple(int(s) for s in example)
        if len(shape) == 3:
            shape = (1,) + shape
        if len(shape) != 4 or min(shape) < 1:
            raise ValueError(f"input size must be (N, C, H, W) or (C, H, W) with positive entries, got {example}")
        param = next(model.parameters(), None)
        example = torch.zeros(shape, dtype=param.dtype if param is not None else torch.float32)
    try:
        calls = conv_calls(model, example)
    except RuntimeError as e:
        raise ValueError(f"forward pass of {type(model).__name__} on an input of shape {tuple(example.shape)} "
                         f"failed (input too small or wrong channels?): {e}") from e
    layers = [_conv_layer(call) for call in calls]
    if not layers:
        raise ValueError(f"{type(model).__name__} ran no nn.Conv2d in its forward pass: nothing to export")
    if check_script:
        graph_shapes = scripted_conv_weights(model) if not model.training else _eval_copy_weights(model)
        seen = [(l.out_channels, l.C // l.groups, l.kernel_h, l.kernel_w) for l in layers]
        if graph_shapes is not None and graph_shapes != seen:
            first = next((i for i, (a, b) in enumerate(zip(graph_shapes, seen)) if a != b),
                         min(len(graph_shapes), len(seen)))
            raise RuntimeError(f"{type(model).__name__}: the forward pass ran {len(seen)} nn.Conv2d calls but the "
                               f"frozen scripted graph has {len(graph_shapes)} convs, first difference at conv "
                               f"{first} (functional convs or data-dependent branches?): layer ids would not match "
                               "the rewrite pass")
    for layer in layers:
        layer.validate()
    return layers


# ------------------------------------------------------------------------------------ writing

def format_topology(layers: Sequence[ConvLayer], gemm: bool = False, exact_ifmap: bool = True,
                    batch: int = 1) -> str:
    if not layers:
        raise ValueError("no layers to write")
    for i, layer in enumerate(layers):
        if layer.layer_id != i:
            raise ValueError(f"row {i} holds layer id {layer.layer_id}: rows must be layer ids 0..L-1 in order")
    header = GEMM_HEADER if gemm else CONV_HEADER
    rows = [layer.gemm_row(batch) if gemm else layer.conv_row(exact_ifmap) for layer in layers]
    lines = [", ".join(header) + ","] + [",".join(str(v) for v in row) + "," for row in rows]
    return "\n".join(lines) + "\n"


def write_topology(layers: Sequence[ConvLayer], path: str, gemm: bool = False, exact_ifmap: bool = True,
                   batch: int = 1) -> str:
    text = format_topology(layers, gemm, exact_ifmap, batch)
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


def export_model(model: nn.Module, example: Union[torch.Tensor, Sequence[int]], path: str, gemm: bool = False,
                 exact_ifmap: bool = True, batch: int = 1) -> List[ConvLayer]:
    layers = conv_layers(model, example)
    write_topology(layers, path, gemm, exact_ifmap, batch)
    return layers


# ------------------------------------------------------------------------------------ CLI

def main(argv: Optional[Sequence[str]] = None) -> int:
    from models import zoo
    p = argparse.ArgumentParser(prog="python3 -m mercury.topology",
                                description="Write the SCALE-Sim topology CSV of a zoo model (convs in execution "
                                            "order, row i = mercury layer id i).")
    p.add_argument("model", help=f"one of: {', '.join(zoo.MODELS)}")
    p.add_argument("--size", type=int, default=None, help="input height/width (default: the model's native size)")
    p.add_argument("--channels", type=int, default=None, help="input channels (default: the model's)")
    p.add_argument("-o", "--output", required=True, help="CSV file to write")
    p.add_argument("--gemm", action="store_true", help="write SCALE-Sim's GEMM (M, N, K) format instead")
    p.add_argument("--batch", type=int, default=1, help="GEMM only: M counts this many images (default 1)")
    p.add_argument("--padded-ifmap", action="store_true",
                   help="IFMAP = H + 2*pad instead of the rows/cols actually read (the default, on which "
                        "SCALE-Sim's ceil-based ofmap size equals PyTorch's)")
    p.add_argument("--photos", action="store_true",
                   help="trace with a real photo (ImageNet models) instead of zeros (shapes are the same)")
    args = p.parse_args(argv)
    try:
        model = zoo.build(args.model)
        c, h, w = zoo.input_shape(args.model)
        if args.channels:
            c = args.channels
        if args.size:
            h = w = args.size
        if args.photos and c == 3:
            from models import data
            example = data.image_tensor(1, size=h)
        else:
            example = (1, c, h, w)
        layers = export_model(model, example, args.output, args.gemm, not args.padded_ifmap, args.batch)
    except (ValueError, RuntimeError, FileNotFoundError) as e:
        print(f"mercury.topology: error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {len(layers)} conv rows to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
