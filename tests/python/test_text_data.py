"""models.spam_assassin: the real SpamAssassin corpus, its cleaning rule, its fixed splits, tokenized batches.

The corpus tests skip only when the data is absent (`bash .ci/fetch_data.sh` unpacks it; CI runs it)."""
import collections
import json
import os

import pytest
import torch

from models import spam_assassin

needs_corpus = pytest.mark.skipif(not os.path.isdir(os.path.join(spam_assassin.corpus_dir(), "data")),
                                  reason=f"{spam_assassin.corpus_dir()} missing: run `bash .ci/fetch_data.sh`")


@pytest.fixture(scope="module")
def splits():
    return {name: spam_assassin.spam_assassin_messages(name) for name in spam_assassin.SPLITS}


@needs_corpus
def test_split_sizes_disjoint_and_stratified(splits):
    sizes = {name: collections.Counter(m.label for m in msgs) for name, msgs in splits.items()}
    assert sizes == {"calibration": {0: 206, 1: 85}, "held_out": {0: 822, 1: 338}, "training": {0: 3082, 1: 1269}}
    keys = {name: {(m.group, m.id) for m in msgs} for name, msgs in splits.items()}
    assert sum(map(len, keys.values())) == len(set.union(*keys.values())) == 5802
    texts = [m.text for msgs in splits.values() for m in msgs]
    assert len(set(texts)) == len(texts)          # repeated bodies were dropped: no text in two splits
    spam_share = {name: c[1] / (c[0] + c[1]) for name, c in sizes.items()}
    assert max(spam_share.values()) - min(spam_share.values()) < 0.005
    first = [m.label for m in splits["calibration"][:16]]
    assert 0 < sum(first) < 16                   # hash order interleaves ham and spam


@needs_corpus
def test_splits_are_fixed(splits):
    # the first messages of each split, pinned: the order depends on the checksums only, not on the file system
    assert [(m.group, m.id) for m in splits["calibration"][:3]] == [("spam-2", "01305"), ("easy-ham-1", "00889"),
                                                                    ("easy-ham-2", "01331")]
    assert spam_assassin.spam_assassin_messages("calibration") == splits["calibration"]
    groups = collections.Counter(m.group for m in spam_assassin.all_messages())
    assert groups == {"easy-ham-1": 2472, "easy-ham-2": 1388, "hard-ham-1": 250, "spam-1": 455, "spam-2": 1237}


@needs_corpus
def test_cleaning_rule_on_a_real_message():
    path = os.path.join(spam_assassin.corpus_dir(), "data", "spam-1", "00001.7848dde101aa985090474a91ec93fcf0.json")
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)["text"]
    message = next(m for m in spam_assassin.all_messages() if (m.group, m.id) == ("spam-1", "00001"))
    assert message.label == 1 and "Return-Path:" in raw and "<HTML>" in raw
    assert "Return-Path:" not in message.text and "Subject:" not in message.text      # headers gone
    assert "<" not in message.text and ">" not in message.text                        # tags gone
    assert "  " not in message.text and "\n" not in message.text                      # whitespace collapsed
    assert message.text.startswith("Save up to 70% on Life Insurance. Why Spend More Than You Have To? Life "
                                   "Quote Savings Ensurin= g your family's")   # soft line breaks (=) stay: no decoding
    assert message.text == spam_assassin.clean_body(spam_assassin.message_body(raw))


def test_cleaning_rule_and_body_on_synthetic_text():
    raw = "Subject: hi\r\nFrom: a@b.c\r\n\r\n<p>Hello,\n\n  <b>world</b>&amp; =3D</p>\n"
    assert spam_assassin.message_body(raw) == "<p>Hello,\n\n  <b>world</b>&amp; =3D</p>\n"
    assert spam_assassin.clean_body(spam_assassin.message_body(raw)) == "Hello, world &amp; =3D"
    assert spam_assassin.message_body("no blank line, no body") == ""


def test_missing_corpus_names_the_fetch_command(tmp_path, monkeypatch):
    monkeypatch.setenv("MERCURY_SPAM_ASSASSIN", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match=r"nowhere.*bash \.ci/fetch_data\.sh"):
        spam_assassin.spam_assassin_messages("training")
    with pytest.raises(ValueError, match="unknown split 'test'"):
        spam_assassin.spam_assassin_messages("test")
