"""What reuse does to a sentence embedder, beyond each embedding's cosine with the exact one
(mercury.quality.EmbeddingQuality): do held-out e-mails keep their nearest neighbours among the training e-mails,
and does a ham/spam probe fitted on exact embeddings keep its accuracy."""
from typing import Dict

import torch


def neighbour_agreement(exact: torch.Tensor, approx: torch.Tensor, database: torch.Tensor, k: int = 5) -> Dict:
    """Queries `exact` / `approx` [Q, D] (unit vectors) against `database` [B, D] by cosine: the share of queries
    whose top-1 neighbour is the same, and the mean share of the exact top-k neighbours kept in the approx top-k."""
    top_exact = (exact @ database.t()).topk(k, dim=1).indices
    top_approx = (approx @ database.t()).topk(k, dim=1).indices
    kept = [len(set(a.tolist()) & set(b.tolist())) / k for a, b in zip(top_exact, top_approx)]
    return {"top1_neighbour_agreement": (top_exact[:, 0] == top_approx[:, 0]).float().mean().item(),
            f"top{k}_neighbours_kept": sum(kept) / len(kept)}


class Probe:
    """Logistic regression (scikit-learn, L2, C=1) fitted on exact embeddings of labelled training e-mails."""

    def __init__(self, embeddings: torch.Tensor, labels: torch.Tensor):
        from sklearn.linear_model import LogisticRegression
        self.model = LogisticRegression(max_iter=2000).fit(embeddings.double().cpu().numpy(), labels.cpu().numpy())

    def accuracy(self, embeddings: torch.Tensor, labels: torch.Tensor) -> float:
        return float((self.model.predict(embeddings.double().cpu().numpy()) == labels.cpu().numpy()).mean())
