"""Line images to model input: contrast normalisation, height 32, batches padded by width."""
from __future__ import annotations

import cv2
import numpy as np

HEIGHT = 32  # rows of the recogniser's input
MAX_WIDTH = 4096  # a line wider than this at height 32 is cut into pieces by the caller


def to_height(img: np.ndarray, height: int = HEIGHT) -> np.ndarray:
    """Scale a grey line image to the given height, keeping its aspect ratio (min width 8)."""
    h, w = img.shape[:2]
    new_w = max(8, int(round(w * height / h)))
    interp = cv2.INTER_AREA if h > height else cv2.INTER_LINEAR
    return cv2.resize(img, (new_w, height), interpolation=interp)


def normalise(img: np.ndarray) -> np.ndarray:
    """Grey (or RGB) uint8 line, any size -> float32 (HEIGHT, W), ink 1 and paper 0."""
    if img.ndim == 3:
        img = img[..., :3].mean(axis=2)
    img = img.astype(np.float32)
    if img.shape[0] != HEIGHT:
        img = to_height(img.astype(np.uint8)).astype(np.float32)
    paper = np.percentile(img, 90)
    ink = np.percentile(img, 2)
    span = max(paper - ink, 40.0)
    return np.clip((paper - img) / span, 0.0, 1.0)


def pad_batch(items: list[np.ndarray], stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Stack normalised lines into (N, 1, H, Wmax) and their output lengths (W / stride)."""
    wmax = max(x.shape[1] for x in items)
    wmax = ((wmax + stride - 1) // stride) * stride
    batch = np.zeros((len(items), 1, HEIGHT, wmax), dtype=np.float32)
    lengths = np.zeros(len(items), dtype=np.int64)
    for i, x in enumerate(items):
        batch[i, 0, :, : x.shape[1]] = x
        lengths[i] = max(1, x.shape[1] // stride)
    return batch, lengths
