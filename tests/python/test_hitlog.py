"""The process-wide hit log: per-call counts, threads, overflow, export."""
import csv
import threading

import pytest
import torch

import mercury


@pytest.fixture(autouse=True)
def fresh_log():
    mercury.hitlog_reset()
    mercury.hitlog_set_capacity(100000)
    yield
    mercury.hitlog_reset()
    mercury.hitlog_set_capacity(100000)


def periodic_input(batch=1):
    return torch.arange(4.0).view(1, 1, 2, 2).repeat(batch, 2, 5, 5)  # 10x10, period 2


def test_counts_are_per_call_not_cumulative(tmp_path):
    x, w = periodic_input(), torch.randn(3, 2, 3, 3)
    for _ in range(3):
        mercury.conv2d(x, w, layer_id=2, mode="reuse", record_hitmap=True)
    records = mercury.hitlog()
    assert [r["call"] for r in records] == [0, 1, 2]
    assert [r["hits"] for r in records] == [64 - 4] * 3
    assert mercury.hitlog_export(str(tmp_path)) == 1
    with open(tmp_path / "hitlog-002.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3
    assert all(int(r["hits"]) == 60 and int(r["misses"]) == 4 and int(r["vectors"]) == 64 for r in rows)
    assert rows[0]["N"] == "1" and rows[0]["C"] == "2" and rows[0]["sig_bits"] == "20"
    assert rows[0]["hitmap"] == "".join("1" if v else "0" for v in mercury.hitlog_hitmap(0).tolist())


def test_four_threads_lose_no_counts():
    x, w = periodic_input(2), torch.randn(3, 2, 3, 3)
    calls = 25

    def worker(layer):
        for _ in range(calls):
            mercury.conv2d(x, w, layer_id=layer, mode="reuse")

    threads = [threading.Thread(target=worker, args=(layer,)) for layer in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = mercury.hitlog()
    assert len(records) == 4 * calls
    assert sorted(r["seq"] for r in records) == list(range(4 * calls))
    for layer in range(4):
        mine = [r for r in records if r["layer_id"] == layer]
        assert sorted(r["call"] for r in mine) == list(range(calls))
        assert sum(r["hits"] for r in mine) == calls * (128 - 4)


def test_overflow_is_counted_and_reported(tmp_path):
    mercury.hitlog_set_capacity(3)
    x, w = periodic_input(), torch.randn(3, 2, 3, 3)
    for _ in range(5):
        mercury.conv2d(x, w, layer_id=1, mode="observe")
    stats = mercury.hitlog_stats()
    assert stats["stored"] == 3 and stats["dropped_calls"] == 2
    assert mercury.hitlog_overflow() == {1: {"calls": 2, "hits": 120, "misses": 8, "vectors": 128}}
    with pytest.warns(UserWarning, match="overflowed"):
        assert len(mercury.hitlog()) == 3
    mercury.hitlog_export(str(tmp_path))
    with open(tmp_path / "overflow.csv") as f:
        assert list(csv.DictReader(f)) == [{"layer_id": "1", "dropped_calls": "2", "dropped_hits": "120",
                                            "dropped_misses": "8", "dropped_vectors": "128"}]


def test_hitmap_budget_keeps_counts():
    mercury.hitlog_set_capacity(100, hitmap_bytes=100)
    x, w = periodic_input(), torch.randn(3, 2, 3, 3)
    for _ in range(3):
        mercury.conv2d(x, w, mode="observe", record_hitmap=True)
    with pytest.warns(UserWarning, match="hit maps"):
        records = mercury.hitlog()
    assert [r["hitmap"] for r in records] == [True, False, False]
    assert all(r["hits"] == 60 for r in records)
    assert mercury.hitlog_stats()["dropped_hitmaps"] == 2


def test_bad_capacity_and_index():
    with pytest.raises(RuntimeError, match="must be >= 0"):
        mercury.hitlog_set_capacity(-1)
    with pytest.raises(RuntimeError, match="out of range"):
        mercury.hitlog_hitmap(0)


def test_hitlog_from_start_copies_only_new_records():
    mercury.hitlog_reset()
    x, w = torch.randn(1, 2, 6, 6), torch.randn(3, 2, 3, 3)
    for layer in range(3):
        mercury.conv2d(x, w, layer_id=layer)
    everything = mercury.hitlog()
    newest = mercury.hitlog(start=1)
    assert [r["layer_id"] for r in newest] == [1, 2]
    assert newest == everything[1:]
    assert mercury.hitlog(start=3) == []


def test_take_hands_over_records_overflow_and_hit_maps_and_empties_the_log():
    mercury.hitlog_set_capacity(2, hitmap_bytes=64)
    x, w = periodic_input(), torch.randn(3, 2, 3, 3)
    for layer in range(4):
        mercury.conv2d(x, w, layer_id=layer, mode="observe", record_hitmap=True)
    with pytest.warns(UserWarning):
        expected = mercury.hitlog(with_hitmaps=True)
    taken = mercury.hitlog_take(with_hitmaps=True)
    assert [r["layer_id"] for r in taken.records] == [0, 1]
    assert taken.records[0]["hitmap"].tolist() == expected[0]["hitmap"].tolist()
    assert taken.records[1]["hitmap"] is None and taken.dropped_hitmaps == 1  # 64 map bytes: the first map only
    assert [{k: v for k, v in r.items() if k != "hitmap"} for r in taken.records] == \
        [{k: v for k, v in r.items() if k != "hitmap"} for r in expected]
    assert taken.overflow == {2: {"calls": 1, "hits": 60, "misses": 4, "vectors": 64},
                              3: {"calls": 1, "hits": 60, "misses": 4, "vectors": 64}}
    stats = mercury.hitlog_stats()
    assert (stats["stored"], stats["dropped_calls"], stats["dropped_hitmaps"]) == (0, 0, 0)
    mercury.conv2d(x, w, layer_id=0, mode="observe")
    assert mercury.hitlog_take().records[0]["call"] == 0  # numbering starts again, as after hitlog_reset


@pytest.mark.filterwarnings("ignore:mercury hit log is full")
def test_take_while_threads_call_loses_no_call():
    mercury.hitlog_set_capacity(8)
    x, w = periodic_input(), torch.randn(3, 2, 3, 3)

    def calls(layer):
        for _ in range(40):
            mercury.conv2d(x, w, layer_id=layer, mode="observe")
    threads = [threading.Thread(target=calls, args=(layer,)) for layer in range(3)]
    taken = []
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        taken.append(mercury.hitlog_take())
    for t in threads:
        t.join()
    taken.append(mercury.hitlog_take())
    per_layer = {layer: 0 for layer in range(3)}
    for t in taken:
        for r in t.records:
            per_layer[r["layer_id"]] += 1
        for layer, o in t.overflow.items():
            per_layer[layer] += o["calls"]
    assert per_layer == {0: 40, 1: 40, 2: 40}
