"""Scan-like damage for synthetic lines: rotation and shear, narrower or wider type, table-rule fragments at the edges,
red-seal strokes, ink fade, uneven light, blur, noise, JPEG and binarisation."""
from __future__ import annotations

import random

import cv2
import numpy as np


def geometric(img: np.ndarray, rng: random.Random, paper: int) -> np.ndarray:
    """Slight rotation and shear, on the full-resolution canvas before cropping."""
    h, w = img.shape
    angle = rng.gauss(0, 0.6)
    shear = rng.gauss(0, 0.05) if rng.random() < 0.3 else 0.0
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    m[0, 1] += shear
    m[0, 2] -= shear * h / 2
    return cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=paper)


def condense(img: np.ndarray, rng: random.Random) -> np.ndarray:
    """Narrower or wider type than the face draws (condensed faces, scanners that stretch a page)."""
    h, w = img.shape
    f = rng.uniform(0.8, 1.25)
    return cv2.resize(img, (max(4, int(round(w * f))), h), interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)


def table_rules(img: np.ndarray, rng: random.Random, ink: int) -> np.ndarray:
    """Fragments of ruling lines at the crop edges, as a table cell crop carries them."""
    img = img.copy()
    h, w = img.shape
    t = max(1, h // rng.randint(14, 30))
    for side in rng.sample(["l", "r", "t", "b"], rng.randint(1, 3)):
        off = rng.randint(0, max(1, h // 8))
        if side == "l":
            img[:, off:off + t] = ink
        elif side == "r":
            img[:, max(0, w - off - t):w - off or None] = ink
        elif side == "t":
            img[off:off + t, :] = ink
        else:
            img[max(0, h - off - t):h - off or None, :] = ink
    return img


def neighbours(img: np.ndarray, rng: random.Random, other: np.ndarray) -> np.ndarray:
    """The edge of the line above or below cut into the crop, as a line splitter on tight leading or a table
    cell's box leaves it: a band of another line's ink (`other`, drawn at the same size) at the top or bottom."""
    out = img.copy()
    h, w = out.shape
    k = min(other.shape[0], max(1, int(h * rng.uniform(0.06, 0.22))))
    above = rng.random() < 0.5  # the line above shows its foot at the top edge, the one below its head at the bottom
    band, rows = (other[-k:], slice(0, k)) if above else (other[:k], slice(h - k, h))
    x = rng.randint(0, max(0, w - band.shape[1]))  # a shorter line covers part of the width
    band = band[:, :w - x]
    out[rows, x:x + band.shape[1]] = np.minimum(out[rows, x:x + band.shape[1]], band)
    return out


def seal_strokes(img: np.ndarray, rng: random.Random) -> np.ndarray:
    """A red seal's ring and strokes as they look after grey conversion: mid-grey, translucent."""
    h, w = img.shape
    layer = np.zeros_like(img, dtype=np.uint8)
    cx = rng.randint(0, w)
    cy = rng.randint(-h, 2 * h)
    r = rng.randint(h, 4 * h)
    cv2.circle(layer, (cx, cy), r, 255, max(1, h // 10))
    for _ in range(rng.randint(0, 4)):
        x, y = rng.randint(0, w), rng.randint(0, h)
        cv2.line(layer, (x, y), (x + rng.randint(-h, h), y + rng.randint(-h, h)), 255, max(1, h // 14))
    grey = rng.randint(90, 170)
    alpha = (layer.astype(np.float32) / 255.0) * rng.uniform(0.5, 1.0)
    out = img.astype(np.float32) * (1 - alpha) + np.minimum(img, grey).astype(np.float32) * alpha
    return out.astype(np.uint8)


def lifted_seal(img: np.ndarray, rng: random.Random, paper: int) -> np.ndarray:
    """What lifting a seal off a grey page leaves of the text under it: the paper shows through where
    the seal's ring and star lay (its thick parts are taken to paper, and any stroke of the text under
    them with it), with a faint edge of the lifted ink here and there."""
    h, w = img.shape
    mask = np.zeros_like(img, dtype=np.uint8)
    cx, r = rng.randint(0, w), rng.randint(2 * h, 5 * h)
    cy = rng.choice([rng.randint(-r, 0), rng.randint(h, h + r)])  # the ring crosses the line
    cv2.circle(mask, (cx, cy), r, 255, max(2, h // 7))
    if rng.random() < 0.5:  # a point of the star, a thick wedge through a character or two
        x, y = rng.randint(0, w), rng.randint(0, h)
        pts = np.array([[x, y - h], [x + h // 3, y + h], [x - h // 3, y + h]], np.int32)
        cv2.fillConvexPoly(mask, pts, 255)
    out = img.copy()
    out[mask > 0] = paper
    if rng.random() < 0.5:  # the lift's soft edge
        edge = cv2.morphologyEx(mask, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
        out[edge] = np.minimum(out[edge], rng.randint(150, 220))
    return out


NEIGHBOURS = 0.1  # share of lines with the edge of the line above or below in the crop
LOW_RES = 0.25  # share of lines scanned at low resolution (down and up again)
# The smallest scale of the fax-like half of those: a third of the line's height (a 100 dpi scan of body
# text). Small type (9-10.5 pt) scanned that way is smaller still: --low-res-floor 0.25 trains on it.
LOW_RES_FLOOR = 0.33
LOW_RES_BAND = (0.33, 0.8)  # the other half: scales from a third (100 dpi) to near full resolution


def photometric(img: np.ndarray, rng: random.Random, low_res: float = LOW_RES, floor: float = LOW_RES_FLOOR) -> np.ndarray:
    """Ink fade, uneven light, blur, noise, JPEG, binarisation: applied at the final height.

    `low_res` is the share of lines that are also scanned at low resolution; half of those at the
    fax-like end (`floor`, a third by default, to half of the height), where poor scans lose most."""
    out = img.astype(np.float32)
    h, w = out.shape
    if rng.random() < 0.1:  # grey fill behind the text, as in a shaded table cell
        out = np.minimum(out, rng.uniform(150, 225))
    if rng.random() < 0.06:  # a stain: a soft dark blot
        blot = np.zeros((h, w), np.float32)
        cv2.circle(blot, (rng.randrange(w), rng.randrange(h)), rng.randint(h // 3, 2 * h), 1.0, -1)
        blot = cv2.GaussianBlur(blot, (0, 0), h / 4)
        out = out - blot * rng.uniform(20, 70)
    if rng.random() < 0.4:  # ink fade: lift the dark end
        lift = rng.uniform(0, 90)
        out = lift + out * (255 - lift) / 255
    if rng.random() < 0.3:  # uneven light: a gradient across the line
        g = np.linspace(rng.uniform(-40, 0), rng.uniform(-40, 0), w, dtype=np.float32)
        out = out + g[None, :]
    if rng.random() < 0.5:
        k = rng.choice([3, 3, 5])
        out = cv2.GaussianBlur(out, (k, k), rng.uniform(0.3, 1.1))
    if rng.random() < 0.5:
        out = out + np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(2, 14), out.shape)
    if rng.random() < 0.15:  # specks
        n = rng.randint(1, 6)
        for _ in range(n):
            cv2.circle(out, (rng.randrange(w), rng.randrange(h)), rng.randint(0, 1), rng.uniform(0, 120), -1)
    out = np.clip(out, 0, 255).astype(np.uint8)
    if rng.random() < 0.15:
        _, out = cv2.threshold(out, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    if rng.random() < 0.4:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, rng.choice([rng.randint(40, 60), rng.randint(30, 90)])])
        out = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    if rng.random() < low_res:  # low resolution: down and up again (to a third, as a 100 dpi scan)
        f = rng.uniform(floor, 0.5) if rng.random() < 0.5 else rng.uniform(*LOW_RES_BAND)
        small = cv2.resize(out, (max(4, int(w * f)), max(4, int(h * f))), interpolation=cv2.INTER_AREA)
        out = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        if rng.random() < 0.5:  # a fax-like scan saved as JPEG after it was scaled back: blocks on the blur
            ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(35, 60)])
            out = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return out
