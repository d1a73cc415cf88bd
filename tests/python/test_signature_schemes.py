"""Signature schemes: the paper's sign RPQ sees only a vector's direction; e2lsh also tells magnitudes apart."""
import pytest
import torch

import mercury


def _one_by_one(vectors):
    """A 1x1 conv input whose positions are the given vectors (each position is one patch vector)."""
    v = torch.stack(vectors)                       # [P, C]
    return v.t().reshape(1, v.shape[1], 1, v.shape[0]).contiguous()


def _hits(x, **settings):
    mercury.hitlog_reset()
    w = torch.randn(8, x.shape[1], 1, 1, generator=torch.Generator().manual_seed(1))
    out = mercury.conv2d(x, w, layer_id=0, mode="reuse", record_hitmap=True, **settings)
    record = mercury.hitlog(with_hitmaps=True)[-1]
    return record, out, torch.nn.functional.conv2d(x, w)


def test_sign_reuses_a_scaled_copy_e2lsh_does_not():
    g = torch.Generator().manual_seed(0)
    v = torch.rand(16, generator=g) + 0.1
    x = _one_by_one([v, 3 * v])
    sign, out, exact = _hits(x, signature="sign")
    assert sign["hits"] == 1                       # 3v takes v's result: a third of the right value
    torch.testing.assert_close(out[..., 1], out[..., 0])
    e2lsh, out, exact = _hits(x, signature="e2lsh", sig_bits=16)
    assert e2lsh["hits"] == 0 and e2lsh["signature"] == "e2lsh"
    torch.testing.assert_close(out, exact)


def test_e2lsh_exact_repeats_still_hit_and_far_vectors_do_not():
    g = torch.Generator().manual_seed(2)
    a, b = torch.randn(32, generator=g), torch.randn(32, generator=g)
    x = _one_by_one([a, b, a, b, a])
    record, out, exact = _hits(x, signature="e2lsh", sig_bits=20)
    assert record["hits"] == 3
    assert record["hitmap"].tolist() == [False, False, True, True, True]
    torch.testing.assert_close(out, exact)         # repeats reuse exactly their own result


def test_bucket_width_trades_hits_for_closeness():
    g = torch.Generator().manual_seed(3)
    base = torch.randn(64, generator=g)
    near = [base + 0.01 * torch.randn(64, generator=g) for _ in range(200)]
    x = _one_by_one(near)
    wide, _, _ = _hits(x, signature="e2lsh", sig_bits=8, bucket_width=8.0)
    narrow, _, _ = _hits(x, signature="e2lsh", sig_bits=8, bucket_width=0.001)
    assert wide["hits"] > 150 and narrow["hits"] == 0


def test_sign_is_the_default_and_bad_values_are_refused():
    assert mercury.defaults()["signature"] == "sign"
    x, w = torch.randn(1, 2, 5, 5), torch.randn(3, 2, 3, 3)
    with pytest.raises(RuntimeError, match="unknown signature 'lsh'"):
        mercury.conv2d(x, w, signature="lsh")
    with pytest.raises(RuntimeError, match="bucket_width must be in"):
        mercury.conv2d(x, w, signature="e2lsh", bucket_width=0.0)
    with pytest.raises(RuntimeError, match="bucket_width needs a finite number"):
        mercury.conv2d(x, w, signature="e2lsh", bucket_width=float("nan"))


def test_the_scheme_reaches_rewrite_and_convert():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Conv2d(4, 4, 3))
    scripted, table, _ = mercury.rewrite(torch.jit.script(net), signature="e2lsh", bucket_width=0.5,
                                         per_layer={1: {"signature": "sign"}})
    assert [(r["signature"], r["bucket_width"]) for r in table] == [("e2lsh", 0.5), ("sign", 0.5)]
    mercury.hitlog_reset()
    scripted(torch.randn(1, 3, 9, 9))
    assert [r["signature"] for r in mercury.hitlog()] == ["e2lsh", "sign"]
    mercury.convert(net, signature="e2lsh", bucket_width=2.0)
    assert net[0].settings["signature"] == "e2lsh" and net[0].bucket_width == 2.0
    torch.jit.script(net)


def test_svd_sees_outputs_not_inputs():
    """svd buckets the output row's coordinates: inputs that differ only in W's null space collide, scaled
    copies do not."""
    g = torch.Generator().manual_seed(4)
    w = torch.randn(4, 16, 1, 1, generator=g)                 # rank 4 in a 16-dim input space
    basis = torch.linalg.svd(w.view(4, 16), full_matrices=True).Vh
    v = torch.rand(16, generator=g) + 0.1
    invisible = 0.5 * basis[5] + 0.3 * basis[9]                # W @ invisible == 0
    x = _one_by_one([v, v + invisible, 3 * v])
    mercury.hitlog_reset()
    out = mercury.conv2d(x, w, mode="reuse", signature="svd", sig_bits=4, bucket_width=0.05, record_hitmap=True)
    record = mercury.hitlog(with_hitmaps=True)[-1]
    assert record["signature"] == "svd"
    assert record["hitmap"].tolist() == [False, True, False]
    torch.testing.assert_close(out, torch.nn.functional.conv2d(x, w), atol=1e-5, rtol=1e-5)
    e2lsh, _, _ = _hits(x, signature="e2lsh", sig_bits=16, bucket_width=0.05)
    assert e2lsh["hits"] == 0                                  # random directions see the null-space difference


@pytest.mark.parametrize("groups, vector", [(1, "patch"), (2, "patch"), (4, "patch"), (1, "channel")])
def test_svd_runs_on_every_layout_and_repeats_hit(groups, vector):
    g = torch.Generator().manual_seed(5)
    x = torch.randn(1, 4, 6, 6, generator=g).repeat(2, 1, 1, 1)   # image 2 repeats image 1
    w = torch.randn(8, 4 // groups, 3, 3, generator=g)
    mercury.hitlog_reset()
    out = mercury.conv2d(x, w, None, 1, 1, 1, groups, mode="reuse", signature="svd", vector_kind=vector)
    record = mercury.hitlog()[-1]
    assert record["hits"] >= record["vectors"] // 2               # at least the repeated image
    torch.testing.assert_close(out[1], out[0])


def test_svd_follows_a_weight_updated_in_place():
    """The directions are kept per weight tensor between calls; an in-place update (as by an optimizer) is seen by
    the next call, so inputs that differ in the new weight's null space collide and not in the old one's."""
    g = torch.Generator().manual_seed(6)
    old = torch.randn(4, 16, 1, 1, generator=g)
    new = torch.randn(4, 16, 1, 1, generator=g)
    invisible = torch.linalg.svd(new.view(4, 16), full_matrices=True).Vh[7]   # new @ invisible == 0
    v = torch.rand(16, generator=g) + 0.1
    x = _one_by_one([v, v + invisible])
    w = old.clone()

    def hitmap():
        mercury.hitlog_reset()
        mercury.conv2d(x, w, mode="reuse", signature="svd", sig_bits=4, bucket_width=0.05, record_hitmap=True)
        return mercury.hitlog(with_hitmaps=True)[-1]["hitmap"].tolist()

    assert hitmap() == [False, False]          # the old weight sees the difference
    with torch.no_grad():
        w.copy_(new)
    assert hitmap() == [False, True]
    assert hitmap() == [False, True]           # unchanged since: served from the store
