"""mercury::conv2d against torch's conv2d and against the independent Python reference."""
import random

import pytest
import torch
import torch.nn.functional as F

import mercury
from mercury_reference import reference_conv2d


def random_case(rng):
    groups = rng.choice([1, 1, 2, 3])
    c_in = groups * rng.randint(1, 3)
    c_out = groups * rng.randint(1, 4)
    kh, kw = rng.randint(1, 3), rng.randint(1, 3)
    stride = [rng.randint(1, 2), rng.randint(1, 2)]
    padding = [rng.randint(0, 2), rng.randint(0, 1)]
    dilation = [rng.randint(1, 2), rng.randint(1, 2)]
    h = rng.randint(dilation[0] * (kh - 1) + 1, 9)
    w = rng.randint(dilation[1] * (kw - 1) + 1, 9)
    x = torch.randn(rng.randint(1, 3), c_in, h, w)
    weight = torch.randn(c_out, c_in // groups, kh, kw)
    bias = torch.randn(c_out) if rng.random() < 0.5 else None
    return x, weight, bias, stride, padding, dilation, groups


@pytest.mark.parametrize("mode", ["off", "observe"])
def test_exact_modes_equal_conv2d(mode):
    rng = random.Random(1)
    torch.manual_seed(1)
    for _ in range(40):
        x, weight, bias, stride, padding, dilation, groups = random_case(rng)
        got = mercury.conv2d(x, weight, bias, stride, padding, dilation, groups, mode=mode)
        want = F.conv2d(x, weight, bias, stride, padding, dilation, groups)
        assert got.shape == want.shape
        torch.testing.assert_close(got, want)


@pytest.mark.parametrize("vector", ["patch", "channel"])
def test_repeated_patches_reuse_is_exact_and_hits_as_counted(vector):
    # A periodic image: with stride 1 and no padding, patch (i, j) equals patch (i + 2, j) and (i, j + 2).
    tile = torch.randn(1, 3, 2, 2, dtype=torch.float64)
    x = tile.repeat(2, 1, 6, 6)  # 2 identical images, 12x12
    weight = torch.randn(5, 3, 3, 3, dtype=torch.float64)
    mercury.hitlog_reset()
    got = mercury.conv2d(x, weight, None, mode="reuse", vector_kind=vector, sig_bits=32, layer_id=4)
    torch.testing.assert_close(got, F.conv2d(x, weight))
    record = mercury.hitlog()[-1]
    units = 1 if vector == "patch" else 3
    positions = 2 * 10 * 10
    assert record["vectors"] == units * positions
    assert record["misses"] == units * 4  # 2x2 distinct phases per unit, first seen once
    assert record["hits"] == units * (positions - 4)


def test_distinct_patches_never_hit():
    torch.manual_seed(2)
    x = torch.randn(2, 4, 10, 10)
    mercury.hitlog_reset()
    mercury.conv2d(x, torch.randn(8, 4, 3, 3), None, [1, 1], [1, 1], mode="reuse", sig_bits=64)
    record = mercury.hitlog()[-1]
    assert record["hits"] == 0 and record["misses"] == record["vectors"] == 2 * 10 * 10


CACHE_CASES = [
    # (sig_bits, cache_entries, cache_ways, vector, groups)
    (6, 1024, 0, "patch", 1),
    (6, 8, 0, "patch", 1),     # evictions, fully associative
    (8, 16, 4, "patch", 2),    # set associative, groups
    (5, 4, 1, "channel", 1),   # direct mapped, per-channel vectors
    (7, 32, 8, "channel", 2),
]


@pytest.mark.parametrize("sig_bits,entries,ways,vector,groups", CACHE_CASES)
def test_matches_reference_semantics(sig_bits, entries, ways, vector, groups):
    torch.manual_seed(3)
    x = torch.relu(torch.randn(2, 2 * groups, 9, 8, dtype=torch.float64))
    weight = torch.randn(3 * groups, 2, 3, 3, dtype=torch.float64)
    bias = torch.randn(3 * groups, dtype=torch.float64)
    settings = dict(layer_id=7, sig_bits=sig_bits, cache_entries=entries, cache_ways=ways, vector_kind=vector, seed=11)
    mercury.hitlog_reset()
    got = mercury.conv2d(x, weight, bias, [1, 2], [1, 0], [1, 1], groups, mode="reuse", record_hitmap=True,
                         **settings)
    want, hits, hitmap, _ = reference_conv2d(x, weight, bias, [1, 2], [1, 0], [1, 1], groups, **settings)
    record = mercury.hitlog(with_hitmaps=True)[-1]
    assert 0 < hits < len(hitmap), "the case should exercise both hits and misses"
    assert record["hits"] == hits and record["misses"] == len(hitmap) - hits
    assert record["hitmap"].tolist() == [bool(h) for h in hitmap]
    torch.testing.assert_close(got, want)


def test_observe_counts_what_reuse_would_hit():
    torch.manual_seed(4)
    x = torch.relu(torch.randn(1, 3, 12, 12))
    weight = torch.randn(4, 3, 3, 3)
    mercury.hitlog_reset()
    mercury.conv2d(x, weight, mode="observe", sig_bits=6)
    mercury.conv2d(x, weight, mode="reuse", sig_bits=6)
    observe, reuse = mercury.hitlog()
    assert observe["hits"] == reuse["hits"] > 0
    assert (observe["call"], reuse["call"]) == (0, 1)


def test_off_mode_logs_nothing():
    mercury.hitlog_reset()
    mercury.conv2d(torch.randn(1, 1, 4, 4), torch.randn(1, 1, 3, 3), mode="off")
    assert mercury.hitlog() == []


def test_seed_changes_projection_not_global_rng():
    x = torch.relu(torch.randn(1, 3, 12, 12))
    weight = torch.randn(4, 3, 3, 3)
    torch.manual_seed(5)
    before = torch.get_rng_state()
    mercury.hitlog_reset()
    for seed in (0, 0, 1):
        mercury.conv2d(x, weight, mode="observe", sig_bits=6, seed=seed, record_hitmap=True)
    assert torch.equal(before, torch.get_rng_state())
    maps = [r["hitmap"] for r in mercury.hitlog(with_hitmaps=True)]
    assert torch.equal(maps[0], maps[1])
    assert not torch.equal(maps[0], maps[2])


def test_channels_last_and_empty_batch():
    torch.manual_seed(6)
    x = torch.randn(2, 4, 7, 7).to(memory_format=torch.channels_last)
    weight = torch.randn(6, 4, 3, 3)
    for mode in ("observe", "reuse"):
        got = mercury.conv2d(x, weight, None, 1, 1, mode=mode, sig_bits=64)
        torch.testing.assert_close(got, F.conv2d(x, weight, None, 1, 1))
        empty = mercury.conv2d(torch.randn(0, 4, 7, 7), weight, None, 1, 1, mode=mode)
        assert empty.shape == (0, 6, 7, 7)


def test_meta_tensors_propagate_shapes():
    x = torch.empty(2, 6, 15, 11, device="meta")
    weight = torch.empty(8, 3, 3, 3, device="meta")
    out = torch.ops.mercury.conv2d(x, weight, None, [2, 1], [1, 0], [1, 2], 2, 0, "reuse", 20, 1024, 0, "patch", 0,
                                   "sign", 1.0, False)
    assert out.device.type == "meta" and out.shape == (2, 8, 8, 7)
