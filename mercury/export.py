"""The torch.export counterpart of the TorchScript rewrite: every 2-D convolution of an ExportedProgram becomes a
mercury::conv2d call and every linear layer (aten.linear whose weight is a parameter, buffer or constant) a
mercury::linear call; `kinds` chooses which.

Layers are numbered in graph order of the exported program, which is execution order, so a model gets the same
ids (and names: the weight's module path) here as from the TorchScript pass (tests/python/test_export.py checks
both passes layer by layer). The result runs (``program.module()(x)``), saves with ``torch.export.save`` and loads
back with ``torch.export.load`` once ``import mercury`` has loaded the op library.
"""
import copy
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import torch

from mercury import settings as mercury_settings
from mercury.order import DEFAULT_KINDS, check_kinds

_CONVS = (torch.ops.aten.conv2d.default, torch.ops.aten.convolution.default)
_LINEARS = (torch.ops.aten.linear.default, torch.ops.aten.matmul.default, torch.ops.aten.addmm.default)


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


def _owned(program: torch.export.ExportedProgram, node: torch.fx.Node) -> bool:
    """Whether `node` is the model's own tensor (a parameter, buffer or constant), not an activation."""
    spec = program.graph_signature
    return isinstance(node, torch.fx.Node) and (
        node.op == "get_attr" or node.name in spec.inputs_to_parameters or node.name in spec.inputs_to_buffers or
        node.name in spec.inputs_to_lifted_tensor_constants)


def _linear_args(program: torch.export.ExportedProgram, node: torch.fx.Node) -> Tuple[Optional[tuple], str]:
    """(input, weight, bias, transposed) of a linear layer whose weight is the model's own, or (None, why not):
    aten.linear, or aten.matmul / aten.addmm (beta = alpha = 1) whose second operand is a 2-D weight [in, out]
    (transposed). A matmul of two activations (attention) is no layer: (None, "")."""
    if node.target == torch.ops.aten.linear.default:
        bias = node.args[2] if len(node.args) > 2 else node.kwargs.get("bias")
        args, transposed = (node.args[0], node.args[1], bias), False
    elif node.target == torch.ops.aten.matmul.default:
        args, transposed = (node.args[0], node.args[1], None), True
    else:
        if node.kwargs.get("beta", 1) != 1 or node.kwargs.get("alpha", 1) != 1:
            return None, "addmm with beta or alpha other than 1"
        args, transposed = (node.args[1], node.args[2], node.args[0]), True
    weight = args[1]
    value = weight.meta.get("val") if isinstance(weight, torch.fx.Node) else None
    if not _owned(program, weight) or value is None or value.dim() != 2:
        return None, ("weight is an activation (not a layer's weight)"
                      if node.target == torch.ops.aten.linear.default else "")
    if transposed and args[2] is not None and not _owned(program, args[2]):
        return None, "the added term is not the model's own bias"
    return (*args, transposed), ""


def _layer_args(program: torch.export.ExportedProgram, node: torch.fx.Node,
                kinds: Tuple[str, ...]) -> Tuple[Optional[str], Optional[tuple], str]:
    """(kind, arguments, why not) of a node the pass may replace; kind None for every other node."""
    if node.op != "call_function":
        return None, None, ""
    if node.target in _CONVS and "conv2d" in kinds:
        return ("conv2d", *_conv_args(node))
    if node.target in _LINEARS and "linear" in kinds:
        return ("linear", *_linear_args(program, node))
    return None, None, ""


def _layer_name(program: torch.export.ExportedProgram, weight: torch.fx.Node) -> str:
    """The conv's module path (its weight's parameter name without '.weight'), as the TorchScript pass names it."""
    spec = program.graph_signature
    fqn = spec.inputs_to_parameters.get(weight.name) or spec.inputs_to_buffers.get(weight.name)
    if fqn is None:
        return weight.name
    return fqn[:-len(".weight")] if fqn.endswith(".weight") else fqn


def rewrite_exported(program: torch.export.ExportedProgram, *,
                     per_layer: Optional[Mapping[Union[int, str], Mapping]] = None,
                     kinds: Sequence[str] = DEFAULT_KINDS,
                     **settings) -> Tuple[torch.export.ExportedProgram, List[Dict[str, Any]], List[str]]:
    """A copy of `program` with every 2-D convolution replaced by mercury::conv2d and every linear layer by
    mercury::linear (`kinds`); returns (program, layer table, warnings about layers left as they were). settings /
    per_layer as in mercury.rewrite."""
    kinds = check_kinds(kinds, "mercury.rewrite")
    program = copy.deepcopy(program)
    graph = program.graph_module.graph
    base = mercury_settings.check(settings, "mercury.rewrite settings")
    overrides = {key: mercury_settings.check(value, f"mercury.rewrite per_layer[{key!r}]")
                 for key, value in (per_layer or {}).items()}
    found, warnings = [], []
    for node in graph.nodes:
        kind, args, why = _layer_args(program, node, kinds)
        if kind is not None and args is None:
            if why:
                warnings.append(f"{node.name}: {why}: left as it is")
        elif kind is not None:
            found.append((node, kind, args[1]))
    if not found:
        raise ValueError(f"mercury.rewrite: the program has no layer of kinds {list(kinds)} to rewrite"
                         + (f" ({'; '.join(warnings)})" if warnings else ""))
    names = [_layer_name(program, weight) for _, _, weight in found]
    unknown = [k for k in overrides if not (isinstance(k, int) and 0 <= k < len(found)) and k not in names]
    if unknown:
        raise ValueError(f"mercury.rewrite: per_layer names layer(s) {unknown} that the program does not have "
                         f"(ids 0..{len(found) - 1}, or names such as {names[:3]})")
    layers = []
    for layer_id, ((node, kind, _), name) in enumerate(zip(found, names)):
        layer = dict(mercury_settings.defaults(), **base)
        for key in (name, layer_id):
            layer.update(overrides.get(key, {}))
        mercury_settings.check(layer, f"mercury.rewrite layer {layer_id} ({name})")
        # Read now, not when found: a layer fed by one replaced before it takes the replacement as its input.
        args = _layer_args(program, node, kinds)[1]
        layers.append(dict(id=layer_id, name=name, kind=kind, op=str(node.target), **_geometry(kind, args), **layer))
        _replace(program, node, kind, args, [layer_id, *(layer[k] for k in mercury_settings.names())])
    program.graph_module.recompile()
    return program, layers, warnings


def _geometry(kind: str, args: tuple) -> Dict[str, Any]:
    if kind == "linear":
        shape = list(args[1].meta["val"].shape)
        return dict(weight_shape=shape[::-1] if args[3] else shape)
    input_, weight, bias, stride, padding, dilation, groups = args
    return dict(weight_shape=list(weight.meta["val"].shape), stride=stride, padding=padding, dilation=dilation,
                groups=groups)


def _replace(program: torch.export.ExportedProgram, node: torch.fx.Node, kind: str, args: tuple,
             mercury_args: List[Any]) -> None:
    """Swaps `node` for a mercury::<kind> call: every user is rewired, and so is the program's output signature
    where the node was one of its outputs."""
    graph = program.graph_module.graph
    with graph.inserting_before(node):
        if kind == "conv2d":
            new = graph.call_function(torch.ops.mercury.conv2d.default, (*args, *mercury_args))
        else:
            input_, weight, bias, transposed = args
            if transposed:  # a weight [in, out]: mercury::linear takes [out, in]
                weight = graph.call_function(torch.ops.aten.t.default, (weight,))
                weight.meta["val"] = args[1].meta["val"].t()
            new = graph.call_function(torch.ops.mercury.linear.default, (input_, weight, bias, *mercury_args))
    new.meta = dict(node.meta)
    node.replace_all_uses_with(new)
    for spec in program.graph_signature.output_specs:
        if getattr(spec.arg, "name", None) == node.name:
            spec.arg.name = new.name
    graph.erase_node(node)


def export_and_rewrite(module: torch.nn.Module, example_inputs: tuple, **kwargs):
    """torch.export.export(module, example_inputs), then rewrite_exported."""
    if not isinstance(example_inputs, tuple):
        example_inputs = (example_inputs,)
    return rewrite_exported(torch.export.export(module.eval(), example_inputs), **kwargs)
