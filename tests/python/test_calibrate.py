"""mercury.calibrate: per-layer settings that keep the target on the calibration batches, saved and loaded."""
import copy

import pytest
import torch
import torch.nn as nn

import mercury
from mercury import calibrate as calibration
from mercury import tools

pytestmark = pytest.mark.skipif(tools.find_tool("mercury-sim") is None, reason="mercury-sim is not built")


class Wide(nn.Module):
    """Wide enough that reused rows save more array time than signatures cost."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 64, 3, padding=1)
        self.conv2 = nn.Conv2d(64, 128, 3, padding=1)
        self.head = nn.Linear(128, 10)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        x = torch.relu(self.conv2(x))
        return self.head(x.mean((2, 3)))


def _batches():
    # Digits-like images: a bright blob on a black background, so many patches repeat exactly (zeros).
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(16, 1, 16, 16)
    for i in range(16):
        r, c = torch.randint(2, 8, (2,), generator=g).tolist()
        x[i, 0, r:r + 6, c:c + 6] = torch.rand(6, 6, generator=g)
    return [x[:8], x[8:]]


def test_calibration_meets_its_target_and_round_trips(tmp_path):
    torch.manual_seed(0)
    model, batches = Wide().eval(), _batches()
    cal = calibration.calibrate(model, batches, target_agreement=1.0, max_prob_change=0.01, workdir=str(tmp_path))
    assert set(cal.per_layer) == {0, 1} and cal.names == ["conv1", "conv2"]
    assert cal.trials and all(t["gain_cycles"] > 0 for t in cal.trials)
    assert cal.enabled(), "exact repeats (zero patches) should let at least one layer reuse"
    # On its own batches the calibrated model meets the targets.
    calibrated = copy.deepcopy(model)
    table = mercury.layer_table(mercury.convert(calibrated, example=batches[0][:1], mode="off", per_layer=cal.per_layer))
    assert [row["mode"] for row in table] == [cal.per_layer[i]["mode"] for i in range(2)]
    with torch.no_grad():
        for x in batches:
            exact, approx = model(x), calibrated(x)
            assert (exact.argmax(1) == approx.argmax(1)).all()
            assert (exact.softmax(1) - approx.softmax(1)).abs().max() <= 0.01
    path = cal.save(str(tmp_path / "cal.json"))
    assert calibration.load(path) == cal.per_layer
    scripted, table, _ = mercury.rewrite(torch.jit.script(model), mode="off", per_layer=calibration.load(path))
    assert [row["mode"] for row in table] == [cal.per_layer[i]["mode"] for i in range(2)]


def test_an_impossible_target_leaves_every_layer_off(tmp_path):
    model, batches = Wide().eval(), _batches()
    cal = calibration.calibrate(model, batches, target_agreement=1.0, max_prob_change=0.0,
                                candidates=[{"signature": "sign", "sig_bits": 2}], workdir=str(tmp_path))
    assert all(t["max_prob_change"] == 0 for t in cal.trials if t["accepted"])
    assert all(not t["accepted"] for t in cal.trials if t["max_prob_change"] > 0)


def test_load_refuses_a_bad_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"per_layer": {"0": {"sig_bits": 99}}}')
    with pytest.raises(ValueError, match=r"\[1, 64\], got 99"):
        calibration.load(str(bad))
    (tmp_path / "other.json").write_text("[]")
    with pytest.raises(ValueError, match="not a mercury calibration file"):
        calibration.load(str(tmp_path / "other.json"))
