"""The inference study (mercury.study) end to end on a tiny model (small_cnn, 2 batches of 4 Fashion-MNIST images)."""
import json
import os

import pytest

pytest.importorskip("mercury")
from mercury import tools  # noqa: E402
from mercury.study import inference  # noqa: E402
from models import data  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


pytestmark = pytest.mark.skipif(not data.dataset_available("fashion_mnist"), reason="Fashion-MNIST not installed")


def _is_png(path):
    with open(path, "rb") as f:
        head = f.read(8)
    return head == PNG_MAGIC and os.path.getsize(path) > 1000


def _run(tmp_path, *extra):
    argv = ["--models", "small_cnn", "--batches", "2", "--batch-size", "4", "--out", str(tmp_path), "--quiet",
            *extra]
    assert inference.main(argv) == 0
    out = tmp_path / "small_cnn"
    with open(out / "summary.json") as f:
        return out, json.load(f)


def test_runner_hit_log_outputs(tmp_path):
    out, s = _run(tmp_path, "--no-sim")
    for name in ("summary.json", "layers.csv", "hit_rate.png"):
        assert (out / name).is_file(), name
    assert _is_png(out / "hit_rate.png")
    files = sorted(os.listdir(out / "hitlog"))
    assert [f for f in files if f.startswith("hitlog-")] == ["hitlog-000.csv", "hitlog-001.csv", "hitlog-002.csv"]
    rows = s["layers"]
    assert len(rows) == 3 and [r["layer_id"] for r in rows] == [0, 1, 2]
    assert all(r["calls"] == 2 for r in rows)
    t = s["totals"]
    assert t["vectors"] == sum(r["vectors"] for r in rows)
    assert t["hits"] == sum(r["hits"] for r in rows)
    assert t["hit_rate"] == pytest.approx(t["hits"] / t["vectors"])
    # vectors per layer = batch * out_h * out_w over 2 calls (patch vectors, groups 1): 28x28, 14x14, 7x7
    assert [r["vectors"] for r in rows] == [2 * 4 * 28 * 28, 2 * 4 * 14 * 14, 2 * 4 * 7 * 7]
    assert [r["name"] for r in rows] == ["conv1", "conv2", "conv3"]
    q = s["output_quality"]
    assert q["top1_agreement"] == 1.0 and q["logit_rel_l2"] == 0.0  # observe mode: the output is exact
    assert q["accuracy"] == q["accuracy_exact"]


def test_runner_reuse_mode_reports_what_reuse_did(tmp_path):
    _, s = _run(tmp_path, "--no-sim", "--no-plots", "--mode", "reuse", "--sig-bits", "4")
    assert s["settings"]["mode"] == "reuse" and s["settings"]["sig_bits"] == 4
    q = s["output_quality"]
    assert q["images"] == 8 and 0.0 <= q["top1_agreement"] <= 1.0
    assert q["logit_rel_l2"] > 0  # 4-bit signatures collide: the reused output differs from the exact one
    assert 0.0 <= q["accuracy"] <= 1.0


def test_runner_refuses_a_bad_setting(tmp_path):
    with pytest.raises(SystemExit):
        _run(tmp_path, "--no-sim", "--sig-bits", "99")


@pytest.mark.skipif(tools.find_tool("mercury-sim") is None, reason="build/sim/mercury-sim is not built")
def test_runner_with_simulator(tmp_path):
    out, s = _run(tmp_path)
    assert s["sim_error"] is None, s["sim_error"]
    assert "mercury-sim" in s["simulator"] and " -m " in s["simulator"] and " -t " in s["simulator"]  # -t: names
    rows, t = s["layers"], s["totals"]
    assert all(r["baseline_cycles"] > 0 and r["mercury_cycles"] > 0 for r in rows)
    assert t["baseline_cycles"] == pytest.approx(sum(r["baseline_cycles"] for r in rows))
    assert t["mercury_cycles"] == pytest.approx(sum(r["mercury_cycles"] for r in rows))
    assert t["speedup"] == pytest.approx(t["baseline_cycles"] / t["mercury_cycles"])
    assert t["baseline_energy_uj"] > 0 and t["mercury_energy_uj"] > 0 and 0 <= t["own_energy_share"] <= 1
    assert t["baseline_energy_uj"] == pytest.approx(sum(r["baseline_energy_uj"] for r in rows))
    for name in ("hit_rate.png", "speedup.png", "cycles.png", "energy.png"):
        assert _is_png(out / name), name
    from mercury.files import read_csv
    assert [r["LayerName"] for r in read_csv(str(out / "sim" / "MERCURY_REPORT.csv"))] == ["L000_conv1", "L001_conv2",
                                                                                          "L002_conv3"]




@pytest.mark.skipif(tools.find_tool("mercury-sim") is None, reason="build/sim/mercury-sim is not built")
def test_runner_calibrated_point_curve_and_headroom(tmp_path):
    out, s = _run(tmp_path, "--batches", "3", "--calibrate-batches", "1", "--curve", "--headroom", "--max-trials", "6",
                  "--target-agreement", "1.0")
    c = s["calibration"]
    assert c["batches"] == 1 and (out / "calibration.json").is_file() and (out / "topology.csv").is_file()
    q = s["output_quality"]
    assert q["images"] == 8  # the 2 held-out batches only
    assert all(r["mode"] == ("reuse" if r["layer_id"] in c["enabled_layers"] else "off") for r in s["layers"])
    assert all(r["vectors"] == 0 for r in s["layers"] if r["mode"] == "off")
    assert s["totals"]["baseline_cycles"] > 0 and s["totals"]["speedup"] > 0
    curve = s["tradeoff_curve"]
    assert len(curve) == 6 and all(0 <= p["top1_agreement"] <= 1 and p["speedup"] > 0 for p in curve)
    assert _is_png(out / "tradeoff.png")
    assert set(s["headroom"]["removable_macs"]) == {"0.02", "0.05", "0.1"}
    assert (out / "headroom.json").is_file()
