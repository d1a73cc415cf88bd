"""nsfwjs' input preprocessing, and the photos it is run on."""
import os
from typing import List, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F

ImageLike = Union[np.ndarray, torch.Tensor]


def nsfwjs_preprocess(images: Union[ImageLike, Sequence[ImageLike]], size: int) -> torch.Tensor:
    """nsfwjs' preprocessing: pixels / 255, then tf.image.resizeBilinear(..., alignCorners=true) to size x size
    (a squash: no crop, no mean/std). `images`: one HxWxC (or HxW gray) array/tensor (uint8 0..255, or float in
    0..255), a sequence of them (sizes may differ), or an NHWC batch. Alpha is dropped, gray is replicated.
    Returns float32 [N, 3, size, size]."""
    if isinstance(images, (np.ndarray, torch.Tensor)) and images.ndim in (2, 3):
        images = [images]
    out = []
    for img in images:
        t = torch.as_tensor(np.array(img)) if not isinstance(img, torch.Tensor) else img
        if t.dim() == 2:
            t = t[:, :, None]
        if t.shape[2] == 1:
            t = t.expand(-1, -1, 3)
        t = t[:, :, :3].to(torch.float32) / 255.0
        t = t.permute(2, 0, 1).unsqueeze(0)
        if t.shape[2] != size or t.shape[3] != size:
            t = F.interpolate(t, size=(size, size), mode="bilinear", align_corners=True)
        out.append(t)
    return torch.cat(out, 0).contiguous()


def nsfwjs_batches(paths: Sequence[str], batch_size: int, num_batches: int, size: int,
                   start: int = 0) -> List[torch.Tensor]:
    """Batches of the photos `paths` (the project's: models.data.photo_paths()) as nsfwjs sees them (pixels / 255,
    squashed to size x size); stream position i is photo i mod n, mirrored left-right on odd rounds, so a stream
    longer than the photo set repeats no image exactly. Deterministic."""
    out = []
    for b in range(num_batches):
        idx = range(start + b * batch_size, start + (b + 1) * batch_size)
        x = nsfwjs_preprocess(load_photos([paths[i % len(paths)] for i in idx]), size)
        flip = torch.tensor([(i // len(paths)) % 2 == 1 for i in idx])
        x[flip] = x[flip].flip(-1)
        out.append(x)
    return out


def load_photos(paths: Sequence[str]) -> List[np.ndarray]:
    """RGB uint8 HxWx3 arrays of image files (PIL)."""
    from PIL import Image
    res = []
    for p in paths:
        with Image.open(p) as im:
            res.append(np.asarray(im.convert("RGB"), dtype=np.uint8))
    return res


REFERENCE_PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg")


def reference_photo_paths() -> List[str]:
    """The python3-skimage photos of the TF.js reference fixture (tests/python/fixtures/nsfwjs_reference.json)."""
    import skimage
    return [os.path.join(skimage.data_dir, n) for n in REFERENCE_PHOTOS]
