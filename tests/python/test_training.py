"""benchmarks/train_study.py smoke test: one tiny epoch, baseline and MERCURY reuse; the loss falls."""
import json
import os

import pytest

pytest.importorskip("mercury")
from benchmarks import train_study  # noqa: E402
from models import data  # noqa: E402


@pytest.mark.skipif(not data.dataset_available("fashion_mnist"), reason="Fashion-MNIST not installed")
def test_one_tiny_epoch_loss_falls(tmp_path):
    argv = ["--models", "small_cnn", "--datasets", "fashion_mnist", "--epochs", "1", "--train-limit", "960",
            "--test-limit", "200", "--batch-size", "32", "--adaptive", "--adaptive-window", "5", "--out",
            str(tmp_path), "--quiet", "--no-sim"]
    assert train_study.main(argv) == 0
    with open(tmp_path / "results.json") as f:
        res = json.load(f)["results"]
    assert [r["variant"] for r in res] == ["baseline", "mercury", "adaptive"]
    for r in res:
        ls = r["losses"]
        assert len(ls) == 30
        first, last = sum(ls[:5]) / 5, sum(ls[-5:]) / 5
        assert last < first, (r["variant"], first, last)
        assert 0.0 <= r["final_test_acc"] <= 1.0
    merc = res[1]
    hr = merc["epochs"][0]["hit_rate"]
    assert len(hr) == 3 and all(0.0 <= v <= 1.0 for v in hr.values())
    assert merc["hit_rate_trace"]
    assert res[2]["adaptive"]["sig_bits"] >= 16
    assert (tmp_path / "results.md").is_file()
    assert os.path.getsize(tmp_path / "curves_small_cnn_fashion_mnist.png") > 1000
    assert os.path.getsize(tmp_path / "hitrates_small_cnn_fashion_mnist.png") > 1000
    assert os.path.getsize(tmp_path / "adaptive_small_cnn_fashion_mnist.png") > 1000


@pytest.mark.skipif(not data.dataset_available("fashion_mnist"), reason="Fashion-MNIST not installed")
def test_training_step_is_simulated_by_mercury_sim(tmp_path):
    from mercury import tools
    if tools.find_tool("mercury-sim") is None:
        pytest.skip("mercury-sim is not built")
    argv = ["--models", "small_cnn", "--datasets", "fashion_mnist", "--epochs", "2", "--train-limit", "256",
            "--test-limit", "64", "--batch-size", "32", "--out", str(tmp_path), "--quiet", "--no-plots"]
    assert train_study.main(argv) == 0
    with open(tmp_path / "results.json") as f:
        res = json.load(f)["results"]
    sim = res[1]["sim"]
    assert "--training" in sim["simulator"]
    p = sim["phases"]
    assert sim["step_baseline"] == pytest.approx(p["forward_baseline"] + p["input_grad_baseline"]
                                                 + p["weight_grad_baseline"])
    assert sim["step_speedup"] == pytest.approx(sim["step_baseline"] / sim["step_mercury"])
    assert p["weight_grad_mercury"] < p["weight_grad_baseline"]  # hits shrink the reduction over positions
    e = sim["energy_uj"]  # ENERGY_REPORT.csv's totals: the forward and the whole step, both sides
    assert 0 < e["baseline_energy_uj"] < e["step_baseline_energy_uj"] and 0 < e["step_mercury_energy_uj"]
    assert sim["step_energy_ratio"] == pytest.approx(e["step_baseline_energy_uj"] / e["step_mercury_energy_uj"])
    assert e["signature_energy_uj"] > 0 and e["lookup_energy_uj"] > 0 and sim["mcache_bytes"] > 0
    assert all(r["step_ms_median"] > 0 for r in res)
    # every epoch is simulated from its own hit log; the headline figure is the last epoch's
    epochs = res[1]["epochs"]
    assert [e["sim_step_speedup"] > 0 for e in epochs] == [True, True]
    assert epochs[-1]["sim_step_speedup"] == pytest.approx(sim["step_speedup"])
    run = tmp_path / "small_cnn_fashion_mnist_mercury"
    assert (run / "epoch1" / "hitlog").is_dir() and (run / "epoch2" / "sim" / "MERCURY_REPORT.csv").is_file()


def test_variants_are_chosen_and_checked():
    from mercury.study import training
    assert training.variants_from(training.parse_args(["--variants", "mercury"])) == ["mercury"]
    assert training.variants_from(training.parse_args(["--variants", "mercury", "--adaptive"])) == ["mercury", "adaptive"]
    assert training.variants_from(training.parse_args([])) == ["baseline", "mercury"]
    with pytest.raises(SystemExit, match="choose from baseline, mercury, adaptive"):
        training.variants_from(training.parse_args(["--variants", "mercury,fast"]))
