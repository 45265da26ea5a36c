"""Page clean-up stages: grey, red ink, uneven light, binarisation, skew.

Each stage is a plain function on numpy arrays so it can be tested alone. Grey images are uint8,
ink dark on light paper; binary images are uint8 with ink = 255 and paper = 0.
"""
from __future__ import annotations

import cv2
import numpy as np

from archiver.vision.pieces import Pieces, find_pieces

PAPER = 255


def to_gray(image: np.ndarray) -> np.ndarray:
    """Any uint8 page image (HxW, HxWx1, HxWx3 RGB, HxWx4 RGBA) as an HxW uint8 grey image."""
    a = np.asarray(image)
    if a.dtype != np.uint8:
        a = np.clip(a, 0, 255).astype(np.uint8)
    if a.ndim == 2:
        return a
    if a.ndim == 3 and a.shape[2] == 1:
        return a[:, :, 0]
    if a.ndim == 3 and a.shape[2] == 3:
        return cv2.cvtColor(a, cv2.COLOR_RGB2GRAY)
    if a.ndim == 3 and a.shape[2] == 4:
        return cv2.cvtColor(a, cv2.COLOR_RGBA2GRAY)
    raise ValueError(f"not a page image: shape {a.shape}")


def suppress_red(rgb: np.ndarray, threshold: int = 50) -> np.ndarray:
    """Grey image in which red ink (seals, 版头) is pushed towards paper.

    Where red clearly dominates we take the red channel as the grey value: red ink is bright there,
    while black ink printed under a seal stays dark in every channel, so the date under a seal
    survives and pink anti-aliased seal edges fade with the rest.
    """
    a = np.asarray(rgb)
    if a.ndim != 3 or a.shape[2] < 3:
        return to_gray(a)
    a = a[:, :, :3] if a.dtype == np.uint8 else np.clip(a[:, :, :3], 0, 255).astype(np.uint8)
    gray = cv2.cvtColor(np.ascontiguousarray(a), cv2.COLOR_RGB2GRAY)
    r = a[:, :, 0]
    gb = np.maximum(a[:, :, 1], a[:, :, 2])
    red = cv2.subtract(r, gb) > threshold
    out = gray.copy()
    out[red] = r[red]
    return out


def normalise_background(gray: np.ndarray, scale: int = 4) -> np.ndarray:
    """Divide by a large-blur estimate of the paper so uneven light or yellowing becomes flat white."""
    h, w = gray.shape[:2]
    if h < 16 or w < 16:
        return gray.copy()
    small = cv2.resize(gray, (max(1, w // scale), max(1, h // scale)), interpolation=cv2.INTER_AREA)
    # A grey max filter wider than any stroke wipes the ink out; the min filter after it (a grey closing)
    # puts the edges of what is larger than ink back where they were: a grey-filled table cell becomes
    # paper up to its border, without a dark band round its inside. A small blur smooths what is left.
    k = max(3, (min(small.shape) // 60) | 1)
    box = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    paper = cv2.erode(cv2.dilate(small, box), box)
    paper = cv2.blur(paper, (3, 3))
    paper = cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)
    out = gray.astype(np.float32) * (255.0 / np.maximum(paper.astype(np.float32), 1.0))
    return np.clip(out, 0, 255).astype(np.uint8)


# Faint ink (a blurred low-resolution scan, a faded copy) is darkened until the darkest ink near it
# reaches INK_TARGET, by at most MAX_GAIN. Only faint ink: where the darkest ink nearby is darker than
# paper by FAINT_CONTRAST or more nothing changes, so that print that binarises well already does not
# thicken (measured on gov-dev's densest table, the darkest ink within a few characters: 46-85 levels
# from paper on a poor copy, 83-151 on an office scan; 100 left office whole-page CER at 0.78 % where
# 120 gave 0.92 %, and poor F1 at 0.985 where 120 gave 0.980); where it is within NOISE_FLOOR of paper
# there is nothing but noise, which is left alone too. Both ramps are 20 levels wide.
INK_TARGET = 60
MAX_GAIN = 4.0
FAINT_CONTRAST = 100
NOISE_FLOOR = 30
RAMP = 20.0


def stretch_contrast(gray: np.ndarray, scale: int = 4) -> np.ndarray:
    """A background-normalised page with faint ink made dark: each pixel's distance from paper is
    multiplied by a gain that brings the darkest ink around it (a few characters' reach) to INK_TARGET.
    Dark print is left as it is (gain 1), and so is paper with nothing but noise on it."""
    h, w = gray.shape[:2]
    if h < 16 or w < 16:
        return gray.copy()
    # The darkest pixel of each scale x scale cell (an average would fade thin strokes into paper); then
    # the median of 3 x 3 cells, so that a lone speck of dust, a cell or two, sets no ink level around it.
    small = cv2.resize(cv2.erode(gray, np.ones((scale, scale), np.uint8)), (max(1, w // scale), max(1, h // scale)),
                       interpolation=cv2.INTER_NEAREST)
    small = cv2.medianBlur(small, 3)
    k = max(3, (min(small.shape) // 80) | 1)
    ink = cv2.erode(small, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    contrast = 255.0 - cv2.blur(ink, (2 * k + 1, 2 * k + 1)).astype(np.float32)
    full = np.clip((255.0 - INK_TARGET) / np.maximum(contrast, 1.0), 1.0, MAX_GAIN)
    faint = np.clip((FAINT_CONTRAST - contrast) / RAMP, 0.0, 1.0) * np.clip((contrast - NOISE_FLOOR) / RAMP, 0.0, 1.0)
    gain = 1.0 + (full - 1.0) * faint
    if gain.max() <= 1.01:
        return gray.copy()
    gain = cv2.resize(gain, (w, h), interpolation=cv2.INTER_LINEAR)
    out = 255.0 - (255.0 - gray.astype(np.float32)) * gain
    return np.clip(out, 0, 255).astype(np.uint8)


def binarise(gray: np.ndarray, window: int | None = None, k: float = 0.2) -> np.ndarray:
    """Sauvola threshold (ink = 255). The window follows the page size, so 。，、 and thin strokes stay."""
    g = to_gray(gray)
    h, w = g.shape
    if h == 0 or w == 0:
        return np.zeros_like(g)
    if window is None:
        window = max(15, min(h, w) // 50)
    window |= 1
    f = g.astype(np.float32)
    mean = cv2.boxFilter(f, -1, (window, window), borderType=cv2.BORDER_REPLICATE)
    sq = cv2.boxFilter(f * f, -1, (window, window), borderType=cv2.BORDER_REPLICATE)
    std = np.sqrt(np.maximum(sq - mean * mean, 0.0))
    thresh = mean * (1.0 + k * (std / 128.0 - 1.0))
    # The absolute cap keeps faint paper texture out where the window holds no ink at all.
    ink = (f < thresh) & (f < 200)
    return ink.astype(np.uint8) * 255


def _profile_score(xs: np.ndarray, ys: np.ndarray, angle: float, bins: int) -> float:
    t = np.tan(np.radians(angle))
    rows = np.rint(ys + xs * t).astype(np.int64)
    rows -= rows.min()
    hist = np.bincount(rows, minlength=bins)
    return float(np.dot(hist, hist))


def estimate_skew(binary: np.ndarray, max_angle: float = 5.0, max_points: int = 150_000) -> float:
    """Skew of the text in degrees, counter-clockwise positive, within ±max_angle (0.0 if unsure).

    Projection-profile search over the horizontal stroke edges: they pile up in the fewest rows
    when sheared back by the true angle; coarse 0.25° steps, then 0.05°, then 0.01° around the best.
    """
    b = np.asarray(binary)
    if b.ndim != 2 or b.size == 0:
        return 0.0
    ink = (b > 0).astype(np.uint8)
    # Only the top and bottom edges of strokes: they line up along text lines more sharply than
    # whole strokes do, which matters on pages with a few big lines (covers, titles).
    edges = ink - cv2.erode(ink, np.ones((3, 1), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    pts = cv2.findNonZero(edges)
    if pts is None or len(pts) < 50:
        return 0.0
    pts = pts.reshape(-1, 2)
    if len(pts) > max_points:
        idx = np.random.default_rng(0).choice(len(pts), max_points, replace=False)
        pts = pts[idx]
    xs = pts[:, 0].astype(np.float64)
    ys = pts[:, 1].astype(np.float64)
    bins = b.shape[0] + b.shape[1]

    def search(centre: float, half: float, step: float) -> tuple[float, np.ndarray]:
        angles = np.arange(centre - half, centre + half + step / 2, step)
        angles = angles[np.abs(angles) <= max_angle + 1e-9]
        scores = np.array([_profile_score(xs, ys, a, bins) for a in angles])
        return float(angles[int(np.argmax(scores))]), scores

    best, scores = search(0.0, max_angle, 0.25)
    if scores.max() <= scores.min() * 1.0001:  # flat: nothing line-like to align
        return 0.0
    best, _ = search(best, 0.25, 0.05)
    best, _ = search(best, 0.05, 0.01)
    return round(best, 2)


def rotate(gray: np.ndarray, angle: float) -> np.ndarray:
    """The image turned counter-clockwise by angle degrees about its centre, same size, paper fill.

    Deskewing is rotate(gray, -estimate_skew(...)).
    """
    if abs(angle) < 1e-3 or gray.size == 0:
        return gray.copy()
    h, w = gray.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=PAPER)


def despeckle(binary: np.ndarray, size: float = 0.006, reach: float = 0.02) -> np.ndarray:
    """Binary page without dust (see despeckled)."""
    return despeckled(binary, size, reach)[0]


def despeckled(binary: np.ndarray, size: float = 0.006, reach: float = 0.02) -> tuple[np.ndarray, Pieces]:
    """Binary page without dust: small blobs with no other ink anywhere near them; and the page's pieces
    of ink (vision/pieces.py), the dust among them marked as taken off, for the stages that need them.

    Size alone cannot tell dust from 。，、 or a decimal point, but position can: punctuation sits
    beside a character, while dust lands on empty paper. Both limits are fractions of the page's short
    side, so they hold at any resolution (at 200 dpi on A4: blobs up to ~10 px, nothing within ~33 px).
    """
    b = (np.asarray(binary) > 0).astype(np.uint8)
    if b.ndim != 2 or min(b.shape) < 16 or not b.any():
        return b * 255, find_pieces(b if b.ndim == 2 else np.zeros((1, 1), np.uint8))
    short = min(b.shape)
    # Dust has a physical size, so a small image still gets a floor of a few pixels; punctuation is
    # protected by its neighbours, not by its size.
    max_side = max(6, int(round(size * short)))
    r = max(4, int(round(reach * short)))
    found = find_pieces(b)
    stats = found.stats
    x, y, w, h, area = (stats[1:, i] for i in range(5))
    small = np.flatnonzero((w <= max_side) & (h <= max_side)) + 1
    if len(small) == 0:
        return b * 255, found
    integral = cv2.integral(b)
    H, W = b.shape
    sx, sy = stats[small, 0], stats[small, 1]
    x0, y0 = np.clip(sx - r, 0, W), np.clip(sy - r, 0, H)
    x1 = np.clip(sx + stats[small, 2] + r, 0, W)
    y1 = np.clip(sy + stats[small, 3] + r, 0, H)
    around = integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]
    # Dust comes in twos and threes now and then; a neighbour that small is dust too.
    budget = max(8, int(round(2 * max_side * max_side / 5)))
    lonely = small[around <= stats[small, 4] + budget]
    if len(lonely) == 0:
        return b * 255, found
    drop = np.zeros(len(stats), dtype=bool)
    drop[lonely] = True
    gone = drop[found.labels]
    b[gone] = 0
    found.labels[gone] = 0
    found.alive[lonely] = False
    return b * 255, found


def rotate_binary(binary: np.ndarray, angle: float) -> np.ndarray:
    """A binary page (ink 255) turned counter-clockwise by angle degrees, same size, no ink brought in."""
    if abs(angle) < 1e-3 or binary.size == 0:
        return binary.copy()
    h, w = binary.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    out = cv2.warpAffine(binary, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return cv2.threshold(out, 127, 255, cv2.THRESH_BINARY)[1]
