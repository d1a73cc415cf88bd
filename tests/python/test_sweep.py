"""benchmarks/sweep.py (mercury.study.sweep) on a tiny run: every setting profiled, its files in its own folder."""
import pytest

from mercury import tools
from mercury.files import read_csv
from mercury.study import sweep
from models import data


@pytest.mark.skipif(not data.dataset_available("fashion_mnist") or tools.find_tool("mercury-sim") is None,
                    reason="Fashion-MNIST or mercury-sim missing")
def test_a_tiny_sweep_profiles_every_setting(tmp_path):
    sweep.main(["--parts", "fashion_mnist", "--train-limit", "128", "--test-limit", "64", "--bits", "4,20",
                "--caches", "64", "--train-epochs", "1", "--out", str(tmp_path), "--no-plots", "--quiet"])
    rows = read_csv(str(tmp_path / "sweep.csv"))
    assert [(r["swept"], r["sig_bits"], r["cache_entries"]) for r in rows] == [
        ("sig_bits", "4", "1024"), ("sig_bits", "20", "1024"), ("cache_entries", "20", "64")]
    assert float(rows[0]["hit_rate"]) > float(rows[1]["hit_rate"])  # 4-bit signatures collide more than 20-bit
    assert all(float(r["speedup"]) > 0 and 0 <= float(r["top1_agreement"]) <= 1 for r in rows)
    sim = read_csv(str(tmp_path / "fashion_mnist" / "sig_bits_4" / "sim" / "MERCURY_REPORT.csv"))
    assert [r["LayerName"] for r in sim] == ["L000_conv1", "L001_conv2", "L002_conv3"]
