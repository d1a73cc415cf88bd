"""The torch.export rewrite: every conv replaced, the same layer ids and names as the TorchScript pass, per-layer
overrides and calibration files, and a program that runs, saves with torch.export.save and loads back."""
import json

import pytest
import torch

import mercury
from models import data, zoo

SETTINGS_KEYS = ("mode", "sig_bits", "signature", "vector_kind", "cache_entries")


@pytest.fixture(scope="module")
def photos():
    return data.image_tensor(2, size=64)


@pytest.mark.parametrize("name", ["resnet18", "googlenet", "mobilenet_v2", "alexnet"])
def test_export_and_torchscript_passes_agree_layer_by_layer(name, photos):
    model = zoo.build(name)
    program, layers, warnings = mercury.rewrite(model, (photos,), mode="observe")
    _, ts_layers, _ = mercury.rewrite(torch.jit.script(model), mode="observe")
    assert warnings == [] and len(layers) == sum(isinstance(m, torch.nn.Conv2d) for m in model.modules())
    for ours, theirs in zip(layers, ts_layers, strict=True):
        for key in ("id", "name", "weight_shape", "stride", "padding", "dilation", "groups") + SETTINGS_KEYS:
            assert ours[key] == theirs[key], (key, ours, theirs)
    convs = [n for n in program.graph.nodes if n.op == "call_function" and "conv" in str(n.target)]
    assert {str(n.target) for n in convs} == {"mercury.conv2d.default"}
    mercury.hitlog_reset()
    with torch.no_grad():
        got, want = program.module()(photos), model(photos)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
    assert [r["layer_id"] for r in mercury.hitlog()] == list(range(len(layers)))  # ids in execution order


def test_per_layer_overrides_and_calibration_files(tmp_path, photos):
    model = zoo.build("resnet18")
    calibration = {"per_layer": {"0": {"mode": "reuse", "signature": "svd", "sig_bits": 8, "bucket_width": 0.2}}}
    path = tmp_path / "cal.json"
    path.write_text(json.dumps(calibration))
    from mercury import calibrate
    per_layer = dict(calibrate.load(str(path)))
    per_layer["layer1.0.conv2"] = {"sig_bits": 30}
    program, layers, _ = mercury.rewrite(model, (photos,), mode="observe", sig_bits=12, per_layer=per_layer)
    assert (layers[0]["mode"], layers[0]["signature"], layers[0]["sig_bits"]) == ("reuse", "svd", 8)
    by_name = {layer["name"]: layer for layer in layers}
    assert by_name["layer1.0.conv2"]["sig_bits"] == 30 and by_name["layer1.0.conv1"]["sig_bits"] == 12
    mercury.hitlog_reset()
    program.module()(photos)
    assert mercury.hitlog()[0]["mode"] == "reuse" and mercury.hitlog()[1]["sig_bits"] == 12
    with pytest.raises(ValueError, match="does not have"):
        mercury.rewrite(model, (photos,), per_layer={"no.such.conv": {"mode": "off"}})
    with pytest.raises(ValueError, match="sig_bits"):
        mercury.rewrite(model, (photos,), sig_bits=99)


def test_saved_program_loads_back_with_the_same_output(tmp_path, photos):
    model = zoo.build("small_resnet")
    x = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(0)).round()
    program, _, _ = mercury.rewrite(model, (x,), mode="reuse", signature="e2lsh", sig_bits=10)
    path = tmp_path / "small_resnet_mercury.pt2"
    torch.export.save(program, str(path))
    loaded = torch.export.load(str(path))
    mercury.hitlog_reset()
    want = program.module()(x)
    first = mercury.hitlog()
    mercury.hitlog_reset()
    got = loaded.module()(x)
    torch.testing.assert_close(got, want)
    assert mercury.hitlog() == first and any(r["hits"] > 0 for r in first)


def test_the_input_program_is_not_modified(photos):
    exported = torch.export.export(zoo.build("alexnet").eval(), (photos,))
    before = [str(n.target) for n in exported.graph.nodes]
    mercury.rewrite(exported, mode="observe")
    assert [str(n.target) for n in exported.graph.nodes] == before


@pytest.mark.parametrize("net", [
    lambda: torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.Conv2d(8, 4, 3)),
    lambda: torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(),
                                torch.nn.Sequential(torch.nn.Conv2d(8, 8, 3), torch.nn.Conv2d(8, 4, 3))),
], ids=["chain", "nested_chain"])
def test_a_conv_feeding_a_conv_is_rewired(net):
    """A replaced node whose user is replaced too (and the last one the program's output)."""
    model, x = net().eval(), torch.rand(1, 3, 12, 12)
    for program_or_module in (model, torch.export.export(model, (x,))):
        program, layers, _ = mercury.rewrite(program_or_module, (x,), mode="observe")
        torch.testing.assert_close(program.module()(x), model(x))


def test_a_conv_feeding_two_convs_and_the_output_is_rewired():
    class Fan(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.c = torch.nn.Conv2d(3, 4, 3), torch.nn.Conv2d(4, 4, 1), torch.nn.Conv2d(4, 4, 1)

        def forward(self, x):
            y = self.a(x)
            return self.b(y) + self.c(y), y

    model, x = Fan().eval(), torch.rand(1, 3, 9, 9)
    program, layers, _ = mercury.rewrite(model, (x,), mode="observe")
    for got, want in zip(program.module()(x), model(x)):
        torch.testing.assert_close(got, want)
    assert [row["name"] for row in layers] == ["a", "b", "c"]
