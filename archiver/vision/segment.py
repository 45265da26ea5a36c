"""Text lines (and table cells) from a binarised page, in reading order.

Ruling lines are found and taken out first; what is left is smeared sideways into line blobs that
never cross a vertical ruling, so each table cell stays its own line, as the ground truth splits them.
Binary images are uint8 with ink = 255.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from archiver.document import Box
from archiver.vision.order import reading_order
from archiver.vision.pieces import Pieces, find_pieces


@dataclass(frozen=True)
class Rulings:
    """Masks (uint8, 255 = ruling) of the long horizontal and vertical lines of a page."""

    horizontal: np.ndarray
    vertical: np.ndarray


def text_height(binary: np.ndarray, pieces: Pieces | None = None) -> float:
    """Typical character height in pixels, from the connected components of the page (0 if none);
    characters of two lines set solid that touch are not taken for one tall character. pieces: those
    of this binary page, if the caller has them (despeckled returns them)."""
    b = np.asarray(binary)
    if b.ndim != 2 or not b.any():
        return 0.0
    if pieces is None:
        pieces = find_pieces(b)
    labels = pieces.labels
    label_of, stats = pieces.live_stats()
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    H, W = b.shape
    # Whole table grids and specks say nothing about the type size.
    keep = (h >= 4) & (w >= 2) & (h < H / 4) & (w < W / 4) & (w < 6 * h)
    if not keep.any():
        return float(np.clip(np.median(h), 1, H)) if len(h) else 0.0
    # Many CJK characters fall apart into side-by-side pieces of full height and stacked pieces of
    # part height, and dot leaders or stipple make many tiny pieces: an area-weighted upper quantile
    # sits on the full glyph height.
    hk, area = h[keep], (w[keep] * h[keep]).astype(np.float64)
    ids = label_of[keep]
    height = _quantile(hk, area, 0.6)
    if height <= 1.3 * _quantile(w[keep], area, 0.6):
        return height
    # Glyphs taller than they are wide: Latin text, or lines set solid whose characters touch the
    # line above or below, so that two characters count as one tall piece. Such a piece has a waist,
    # a narrow row in its middle where the two touch; the height is measured again without them.
    x, y = stats[:, cv2.CC_STAT_LEFT][keep], stats[:, cv2.CC_STAT_TOP][keep]
    wk = w[keep]
    waisted = np.zeros(len(hk), dtype=bool)
    for i in np.flatnonzero(hk >= 0.75 * height):
        rows = np.count_nonzero(labels[y[i]:y[i] + hk[i], x[i]:x[i] + wk[i]] == ids[i], axis=1)
        band = rows[hk[i] // 4:(3 * hk[i]) // 4]
        waisted[i] = len(band) > 0 and band.min() <= WAIST * rows.max()
    if waisted.any() and not waisted.all():
        again = _quantile(hk[~waisted], area[~waisted], 0.6)
        if again < 0.85 * height:
            return again
    return height


# A row of a piece is its waist when its ink is below this share of the piece's widest row: two
# characters that touch share a stroke's width there (0.05-0.15 of a hanzi's width).
WAIST = 0.15


def _quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, q * cum[-1])])


def find_rulings(binary: np.ndarray, char_h: float) -> Rulings:
    """Long horizontal lines (longer than a few characters) and vertical lines that are long or
    meet a horizontal ruling (a table's column rules), as masks."""
    b = (np.asarray(binary) > 0).astype(np.uint8) * 255
    h_len = max(25, int(round(3.5 * char_h)))
    horiz = cv2.morphologyEx(b, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (h_len, 1)))
    v_len = max(12, int(round(0.9 * char_h)))
    vcand = cv2.morphologyEx(b, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, v_len)))
    vert = np.zeros_like(b)
    if vcand.any():
        # A column rule runs into a row rule; a glyph stroke in a tight cell comes close but keeps a
        # gap of paper, so only actual contact (give or take a pixel) counts.
        near_h = cv2.dilate(horiz, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
        n, labels, stats, _ = cv2.connectedComponentsWithStats(vcand, connectivity=8)
        long_v = max(3.0 * char_h, 40)
        for i in range(1, n):
            x, y, w, h = stats[i, :4]
            # A thick vertical blob is a glyph's stroke, not a rule, unless it is longer than any glyph:
            # a faint rule of a blurred scan comes out of binarisation a few pixels wide.
            if w > (0.6 * char_h if h >= long_v else max(4, 0.25 * char_h)):
                continue
            ends_on_rule = near_h[y:y + 3, x:x + w].any() or near_h[y + h - 3:y + h, x:x + w].any()
            if h >= long_v or ends_on_rule:
                vert[y:y + h, x:x + w] |= np.where(labels[y:y + h, x:x + w] == i, 255, 0).astype(np.uint8)
    return Rulings(horiz, vert)


def _union_find_merge(boxes: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    parent = list(range(len(boxes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[rb] = ra
    groups: dict[int, list[int]] = {}
    for i in range(len(boxes)):
        groups.setdefault(root(i), []).append(i)
    out = []
    for idx in groups.values():
        g = boxes[idx]
        out.append((g[:, 0].min(), g[:, 1].min(), g[:, 2].max(), g[:, 3].max()))
    return np.array(out, dtype=np.int64).reshape(-1, 4)


def _merge_row_neighbours(boxes: np.ndarray, v_integral: np.ndarray, max_gap: float,
                          char_h: float = 0.0) -> np.ndarray:
    """Join blobs side by side on one row (spaced titles, dot leaders) unless a column rule or a
    gap wider than max_gap lies between them."""
    if len(boxes) < 2:
        return boxes
    x0, y0, x1, y1 = (boxes[:, i][:, None] for i in range(4))
    h = y1 - y0
    overlap = np.minimum(y1, y1.T) - np.maximum(y0, y0.T)
    gap = np.maximum(x0, x0.T) - np.minimum(x1, x1.T)
    same_row = overlap >= 0.6 * np.minimum(h, h.T)
    near = gap <= max_gap
    if char_h > 0:
        # A dot joins the character right beside it (。，、, a decimal point, leader dots) but never
        # bridges a wide gap: dust strewn along a row would otherwise chain a line out to the margin.
        tiny = (np.maximum(x1 - x0, h) < 0.35 * char_h).ravel()
        either = tiny[:, None] | tiny[None, :]
        near &= ~either | (gap <= 0.6 * char_h)
    cand = np.argwhere(np.triu(same_row & near, 1))
    pairs = []
    for a, b in cand:
        left, right = (a, b) if boxes[a, 0] <= boxes[b, 0] else (b, a)
        gx0, gx1 = int(boxes[left, 2]), int(boxes[right, 0])
        gy0, gy1 = int(max(boxes[a, 1], boxes[b, 1])), int(min(boxes[a, 3], boxes[b, 3]))
        if gx1 > gx0 and gy1 > gy0:
            s = (v_integral[gy1, gx1] - v_integral[gy0, gx1] - v_integral[gy1, gx0] + v_integral[gy0, gx0])
            if s > 0:
                continue
        pairs.append((int(a), int(b)))
    return _union_find_merge(boxes, pairs) if pairs else boxes


def _split_rows(ink: np.ndarray, x0: int, y0: int, min_part: float, max_gap: int | None = None,
                max_glyph: float = 0.0) -> list[Box]:
    """Tight boxes of the ink in one blob, cut where whole empty rows separate two tall parts, and
    within a part where empty columns wider than max_gap separate ink. Parts that together fit in a
    max_glyph square are one glyph and stay together."""
    rows = ink.any(axis=1)
    ys = np.flatnonzero(rows)
    if len(ys) == 0:
        return []
    parts: list[tuple[int, int]] = []
    start = prev = ys[0]
    for y in ys[1:]:
        if y != prev + 1:
            parts.append((start, prev + 1))
            start = y
        prev = y
    parts.append((start, prev + 1))
    # Stacked pieces of one glyph (三, 只) are short; only split between parts that are line-tall.
    # A title's larger type splits into line-tall pieces too (告 is 𠂉土 over 口): the last character
    # of a wrapped title stands alone on its line, and only its narrowness tells it from two lines.
    def one_glyph(a: int, b: int) -> bool:
        if b - a > max_glyph:
            return False
        cols = np.flatnonzero(ink[a:b].any(axis=0))
        return len(cols) > 0 and cols[-1] - cols[0] + 1 <= max_glyph

    merged: list[list[int]] = []
    for a, b in parts:
        if merged and (b - a < min_part or merged[-1][1] - merged[-1][0] < min_part or one_glyph(merged[-1][0], b)):
            merged[-1][1] = b
        else:
            merged.append([a, b])
    if max_glyph:
        # No empty row between lines set solid: their blob is cut at the valleys of its row profile.
        ch = max_glyph / 1.7
        merged = [seg for a, b in merged for seg in
                  (_profile_split(ink[a:b], a, ch) if b - a > 1.5 * ch and not one_glyph(a, b) else [(a, b)])]
    out = []
    for a, b in merged:
        cols = np.flatnonzero(ink[a:b].any(axis=0))
        # The smear bridges only small gaps within a row, so a wide one inside a part means the blob
        # was joined through the row above or below (often by dust); the pieces are rejoined later
        # by _merge_row_neighbours where they belong together.
        cuts = np.flatnonzero(np.diff(cols) > max_gap) if max_gap is not None else np.array([], int)
        starts = np.concatenate([[0], cuts + 1])
        ends = np.concatenate([cuts, [len(cols) - 1]])
        for s0, e0 in zip(starts, ends):
            piece = ink[a:b, cols[s0]:cols[e0] + 1]
            rows_in = np.flatnonzero(piece.any(axis=1))
            out.append((x0 + int(cols[s0]), y0 + int(a + rows_in[0]), x0 + int(cols[e0]) + 1, y0 + int(a + rows_in[-1]) + 1))
    return out


# A row is a cut between two solid lines where its ink is below this share of the lower of the peaks
# on either side. Measured on paragraphs in Noto Serif SC and WenQuanYi Zen Hei: 0.0-0.1 between lines
# set at 1.0 em, 0.3-0.5 at 0.95 em, 0.8 and up inside a line of body hanzi (a line of larger type dips
# lower between the top and bottom parts of its characters: STRADDLE tells that apart).
SOLID_VALLEY = 0.55
# A valley is a cut between lines where at most this share of the ink within a line's height of it is in
# characters that run across it. Measured on paragraphs (Noto Serif SC, WenQuanYi Zen Hei, clean and
# poor scans): 0.00-0.06 set solid, 0.08-0.34 at 0.95 em, 0.18-0.42 at 0.9 em; through the middle of a
# table title at 1.6 times the body size (three gov-dev budget pages, office and poor): 0.75-0.90.
STRADDLE = 0.55
# A blob is body text, and may be cut into lines, when its pieces of glyph size are no taller than this
# (in character heights): a line of big type (a 版头, a cover title) is left whole.
BODY_PIECE = 1.3


def _profile_split(ink: np.ndarray, offset: int, ch: float) -> list[tuple[int, int]]:
    """Row ranges (offset added) of the lines in a blob of body text taller than a line: cut at the
    deepest valley of the smoothed row profile, measured against the lower of the peaks within a
    line's height on either side (so a paragraph's short last line counts), again in each half; a
    part still taller than 1.7 lines (lines that overlap, leaving no valley) is cut into equal bands
    of the character height. Body text is read line by line, never as one unreadable block."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    tops, heights = stats[1:, cv2.CC_STAT_TOP], stats[1:, cv2.CC_STAT_HEIGHT]
    area = stats[1:, cv2.CC_STAT_AREA].astype(np.float64)
    big = heights >= 0.5 * ch
    tops, heights, area = tops[big], heights[big], area[big]
    if len(heights) == 0 or np.median(heights) > BODY_PIECE * ch:
        return [(offset, offset + ink.shape[0])]
    bottoms = tops + heights

    def lines_either_side(a: int, y: int, b: int, slack: float = 1.0) -> bool:
        """Lines of text on both sides of a cut, not one line of larger type cut through: most of the
        ink within a line's height of the cut is in characters wholly above or below it (give or take
        `slack` pixels), not in characters that run across it."""
        near = (tops < min(b, y + ch)) & (bottoms > max(a, y - ch))
        across = near & (tops < y - slack) & (bottoms > y + slack)
        share = area[across].sum() / max(1.0, area[near].sum())
        return share <= STRADDLE

    prof = np.count_nonzero(ink, axis=1).astype(np.float64)
    k = max(1, int(round(0.12 * ch)))
    smooth = np.convolve(prof, np.ones(k) / k, mode="same")
    reach, edge = max(2, int(round(ch))), max(2, int(round(0.5 * ch)))
    cuts: list[int] = []

    def split(a: int, b: int) -> None:
        if b - a <= 1.5 * ch or b - a < 2 * edge + 1:
            return
        ys = np.arange(a + edge, b - edge)
        side = np.array([min(smooth[max(a, y - reach):y].max(), smooth[y + 1:min(b, y + 1 + reach)].max()) for y in ys])
        v = np.where(side > 0, smooth[ys] / np.maximum(side, 1e-9), 1.0)
        i = int(np.argmin(v))
        if v[i] >= SOLID_VALLEY or not lines_either_side(a, int(ys[i]), b):
            if b - a > 1.7 * ch:
                n = int(round((b - a) / ch))
                bands = [a + int(round(j * (b - a) / n)) for j in range(n + 1)]
                # Overlapping lines reach a little into the next band.
                if all(lines_either_side(lo, y, hi, 0.15 * ch) for lo, y, hi in zip(bands, bands[1:], bands[2:])):
                    cuts.extend(bands[1:-1])
            return
        cuts.append(int(ys[i]))
        split(a, int(ys[i]))
        split(int(ys[i]), b)

    split(0, len(prof))
    bounds = [0, *sorted(cuts), len(prof)]
    return [(offset + y0, offset + y1) for y0, y1 in zip(bounds, bounds[1:]) if y1 > y0]


def find_lines(binary: np.ndarray, char_h: float | None = None) -> list[Box]:
    """Boxes (x0, y0, x1, y1; x1/y1 exclusive) of the text lines and table cells, in reading order.
    char_h: the text height if the caller measured it already (text_height of this page)."""
    b = (np.asarray(binary) > 0).astype(np.uint8) * 255
    if b.ndim != 2 or min(b.shape) < 4 or not b.any():
        return []
    if np.count_nonzero(b) > 0.6 * b.size:  # a black page (no paper) has no lines to find
        return []
    ch = text_height(b) if char_h is None else char_h
    # Type smaller than ~2.5 pt at 200 dpi (a fraction of the page, so any resolution) is dust, not text.
    if ch < max(3.0, 0.004 * min(b.shape)):
        return []
    # Everything below works on the ink's bounding box and a margin wider than any kernel that grows ink
    # (the smear, 0.9 ch; the rulings' 5 px): the same boxes at about half the pixels of an A4 page,
    # whose margins are paper. Openings and labels are unchanged by the paper cut away (none reaches it).
    x, y, w, h = cv2.boundingRect(b)
    pad = max(3, int(round(0.9 * ch))) + 8
    x0, y0 = max(0, x - pad), max(0, y - pad)
    crop = b[y0:min(b.shape[0], y + h + pad), x0:min(b.shape[1], x + w + pad)]
    return [(bx0 + x0, by0 + y0, bx1 + x0, by1 + y0) for bx0, by0, bx1, by1 in _lines_in(crop, ch)]


def _lines_in(b: np.ndarray, ch: float) -> list[Box]:
    """find_lines on a binary image (ink 255) whose text height is ch."""
    rules = find_rulings(b, ch)
    cut = cv2.dilate(rules.horizontal | rules.vertical, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
    text = cv2.bitwise_and(b, cv2.bitwise_not(cut))

    # Specks below a few pixels are scan noise; real punctuation (。，、 and decimal points) is bigger.
    n, labels, stats, _ = cv2.connectedComponentsWithStats(text, connectivity=8)
    min_area = max(3, int((0.07 * ch) ** 2))
    speck = stats[:, cv2.CC_STAT_AREA] < min_area
    speck[0] = False
    if speck.any():
        text[speck[labels]] = 0
    # A line holds at least one piece of glyph size (a dash counts); dust near a table rule survives
    # despeckling (the rule is its neighbour) but is made of dots only.
    glyph = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]) >= 0.35 * ch
    glyph[0] = False
    glyph_integral = cv2.integral(glyph[labels].astype(np.uint8))
    pieces = stats[1:][~speck[1:]]

    kw = max(3, int(round(0.9 * ch)))
    kh = max(1, int(round(0.2 * ch)))
    smear = cv2.dilate(text, cv2.getStructuringElement(cv2.MORPH_RECT, (kw, kh)))
    smear = cv2.bitwise_and(smear, cv2.bitwise_not(cut))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(smear, connectivity=4)

    boxes: list[Box] = []
    for i in range(1, n):
        x, y, w, h = (int(v) for v in stats[i, :4])
        ink = (labels[y:y + h, x:x + w] == i) & (text[y:y + h, x:x + w] > 0)
        boxes.extend(_split_rows(ink, x, y, min_part=0.45 * ch, max_gap=kw + 1, max_glyph=1.7 * ch))
    if not boxes:
        return []

    arr = np.array(boxes, dtype=np.int64)
    v_integral = cv2.integral((rules.vertical > 0).astype(np.uint8))
    arr = _merge_row_neighbours(arr, v_integral, max_gap=2.5 * ch, char_h=ch)

    w = arr[:, 2] - arr[:, 0]
    h = arr[:, 3] - arr[:, 1]
    # Lone dots and rule fragments are not lines; 。，、 attached to text were merged above.
    keep = ((h >= 0.4 * ch) | (w >= 0.5 * ch)) & (np.maximum(w, h) >= 0.5 * ch) & (h >= 2) & (w >= 2)
    keep &= ~((h < 0.15 * ch) & (w > 3 * ch))
    gi = glyph_integral
    keep &= (gi[arr[:, 3], arr[:, 2]] - gi[arr[:, 1], arr[:, 2]] - gi[arr[:, 3], arr[:, 0]] + gi[arr[:, 1], arr[:, 0]]) > 0
    arr = _trim_to_band(arr[keep], pieces, ch)
    return reading_order([tuple(int(v) for v in r) for r in arr], ch, v_integral)


def _trim_to_band(boxes: np.ndarray, pieces: np.ndarray, ch: float) -> np.ndarray:
    """Boxes cut down to the rows of their glyphs: a speck of dust above or below a line of full-height
    characters makes its box taller, and the recogniser, which scales every line to one height, then
    sees the characters smaller (two narrow digits read as one). Only small pieces centred outside the
    band of glyph-sized pieces are left out, and only on lines that hold hanzi."""
    if len(boxes) == 0 or len(pieces) == 0:
        return boxes
    px, py, pw, ph = (pieces[:, i] for i in range(4))
    cx, cy = px + pw / 2.0, py + ph / 2.0
    big = np.maximum(pw, ph) >= 0.35 * ch
    out = boxes.copy()
    for k, (x0, y0, x1, y1) in enumerate(boxes):
        inside = (cx >= x0) & (cx < x1) & (cy >= y0) & (cy < y1)
        glyphs = inside & big
        if not glyphs.any():
            continue
        top, bottom = py[glyphs].min(), (py + ph)[glyphs].max()
        # Only lines with hanzi (square and big): on a line of small letters the dots of i and j sit
        # above the band like specks (with capitals or ascenders there, they sit inside it).
        hanzi = np.count_nonzero(glyphs & (np.minimum(pw, ph) >= 0.6 * ch) & (pw <= 1.6 * ph) & (ph <= 1.6 * pw))
        if bottom - top < 0.6 * ch or hanzi < min(2, np.count_nonzero(glyphs)):
            continue
        kept = glyphs | (inside & (cy >= top) & (cy < bottom))
        # A speck at a line's start or end also widened the box: it goes on every side.
        out[k] = (max(x0, px[kept].min()), max(y0, py[kept].min()), min(x1, (px + pw)[kept].max()),
                  min(y1, (py + ph)[kept].max()))
    return out
