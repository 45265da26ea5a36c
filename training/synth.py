"""Synthetic training lines: text from TextSource, a training font, scan-like damage."""
from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from archiver.ocr.charset import Charset, fold
from archiver.ocr.prep import to_height

from . import augment
from .fonts import TRAINING_FONTS, FontSpec, require
from .render import RenderStyle, crop_line, draw_line
from .textgen import TextSource


@dataclass(frozen=True)
class Sample:
    image: np.ndarray  # uint8, HEIGHT rows, ink dark
    text: str  # folded label


class LineSynth:
    """Draws (image, label) pairs. Deterministic for a seed."""

    def __init__(self, charset: Charset, seed: int = 0, fonts: tuple[FontSpec, ...] = TRAINING_FONTS,
                 damage: bool = True, low_res: float = augment.LOW_RES, low_res_floor: float = augment.LOW_RES_FLOOR,
                 neighbours: float = augment.NEIGHBOURS):
        self.rng = random.Random(seed)
        self.text = TextSource(charset, seed=seed + 1)
        self.fonts = require(fonts)  # every one, or FontMissing naming the package to install
        self.damage = damage
        self.low_res, self.low_res_floor, self.neighbours = low_res, low_res_floor, neighbours

    def style(self) -> RenderStyle:
        r = self.rng
        spacing = r.choice([0.0] * 8 + [r.uniform(0.1, 0.4), r.uniform(0.5, 1.2)])
        return RenderStyle(size=r.randint(22, 48), spacing=spacing, ink=r.randint(0, 70),
                           paper=r.randint(200, 255), bold=r.random() < 0.08)

    def render(self, text: str, font: FontSpec, style: RenderStyle) -> np.ndarray:
        r = self.rng
        canvas, em = draw_line(text, font, style)
        if self.damage and r.random() < 0.6:
            canvas = augment.geometric(canvas, r, style.paper)
        img = crop_line(canvas, em, style.paper, r, jitter=0.25 if self.damage else 0.08)
        if self.damage and r.random() < self.neighbours:
            other, other_em = draw_line(self.text.sample(), font, style)
            img = augment.neighbours(img, r, crop_line(other, other_em, style.paper, r, jitter=0.05))
        if self.damage and r.random() < 0.15:
            img = augment.table_rules(img, r, style.ink)
        if self.damage and r.random() < 0.08:
            img = augment.seal_strokes(img, r)
        elif self.damage and r.random() < 0.04:
            img = augment.lifted_seal(img, r, style.paper)
        if self.damage and r.random() < 0.5:
            img = augment.condense(img, r)
        img = to_height(img)
        if self.damage:
            img = augment.photometric(img, r, self.low_res, self.low_res_floor)
        return img

    def sample(self) -> Sample:
        text = self.text.sample()
        font = self.rng.choice(self.fonts)
        return Sample(self.render(text, font, self.style()), fold(text))
