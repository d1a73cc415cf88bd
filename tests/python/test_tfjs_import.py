"""models.tfjs_import: TF.js Keras layers import (nsfwjs models) checked against the original TF.js outputs.

The fixture tests/python/fixtures/nsfwjs_reference.json holds the softmax outputs of nsfwjs@4.3.0's own TF.js
models (tfjs pure-JS CPU backend, nsfwjs' preprocessing done in TF.js) on four python3-skimage photos; see
models/tfjs_reference/reference.js for how it is regenerated. The nsfwjs tests skip only when the package data
is absent (`bash .ci/fetch_data.sh` unpacks it; CI runs it). The synthetic-layer tests need no data.
"""
import json
import math
import os

import numpy as np
import pytest
import torch

from models import tfjs_import as T
from models import zoo

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "nsfwjs_reference.json")


def _nsfwjs_present() -> bool:
    try:
        for name in T.NSFWJS_MODELS:
            T.nsfwjs_model_dir(name)
        return True
    except FileNotFoundError:
        return False


needs_nsfwjs = pytest.mark.skipif(not _nsfwjs_present(),
                                  reason="nsfwjs model data absent: run `bash .ci/fetch_data.sh` "
                                         "(unpacks npm nsfwjs@4.3.0 into data/npm/nsfwjs)")


@pytest.fixture(scope="module")
def photos():
    pytest.importorskip("skimage")
    return T.load_photos(T.reference_photo_paths())


@pytest.fixture(scope="module")
def reference():
    with open(FIXTURE) as f:
        return json.load(f)


# ----------------------------------------------------------------------------------- nsfwjs vs TF.js

@needs_nsfwjs
@pytest.mark.parametrize("name", sorted(T.NSFWJS_MODELS))
def test_nsfwjs_matches_tfjs_reference(name, photos, reference):
    assert reference["classes"] == list(T.NSFWJS_CLASSES)
    assert reference["photos"] == list(T.REFERENCE_PHOTOS)
    model = zoo.build(name)
    assert not model.training
    size = T.NSFWJS_MODELS[name][1]
    assert zoo.input_shape(name) == (3, size, size) and reference["models"][name]["input_size"] == size
    x = T.nsfwjs_preprocess(photos, size)
    assert x.shape == (len(photos), 3, size, size) and x.dtype == torch.float32
    with torch.no_grad():
        logits = model(x)
    assert logits.shape == (len(photos), 5)
    probs = torch.softmax(logits, 1).numpy()
    ref = np.asarray(reference["models"][name]["probabilities"], dtype=np.float64)
    diff = np.abs(probs - ref).max()
    assert diff < 1e-3, f"{name}: max |p_torch - p_tfjs| = {diff}"
    assert (probs.argmax(1) == ref.argmax(1)).all()
    # the scripted module (what mercury.rewrite consumes) computes the same thing
    scripted = torch.jit.script(model)
    with torch.no_grad():
        torch.testing.assert_close(scripted(x), logits, rtol=0, atol=1e-5)


@needs_nsfwjs
def test_nsfwjs_structure():
    model = zoo.build("mobilenet_v2_nsfwjs")
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    # MobileNetV2: 35 regular + 17 depthwise convs, all real nn.Conv2d modules
    assert len(convs) == 52
    assert sum(m.groups > 1 for m in convs) == 17
    assert model.layer_names[-1] == "dense_3"
    assert isinstance(model.layers[-1].act, torch.nn.Identity)  # final softmax dropped
    with_softmax = T.build_nsfwjs("mobilenet_v2_nsfwjs", drop_final_softmax=False)
    x = torch.rand(1, 3, 224, 224)
    with torch.no_grad():
        logits = model(x)
        torch.testing.assert_close(with_softmax(x), torch.softmax(logits, 1))
    assert logits.shape == (1, 5)  # zoo.build's default num_classes
    with pytest.raises(ValueError, match="5 classes"):
        zoo.build("mobilenet_v2_nsfwjs", num_classes=3)


def test_missing_data_names_fetch_script(tmp_path, monkeypatch):
    monkeypatch.setenv("MERCURY_NSFWJS", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"bash \.ci/fetch_data\.sh"):
        zoo.build("inception_v3_nsfwjs")
    assert zoo.input_shape("inception_v3_nsfwjs") == (3, 299, 299)
    assert zoo.input_shape("mobilenet_v2_nsfwjs") == (3, 224, 224)


# ----------------------------------------------------------------------------------- preprocessing

def test_preprocess_align_corners_squash():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=(7, 11, 3), dtype=np.uint8)
    x = T.nsfwjs_preprocess(img, 5)
    assert x.shape == (1, 3, 5, 5)
    f = img.astype(np.float64) / 255
    # align corners: output corners are the input corners, output (i, j) samples input (i * 6/4, j * 10/4)
    for (i, j) in ((0, 0), (0, 4), (4, 0), (4, 4), (2, 2), (1, 3)):
        y, xx = i * 6 / 4, j * 10 / 4
        y0, x0 = int(math.floor(y)), int(math.floor(xx))
        y1, x1 = min(y0 + 1, 6), min(x0 + 1, 10)
        dy, dx = y - y0, xx - x0
        want = ((1 - dy) * ((1 - dx) * f[y0, x0] + dx * f[y0, x1]) + dy * ((1 - dx) * f[y1, x0] + dx * f[y1, x1]))
        np.testing.assert_allclose(x[0, :, i, j].numpy(), want, atol=1e-6)
    # already at size: just / 255; gray is replicated; a list of differently sized photos makes one batch
    same = T.nsfwjs_preprocess(img[:5, :5], 5)
    np.testing.assert_allclose(same[0].permute(1, 2, 0).numpy(), f[:5, :5], atol=1e-7)
    gray = T.nsfwjs_preprocess(img[:, :, 0], 4)
    assert torch.equal(gray[:, 0], gray[:, 2])
    assert T.nsfwjs_preprocess([img, img[:4]], 3).shape == (2, 3, 3, 3)


# ----------------------------------------------------------------------------------- synthetic layers

def _np_conv_nhwc(x, k, stride, pads, depthwise=False):
    """Hand NHWC conv: x [H, W, C], k [kh, kw, C, O or M], pads ((top, bottom), (left, right))."""
    x = np.pad(x, (pads[0], pads[1], (0, 0)))
    kh, kw = k.shape[:2]
    oh = (x.shape[0] - kh) // stride + 1
    ow = (x.shape[1] - kw) // stride + 1
    out = []
    for i in range(oh):
        row = []
        for j in range(ow):
            patch = x[i * stride:i * stride + kh, j * stride:j * stride + kw, :]   # kh, kw, C
            if depthwise:
                row.append(np.einsum("hwc,hwcm->cm", patch, k).reshape(-1))
            else:
                row.append(np.einsum("hwc,hwco->o", patch, k))
        out.append(row)
    return np.asarray(out)


def _model_json(layers, in_shape):
    inp = {"name": "input_1", "class_name": "InputLayer",
           "config": {"batch_input_shape": [None] + list(in_shape), "dtype": "float32", "name": "input_1"},
           "inbound_nodes": []}
    prev, full = "input_1", [inp]
    for l in layers:
        l = dict(l)
        l.setdefault("inbound_nodes", [[[prev, 0, 0, {}]]])
        full.append(l)
        prev = l["name"]
    return {"modelTopology": {"model_config": {"class_name": "Model", "config": {
        "name": "m", "layers": full, "input_layers": [["input_1", 0, 0]], "output_layers": [[prev, 0, 0]]}}}}


def test_tf_same_pads():
    assert T.tf_same_pads(6, 3, 2) == (0, 1)      # odd total: extra pixel after (bottom / right)
    assert T.tf_same_pads(5, 3, 2) == (1, 1)
    assert T.tf_same_pads(7, 3, 1) == (1, 1)
    assert T.tf_same_pads(7, 2, 1) == (0, 1)
    assert T.tf_same_pads(7, 1, 2) == (0, 0)
    assert T.tf_same_pads(8, 5, 3) == (1, 2)      # out 3: (3-1)*3 + 5 - 8 = 3


@pytest.mark.parametrize("hw,k,s", [((6, 7), 3, 2), ((5, 5), 3, 2), ((6, 6), 2, 1), ((8, 9), 5, 3)])
def test_conv2d_same_padding_vs_hand(hw, k, s):
    rng = np.random.default_rng(1)
    H, W = hw
    cin, cout = 2, 3
    kern = rng.standard_normal((k, k, cin, cout)).astype(np.float32)
    bias = rng.standard_normal(cout).astype(np.float32)
    mj = _model_json([{"name": "c", "class_name": "Conv2D", "config": {
        "kernel_size": [k, k], "strides": [s, s], "padding": "same", "dilation_rate": [1, 1],
        "activation": "linear", "use_bias": True, "data_format": "channels_last"}}], (H, W, cin))
    model = T.load_tfjs_layers_model(mj, {"c/kernel": kern, "c/bias": bias})
    ph, pw = T.tf_same_pads(H, k, s), T.tf_same_pads(W, k, s)
    conv = model.layers[0].conv
    assert isinstance(conv, torch.nn.Conv2d)
    if ph[0] != ph[1] or pw[0] != pw[1]:
        assert isinstance(model.layers[0].pad, torch.nn.ZeroPad2d) and conv.padding == (0, 0)
        assert model.layers[0].pad.padding == (pw[0], pw[1], ph[0], ph[1])
    else:
        assert isinstance(model.layers[0].pad, torch.nn.Identity) and conv.padding == (ph[0], pw[0])
    x = rng.standard_normal((H, W, cin)).astype(np.float32)
    want = _np_conv_nhwc(x.astype(np.float64), kern.astype(np.float64), s, (ph, pw)) + bias
    assert want.shape[:2] == (-(-H // s), -(-W // s))
    with torch.no_grad():
        got = model(torch.from_numpy(x).permute(2, 0, 1)[None])[0].permute(1, 2, 0).numpy()
    np.testing.assert_allclose(got, want, atol=1e-4)
    scripted = torch.jit.script(model)
    xt = torch.from_numpy(x).permute(2, 0, 1)[None]
    assert torch.equal(scripted(xt), model(xt))


def test_asymmetric_same_conv_tiny_hand_values():
    # 1 channel, 4x4 input 1..16, 2x2 kernel of ones, stride 1, "same": TF pads 0 top/left, 1 bottom/right,
    # so out[i, j] = sum of the 2x2 window starting at (i, j), cells past the edge counting 0.
    x = np.arange(1, 17, dtype=np.float32).reshape(4, 4)
    mj = _model_json([{"name": "c", "class_name": "Conv2D", "config": {
        "kernel_size": [2, 2], "strides": [1, 1], "padding": "same", "activation": "linear", "use_bias": False}}],
        (4, 4, 1))
    model = T.load_tfjs_layers_model(mj, {"c/kernel": np.ones((2, 2, 1, 1), np.float32)})
    want = np.array([[14, 18, 22, 12], [30, 34, 38, 20], [46, 50, 54, 28], [27, 29, 31, 16]], np.float32)
    with torch.no_grad():
        got = model(torch.from_numpy(x)[None, None])[0, 0].numpy()
    np.testing.assert_array_equal(got, want)


def test_depthwise_bn_relu6_add_concat_dense_graph():
    rng = np.random.default_rng(2)
    H, W, C, M = 6, 5, 3, 2
    dk = rng.standard_normal((3, 3, C, M)).astype(np.float32)
    gamma, beta = rng.random(C * M).astype(np.float32) + 0.5, rng.standard_normal(C * M).astype(np.float32)
    mean, var = rng.standard_normal(C * M).astype(np.float32), rng.random(C * M).astype(np.float32) + 0.5
    pk = rng.standard_normal((1, 1, C, C * M)).astype(np.float32)
    dense_k = rng.standard_normal((3 * 3 * C * M * 2, 4)).astype(np.float32)
    dense_b = rng.standard_normal(4).astype(np.float32)
    layers = [
        {"name": "dw", "class_name": "DepthwiseConv2D", "config": {
            "kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "depth_multiplier": M,
            "activation": "linear", "use_bias": False}},
        {"name": "bn", "class_name": "BatchNormalization", "config": {"axis": -1, "epsilon": 0.01}},
        {"name": "r6", "class_name": "ReLU", "config": {"max_value": 6, "negative_slope": 0, "threshold": 0}},
        {"name": "pw", "class_name": "Conv2D", "config": {
            "kernel_size": [1, 1], "strides": [2, 2], "padding": "valid", "activation": "relu", "use_bias": False},
         "inbound_nodes": [[["input_1", 0, 0, {}]]]},
        {"name": "add", "class_name": "Add", "config": {}, "inbound_nodes": [[["r6", 0, 0, {}], ["pw", 0, 0, {}]]]},
        {"name": "cat", "class_name": "Concatenate", "config": {"axis": 3},
         "inbound_nodes": [[["add", 0, 0, {}], ["r6", 0, 0, {}]]]},
        {"name": "mp", "class_name": "MaxPooling2D", "config": {"pool_size": [2, 2], "strides": [1, 1],
                                                                 "padding": "same"}},
        {"name": "ap", "class_name": "AveragePooling2D", "config": {"pool_size": [2, 2], "strides": [1, 1],
                                                                     "padding": "same"}},
        {"name": "fl", "class_name": "Flatten", "config": {}},
        {"name": "do", "class_name": "Dropout", "config": {"rate": 0.5}},
        {"name": "d", "class_name": "Dense", "config": {"units": 4, "activation": "softmax", "use_bias": True}},
    ]
    weights = {"dw/depthwise_kernel": dk, "bn/gamma": gamma, "bn/beta": beta, "bn/moving_mean": mean,
               "bn/moving_variance": var, "pw/kernel": pk, "d/kernel": dense_k, "d/bias": dense_b}
    model = T.load_tfjs_layers_model(_model_json(layers, (H, W, C)), weights)
    x = rng.standard_normal((H, W, C))
    # hand NHWC computation
    y = _np_conv_nhwc(x, dk.astype(np.float64), 2, (T.tf_same_pads(H, 3, 2), T.tf_same_pads(W, 3, 2)), True)
    y = (y - mean) / np.sqrt(var + 0.01) * gamma + beta
    r6 = np.clip(y, 0, 6)
    pw = np.maximum(_np_conv_nhwc(x, pk.astype(np.float64), 2, ((0, 0), (0, 0))), 0)
    cat = np.concatenate([r6 + pw, r6], axis=2)                                      # 3, 3, 12
    padded = np.pad(cat, ((0, 1), (0, 1), (0, 0)), constant_values=-np.inf)         # "same" 2x2/1: bottom/right
    mp = np.max([padded[i:i + 3, j:j + 3] for i in (0, 1) for j in (0, 1)], axis=0)
    ones = np.pad(np.ones((3, 3, 1)), ((0, 1), (0, 1), (0, 0)))
    mpz = np.pad(mp, ((0, 1), (0, 1), (0, 0)))
    ap = sum(mpz[i:i + 3, j:j + 3] for i in (0, 1) for j in (0, 1)) / \
        sum(ones[i:i + 3, j:j + 3] for i in (0, 1) for j in (0, 1))                 # padding not counted
    logits = ap.reshape(-1) @ dense_k + dense_b                                      # Keras flatten: H, W, C order
    xt = torch.from_numpy(x.astype(np.float32)).permute(2, 0, 1)[None]
    with torch.no_grad():
        got = model(xt)[0].numpy()
    np.testing.assert_allclose(got, logits, rtol=1e-4, atol=1e-4)
    assert sum(isinstance(m, torch.nn.Conv2d) for m in model.modules()) == 2
    scripted = torch.jit.script(model)
    assert torch.equal(scripted(xt), model(xt))


def test_keras_relu_variants():
    mj = _model_json([{"name": "r", "class_name": "ReLU", "config": {"max_value": 2.0, "negative_slope": 0.1,
                                                                      "threshold": 0.5}}], (1, 5, 1))
    model = T.load_tfjs_layers_model(mj, {})
    x = torch.tensor([-1.0, 0.0, 0.5, 1.0, 3.0]).reshape(1, 1, 1, 5)
    want = torch.tensor([-0.15, -0.05, 0.5, 1.0, 2.0]).reshape(1, 1, 1, 5)
    torch.testing.assert_close(model(x), want)
    torch.testing.assert_close(torch.jit.script(model)(x), want)


def test_unused_or_missing_weights_are_errors():
    mj = _model_json([{"name": "c", "class_name": "Conv2D", "config": {
        "kernel_size": [1, 1], "strides": [1, 1], "padding": "valid", "use_bias": False}}], (2, 2, 1))
    k = np.ones((1, 1, 1, 1), np.float32)
    with pytest.raises(KeyError, match="c/kernel"):
        T.load_tfjs_layers_model(mj, {})
    with pytest.raises(ValueError, match="not used"):
        T.load_tfjs_layers_model(mj, {"c/kernel": k, "extra/bias": k})


# ----------------------------------------------------------------------------------- file formats

def test_js_literal_parser():
    text = 'xx{a:1,"b":[.5,-2e-3,!0,!1,null,void 0],c:{d:"q\\"s",e:\'x\'},f:[]}rest'
    val, end = T.parse_js_literal(text, 2)
    assert val == {"a": 1, "b": [0.5, -0.002, True, False, None, None], "c": {"d": 'q"s', "e": "x"}, "f": []}
    assert text[end:] == "rest"


def test_weights_dequantized_in_manifest_order():
    manifest = [{"paths": ["s1", "s2"], "weights": [
        {"name": "a", "shape": [2], "dtype": "float32", "quantization": {"min": -1.0, "scale": 0.5, "dtype": "uint8"}},
        {"name": "b", "shape": [1], "dtype": "float32"}]}]
    raw = bytes([0, 4]) + np.float32(3.25).tobytes()
    w = T.decode_weights(manifest, {"s1": raw[:3], "s2": raw[3:]})
    np.testing.assert_array_equal(w["a"], [-1.0, 1.0])
    np.testing.assert_array_equal(w["b"], [3.25])
