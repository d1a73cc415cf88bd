"""mercury.headroom: the oracle reuse headroom (nearest earlier output row per position) against brute force."""
import json

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import mercury  # noqa: F401  (loads the op library, as every test does)
from mercury import headroom as H
from mercury.order import conv_calls


def brute_force(conv: nn.Conv2d, x: torch.Tensor):
    """Python double loop: rows y_p = W x_p (float64, im2col via unfold), for each p the min over s < p of
    ||y_p - y_s||; returns rel [G, P] (inf for p = 0; zero rows: 0 if an equal row exists, else inf)."""
    G = conv.groups
    cols = F.unfold(x.double(), conv.kernel_size, conv.dilation, conv.padding, conv.stride)  # [N, C*k*k, L]
    N, K, L = cols.shape
    w = conv.weight.double().reshape(G, conv.out_channels // G, -1)                          # [G, D, K/G]
    patches = cols.reshape(N, G, K // G, L).permute(1, 0, 3, 2).reshape(G, N * L, K // G)   # [G, P, K/G]
    P = N * L
    rel = torch.full((G, P), float("inf"), dtype=torch.float64)
    for g in range(G):
        y = [w[g] @ patches[g, p] for p in range(P)]
        for p in range(1, P):
            d = min((y[p] - y[s]).norm().item() for s in range(p))
            n = y[p].norm().item()
            rel[g, p] = d / n if n > 0 else (0.0 if d == 0 else float("inf"))
    return rel


def tiny_input():
    torch.manual_seed(0)
    x = torch.randn(1, 2, 6, 6)
    x[..., 3:6, 3:6] = x[..., 0:3, 0:3]          # patch (3,3) repeats patch (0,0)
    x[..., 0:3, 3:6] = 3 * x[..., 0:3, 0:3]      # patch (0,3) is 3x patch (0,0)
    x[..., 3:6, 0:3] = x[..., 0:3, 0:3] * 1.01   # patch (3,0) is a near copy (output differs by 1%)
    return x


def tiny_conv(**kw):
    torch.manual_seed(1)
    return nn.Conv2d(2, 3, 3, **kw).eval()


@pytest.mark.parametrize("kw", [{}, {"padding": 1, "stride": 2}, {"padding": 2, "dilation": 2}])
def test_flags_equal_brute_force(kw):
    conv, x = tiny_conv(**kw), tiny_input()
    r = H.analyse_layer(conv, x, budget=1e12)
    assert not r["sampled"]
    ref = brute_force(conv, x)
    assert torch.equal(torch.isfinite(r["rel"]), torch.isfinite(ref))
    fin = torch.isfinite(ref)
    assert torch.allclose(r["rel"][fin], ref[fin], rtol=1e-5, atol=1e-6)
    model = nn.Sequential(conv)
    ts = (0.0, 0.05, 0.3, 0.7)
    res = H.headroom(model, [x], thresholds=ts, budget=1e12, end_to_end=False)
    (layer,) = res["layers"]
    P = ref.shape[1]
    for t in ts:
        k = H.threshold_key(t)
        flags = ref <= t + 1e-9
        assert torch.equal(r["rel"] <= t + 1e-9, flags)
        assert layer["reusable_positions"][k] == pytest.approx(flags.sum().item() / P)
        assert layer["removable_macs"][k] == pytest.approx(flags.sum().item() / P)
        assert res["model"]["removable_macs"][k] == pytest.approx(flags.sum().item() / P)
    kh, kw_ = conv.kernel_size
    assert layer["macs"] == P * conv.out_channels * conv.in_channels * kh * kw_
    json.dumps(res)


def test_groups_equal_brute_force():
    torch.manual_seed(2)
    conv = nn.Conv2d(4, 6, 3, padding=1, groups=2).eval()
    x = torch.randn(2, 4, 5, 5)
    x[0, :2, 2:, 2:] = 0.5 * x[0, :2, :3, :3]
    x[1] = x[0]                                   # the second image repeats the first: earlier in the batch
    r = H.analyse_layer(conv, x, budget=1e12)
    ref = brute_force(conv, x)
    assert r["rel"].shape == ref.shape == (2, 50)
    fin = torch.isfinite(ref)
    assert torch.equal(torch.isfinite(r["rel"]), fin)
    assert torch.allclose(r["rel"][fin], ref[fin], rtol=1e-5, atol=1e-6)
    assert bool((r["rel"][:, 25:] <= 1e-9).all())  # every position of image 1 has an exact earlier repeat


def test_repeats_reusable_scaled_copies_not():
    conv, x = tiny_conv(), tiny_input()
    r = H.analyse_layer(conv, x, budget=1e12)
    ow = 4
    rel = r["rel"][0]
    assert rel[3 * ow + 3] <= 1e-9                 # exact repeat: reusable at t = 0
    assert r["best"][0, 3 * ow + 3] == 0
    assert 0.005 < rel[3 * ow + 0] < 0.011         # 1.01x copy: ~1% output error
    assert rel[0 * ow + 3] > 0.1                   # 3x copy: output row differs by 2x, not reusable at small t
    res = H.headroom(nn.Sequential(conv), [x], thresholds=(0.0, 0.02), budget=1e12, end_to_end=False)
    frac = res["layers"][0]["reusable_positions"]
    assert frac["0"] >= 1 / 16 and frac["0.02"] >= 2 / 16


def small_model():
    torch.manual_seed(3)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.Conv2d(8, 8, 3, padding=1, groups=2), nn.ReLU(), nn.Conv2d(8, 16, 1),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 5))


def test_sampling_and_exact_paths():
    model = small_model().train()
    torch.manual_seed(4)
    batches = [torch.randn(2, 3, 12, 12), torch.randn(2, 3, 12, 12)]
    sampled = H.headroom(model, batches, budget=1e3, sample=40, seed=7)
    assert model.training and all(m.training for m in model.modules())   # training flags left as they were
    exact = H.headroom(model, batches, budget=1e12, sample=40)
    json.dumps(sampled)
    for L, E in zip(sampled["layers"], exact["layers"]):
        assert L["sampled"] is True and L["sample_size"] == 80 and L["positions"] == 2 * 288
        assert E["sampled"] is False and E["sample_size"] is None
        for k in sampled["thresholds"]:
            assert 0.0 <= L["reusable_positions"][k] <= 1.0
            assert 0.0 <= L["removable_macs"][k] <= 1.0
    for k in sampled["thresholds"]:
        assert 0.0 <= sampled["model"]["removable_macs"][k] <= 1.0
        assert 0.0 <= sampled["model"]["end_to_end"][k]["top1_agreement"] <= 1.0
    # deterministic
    again = H.headroom(model, batches, budget=1e3, sample=40, seed=7)
    again.pop("wall_s"), sampled.pop("wall_s")
    assert again == sampled


def test_sampled_positions_match_exact_search():
    model = small_model().eval()
    torch.manual_seed(5)
    x = torch.randn(2, 3, 12, 12)
    for c in conv_calls(model, x, keep_inputs=True):
        full = H.analyse_layer(c.module, c.input, budget=1e12)
        part = H.analyse_layer(c.module, c.input, budget=1.0, sample=50, generator=torch.Generator().manual_seed(0))
        assert part["sampled"] and len(part["queries"]) == 50
        assert torch.allclose(part["rel"], full["rel"][:, part["queries"]], rtol=1e-6, atol=1e-9)


def test_end_to_end():
    model = small_model().eval()
    torch.manual_seed(6)
    x = [torch.randn(4, 3, 10, 10)]              # random: no repeated patches
    res = H.headroom(model, x, thresholds=(0.0, 10.0), budget=1e12)
    e0, e10 = res["model"]["end_to_end"]["0"], res["model"]["end_to_end"]["10"]
    assert res["layers"][0]["removable_macs"]["0"] == 0.0   # after a ReLU an all-zero patch can repeat exactly
    assert res["model"]["removable_macs"]["0"] < 0.01
    assert e0["top1_agreement"] == 1.0 and e0["logit_rel_l2"] == 0.0 and e0["max_prob_change"] == 0.0
    assert res["model"]["removable_macs"]["10"] > 0.9
    assert e10["logit_rel_l2"] > 1e-3 and e10["max_prob_change"] > 0


def test_reuse_hook_replaces_rows():
    torch.manual_seed(7)
    conv = nn.Conv2d(4, 6, 3, padding=1, groups=2).eval()
    x = torch.randn(2, 4, 5, 5)
    r = H.analyse_layer(conv, x, budget=1e12)
    ok = r["rel"] <= 0.8
    assert 0 < int(ok.sum()) < ok.numel()
    P = r["positions"]
    base = (torch.arange(2) * P)[:, None]
    hooks = H._Reuse(conv, [((base + r["queries"][None])[ok], (base + r["best"])[ok])])
    with torch.no_grad():
        got = conv(x)
    hooks.remove()
    with torch.no_grad():
        want = conv(x)
    d, L = 3, 25
    for g in range(2):
        for p in range(P):
            n, l = divmod(p, L)
            if ok[g, p]:
                n2, l2 = divmod(int(r["best"][g, p]), L)
                src = want[n2, g * d:(g + 1) * d].reshape(d, L)[:, l2]
            else:
                src = want[n, g * d:(g + 1) * d].reshape(d, L)[:, l]
            assert torch.equal(got[n, g * d:(g + 1) * d].reshape(d, L)[:, l], src)


def test_bad_arguments():
    with pytest.raises(ValueError):
        H.headroom(small_model(), [torch.randn(1, 3, 8, 8)], thresholds=())
    with pytest.raises(ValueError):
        H.headroom(small_model(), [torch.randn(1, 3, 8, 8)], thresholds=(-0.1,))
    with pytest.raises(ValueError):
        H.headroom(small_model(), [])


def test_linear_layers_rows_with_an_earlier_twin_are_reusable():
    """Linear layers (kinds): a row equal to an earlier one is reusable at any threshold; the rest are not."""
    from mercury.order import ALL_KINDS
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 5)).eval()
    x = torch.randn(2, 10, 6)
    x[:, 7:] = x[:, :3]  # 3 of every 10 rows repeat an earlier row exactly
    result = H.headroom(model, [x], thresholds=(0.0, 0.01), kinds=ALL_KINDS)
    assert [(L["kind"], L["positions"], L["row_width"]) for L in result["layers"]] == [("linear", 20, 8),
                                                                                      ("linear", 20, 5)]
    for L in result["layers"]:
        assert L["removable_macs"] == {"0": 0.3, "0.01": 0.3}
    assert result["model"]["end_to_end"]["0"]["max_prob_change"] < 1e-6
