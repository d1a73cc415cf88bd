"""benchmarks/train_study.py smoke test: one tiny epoch, baseline and MERCURY reuse; the loss falls."""
import json
import os

import pytest

pytest.importorskip("mercury")
from benchmarks import train_study  # noqa: E402


def _fashion_available():
    from models import data
    try:
        data.dataset_dir("fashion_mnist")
        return True
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not _fashion_available(), reason="Fashion-MNIST not installed")
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
