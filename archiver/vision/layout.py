"""analyse_page: the vision stages run in order on one page image, and the values it returns.

Order: red ink separated (colour scans) -> background flattened -> binarised -> which way up ->
skew -> lines and table cells -> reading order -> crops. Boxes are found on the upright, deskewed
page (`PageLayout.image`) and mapped back to the image as it came in (`LineCrop.page_box`).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from archiver.document import Box, LineReader
from archiver.vision.orient import CLEAR_RATIO, choose_upright, direction_ratio, pick_sample, turn, upright_by_marks
from archiver.vision.preprocess import (binarise, despeckled, estimate_skew, normalise_background, rotate, rotate_binary,
                                        stretch_contrast)
from archiver.vision.pieces import Pieces
from archiver.vision.red import separate_red
from archiver.vision.segment import find_lines, reading_order, text_height

# Skew below this is left alone: rotating costs time and blurs strokes for no gain.
MIN_CORRECTION = 0.05
# Pages beyond this many pixels (a 600 dpi A3 scan is 70 M) are analysed at a reduced size, so that a
# huge image costs seconds and bounded memory; boxes are scaled back to the image as given.
MAX_PIXELS = 40_000_000
# Characters shorter than MIN_TEXT_HEIGHT pixels (body text scanned below ~130 dpi) are enlarged to about
# TEXT_HEIGHT (10.5-12 pt body text at 200 dpi is 30-37 px), by at most MAX_UPSCALE.
MIN_TEXT_HEIGHT = 20
TEXT_HEIGHT = 32
MAX_UPSCALE = 3.0
# Only a page whose short side is below this many pixels (A4 below ~160 dpi) is enlarged: small type on a
# page scanned at 200 dpi or more is read as it is, and dust on a blank page is not blown up into lines.
SMALL_PAGE = 1300
# ...and only when its ink stands in rows: joined sideways, text keeps this share of its pieces or fewer
# (measured 0.02 on paragraphs, 0.18 on a ruled table at 100 dpi), dust more (0.62 on a blank office scan).
ROWS = 0.4


@dataclass(frozen=True)
class LineCrop:
    """One text line or table cell: its box on the analysed page, the same place on the input image,
    and a margined grey crop of it, upright."""

    box: Box  # x0, y0, x1, y1 (x1, y1 exclusive) in PageLayout.image
    image: np.ndarray  # uint8 grey, ink dark on light paper
    page_box: Box = (0, 0, 0, 0)  # the axis-aligned box around it on the input image
    # A line under a grey seal: the same box cut from the page lifted the second way (RedInk.lines_kept),
    # where that differs from `image`; the reader reads both (ocr.dates.either_date settles which).
    second: np.ndarray | None = None


@dataclass(frozen=True)
class PageLayout:
    angle: float  # degrees of skew corrected (counter-clockwise positive), after the quarter turns
    image: np.ndarray  # cleaned, upright, deskewed grey page; LineCrop.box refers to it
    lines: tuple[LineCrop, ...]  # reading order
    quarter_turns: int = 0  # the input was turned counter-clockwise by this many 90 degrees to stand upright
    source_shape: tuple[int, int] = (0, 0)  # height, width of the input image
    scale: float = 1.0  # analysed pixels per input pixel (below 1 for huge inputs, above 1 for small type)
    colour: bool = False  # red ink could be separated (a colour input)

    def to_source_points(self, pts: np.ndarray) -> np.ndarray:
        """Points (N x 2, x y) on `image` mapped to the input image."""
        p = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
        h, w = self.image.shape[:2]
        if self.angle:
            m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), -self.angle, 1.0)
            inv = cv2.invertAffineTransform(m)
            p = p @ inv[:, :2].T + inv[:, 2]
        p = unturn_points(p, self.quarter_turns, (h, w))
        return p / self.scale

    def to_source(self, box: Box) -> Box:
        """The axis-aligned box on the input image around a box on `image`."""
        x0, y0, x1, y1 = box
        p = self.to_source_points(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
        H, W = self.source_shape
        return (int(np.clip(np.floor(p[:, 0].min()), 0, W)), int(np.clip(np.floor(p[:, 1].min()), 0, H)),
                int(np.clip(np.ceil(p[:, 0].max()), 0, W)), int(np.clip(np.ceil(p[:, 1].max()), 0, H)))


def unturn_points(pts: np.ndarray, quarter_turns: int, turned_shape: tuple[int, int]) -> np.ndarray:
    """Points on turn(image, k) (an image of turned_shape) mapped back onto image."""
    p = np.asarray(pts, dtype=np.float64).reshape(-1, 2).copy()
    h, w = turned_shape
    for _ in range(quarter_turns % 4):
        # One counter-clockwise quarter turn sends (x, y) on an image of width W to (y, W - x);
        # undoing it on the turned image (height W, width H) gives (W - y, x).
        p = np.stack([h - p[:, 1], p[:, 0]], axis=1)
        h, w = w, h
    return p


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


@dataclass(frozen=True)
class _Upright:
    k: int
    angle: float
    gray: np.ndarray
    boxes: list[Box]
    binary: np.ndarray | None = None  # the cleaned binary page, turned and deskewed as gray


def _straighten(gray: np.ndarray, binary: np.ndarray, k: int, char_h: float) -> _Upright:
    """Turn by k quarter turns, deskew, find the lines."""
    g, b = turn(gray, k), turn(binary, k)
    angle = estimate_skew(b)
    if abs(angle) >= MIN_CORRECTION:
        g = rotate(g, -angle)
        # Turning the cleaned binary page costs a tenth of binarising the turned grey page again.
        b = rotate_binary(b, -angle)
    else:
        angle = 0.0
    # Glyph boxes are not square, so the text height is measured again on a page turned sideways.
    return _Upright(k, float(angle), g, find_lines(b, char_h if k % 2 == 0 else None), b)


def _half_turn(u: _Upright) -> _Upright:
    """The same analysis turned 180 degrees: no need to find the lines again."""
    H, W = u.gray.shape
    flipped = [(W - x1, H - y1, W - x0, H - y0) for x0, y0, x1, y1 in u.boxes]
    b = binarise(u.gray[::-1, ::-1])
    ch = text_height(b)
    return _Upright((u.k + 2) % 4, u.angle, np.ascontiguousarray(u.gray[::-1, ::-1]), reading_order(flipped, ch))


def _as_upright(gray: np.ndarray, up: _Upright) -> np.ndarray:
    """Another grey version of the analysed page, turned and deskewed as `up` was."""
    return rotate(turn(gray, up.k), -up.angle) if up.angle else turn(gray, up.k)


def _crop(gray: np.ndarray, second: np.ndarray | None, box: Box, page_box: Box) -> LineCrop:
    image = crop_line(gray, box)
    other = None if second is None else crop_line(second, box)
    if other is not None and np.array_equal(other, image):
        other = None
    return LineCrop(box=box, image=image, page_box=page_box, second=other)


def _in_rows(binary: np.ndarray, pieces: Pieces, ch: float) -> bool:
    """Whether the ink stands in rows, as text does: closing gaps of a character and a half sideways
    joins text into words and lines, while dust, strewn at random, mostly stays apart."""
    n = int(np.count_nonzero(pieces.alive))
    if n < 2:
        return False
    g = max(2, int(round(1.5 * ch)))
    joined = cv2.connectedComponents(cv2.dilate(binary, np.ones((1, g), np.uint8)), connectivity=8)[0] - 1
    return joined <= ROWS * n


def _clean(src: np.ndarray):
    """Red ink separated, paper flattened; binarised with faint ink darkened first; and the text height.
    The lines are cut from the flattened grey page, not the darkened one: the recogniser sets the contrast
    of each line itself, and darkening thickens strokes it reads better thin."""
    red = separate_red(src)
    gray = normalise_background(red.gray)
    darker = stretch_contrast(gray)
    # Not inside a seal: what is faint there is mostly what is left of the seal's ink once lifted, and
    # darkened it joins the date under it (dates read on the 26 seal pages of gongwen-real's office scans:
    # colour 21 with it, 26 without; grey 15 and 16).
    inside = red.seal > 0
    darker[inside] = gray[inside]
    binary, pieces = despeckled(binarise(darker))
    return red, gray, binary, pieces, text_height(binary, pieces)


def analyse_page(image: np.ndarray, reader: LineReader | None = None, max_pixels: int = MAX_PIXELS) -> PageLayout:
    """Clean, turn upright, deskew and segment one page image (HxWx3 RGB uint8, or grey) into lines
    in reading order. With a reader (anything with .read(crops) -> readings with .confidence), pages
    scanned upside down are recognised too; without one, only sideways pages are turned."""
    src = np.asarray(image)
    H, W = src.shape[:2]
    scale = 1.0
    if H * W > max_pixels:
        scale = (max_pixels / float(H * W)) ** 0.5
        src = cv2.resize(src, (max(1, int(W * scale)), max(1, int(H * scale))), interpolation=cv2.INTER_AREA)
    red, gray, binary, pieces, ch = _clean(src)
    if MIN_TEXT_HEIGHT > ch >= 4 and min(src.shape[:2]) < SMALL_PAGE and _in_rows(binary, pieces, ch):
        # Small type (a scan at 100-150 dpi): the page is enlarged until its characters are about as tall
        # as at 200 dpi, where every constant of the stages below was measured, and analysed again.
        f = min(MAX_UPSCALE, TEXT_HEIGHT / ch)
        src = cv2.resize(src, (int(round(src.shape[1] * f)), int(round(src.shape[0] * f))), interpolation=cv2.INTER_CUBIC)
        scale = src.shape[1] / float(W)
        red, gray, binary, pieces, ch = _clean(src)
    ratio = direction_ratio(binary, ch, pieces)
    del pieces  # its labels are a full page of int32: not held through the stages below
    if ratio >= CLEAR_RATIO:
        axes = [0]
    elif ratio <= 1.0 / CLEAR_RATIO:
        axes = [1]
    else:  # no clear text direction: try both, best first, and let the reader settle it
        axes = [0, 1] if ratio >= 1.0 else [1, 0]
    if reader is None:
        axes = axes[:1]
    found = {k: _straighten(gray, binary, k, ch) for k in axes}

    def crops_for(k: int) -> list[np.ndarray]:
        u = found[k]
        # The first dozen characters of a line say which way up it is as well as the whole line.
        return [crop_line(u.gray, (x0, y0, min(x1, x0 + 12 * (y1 - y0)), y1))
                for x0, y0, x1, y1 in (u.boxes[i] for i in pick_sample(u.boxes, 6))]

    candidates = [v for k in axes for v in (k, k + 2)]
    # The cheap evidence first: where the direction is clear and the punctuation says which way up, nothing
    # is read; otherwise the reader settles it.
    marks = upright_by_marks(found[axes[0]].binary, found[axes[0]].boxes) if len(axes) == 1 else None
    if marks is None:
        best = choose_upright(candidates, crops_for, reader)
    else:
        best = axes[0] if marks else axes[0] + 2
    up = found[best] if best in found else _half_turn(found[(best + 2) % 4])
    layout = PageLayout(angle=up.angle, image=up.gray, lines=(), quarter_turns=up.k, source_shape=(H, W),
                        scale=scale, colour=red.colour)
    second = None
    if red.lines_kept is not None:  # turned as `up` was: the half turn, like _half_turn's, a flip at the end
        base = found[best] if best in found else found[(best + 2) % 4]
        second = _as_upright(normalise_background(red.lines_kept), base)
        second = second if best in found else np.ascontiguousarray(second[::-1, ::-1])
    lines = tuple(_crop(up.gray, second, b, layout.to_source(b)) for b in up.boxes)
    return PageLayout(angle=up.angle, image=up.gray, lines=lines, quarter_turns=up.k, source_shape=(H, W),
                      scale=scale, colour=red.colour)
