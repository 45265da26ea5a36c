"""Render one text line with a chosen font, crop it the way our line splitter crops, and scale it
to the recogniser's height. Scan-like damage is applied by augment.py."""
from __future__ import annotations

import functools
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .fonts import FALLBACK, FontSpec, by_name, coverage


@functools.lru_cache(maxsize=512)
def _face(spec: FontSpec, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(spec.path), size, index=spec.index)


def _face_for(spec: FontSpec, ch: str) -> FontSpec:
    """The spec itself when it draws ch, else the style's fallback, else Noto Serif SC."""
    if ch in coverage(spec.path, spec.index):
        return spec
    fb = by_name(FALLBACK[spec.style])
    if ch in coverage(fb.path, fb.index):
        return fb
    return by_name("Noto Serif SC")


@dataclass(frozen=True)
class RenderStyle:
    size: int = 36  # pixel size of the em
    spacing: float = 0.0  # extra advance per character, in ems (letter-spaced titles)
    ink: int = 20
    paper: int = 245
    bold: bool = False


def draw_line(text: str, spec: FontSpec, style: RenderStyle) -> tuple[np.ndarray, tuple[int, int]]:
    """Draw text on a grey canvas; return the canvas and the (top, bottom) rows of the em box."""
    size = style.size
    pad = size
    advances = []
    for ch in text:
        face = _face(_face_for(spec, ch), size)
        advances.append(face.getlength(ch) + style.spacing * size if not ch.isspace() else size * 0.5)
    width = int(sum(advances) + 2 * pad)
    height = int(size * 2.2)
    img = Image.new("L", (width, height), style.paper)
    draw = ImageDraw.Draw(img)
    x = float(pad)
    y = int(size * 0.5)
    stroke = max(1, size // 28) if (style.bold or spec.bold) else 0
    for ch, adv in zip(text, advances):
        if not ch.isspace():
            f = _face_for(spec, ch)
            draw.text((x, y), ch, font=_face(f, size), fill=style.ink, stroke_width=stroke, stroke_fill=style.ink)
        x += adv
    return np.asarray(img), _em_rows(spec, size, y)


@functools.lru_cache(maxsize=4096)
def _em_rows(spec: FontSpec, size: int, y: int) -> tuple[int, int]:
    """Top and bottom ink rows of a full-width hanzi drawn at y.

    The em box decides the line's height, so short marks (一, —, ，) keep their true size and
    place instead of being blown up to the full crop height."""
    ref = Image.new("L", (size * 2, int(size * 2.2)), 255)
    ImageDraw.Draw(ref).text((0, y), "国", font=_face(_face_for(spec, "国"), size), fill=0)
    rows = np.where(np.asarray(ref).min(axis=1) < 128)[0]
    return (int(rows[0]), int(rows[-1])) if len(rows) else (y, y + size)


def crop_line(canvas: np.ndarray, em: tuple[int, int], paper: int, rng: random.Random,
              jitter: float = 0.12) -> np.ndarray:
    """Crop around the ink, with the em box as the minimum height, plus random padding."""
    ink = np.where(canvas < paper - 40)
    top, bottom = em
    if len(ink[0]):
        top, bottom = min(top, int(ink[0].min())), max(bottom, int(ink[0].max()))
        left, right = int(ink[1].min()), int(ink[1].max())
    else:
        left, right = 0, canvas.shape[1] - 1
    h = bottom - top + 1
    j = lambda lo, hi: int(round(rng.uniform(lo, hi) * h))  # noqa: E731
    t = max(0, top - j(-0.03, jitter))
    b = min(canvas.shape[0], bottom + 1 + j(-0.03, jitter))
    lft = max(0, left - j(0.0, 0.5))
    r = min(canvas.shape[1], right + 1 + j(0.0, 0.5))
    return canvas[t:b, lft:r]
