"""The matmuls of two activations in a model (a transformer's attention: scores Q·Kᵀ and weights·V). MERCURY does
not accelerate them — there is no weight whose products a cache could hold — but a model's speedup is its whole
forward's, so the simulator counts them at baseline. This module captures their geometry and writes it into a
hit-log directory as records of op "matmul" (no vectors), which mercury-sim simulates at baseline and reports apart.

How they are captured: one forward pass under a TorchFunctionMode that sees every torch.matmul / torch.bmm / ``@``
and F.scaled_dot_product_attention (two GEMMs: Q·Kᵀ, then weights·V) whose operands are both activations (neither
is a parameter or buffer of the model; a product with one is a linear layer, which mercury.convert/rewrite take).
The layer ids follow the model's MERCURY layers: first_id, first_id + 1, ... in execution order.

A record's geometry is the GEMM as the hit log writes a linear layer (record_schema.h, mercury.topology.gemm_layer):
per sample (the first dim) and head (the dims between, as groups), M rows x K -> N columns.
"""
import math
import os
from dataclasses import dataclass
from typing import Any, List

import torch
from torch.overrides import TorchFunctionMode

from mercury.files import write_csv
from mercury.hitlog import hitlog_columns, hitlog_schema
from mercury.order import run_example
from mercury.topology import ConvLayer, gemm_layer

_MATMULS = {torch.matmul, torch.bmm, torch.Tensor.matmul, torch.Tensor.__matmul__, torch.Tensor.bmm}
_ATTENTION = {torch.nn.functional.scaled_dot_product_attention}


@dataclass
class MatmulCall:
    """One GEMM of two activations: per sample and head, [m, k] x [k, n]."""
    samples: int
    heads: int
    m: int
    k: int
    n: int
    what: str  # "matmul", "attention scores" or "attention values"

    @property
    def macs(self) -> int:
        return self.samples * self.heads * self.m * self.k * self.n


def _gemm(a_shape, b_shape, what: str) -> MatmulCall:
    """[..., m, k] x [..., k, n]: the first dim is the sample, the dims between are heads."""
    lead = a_shape[:-2] if len(a_shape) > 2 else (1,)
    return MatmulCall(int(lead[0]), int(math.prod(lead[1:])), int(a_shape[-2]), int(a_shape[-1]),
                      int(b_shape[-1]), what)


class _Capture(TorchFunctionMode):
    def __init__(self, owned):
        super().__init__()
        self.owned, self.calls = owned, []

    def _activation(self, t) -> bool:
        return isinstance(t, torch.Tensor) and t.dim() >= 2 and id(t) not in self.owned

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _MATMULS and len(args) >= 2 and self._activation(args[0]) and self._activation(args[1]):
            self.calls.append(_gemm(tuple(args[0].shape), tuple(args[1].shape), "matmul"))
        elif func in _ATTENTION:
            q, k, v = args[:3]
            self.calls.append(_gemm(tuple(q.shape), tuple(k.transpose(-1, -2).shape), "attention scores"))
            scores = (*q.shape[:-1], k.shape[-2])
            self.calls.append(_gemm(scores, tuple(v.shape), "attention values"))
        return func(*args, **kwargs)


def capture_matmuls(model: torch.nn.Module) -> _Capture:
    """A context (a TorchFunctionMode) whose `calls` list collects the matmuls of two activations of `model` run
    inside it, in execution order (mercury.profile wraps one forward of each window in it)."""
    return _Capture({id(t) for t in list(model.parameters()) + list(model.buffers())})


def activation_matmuls(model: torch.nn.Module, example: Any) -> List[MatmulCall]:
    """The matmuls of two activations of one forward pass of `model` on `example` (no grad), in execution order."""
    capture = capture_matmuls(model)
    with torch.no_grad(), capture:
        run_example(model, example)
    return capture.calls


def matmul_layers(calls: List[MatmulCall], first_id: int) -> List[ConvLayer]:
    """The calls as topology records (mercury.topology.gemm_layer), ids first_id, first_id + 1, ..."""
    return [gemm_layer(first_id + i, f"{c.what} {i}", c.samples, c.heads, c.m, c.k, c.n) for i, c in enumerate(calls)]


def write_matmul_hitlogs(calls: List[MatmulCall], directory: str, first_id: int) -> List[int]:
    """One hit-log file per call (hitlog-NNN.csv, ids first_id, first_id + 1, ...) in the record schema's columns:
    op "matmul", mode "off", no vectors, the geometry of matmul_layers. Returns the layer ids written."""
    columns = hitlog_columns()
    geometry = [c["name"] for c in hitlog_schema()["columns"] if c["geometry"]]
    prefix = hitlog_schema()["file_prefix"]
    ids = []
    for seq, layer in enumerate(matmul_layers(calls, first_id)):
        record = {name: 0 for name in columns}
        record.update({name: getattr(layer, name) for name in geometry})
        record.update(seq=seq, layer_id=layer.layer_id, call=0, op="matmul", mode="off", vector_kind="patch",
                      signature="sign", hitmap="")
        write_csv(os.path.join(directory, f"{prefix}{layer.layer_id:03d}.csv"), columns,
                  [[record[n] for n in columns]])
        ids.append(layer.layer_id)
    return ids
