"""mercury.topology: SCALE-Sim topology rows from real models (execution order), and the same shapes in the
layers mercury-sim builds from hit logs alone."""
import csv
import dataclasses
import os
import re
import subprocess
import sys

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import mercury
from mercury import topology
from models import zoo
from sim_hitlog import assert_sim_builds, sim_error, write_hitlog

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEADER = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,"


@pytest.fixture(scope="module")
def resnet18_layers():
    return topology.conv_layers(zoo.build("resnet18"), (1, 3, 224, 224))


def test_resnet18_rows(resnet18_layers, tmp_path):
    path = tmp_path / "r18.csv"
    topology.write_topology(resnet18_layers, str(path))
    lines = path.read_text().splitlines()
    assert lines[0] == HEADER and len(lines) == 1 + 20
    assert all(line.endswith(",") for line in lines)
    with open(path, newline="") as f:
        next(f)  # header
        rows = [[row[0]] + [int(c) for c in row[1:-1]] for row in csv.reader(f)]  # trailing comma: last cell ""
    assert [r[0].split("_", 1)[0] for r in rows] == [f"L{i:03d}" for i in range(20)]
    # checked by hand: padded 224 + 2*3 = 230, but the 112 windows of a 7x7 stride-2 filter read
    # (112 - 1) * 2 + 7 = 229 of them (with 230 SCALE-Sim would compute 113 outputs); 3 channels, 64 filters
    assert rows[0] == ["L000_conv1", 229, 229, 7, 7, 3, 64, 2]
    assert rows[1] == ["L001_layer1.0.conv1", 58, 58, 3, 3, 64, 64, 1]           # 56 + 2, all read
    # BasicBlock runs conv1, conv2, then downsample: that is the id order; (28 - 1) * 2 + 3 = 57 of 58 read
    assert rows[5] == ["L005_layer2.0.conv1", 57, 57, 3, 3, 64, 128, 2]
    assert rows[6] == ["L006_layer2.0.conv2", 30, 30, 3, 3, 128, 128, 1]          # 28 + 2
    assert rows[7] == ["L007_layer2.0.downsample.0", 55, 55, 1, 1, 64, 128, 2]    # 1x1 stride 2: (28-1)*2+1
    assert rows[19] == ["L019_layer4.1.conv2", 9, 9, 3, 3, 512, 512, 1]           # 7 + 2


def test_alexnet_rows(tmp_path):
    layers = topology.conv_layers(zoo.build("alexnet"), (3, 224, 224))
    rows = [layer.conv_row(exact_ifmap=False) for layer in layers]
    assert rows == [("L000_features.0", 228, 228, 11, 11, 3, 64, 4),    # 224 + 2*2; out 55 -> pool 27
                    ("L001_features.3", 31, 31, 5, 5, 64, 192, 1),     # 27 + 2*2; out 27 -> pool 13
                    ("L002_features.6", 15, 15, 3, 3, 192, 384, 1),
                    ("L003_features.8", 15, 15, 3, 3, 384, 256, 1),
                    ("L004_features.10", 15, 15, 3, 3, 256, 256, 1)]


def test_mobilenet_v2_grouped_rows():
    layers = topology.conv_layers(zoo.build("mobilenet_v2"), (1, 3, 224, 224))
    assert len(layers) == 52
    rows = [layer.conv_row(exact_ifmap=False) for layer in layers]
    assert rows[0] == ("L000_features.0.0", 226, 226, 3, 3, 3, 32, 2)
    # depthwise: one group per row (C/G = Cout/G = 1); the group count travels in the hit log, not the name
    assert rows[1] == ("L001_features.1.conv.0.0", 114, 114, 3, 3, 1, 1, 1)
    assert rows[4] == ("L004_features.2.conv.1.0", 114, 114, 3, 3, 1, 1, 2)
    depthwise = [l for l in layers if l.groups > 1]
    assert len(depthwise) == 17 and all(l.C == l.groups == l.out_channels for l in depthwise)


def test_googlenet_and_small_models_execution_order():
    layers = topology.conv_layers(zoo.build("googlenet"), (1, 3, 64, 64))
    assert len(layers) == 57
    assert [l.name for l in layers[3:9]] == ["inception3a.branch1.conv", "inception3a.branch2.0.conv",
                                             "inception3a.branch2.1.conv", "inception3a.branch3.0.conv",
                                             "inception3a.branch3.1.conv", "inception3a.branch4.1.conv"]
    assert len(topology.conv_layers(zoo.build("small_resnet"), (1, 1, 28, 28))) == 9


def test_gemm_and_exact_ifmap(resnet18_layers):
    text = topology.format_topology(resnet18_layers, gemm=True)
    lines = text.splitlines()
    assert lines[0] == "Layer Name, M, N, K,"
    assert lines[1] == "L000_conv1,12544,64,147,"          # 112*112, 64 filters, 7*7*3
    assert topology.format_topology(resnet18_layers, gemm=True, batch=2).splitlines()[1] == "L000_conv1,25088,64,147,"
    exact = topology.format_topology(resnet18_layers, exact_ifmap=True).splitlines()
    assert exact[1] == "L000_conv1,229,229,7,7,3,64,2,"    # (112-1)*2+7: SCALE-Sim's ceil gives 112 too


class _Special(nn.Module):
    def __init__(self):
        super().__init__()
        self.dil = nn.Conv2d(4, 8, 3, padding=2, dilation=2)
        self.same = nn.Conv2d(8, 8, 4, padding="same")
        self.grouped = nn.Conv2d(8, 8, 3, padding=1, groups=2)

    def forward(self, x):
        x = self.dil(x)
        x = self.same(x)
        return self.grouped(self.grouped(x))            # called twice: two ids


@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_dilation_same_padding_reuse():
    layers = topology.conv_layers(_Special().eval(), (2, 4, 10, 12))
    rows = [l.conv_row() for l in layers]
    assert rows == [("L000_dil", 14, 16, 5, 5, 4, 8, 1),              # effective 2*(3-1)+1 = 5
                    ("L001_same", 13, 15, 4, 4, 8, 8, 1),             # total 'same' padding 3
                    ("L002_grouped", 12, 14, 3, 3, 4, 4, 1),
                    ("L003_grouped#1", 12, 14, 3, 3, 4, 4, 1)]
    assert layers[0].N == 2


class _Functional(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.w = nn.Parameter(torch.randn(2, 2, 3, 3))

    def forward(self, x):
        return F.conv2d(self.conv(x), self.w)


def test_errors():
    with pytest.raises(RuntimeError, match="frozen scripted graph has 2 convs"):
        topology.conv_layers(_Functional().eval(), (1, 1, 12, 12))
    with pytest.raises(ValueError, match="not square"):
        topology.conv_layers(nn.Sequential(nn.Conv2d(1, 2, 3, stride=(1, 2))).eval(), (1, 1, 9, 9))
    with pytest.raises(ValueError, match="failed"):
        topology.conv_layers(zoo.build("alexnet"), (1, 3, 8, 8))
    with pytest.raises(ValueError, match="no nn.Conv2d"):
        topology.conv_layers(nn.Sequential(nn.Flatten()).eval(), (1, 1, 4, 4))
    with pytest.raises(TypeError, match="eager nn.Module"):
        topology.conv_layers(zoo.script("small_cnn"), (1, 1, 28, 28))
    with pytest.raises(ValueError, match="input size"):
        topology.conv_layers(zoo.build("small_cnn"), (28, 28))


# ------------------------------------------------------------------------------------- hit log -> mercury-sim

def _calls(layers, n=4):
    return {l.layer_id: [dataclasses.asdict(l) | {"N": n}] for l in layers}


def test_hitlog_matches_model_export(resnet18_layers, tmp_path):
    calls = _calls(resnet18_layers)
    for layer_id, more in _calls(resnet18_layers, n=1).items():  # a second call (smaller last batch): one layer
        calls[layer_id] += more
    path = topology.write_topology(resnet18_layers, str(tmp_path / "r18.csv"))
    assert_sim_builds(path, write_hitlog(tmp_path / "log", calls), tmp_path)


DW = dict(N=1, C=32, H=112, W=112, out_channels=32, kernel_h=3, kernel_w=3, out_h=112, out_w=112, groups=32,
          stride_h=1, stride_w=1, pad_h=1, pad_w=1, dilation_h=1, dilation_w=1)


def test_hitlog_hand_records_grouped_and_errors(tmp_path):
    (tmp_path / "dw.csv").write_text(HEADER + "\nL000_conv,114,114,3,3,1,1,1,\n")
    assert_sim_builds(tmp_path / "dw.csv", write_hitlog(tmp_path / "dw", {0: [DW]}), tmp_path)
    cases = {"gap": ({1: [DW]}, "layer id 0 has no hit log \\(hitlog-000.csv\\)"),
             "reshaped": ({0: [DW, DW | {"stride_h": 2, "stride_w": 2, "out_h": 56, "out_w": 56}]},
                          "stride_h 2 differs from the first call's 1"),
             "no_groups": ({0: [{k: v for k, v in DW.items() if k != "groups"}]}, "column 'groups' must be present"),
             "groups": ({0: [DW | {"groups": 5}]}, "must be multiples of groups \\(5\\)"),
             "empty": ({}, "no hitlog-NNN.csv files")}
    for name, (calls, message) in cases.items():
        assert re.search(message, sim_error(write_hitlog(tmp_path / name, calls), tmp_path)), name


# The format of hit logs written before the record schema (hitmap-NNN.csv, columns S0/S1/vector): still read.
OLD_HITLOG_HEADER = ("N,C,H,W,S0,S1,hits,misses,call,mode,vector,out_channels,kernel_h,kernel_w,out_h,out_w,groups,"
                     "stride_h,stride_w,pad_h,pad_w,dilation_h,dilation_w,hitmap")


def test_sim_reads_hitlog_files(tmp_path):
    header = OLD_HITLOG_HEADER + "\n"
    log = tmp_path / "log"
    log.mkdir()
    (log / "hitmap-000.csv").write_text(header + "8,3,224,224,100352,20,5,100347,0,observe,patch,64,7,7,"
                                        "112,112,1,2,2,3,3,1,1,\n")
    (log / "hitmap-001.csv").write_text(header + "8,64,56,56,25088,20,9,25079,0,observe,patch,64,3,3,"
                                        "56,56,1,1,1,1,1,1,1,0101\n")
    # the rows actually read: (112 - 1) * 2 + 7 = 229 of the padded 230, 56 + 2 = 58
    (tmp_path / "rows.csv").write_text(HEADER + "\nL000_conv,229,229,7,7,3,64,2,\nL001_conv,58,58,3,3,64,64,1,\n")
    assert_sim_builds(tmp_path / "rows.csv", log, tmp_path)
    (log / "hitmap-002.csv").write_text(header)
    assert "hitmap-002.csv:0: column 'C' must be present" in sim_error(log, tmp_path)
    (tmp_path / "empty").mkdir()
    assert "no hitlog-NNN.csv files" in sim_error(tmp_path / "empty", tmp_path)
    assert "cannot open hit log directory" in sim_error(tmp_path / "missing", tmp_path)


def test_cli(tmp_path):
    out = tmp_path / "a.csv"
    env = dict(os.environ, PYTHONPATH=ROOT)
    r = subprocess.run([sys.executable, "-m", "mercury.topology", "small_cnn", "-o", str(out)],
                       cwd=ROOT, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert out.read_text().splitlines() == [HEADER, "L000_conv1,30,30,3,3,1,16,1,", "L001_conv2,16,16,3,3,16,32,1,",
                                            "L002_conv3,9,9,3,3,32,64,1,"]

def test_cli_in_process(tmp_path, capsys):
    assert topology.main(["small_cnn", "--size", "2", "-o", str(tmp_path / "b.csv")]) == 1
    assert "error: forward pass of SmallCNN" in capsys.readouterr().err
    assert not (tmp_path / "b.csv").exists()
    assert topology.main(["small_resnet", "--gemm", "-o", str(tmp_path / "g.csv")]) == 0
    assert (tmp_path / "g.csv").read_text().splitlines()[:2] == ["Layer Name, M, N, K,", "L000_conv1,784,16,9,"]


# ------------------------------------------------------------------------------------- with the real op

class _Grouped(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=8)
        self.b = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        return self.b(self.dw(self.a(x)))


@pytest.mark.parametrize("make, shape", [(lambda: zoo.build("small_resnet"), (2, 1, 28, 28)),
                                         (lambda: _Grouped().eval(), (2, 3, 17, 17))])
def test_real_hitlog_matches(make, shape, tmp_path):
    """Run every conv through mercury::conv2d (layer_id = execution index) and check that the layers mercury-sim
    builds from the op's exported hit log have the shapes of the model's topology."""
    model = make()
    layers = topology.conv_layers(model, shape)
    ids = {l.name: l.layer_id for l in layers}
    for name, m in model.named_modules():
        if not isinstance(m, nn.Conv2d):
            continue
        m.forward = (lambda mod, lid: lambda x: mercury.conv2d(x, mod.weight, mod.bias, mod.stride, mod.padding,
                                                               mod.dilation, mod.groups, layer_id=lid,
                                                               mode="observe"))(m, ids[name])
    mercury.hitlog_reset()
    try:
        x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            model(x)
            model(x[:1])                                  # a second call per layer with another batch size
        mercury.hitlog_export(str(tmp_path / "log"))
    finally:
        mercury.hitlog_reset()
    assert_sim_builds(topology.write_topology(layers, str(tmp_path / "model.csv")), tmp_path / "log", tmp_path)


def test_training_mode_untouched():
    model = zoo.build("small_resnet").train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    layers = topology.conv_layers(model, (2, 1, 28, 28))
    assert len(layers) == 9 and model.training and model.layer1[0].bn1.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())   # BN stats unchanged
