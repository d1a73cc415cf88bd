"""A TF.js Keras "layers" model.json (functional model) and its weights -> KerasGraph.

TF "same" padding is resolved statically: each layer's input size is found by running a zero tensor through the
layers as they are built (see the package docstring)."""
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn as nn

from models.tfjs_import.keras_layers import KerasGraph
from models.tfjs_import.layer_builders import LAYER_BUILDERS, WeightReader, keras_activation


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
    read_weight = WeightReader(weights)
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
        if cls not in LAYER_BUILDERS:
            raise NotImplementedError(f"Keras layer {cls} ({name}) not supported")

        def act(activation: Optional[str], is_output: bool = name == output_name) -> nn.Module:  # bound per layer
            return keras_activation(activation, is_output, drop_final_softmax)
        mod = LAYER_BUILDERS[cls](cls, name, c, probe[srcs[0]], read_weight, act)
        mod.eval()
        modules.append(mod)
        names.append(name)
        inputs.append(srcs)
        slot[name] = len(modules)
        with torch.no_grad():
            probe[len(modules)] = mod([probe[j] for j in srcs])
    read_weight.check_all_used()
    return KerasGraph(modules, names, inputs, slot[output_name]).eval()
