"""mercury.profile: any model, any loop; steps, schedules, windows, what is recorded, what the model is afterwards."""
import os

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import mercury
from mercury import tools
from mercury.files import read_csv

needs_sim = pytest.mark.skipif(tools.find_tool("mercury-sim") is None, reason="mercury-sim is not built")


class Net(nn.Module):
    """Two convs, a linear head, and an attention-like product of two activations."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.head = nn.Linear(8, 10)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv1(x)))
        x = torch.relu(self.conv2(x)).flatten(2).transpose(1, 2)      # [N, 64 positions, 8]
        x = torch.softmax(x @ x.transpose(1, 2), -1) @ x               # two matmuls of activations
        return self.head(F.dropout(x.mean(1), 0.2, self.training))


def _batch(seed, n=4):
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, 1, 8, 8)
    x[:, :, 2:6, 2:6] = torch.rand(n, 1, 4, 4, generator=g)
    return x, torch.randint(0, 10, (n,), generator=g)


def _train(model, prof, steps, opt=None):
    opt = opt or torch.optim.SGD(model.parameters(), lr=0.01)
    for step in range(steps):
        x, y = _batch(step)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        prof.step()


def _state(model):
    return ([(n, type(m), id(m)) for n, m in model.named_modules()], [id(p) for p in model.parameters()],
            {n: m.training for n, m in model.named_modules()}, [("forward" in m.__dict__) for m in model.modules()])


@needs_sim
def test_a_training_loop_is_recorded_by_schedule_and_the_model_comes_back_unchanged(tmp_path):
    torch.manual_seed(0)
    model = Net().train()
    seen = []
    model.conv2.register_forward_hook(lambda m, i, o: seen.append(o.shape))
    before = _state(model)
    reports = []
    with mercury.profile(model, mode="reuse", sig_bits=8, schedule=mercury.schedule(wait=1, warmup=1, active=2,
                         repeat=2), on_report=reports.append, out=str(tmp_path / "w{window}")) as prof:
        _train(model, prof, 9)
    assert _state(model) == before and len(seen) == 9          # the user's hook fired on every step, and stays
    assert [r.steps for r in reports] == [[2, 3], [6, 7]] and prof.reports == reports
    first = reports[0]
    assert first.training and "--training" in first.simulator and first.folder == str(tmp_path / "w1")
    names = [r["name"] for r in first.layers]
    assert names[:3] == ["conv1", "conv2", "head"] and [r["kind"] for r in first.layers[3:]] == ["matmul"] * 2
    assert [r["calls"] for r in first.layers[:3]] == [2, 2, 2]
    rows = read_csv(str(tmp_path / "w1" / "hitlog" / "hitlog-001.csv"))
    assert [int(r["call"]) for r in rows] == [0, 1] and all(r["mode"] == "reuse" for r in rows)
    sim_rows = read_csv(str(tmp_path / "w1" / "sim" / "MERCURY_REPORT.csv"))
    assert [r["LayerName"] for r in sim_rows][:3] == ["L000_conv1", "L001_conv2", "L002_head"]
    t = first.totals
    assert t["step_speedup"] == pytest.approx(t["step_baseline"] / t["step_mercury"])
    assert 0 < t["untouched_share"] < 1 and t["calls"] == 6
    table = prof.table(sort_by="calls", row_limit=-1)
    assert "window 2 (steps 6-7" in table and "conv2" in table and "TOTAL (3 layers + 2 matmuls)" in table
    assert "profile with compare_exact=True" in table  # reuse ran, its effect was not measured


@needs_sim
def test_inference_is_simulated_as_forwards_and_observe_keeps_the_output_exact(tmp_path):
    model = Net().eval()
    with mercury.profile(model, kinds=["conv2d"], compare_exact=True, out=str(tmp_path)) as prof:
        with torch.no_grad():
            for seed in range(3):
                model(_batch(seed)[0])
                prof.step()
    report = prof.reports[0]
    assert not report.training and "--training" not in report.simulator and report.steps == [0, 1, 2]
    assert [r["name"] for r in report.layers if r["kind"] != "matmul"] == ["conv1", "conv2"]
    assert report.quality["top1_agreement"] == 1.0 and report.quality["logit_rel_l2"] == 0.0
    assert "(compare_exact): images 12, top1_agreement 1, logit_rel_l2 0, max_prob_change 0" in prof.table()
    summary = prof.summary()
    assert summary["totals"]["mercury_cycles"] == pytest.approx(sum(r["mercury_cycles"] for r in summary["layers"]))
    folder = prof.export(str(tmp_path / "export"))
    for name in ("summary.json", "layers.csv", "topology.csv", "hit_rate.png", "speedup.png"):
        assert os.path.isfile(os.path.join(folder, name)), name
    assert os.path.isfile(os.path.join(folder, "sim", "MERCURY_REPORT.csv"))


@needs_sim
def test_the_dropout_and_batchnorm_of_the_exact_twin_match_and_leave_training_unchanged():
    def run(compare):
        torch.manual_seed(0)
        model = Net().train()
        with mercury.profile(model, compare_exact=compare, simulate=False, kinds=["linear"]) as prof:
            _train(model, prof, 3)
        return [p.detach().clone() for p in model.parameters()], model.bn.running_mean.clone(), prof.reports[0]
    plain, with_twin = run(False), run(True)
    assert all(torch.equal(a, b) for a, b in zip(plain[0], with_twin[0])) and torch.equal(plain[1], with_twin[1])
    q = with_twin[2].quality
    assert q["top1_agreement"] == 1.0 and q["logit_rel_l2"] == 0.0  # observe: the twin saw the same dropout masks


def test_records_stream_out_when_the_hit_log_would_overflow(tmp_path):
    capacity = mercury.hitlog_stats()["record_capacity"]
    mercury.hitlog_set_capacity(4)
    try:
        layer = nn.Linear(4, 4)
        with mercury.profile(layer, simulate=False, out=str(tmp_path)) as prof:
            for _ in range(25):  # 25 calls in one step, 6 times the log's capacity
                layer(torch.randn(3, 4))
    finally:
        mercury.hitlog_set_capacity(capacity)
    assert prof.reports[0].layers[0]["calls"] == 25
    assert len(read_csv(str(tmp_path / "hitlog" / "hitlog-000.csv"))) == 25
    assert read_csv(str(tmp_path / "hitlog" / "overflow.csv")) == []


def test_an_exception_inside_the_block_comes_through_and_the_finished_windows_stay():
    model = Net()
    before = _state(model)
    error = ValueError("from the loop")
    with pytest.raises(ValueError) as caught:
        with mercury.profile(model, simulate=False, schedule=mercury.schedule(wait=0, active=1)) as prof:
            _train(model, prof, 2)
            raise error
    assert caught.value is error and _state(model) == before
    assert [r.steps for r in prof.reports] == [[0], [1]]


def test_paused_steps_and_per_layer_settings():
    model = Net().eval()
    with mercury.profile(model, simulate=False, kinds=["conv2d"], per_layer={"conv2": {"mode": "off"}},
                         example=_batch(0)[0]) as prof:
        model(_batch(1)[0])
        with prof.paused(exact=True):
            model(_batch(2)[0])
        prof.step()
        assert [(layer.name, layer.layer_id, layer.mode) for layer in prof.layers] == [("conv1", 0, "observe"),
                                                                                        ("conv2", 1, "off")]
        model(_batch(3)[0])
    rows = prof.reports[0].layers
    assert rows[0]["calls"] == 2 and rows[1]["calls"] == 0  # one call per step; paused and 'off' calls not logged


def test_a_user_quality_function_gets_both_outputs_and_its_error_names_it():
    model = Net().eval()
    got = []

    def spread(approx, exact):
        got.append((approx.shape, exact.shape))
        return {"gap": (approx - exact).abs().max().item()}
    with mercury.profile(model, simulate=False, compare_exact=True, quality=spread) as prof:
        model(_batch(0)[0])
    assert got == [(torch.Size([4, 10]), torch.Size([4, 10]))] and prof.reports[0].quality == {"forwards": 1, "gap": 0.0}

    def broken(approx, exact):
        raise KeyError("perplexity")
    with pytest.raises(RuntimeError, match="quality function .*broken raised KeyError"):
        with mercury.profile(model, simulate=False, compare_exact=True, quality=broken):
            model(_batch(0)[0])
    assert "forward" not in model.__dict__


def test_bad_input_is_a_clear_error_naming_the_thing():
    with pytest.raises(ValueError, match="Sequential has no layer of kinds \\['conv2d'\\] .*linear"):
        mercury.profile(nn.Sequential(nn.Linear(2, 2)), kinds=["conv2d"], simulate=False)
    prof = mercury.profile(Net(), simulate=False)
    with pytest.raises(RuntimeError, match="step\\(\\) called outside"):
        prof.step()
    with pytest.raises(ValueError, match="active=0: a schedule with no active step"):
        mercury.schedule(wait=3, active=0)
    with pytest.raises(ValueError, match="'eyeriss_xx'.*eyeriss_ws"):
        mercury.profile(Net(), config="eyeriss_xx", simulate=False)
    with pytest.raises(ValueError, match="per_layer names layer\\(s\\) \\['conv9'\\]"):
        mercury.profile(Net(), per_layer={"conv9": {"mode": "off"}}, simulate=False)
    with pytest.raises(ValueError, match="quality='perplexity'"):
        mercury.profile(Net(), quality="perplexity", simulate=False)
    with pytest.raises(RuntimeError, match="no window has finished"):
        prof.table()


def test_a_shipped_config_is_chosen_by_name():
    assert tools.resolve_config("eyeriss_os") == tools.config_path("eyeriss_os.cfg")
    assert tools.resolve_config("google_ws.cfg") == tools.config_path("google_ws.cfg")
    assert "scale32_is" in tools.config_names()


def test_an_instance_level_forward_a_wrapper_put_there_is_kept():
    model = Net().eval()
    outer, inner = model.forward, model.conv1.forward
    model.forward = lambda *a, **k: outer(*a, **k)          # as accelerate or a user's own patch would do
    model.conv1.forward = lambda x: inner(x)
    mine, mine_conv = model.forward, model.conv1.forward
    with mercury.profile(model, simulate=False) as prof:
        model(_batch(0)[0])
    assert model.__dict__["forward"] is mine and model.conv1.__dict__["forward"] is mine_conv
    assert prof.reports[0].layers[0]["calls"] == 1
    with pytest.raises(ValueError, match="mercury.profile: 0: padding_mode='reflect' is not supported"):
        mercury.profile(nn.Sequential(nn.Conv2d(1, 2, 3, padding_mode="reflect")), simulate=False)
