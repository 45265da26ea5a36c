"""Which way up a page is: 0, 90, 180 or 270 degrees.

Two questions, answered by different evidence. Whether the text lines run across or down the image
is geometry (see direction_ratio). Whether the page is upside down is geometry only through its small
marks: Chinese punctuation (，。、：) and decimal points sit low in the line, in a column of their own;
turned half way round they sit high (see mark_votes). Where the marks are few or disagree, it is asked
of the recogniser: the same lines are read as they are and turned half way round, and the reading it
is more sure of wins. Without a recogniser and without clear marks the page is taken as upright.
"""
from __future__ import annotations

from typing import Callable, Sequence

import cv2
import numpy as np

from archiver.document import LineReader
from archiver.vision.pieces import Pieces, find_pieces
from archiver.vision.segment import text_height

# direction_ratio beyond which the text direction is taken from geometry alone.
CLEAR_RATIO = 1.25
# A page is taken as upright (or upside down) without reading when at least MIN_MARKS of its small marks
# say so, MARK_RATIO times as many as say the opposite. Measured with bench.page on the 133 gov-dev pages
# at 200 dpi (21 of them turned 90/180/270), clean and simulated poor scans: 102 (clean) and 103 (poor)
# pages decided, every one right, the closest at 3.6 (202 marks the right way to 56 the wrong way, a budget
# table) and 4.0; before quotation marks were set apart, two upright tables had 8 marks high to 0-1 low
# (“三公”经费). The other ~30 pages (covers, short letters, tables without punctuation, pages with marks
# both ways) are read as before.
MIN_MARKS = 8
MARK_RATIO = 3.0
# Reading for which way up: the first FIRST_READS of a page's sample lines are read as they are and turned,
# and the others only when the mean confidences differ by less than CLEAR_GAP. Measured on 30 gov-dev pages
# (office scans, each upright and turned 180 degrees): 51 of 60 pairs differed by 0.25 or more on 3 lines,
# every one the right way; where 3 lines read the wrong way round, they differed by 0.03 (six lines: 0.05
# and 0.07, the right way).
FIRST_READS = 3
CLEAR_GAP = 0.3
# A mark: no side over MARK_SIZE of its line's height, in the line's top or bottom MARK_BAND.
MARK_SIZE = 0.4
MARK_BAND = 0.4


def direction_ratio(binary: np.ndarray, char_h: float | None = None, pieces: Pieces | None = None) -> float:
    """How much more the ink joins up sideways than downwards: above 1 the lines run across the
    image, below 1 down it; 1.0 when it cannot tell (no ink).

    Within a line, characters (and the left and right parts of a character) stand a fraction of a
    character apart; lines stand further apart than that. So closing gaps of half a character
    sideways joins far more pieces than closing them downwards, on prose and on tables of numbers
    alike (a row-profile test is fooled by tables, whose columns line up as well as their rows).
    pieces: those of this binary page, if the caller has them.
    """
    b = (np.asarray(binary) > 0).astype(np.uint8)
    if b.ndim != 2 or min(b.shape) < 8 or not b.any():
        return 1.0
    if pieces is None:
        pieces = find_pieces(b)
    ch = text_height(b, pieces) if char_h is None else char_h
    if ch < 3:
        return 1.0
    # Table rules and grids would swallow the text they run along when closing downwards, and on a
    # skewed scan they are not straight runs of pixels: drop every piece far longer than a glyph.
    stats = pieces.stats
    long_piece = (np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]) > 5 * ch) & pieces.alive
    if long_piece.any():
        b = b.copy()
        b[long_piece[pieces.labels]] = 0
    g = max(2, int(round(0.5 * ch)))
    x, y, w, h = cv2.boundingRect(b)  # counting pieces needs only the ink and a margin the closing can reach
    b = b[max(0, y - g):y + h + g, max(0, x - g):x + w + g]
    across = cv2.connectedComponents(cv2.dilate(b, np.ones((1, g), np.uint8)), connectivity=8)[0] - 1
    down = cv2.connectedComponents(cv2.dilate(b, np.ones((g, 1), np.uint8)), connectivity=8)[0] - 1
    return (down + 1.0) / (across + 1.0)


def mark_votes(binary: np.ndarray, boxes: Sequence[tuple[int, int, int, int]]) -> tuple[int, int]:
    """(low, high): how many small marks of the text lines sit at the bottom of their line and how many at
    the top. A mark is a piece of ink much smaller than the line's height with no other ink above or below
    it in the line: punctuation and decimal points, which print low, not the dots of 文 or 点, which
    share their column with the rest of the character. Pairs side by side are quotation marks, which
    print high, and count for neither."""
    low = high = 0
    b = np.asarray(binary)
    for x0, y0, x1, y1 in boxes:
        h = y1 - y0
        if h < 6 or x1 - x0 < 3 * h:
            continue
        band = (b[y0:y1, x0:x1] > 0).astype(np.uint8)
        n, _, st, _ = cv2.connectedComponentsWithStats(band, connectivity=8)
        if n < 2:
            continue
        x, y, w, hh, area = (st[1:, i] for i in range(5))
        cols = np.concatenate([[0], np.cumsum(band.sum(axis=0, dtype=np.int64))])
        alone = cols[x + w] - cols[x] <= 1.05 * area  # nothing else in its columns
        small = (np.maximum(w, hh) <= MARK_SIZE * h) & (area >= 4) & alone
        centre = (y + hh / 2.0) / h
        m = np.flatnonzero(small)
        if len(m) > 1:  # a quotation mark (“ ” ‘ ’) prints high in upright text: two commas side by side
            cx, cy, mh = x[m] + w[m] / 2.0, centre[m] * h, hh[m].astype(np.float64)
            near = ((np.abs(cx[:, None] - cx[None, :]) <= (w[m][:, None] + w[m][None, :]) / 2.0 + 0.25 * h)
                    & (np.abs(cy[:, None] - cy[None, :]) <= 0.15 * h)
                    & (np.minimum(mh[:, None], mh[None, :]) >= 0.7 * np.maximum(mh[:, None], mh[None, :])))
            np.fill_diagonal(near, False)
            small[m[near.any(axis=1)]] = False
        low += int((small & (centre > 1 - MARK_BAND)).sum())
        high += int((small & (centre < MARK_BAND)).sum())
    return low, high


def upright_by_marks(binary: np.ndarray, boxes: Sequence[tuple[int, int, int, int]]) -> bool | None:
    """True when the marks say the lines stand upright, False when upside down, None when they do not tell."""
    low, high = mark_votes(binary, boxes)
    if low >= MIN_MARKS and low >= MARK_RATIO * high:
        return True
    if high >= MIN_MARKS and high >= MARK_RATIO * low:
        return False
    return None


def turn(image: np.ndarray, quarter_turns: int) -> np.ndarray:
    """The image turned counter-clockwise by quarter_turns * 90 degrees (a contiguous copy)."""
    return np.ascontiguousarray(np.rot90(image, quarter_turns % 4))


def upside_down_votes(crops: Sequence[np.ndarray], reader: LineReader) -> tuple[float, float]:
    """Mean recogniser confidence of the crops as they are and turned 180 degrees."""
    if not crops:
        return 0.0, 0.0
    flipped = [np.ascontiguousarray(c[::-1, ::-1]) for c in crops]
    readings = reader.read(list(crops) + flipped)
    conf = np.array([float(r.confidence) for r in readings])
    n = len(crops)
    return float(conf[:n].mean()), float(conf[n:].mean())


def pick_sample(boxes: Sequence[tuple[int, int, int, int]], k: int = 8) -> list[int]:
    """Indices of up to k line boxes worth reading for orientation: the longest (most characters)."""
    scored = []
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        h, w = y1 - y0, x1 - x0
        if h >= 6 and w >= 3 * h:
            scored.append((w / h, i))
    scored.sort(reverse=True)
    return [i for _, i in scored[:k]]


def choose_upright(candidates: Sequence[int], crops_for: Callable[[int], list[np.ndarray]],
                   reader: LineReader | None) -> int:
    """Of the quarter turns in candidates (pairs 180 degrees apart), the one the reader prefers. The first
    FIRST_READS crops of a pair are read first; the rest only when those leave it close (CLEAR_GAP)."""
    best, best_conf = candidates[0], -1.0
    if reader is None:
        return best
    for k in candidates[::2]:
        crops = crops_for(k)
        if not crops:
            continue
        first = crops[:FIRST_READS]
        as_is, flipped = upside_down_votes(first, reader)
        rest = crops[FIRST_READS:]
        if rest and abs(as_is - flipped) < CLEAR_GAP:
            more_as_is, more_flipped = upside_down_votes(rest, reader)
            n, m = len(first), len(rest)
            as_is, flipped = (n * as_is + m * more_as_is) / (n + m), (n * flipped + m * more_flipped) / (n + m)
        for kk, conf in ((k, as_is), ((k + 2) % 4, flipped)):
            if conf > best_conf:
                best, best_conf = kk, conf
    return best
