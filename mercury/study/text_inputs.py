"""The e-mails a text model (models.zoo.TEXT_MODELS) gets in the study: SpamAssassin bodies (models.spam_assassin),
tokenized by the model's own tokenizer to MAX_TOKENS tokens.

No row is padding: only e-mails with at least MAX_TOKENS tokens are used (84% of the corpus), cut to MAX_TOKENS.
A padded token is no input vector of the real model, and identical padding rows would hit the MCACHE by the
batch-load, inflating every hit rate. Evaluation e-mails come from the held-out split, calibration ones from the
calibration split, and the ham/spam probe is fitted on exact embeddings of training e-mails."""
from dataclasses import dataclass
from typing import List, Tuple

import torch

from mercury.study.choices import DataChoice

MAX_TOKENS = 128
PROBE_TRAINING_TEXTS = 512
_CHUNK = 256


@dataclass
class TextBatches:
    batches: List[Tuple[torch.Tensor, torch.Tensor]]   # (input_ids, attention_mask) per batch
    labels: List[torch.Tensor]                         # 0 ham, 1 spam, per batch


@dataclass
class TextInputs:
    evaluation: TextBatches
    calibration: TextBatches
    probe_training: TextBatches
    description: str


def full_length_emails(split: str, count: int, batch_size: int, tokenizer) -> TextBatches:
    """The first `count` e-mails of `split` with at least MAX_TOKENS tokens, cut to MAX_TOKENS, in batches of
    `batch_size` (what every text study and benchmark reads)."""
    from models import spam_assassin
    messages = spam_assassin.spam_assassin_messages(split)
    ids, labels = [], []
    for start in range(0, len(messages), _CHUNK):  # tokenize only as far as needed (some e-mails are huge)
        chunk = messages[start:start + _CHUNK]
        chunk_ids, chunk_mask = spam_assassin.tokenize_batch(tokenizer, [m.text for m in chunk], MAX_TOKENS)
        full = chunk_mask.all(1)
        ids.append(chunk_ids[full])
        labels += [m.label for m, keep in zip(chunk, full.tolist()) if keep]
        if len(labels) >= count:
            break
    ids, labels = torch.cat(ids)[:count], torch.tensor(labels[:count])
    if len(labels) < count:
        raise ValueError(f"the {split} split has {len(labels)} e-mails of at least {MAX_TOKENS} tokens; {count} asked")
    out = TextBatches([], [])
    for start in range(0, count, batch_size):
        part = ids[start:start + batch_size]
        out.batches.append((part, torch.ones_like(part)))
        out.labels.append(labels[start:start + batch_size])
    return out


def training_tokens(split: str, count: int):
    """((input_ids, attention_mask), labels) of the first `count` full-length e-mails of `split`, for training."""
    from models import minilm
    batches = full_length_emails(split, count, count, minilm.minilm_tokenizer())
    return batches.batches[0], batches.labels[0]


def text_inputs(data: DataChoice, calibration_batches: int) -> TextInputs:
    """data.batches held-out batches of data.batch_size e-mails to evaluate on; `calibration_batches` batches of the
    calibration split; PROBE_TRAINING_TEXTS training e-mails for the probe."""
    from models import minilm
    tokenizer = minilm.minilm_tokenizer()
    n = data.batch_size
    return TextInputs(full_length_emails("held_out", n * data.batches, n, tokenizer),
                      full_length_emails("calibration", n * calibration_batches, n, tokenizer) if calibration_batches
                      else TextBatches([], []),
                      full_length_emails("training", PROBE_TRAINING_TEXTS, 64, tokenizer),
                      f"SpamAssassin e-mails of >= {MAX_TOKENS} tokens, cut to {MAX_TOKENS} (no padding)")
