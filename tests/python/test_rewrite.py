"""The TorchScript rewrite pass: every conv replaced, outputs kept, ids in execution order, files round trip."""
import os
import subprocess

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import mercury
from mercury import topology
from models import data, zoo
from sim_hitlog import assert_sim_builds

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.path.join(ROOT, "build", "csrc", "rewrite", "mercury-rewrite")


def conv_kinds(module):
    graph = module.graph if not hasattr(module, "forward") else module.forward.graph
    kinds = [n.kind() for n in graph.findAllNodes("aten::conv2d") + graph.findAllNodes("aten::_convolution")]
    return kinds, len(graph.findAllNodes("mercury::conv2d"))


@pytest.fixture(scope="module")
def photos():
    return data.image_tensor(2, size=64)


@pytest.mark.parametrize("name", ["resnet18", "alexnet", "googlenet", "mobilenet_v2"])
@pytest.mark.parametrize("how", ["script", "trace"])
def test_every_conv_replaced_output_kept(name, how, photos):
    model = zoo.build(name)
    scripted = torch.jit.script(model) if how == "script" else torch.jit.trace(model, photos)
    n_convs = sum(isinstance(m, nn.Conv2d) for m in model.modules())
    with torch.no_grad():
        want = model(photos)
    for mode in ("observe", "off"):
        rewritten, layers, warnings = mercury.rewrite(scripted, mode=mode)
        assert warnings == []
        assert len(layers) == n_convs and [l["id"] for l in layers] == list(range(n_convs))
        remaining, replaced = conv_kinds(rewritten)
        assert remaining == [] and replaced == n_convs
        mercury.hitlog_reset()
        with torch.no_grad():
            got = rewritten(photos)
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
        records = mercury.hitlog()
        assert len(records) == (n_convs if mode == "observe" else 0)
    # ids are execution order, the same order as the topology export
    expected = [layer.name for layer in topology.conv_layers(model, photos)]
    if how == "script":
        assert [l["name"] for l in layers] == expected


def test_per_layer_settings_and_original_untouched(photos):
    scripted = zoo.script("resnet18")
    rewritten, layers, _ = mercury.rewrite(scripted, mode="observe", sig_bits=12,
                                           per_layer={0: {"mode": "reuse"}, "layer1.0.conv2": {"sig_bits": 30}})
    assert layers[0]["mode"] == "reuse" and layers[1]["mode"] == "observe"
    by_name = {l["name"]: l for l in layers}
    assert by_name["layer1.0.conv2"]["sig_bits"] == 30 and by_name["layer1.0.conv1"]["sig_bits"] == 12
    assert conv_kinds(scripted)[1] == 0  # the input module still has its aten convs
    mercury.hitlog_reset()
    with torch.no_grad():
        rewritten(photos)
    records = mercury.hitlog()
    assert [r["mode"] for r in records[:2]] == ["reuse", "observe"]
    assert records[2]["sig_bits"] == 30 and records[1]["sig_bits"] == 12
    with pytest.raises(ValueError, match="unknown setting"):
        mercury.rewrite(scripted, colour="red")
    with pytest.raises(Exception, match="mode must be"):
        mercury.rewrite(scripted, mode="fast")


def test_unfrozen_rewrite_stays_trainable(photos):
    model = zoo.build("small_cnn").train()
    rewritten, layers, _ = mercury.rewrite(torch.jit.script(model), mode="reuse", freeze=False)
    assert len(layers) == 3
    images, labels = data.fashion_mnist("train", limit=64)
    loss = F.cross_entropy(rewritten(images), labels)
    loss.backward()
    grads = [p.grad for p in rewritten.parameters()]
    assert grads and all(g is not None for g in grads)


def test_save_load_and_cli_round_trip(tmp_path, photos):
    scripted = zoo.script("resnet18")
    with torch.no_grad():
        want = scripted(photos)
    rewritten, layers, _ = mercury.rewrite(scripted)
    path = str(tmp_path / "r18_mercury.pt")
    rewritten.save(path)
    loaded = torch.jit.load(path)
    mercury.hitlog_reset()
    with torch.no_grad():
        torch.testing.assert_close(loaded(photos), want, rtol=1e-4, atol=1e-4)
        loaded(photos)
    records = mercury.hitlog()
    assert len(records) == 2 * len(layers)
    assert sorted(r["layer_id"] for r in records if r["call"] == 1) == list(range(len(layers)))

    if not os.path.exists(CLI):
        pytest.skip("mercury-rewrite not built")
    source, out, table = tmp_path / "r18.pt", tmp_path / "r18_cli.pt", tmp_path / "table.csv"
    scripted.save(str(source))
    done = subprocess.run([CLI, str(source), str(out), "--sig-bits", "16", "--layer", "2=mode:off", "--table",
                           str(table)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "rewrote 20 layers (20 conv2d, 0 linear)" in done.stdout
    rows = table.read_text().splitlines()
    assert rows[0].startswith("id,kind,name,op") and len(rows) == 21 and ",off,16," in rows[3]
    with torch.no_grad():
        torch.testing.assert_close(torch.jit.load(str(out))(photos), want, rtol=1e-4, atol=1e-4)
    bad = subprocess.run([CLI, str(tmp_path / "missing.pt"), str(out)], capture_output=True, text=True)
    assert bad.returncode == 1 and "error" in bad.stderr and "Traceback" not in bad.stderr
    usage = subprocess.run([CLI, str(source), str(out), "--sig-bits", "many"], capture_output=True, text=True)
    assert usage.returncode == 2 and "needs an integer" in usage.stderr
    # Out-of-range settings are refused when given, before any model is written.
    too_many = subprocess.run([CLI, str(source), str(tmp_path / "never.pt"), "--sig-bits", "99"],
                              capture_output=True, text=True)
    assert too_many.returncode == 2 and "[1, 64], got 99" in too_many.stderr
    assert not (tmp_path / "never.pt").exists()
    bad_layer = subprocess.run([CLI, str(source), str(tmp_path / "never.pt"), "--layer", "2=sig_bits:0"],
                               capture_output=True, text=True)
    assert bad_layer.returncode == 2 and "got 0" in bad_layer.stderr
    # An override for a layer the model does not have is an error, not silently ignored.
    missing = subprocess.run([CLI, str(source), str(tmp_path / "never.pt"), "--layer", "20=mode:off"],
                             capture_output=True, text=True)
    assert missing.returncode == 1 and "id 20, but the model has 20" in missing.stderr
    assert not (tmp_path / "never.pt").exists()


class NoConv(nn.Module):
    def forward(self, x):
        return x.relu()


class OtherConvs(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(2, 2, 3)
        self.c3 = nn.Conv3d(2, 2, 1)
        self.same = nn.Conv2d(2, 2, 3, padding="same")
        self.even = nn.Conv2d(2, 2, 4, padding="same")
        self.w = nn.Parameter(torch.randn(2, 2, 3, 3))

    def forward(self, x):
        a = self.c1(x.mean(-1))
        b = self.c3(x.unsqueeze(2)).squeeze(2)
        c = self.same(x) + self.even(x)
        d = F.conv2d(x, self.w * 2.0)  # a computed weight
        return a.sum() + b.sum() + c.sum() + d.sum()


def test_clear_messages_and_modules_keep_working():
    x = torch.randn(1, 2, 8, 8)
    _, layers, warnings = mercury.rewrite(torch.jit.script(NoConv()))
    assert layers == [] and any("no 2-D convolution" in w for w in warnings)

    model = OtherConvs()
    rewritten, layers, warnings = mercury.rewrite(torch.jit.script(model), freeze=False)
    text = "\n".join(warnings)
    assert "aten::conv1d" in text and "aten::conv3d" in text
    assert "padding='same' needs uneven padding" in text
    assert "weight is computed" in text
    assert [l["name"] for l in layers] == ["same"]  # the odd 'same' conv becomes explicit padding 1
    assert layers[0]["padding"] == [1, 1]
    torch.testing.assert_close(rewritten(x), model(x))
    with pytest.raises(TypeError, match="mercury.convert"):
        mercury.rewrite(model)


@pytest.mark.parametrize("name", ["resnet101", "googlenet"])
def test_topology_matches_hitlog_for_every_layer(name, photos, tmp_path):
    model = zoo.build(name)
    rewritten, layers, _ = mercury.rewrite(torch.jit.script(model))
    mercury.hitlog_reset()
    with torch.no_grad():
        rewritten(photos)
    mercury.hitlog_export(str(tmp_path / "log"))
    from_model = topology.write_topology(topology.conv_layers(model, photos), str(tmp_path / "model.csv"))
    assert_sim_builds(from_model, tmp_path / "log", tmp_path)


def test_convert_swaps_modules_in_execution_order(photos):
    model = zoo.build("googlenet")
    with torch.no_grad():
        want = model(photos)
    table = mercury.layer_table(mercury.convert(model, example=photos, mode="observe", per_layer={"conv1.conv": {"mode": "off"}}))
    assert [row["name"] for row in table] == [l.name for l in topology.conv_layers(zoo.build("googlenet"), photos)]
    mercury.hitlog_reset()
    with torch.no_grad():
        torch.testing.assert_close(model(photos), want)
    assert len(mercury.hitlog()) == len(table) - 1  # conv1 is off
    scripted = torch.jit.script(model)
    with torch.no_grad():
        torch.testing.assert_close(scripted(photos), want)
