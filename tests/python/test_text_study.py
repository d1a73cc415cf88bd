"""The transformer side of the study: attention's matmuls captured for the simulator (mercury.matmuls), and
python -m mercury.study --models minilm_l6 end to end on a few real e-mails (trained MiniLM)."""
import json
import os

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import mercury
from mercury import matmuls
from mercury.study import inference, text_inputs


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(8, 24)
        self.w = nn.Parameter(torch.randn(8, 8))

    def forward(self, x):  # x [B, T, 8], two heads of 4
        q, k, v = self.qkv(x).view(x.shape[0], x.shape[1], 3, 2, 4).permute(2, 0, 3, 1, 4)
        scores = torch.softmax(q @ k.transpose(-1, -2), -1)  # an explicit matmul of activations
        out = F.scaled_dot_product_attention(q, k, v) + scores @ v
        return out.transpose(1, 2).reshape(x.shape) @ self.w  # a product with a weight: no matmul record


def test_only_products_of_two_activations_are_captured(tmp_path):
    calls = matmuls.activation_matmuls(Attention().eval(), torch.randn(3, 5, 8))
    assert [(c.what, c.samples, c.heads, c.m, c.k, c.n) for c in calls] == [
        ("matmul", 3, 2, 5, 4, 5), ("attention scores", 3, 2, 5, 4, 5), ("attention values", 3, 2, 5, 5, 4),
        ("matmul", 3, 2, 5, 5, 4)]
    ids = matmuls.write_matmul_hitlogs(calls, str(tmp_path), 7)
    assert ids == [7, 8, 9, 10]
    header, row = open(tmp_path / "hitlog-008.csv").read().splitlines()
    record = dict(zip(header.split(","), row.split(",")))
    assert (record["op"], record["groups"], record["C"], record["H"], record["out_channels"], record["vectors"]) == \
        ("matmul", "2", "8", "5", "10", "0")


@pytest.fixture
def few_probe_texts(monkeypatch):
    monkeypatch.setattr(text_inputs, "PROBE_TRAINING_TEXTS", 64)


@pytest.mark.parametrize("mode", ["observe", "reuse"])
def test_the_minilm_study_runs_end_to_end(tmp_path, few_probe_texts, mode):
    inference.main(["--models", "minilm_l6", "--batches", "1", "--batch-size", "6", "--mode", mode,
                    "--out", str(tmp_path), "--no-plots", "--quiet"])
    summary = json.load(open(tmp_path / "minilm_l6" / "summary.json"))
    kinds = [row["kind"] for row in summary["layers"]]
    assert kinds.count("linear") == 37 and kinds.count("matmul") == 12  # 6 layers x (Q K V O in out), pooler
    assert summary["weights"].startswith("trained")
    assert 0 < summary["totals"]["untouched_share"] < 0.5
    q = summary["output_quality"]
    assert q["texts"] == 6 and 0.0 < q["probe_accuracy_exact"] <= 1.0
    if mode == "observe":  # nothing reused: the exact embeddings, the same neighbours
        assert q["min_cosine"] > 0.99999 and q["top1_neighbour_agreement"] == 1.0
        assert summary["totals"]["hit_rate"] > 0
    else:
        assert q["min_cosine"] < 1.0
    assert os.path.isfile(tmp_path / "minilm_l6" / "sim" / "MERCURY_REPORT.csv")


def test_minilm_fine_tunes_with_reuse_in_forward_and_backward(tmp_path):
    from mercury.files import read_csv
    from mercury.study import training
    training.main(["--models", "minilm_l6", "--datasets", "spam_assassin", "--epochs", "1", "--train-limit", "8",
                   "--test-limit", "8", "--batch-size", "4", "--lr", "5e-5", "--sig-bits", "8",
                   "--variants", "baseline,mercury", "--out", str(tmp_path), "--no-plots", "--quiet"])
    results = json.load(open(tmp_path / "results.json"))["results"]
    assert [r["variant"] for r in results] == ["baseline", "mercury"]
    mercury_run = results[1]
    assert mercury_run["sim"]["step_speedup"] > 0 and len(mercury_run["losses"]) == 2
    report = read_csv(str(tmp_path / "minilm_l6_spam_assassin_mercury" / "epoch1" / "sim" / "MERCURY_REPORT.csv"))
    assert [row["HitLog"] for row in report].count("matmul") == 12 and len(report) == 38 + 12
    matmul = [row for row in report if row["HitLog"] == "matmul"][0]
    assert matmul["StepBaselineCycles"] == matmul["StepMercuryCycles"]


def test_the_trade_off_plot_draws_every_setting_and_the_calibrated_point(tmp_path):
    from mercury.study.text_report import plot_text_curve
    point = dict(signature="svd", sig_bits=8, bucket_width=0.2, min_cosine=0.9, probe_accuracy=0.9, speedup=1.1)
    calibrated = dict(min_cosine=0.97, probe_accuracy=0.91, probe_accuracy_exact=0.91)
    path = plot_text_curve("m", [point, dict(point, signature="sign", speedup=1.05)], calibrated, {"speedup": 1.02},
                           str(tmp_path))
    assert path == str(tmp_path / "tradeoff.png") and os.path.getsize(path) > 10_000
