"""Line images to model input: contrast normalisation, height 32, batches padded by width."""
from __future__ import annotations

import cv2
import numpy as np

HEIGHT = 32  # rows of the recogniser's input
# Paper after every line of a batch: the backward LSTM then starts each line on the same blank run,
# whatever the width of its batch-mates (without it a line read alone and in a batch could differ;
# measured on 600 gov-dev office-scan lines: 16 px or more make the reads independent of batching,
# and 32 px took numeric CER from 1.72 to 1.26 %, CJK 1.93 to 1.94 %).
TAIL = 32
MAX_WIDTH = 4096  # a line wider than this at height 32 is cut into pieces by the caller


def to_height(img: np.ndarray, height: int = HEIGHT, width_scale: float = 1.0) -> np.ndarray:
    """Scale a grey line image to the given height, its width by the same factor times width_scale
    (min width 8)."""
    h, w = img.shape[:2]
    new_w = max(8, int(round(w * height / h * width_scale)))
    interp = cv2.INTER_AREA if h > height else cv2.INTER_LINEAR
    return cv2.resize(img, (new_w, height), interpolation=interp)


def normalise(img: np.ndarray, width_scale: float = 1.0) -> np.ndarray:
    """Grey (or RGB) uint8 line, any size -> float32 (HEIGHT, W), ink 1 and paper 0, its width
    stretched by width_scale (the model's, see ModelConfig)."""
    if img.ndim == 3:
        img = img[..., :3].mean(axis=2)
    img = img.astype(np.uint8, copy=False)
    if img.shape[0] != HEIGHT or width_scale != 1.0:
        img = to_height(img, width_scale=width_scale)
    paper, ink = _percentiles(img, (90, 2))
    span = max(paper - ink, 40.0)
    return np.clip((paper - img.astype(np.float32)) / span, 0.0, 1.0)


def _percentiles(img: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    """np.percentile's (linear) values of a uint8 image, from its histogram: a tenth of the time."""
    cum = np.cumsum(np.bincount(img.ravel(), minlength=256))
    n = int(cum[-1])
    out = []
    for q in qs:
        rank = q / 100.0 * (n - 1)
        lo = int(np.floor(rank))
        a = int(np.searchsorted(cum, lo, side="right"))
        b = int(np.searchsorted(cum, min(lo + 1, n - 1), side="right"))
        out.append(a + (rank - lo) * (b - a))
    return out


def pad_batch(items: list[np.ndarray], stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Stack normalised lines into (N, 1, H, Wmax + TAIL) and their output lengths (W / stride)."""
    wmax = max(x.shape[1] for x in items) + TAIL
    wmax = ((wmax + stride - 1) // stride) * stride
    batch = np.zeros((len(items), 1, HEIGHT, wmax), dtype=np.float32)
    lengths = np.zeros(len(items), dtype=np.int64)
    for i, x in enumerate(items):
        batch[i, 0, :, : x.shape[1]] = x
        lengths[i] = max(1, x.shape[1] // stride)
    return batch, lengths
