"""analyse_page: the vision stages run in order on one page image, and the values it returns."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from archiver.document import Box
from archiver.vision.preprocess import binarise, estimate_skew, normalise_background, rotate, suppress_red
from archiver.vision.segment import find_lines

# Skew below this is left alone: rotating costs time and blurs strokes for no gain.
MIN_CORRECTION = 0.05


@dataclass(frozen=True)
class LineCrop:
    """One text line or table cell: its tight box in the page image and a margined grey crop of it."""

    box: Box  # x0, y0, x1, y1 (x1, y1 exclusive) in PageLayout.image
    image: np.ndarray  # uint8 grey, ink dark on light paper


@dataclass(frozen=True)
class PageLayout:
    angle: float  # degrees of skew corrected (counter-clockwise positive)
    image: np.ndarray  # cleaned, deskewed grey page; boxes refer to it
    lines: tuple[LineCrop, ...]  # reading order


def crop_line(gray: np.ndarray, box: Box) -> np.ndarray:
    """The line with about 12% of its height above and below and a few pixels either side, padded
    with paper where the margin leaves the page."""
    x0, y0, x1, y1 = box
    h = y1 - y0
    my = max(2, int(round(0.12 * h)))
    mx = max(2, int(round(0.08 * h)))
    out = np.full((h + 2 * my, x1 - x0 + 2 * mx), 255, dtype=np.uint8)
    H, W = gray.shape
    sx0, sy0, sx1, sy1 = max(0, x0 - mx), max(0, y0 - my), min(W, x1 + mx), min(H, y1 + my)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - (y0 - my):sy1 - (y0 - my), sx0 - (x0 - mx):sx1 - (x0 - mx)] = gray[sy0:sy1, sx0:sx1]
    return out


def analyse_page(rgb: np.ndarray) -> PageLayout:
    """Clean, deskew and segment one page image (HxWx3 RGB uint8, or grey) into lines in reading order."""
    gray = normalise_background(suppress_red(np.asarray(rgb)))
    binary = binarise(gray)
    angle = estimate_skew(binary)
    if abs(angle) >= MIN_CORRECTION:
        gray = rotate(gray, -angle)
        binary = binarise(gray)
    else:
        angle = 0.0
    boxes = find_lines(binary)
    lines = tuple(LineCrop(box=b, image=crop_line(gray, b)) for b in boxes)
    return PageLayout(angle=float(angle), image=gray, lines=lines)
