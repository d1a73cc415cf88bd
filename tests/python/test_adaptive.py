"""mercury.adaptive.AdaptivePolicy on synthetic loss / hit sequences."""
import pytest

from mercury.adaptive import AdaptivePolicy


class FakeLayer:
    def __init__(self, layer_id):
        self.layer_id, self.mode, self.sig_bits = layer_id, "reuse", 0


def feed(policy, losses, layers=()):
    changed = []
    for loss in losses:
        for lid, hits, vectors, cout in layers:
            policy.observe_layer(lid, hits, vectors, cout, 9)
        changed.append(policy.observe_loss(loss))
    return changed


def test_bits_grow_when_loss_stalls():
    p = AdaptivePolicy(init_bits=12, step_bits=4, max_bits=20, window=5, patience=2)
    feed(p, [2.0] * 5)                      # check 1: sets the reference
    assert p.sig_bits == 12
    feed(p, [2.0] * 5)                      # check 2: no improvement (1 of 2)
    assert p.sig_bits == 12
    changed = feed(p, [2.0] * 5)            # check 3: stalled -> grow
    assert changed[-1] and p.sig_bits == 16
    assert p.history[-1]["event"] == "grow_bits" and p.history[-1]["from"] == 12
    assert p.history[-1]["reason"].startswith("loss stalled: 2 checks with mean loss 2")
    feed(p, [2.0] * 15)                     # reference + 2 stalls -> 20
    assert p.sig_bits == 20
    feed(p, [2.0] * 30)                     # capped at max_bits
    assert p.sig_bits == 20


def test_bits_stay_while_loss_improves():
    p = AdaptivePolicy(init_bits=12, window=5, patience=2)
    loss = 2.0
    for _ in range(10):
        feed(p, [loss] * 5)
        loss *= 0.9
    assert p.sig_bits == 12 and not [h for h in p.history if h["event"] == "grow_bits"]


def test_low_hit_rate_layer_is_disabled_after_warmup():
    p = AdaptivePolicy(window=4, warmup_checks=1, min_hit_rate=0.05, min_gain=0.0)
    layers = [(0, 90, 100, 64), (1, 1, 100, 64)]     # layer 1: 1% hits
    feed(p, [1.0] * 4, layers)                        # warm-up check: nothing disabled
    assert p.disabled == {}
    feed(p, [0.5] * 4, layers)
    assert set(p.disabled) == {1} and "hit rate" in p.disabled[1]
    mods = [FakeLayer(0), FakeLayer(1)]
    p.apply(mods)
    assert [m.mode for m in mods] == ["reuse", "off"]
    assert all(m.sig_bits == p.sig_bits for m in mods)


def test_low_gain_layer_is_disabled():
    # Cout 16 with 20-bit signatures: gain = 16 / ((1 - h) * 16 + 20) < 1 for any h
    p = AdaptivePolicy(init_bits=20, window=2, warmup_checks=0, min_hit_rate=0.0, min_gain=1.0)
    assert p.estimated_gain(0.9, 16) == pytest.approx(16 / (0.1 * 16 + 20))
    feed(p, [1.0, 1.0], [(0, 90, 100, 16), (1, 50, 100, 512)])
    assert 0 in p.disabled and 1 not in p.disabled
    assert p.layer_mode(0) == "off" and p.layer_mode(1) == "reuse"


def test_disabled_layer_stays_off_and_records_are_parsed():
    p = AdaptivePolicy(window=1, warmup_checks=0, min_hit_rate=0.5, min_gain=0.0)
    rec = {"layer_id": 3, "hits": 1, "vectors": 10, "out_channels": 64, "C": 8, "groups": 1, "kernel_h": 3,
           "kernel_w": 3, "mode": "reuse"}
    p.observe_records([rec])
    p.observe_loss(1.0)
    assert 3 in p.disabled
    p.observe_records([dict(rec, hits=10)])
    p.observe_loss(0.5)
    assert 3 in p.disabled          # never re-enabled


def test_bad_settings_raise():
    with pytest.raises(ValueError):
        AdaptivePolicy(init_bits=40, max_bits=32)
    with pytest.raises(ValueError):
        AdaptivePolicy(window=0)
