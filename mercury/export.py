"""The torch.export counterpart of the TorchScript rewrite: every 2-D convolution of an ExportedProgram becomes a
mercury::conv2d call.

Layers are numbered in graph order of the exported program, which is execution order, so a model gets the same
ids (and names: the weight's module path) here as from the TorchScript pass (tests/python/test_export.py checks
both passes layer by layer). The result runs (``program.module()(x)``), saves with ``torch.export.save`` and loads
back with ``torch.export.load`` once ``import mercury`` has loaded the op library.
"""
import copy
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import torch

from mercury import settings as mercury_settings

_CONVS = (torch.ops.aten.conv2d.default, torch.ops.aten.convolution.default)


def _conv_args(node: torch.fx.Node) -> Tuple[Optional[tuple], str]:
    """(input, weight, bias, stride, padding, dilation, groups) of a 2-D conv node, or (None, why not)."""
    schema = node.target._schema
    values = {a.name: (node.args[i] if i < len(node.args) else node.kwargs.get(a.name, a.default_value))
              for i, a in enumerate(schema.arguments)}
    if values.get("transposed", False):
        return None, "transposed convolution"
    weight = values["weight"].meta.get("val")
    if weight is None or weight.dim() != 4:
        return None, "not a 2-D convolution"
    pair = lambda v: [int(x) for x in v] * (2 if len(v) == 1 else 1)  # noqa: E731
    return (values["input"], values["weight"], values["bias"], pair(values["stride"]), pair(values["padding"]),
            pair(values["dilation"]), int(values["groups"])), ""


def _layer_name(program: torch.export.ExportedProgram, weight: torch.fx.Node) -> str:
    """The conv's module path (its weight's parameter name without '.weight'), as the TorchScript pass names it."""
    spec = program.graph_signature
    fqn = spec.inputs_to_parameters.get(weight.name) or spec.inputs_to_buffers.get(weight.name)
    if fqn is None:
        return weight.name
    return fqn[:-len(".weight")] if fqn.endswith(".weight") else fqn


def rewrite_exported(program: torch.export.ExportedProgram, *,
                     per_layer: Optional[Mapping[Union[int, str], Mapping]] = None,
                     **settings) -> Tuple[torch.export.ExportedProgram, List[Dict[str, Any]], List[str]]:
    """A copy of `program` with every 2-D convolution replaced by mercury::conv2d; returns (program, layer table,
    warnings about convolutions left as they were). settings / per_layer as in mercury.rewrite."""
    program = copy.deepcopy(program)
    graph = program.graph_module.graph
    base = mercury_settings.check(settings, "mercury.rewrite settings")
    overrides = {key: mercury_settings.check(value, f"mercury.rewrite per_layer[{key!r}]")
                 for key, value in (per_layer or {}).items()}
    found, warnings = [], []
    for node in graph.nodes:
        if node.op == "call_function" and node.target in _CONVS:
            args, why = _conv_args(node)
            if args is None:
                warnings.append(f"{node.name}: {why}: left as it is")
            else:
                found.append((node, args))
    names = [_layer_name(program, args[1]) for _, args in found]
    unknown = [k for k in overrides if not (isinstance(k, int) and 0 <= k < len(found)) and k not in names]
    if unknown:
        raise ValueError(f"mercury.rewrite: per_layer names layer(s) {unknown} that the program does not have "
                         f"(ids 0..{len(found) - 1}, or names such as {names[:3]})")
    layers = []
    for layer_id, ((node, args), name) in enumerate(zip(found, names)):
        layer = dict(mercury_settings.defaults(), **base)
        for key in (name, layer_id):
            layer.update(overrides.get(key, {}))
        mercury_settings.check(layer, f"mercury.rewrite layer {layer_id} ({name})")
        values = [layer[k] for k in mercury_settings.names()]
        with graph.inserting_before(node):
            new = graph.call_function(torch.ops.mercury.conv2d.default, (*args, layer_id, *values))
        new.meta = dict(node.meta)
        node.replace_all_uses_with(new)
        graph.erase_node(node)
        input_, weight, bias, stride, padding, dilation, groups = args
        layers.append(dict(id=layer_id, name=name, op=str(node.target), weight_shape=list(weight.meta["val"].shape),
                           stride=stride, padding=padding, dilation=dilation, groups=groups, **layer))
    program.graph_module.recompile()
    return program, layers, warnings


def export_and_rewrite(module: torch.nn.Module, example_inputs: tuple, **kwargs):
    """torch.export.export(module, example_inputs), then rewrite_exported."""
    if not isinstance(example_inputs, tuple):
        example_inputs = (example_inputs,)
    return rewrite_exported(torch.export.export(module.eval(), example_inputs), **kwargs)
