"""Small Hugging Face transformers with RANDOM weights, built from a config (nothing is downloaded or trained):
test models for code that must handle more than one architecture.

    random_bert()        BertModel: 2 layers, hidden 64, 4 heads, intermediate 128 (projections are nn.Linear)
    random_distilbert()  DistilBertModel, the same sizes (nn.Linear, other module names: q_lin, k_lin, ffn.lin1, ...)
    random_gpt2()        GPT2Model, the same sizes; causal attention, and its projections are transformers'
                         Conv1D (weight [in, out], i.e. nn.Linear's transposed), not nn.Linear

All three use the MiniLM vocabulary size (30522) and at most 512 positions, so models.minilm.minilm_tokenizer()'s
input_ids fit each of them; all return `last_hidden_state`, so models.minilm.SentenceEmbedder wraps any of them.
Weights are drawn under torch.manual_seed(seed) in a forked RNG (the caller's RNG state is left untouched), the
model comes back in eval mode.
"""
import os

import torch
import torch.nn as nn

os.environ["HF_HUB_OFFLINE"] = "1"  # before transformers / huggingface_hub read it: nothing may reach a hub

VOCAB_SIZE = 30522   # the MiniLM (bert-base-uncased) vocabulary
MAX_POSITIONS = 512


def _seeded(make, seed: int) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return make().eval()


def random_bert(hidden_size: int = 64, num_layers: int = 2, num_heads: int = 4, intermediate_size: int = 128,
                seed: int = 0) -> nn.Module:
    """A BertModel with random weights (BERT's initialisation) of the given sizes."""
    import transformers
    config = transformers.BertConfig(vocab_size=VOCAB_SIZE, hidden_size=hidden_size, num_hidden_layers=num_layers,
                                     num_attention_heads=num_heads, intermediate_size=intermediate_size,
                                     max_position_embeddings=MAX_POSITIONS)
    return _seeded(lambda: transformers.BertModel(config), seed)


def random_distilbert(hidden_size: int = 64, num_layers: int = 2, num_heads: int = 4, intermediate_size: int = 128,
                      seed: int = 0) -> nn.Module:
    """A DistilBertModel with random weights of the given sizes."""
    import transformers
    config = transformers.DistilBertConfig(vocab_size=VOCAB_SIZE, dim=hidden_size, n_layers=num_layers,
                                           n_heads=num_heads, hidden_dim=intermediate_size,
                                           max_position_embeddings=MAX_POSITIONS)
    return _seeded(lambda: transformers.DistilBertModel(config), seed)


def random_gpt2(hidden_size: int = 64, num_layers: int = 2, num_heads: int = 4, intermediate_size: int = 128,
                seed: int = 0) -> nn.Module:
    """A GPT2Model with random weights of the given sizes (no padding token of its own: pass attention_mask)."""
    import transformers
    # bos/eos default to GPT-2's 50256, outside this vocabulary; they are not used by the bare model
    config = transformers.GPT2Config(vocab_size=VOCAB_SIZE, n_embd=hidden_size, n_layer=num_layers,
                                     n_head=num_heads, n_inner=intermediate_size, n_positions=MAX_POSITIONS,
                                     bos_token_id=None, eos_token_id=None)
    return _seeded(lambda: transformers.GPT2Model(config), seed)
