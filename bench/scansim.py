"""Simulated scanning of a clean page render, at fixed seeds, for benchmarks.

Levels: "clean" (slight blur and noise, JPEG 85), "office" (ink fade, uneven light, blur,
noise, specks, JPEG 60) and "poor" (office, then heavier fade and noise, scanned at a third of the
resolution and scaled back, JPEG 45: a cheap fax-like scan). Optional rotation (degrees, positive =
counter-clockwise)."""
from __future__ import annotations

import cv2
import numpy as np

LEVELS = ("clean", "office", "poor")


def simulate(rgb: np.ndarray, level: str, seed: int, rotate: float = 0.0) -> np.ndarray:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    rng = np.random.default_rng(seed)
    img = rgb.astype(np.float32)
    h, w = img.shape[:2]
    if level in ("office", "poor"):
        # ink fade: the dark end lifted; uneven light: a smooth gradient across the page
        img = 50 + img * (205 / 255)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        gx, gy = rng.uniform(-1, 1, 2)
        light = 1.0 - 0.18 * ((gx * xx / w + gy * yy / h + 1) / 2)
        img = img * light[..., None]
        img = cv2.GaussianBlur(img, (0, 0), 0.9)
        img += rng.normal(0, 7, img.shape)
        n = int(h * w / 20000)  # specks of dust
        ys, xs = rng.integers(0, h, n), rng.integers(0, w, n)
        for y, x in zip(ys, xs):
            cv2.circle(img, (int(x), int(y)), int(rng.integers(1, 3)), float(rng.uniform(40, 140)), -1)
        quality = 60
        if level == "poor":
            img = 30 + img * (225 / 255) + rng.normal(0, 6, img.shape)
            f = 1 / rng.uniform(2.0, 3.0)
            small = cv2.resize(img, (int(w * f), int(h * f)), interpolation=cv2.INTER_AREA)
            img = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
            quality = 45
    else:
        img = cv2.GaussianBlur(img, (0, 0), 0.6)
        img += rng.normal(0, 3, img.shape)
        quality = 85
    if rotate:
        m = cv2.getRotationMatrix2D((w / 2, h / 2), rotate, 1.0)
        img = cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=(235, 235, 235))
    img = np.clip(img, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
