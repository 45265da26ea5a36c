"""Reading order: top to bottom, cells of a table row left to right, columns of prose one after another.

A page is read as rows unless it holds columns of prose: a clear vertical gutter with several long
lines on each side and no column rule in it (a ruled table's columns are read across, row by row).
Lines that cross the gutter (a title over both columns, a page number) cut the page into sections;
within a section the left column is read before the right one.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

Box = tuple[int, int, int, int]


def row_order(boxes: Sequence[Box]) -> list[Box]:
    """Top to bottom; boxes sharing a visual row (table cells, spaced titles) left to right."""
    if not boxes:
        return []
    todo = sorted(boxes, key=lambda b: (b[1] + b[3]) / 2)
    rows: list[list[Box]] = []
    row_y0 = row_y1 = 0.0
    for b in todo:
        cy, h = (b[1] + b[3]) / 2, b[3] - b[1]
        if rows and row_y0 <= cy <= row_y1 and (b[1] < row_y1 - 0.3 * h):
            rows[-1].append(b)
            row_y0, row_y1 = min(row_y0, b[1]), max(row_y1, b[3])
            continue
        rows.append([b])
        row_y0, row_y1 = b[1], b[3]
    return [b for row in rows for b in sorted(row, key=lambda b: b[0])]


def _ruled(v_integral: np.ndarray | None, x0: int, x1: int, y0: int, y1: int) -> bool:
    if v_integral is None or x1 <= x0 or y1 <= y0:
        return False
    H, W = v_integral.shape[0] - 1, v_integral.shape[1] - 1
    x0, x1, y0, y1 = max(0, x0), min(W, x1), max(0, y0), min(H, y1)
    if x1 <= x0 or y1 <= y0:
        return False
    s = v_integral[y1, x1] - v_integral[y0, x1] - v_integral[y1, x0] + v_integral[y0, x0]
    return s > 0


def find_gutter(boxes: Sequence[Box], char_h: float, v_integral: np.ndarray | None = None) -> tuple[int, int] | None:
    """The x-range of a gutter between two columns of prose, or None."""
    if len(boxes) < 6 or char_h <= 0:
        return None
    arr = np.array(boxes, dtype=np.int64)
    left, right = int(arr[:, 0].min()), int(arr[:, 2].max())
    width = right - left
    if width < 20 * char_h:
        return None
    cover = np.zeros(width + 1, np.int32)
    for x0, _, x1, _ in arr:
        cover[x0 - left] += 1
        cover[x1 - left] -= 1
    cover = np.cumsum(cover)[:-1]
    # Lines that span the gutter (titles, page numbers) still cover it; allow a few.
    allowed = max(2, int(0.15 * len(boxes)))
    low = cover <= allowed
    lo, hi = int(0.2 * width), int(0.8 * width)
    best = None
    x = lo
    while x < hi:
        if low[x]:
            s = x
            while x < hi and low[x]:
                x += 1
            if x - s >= 1.5 * char_h and (best is None or x - s > best[1] - best[0]):
                best = (s + left, x + left)
        x += 1
    if best is None:
        return None
    g0, g1 = best
    lcol = arr[arr[:, 2] <= g0]
    rcol = arr[arr[:, 0] >= g1]
    if len(lcol) < 3 or len(rcol) < 3:
        return None
    # Prose columns are long lines; a borderless table's number columns are not.
    for col in (lcol, rcol):
        if np.median(col[:, 2] - col[:, 0]) < 8 * char_h:
            return None
    y0 = int(max(lcol[:, 1].min(), rcol[:, 1].min()))
    y1 = int(min(lcol[:, 3].max(), rcol[:, 3].max()))
    if y1 - y0 < 3 * char_h or _ruled(v_integral, g0, g1, y0, y1):
        return None
    return best


def reading_order(boxes: Sequence[Box], char_h: float = 0.0, v_integral: np.ndarray | None = None) -> list[Box]:
    """Boxes in reading order; columns of prose are not interleaved (see the module docstring)."""
    boxes = [tuple(int(v) for v in b) for b in boxes]
    gutter = find_gutter(boxes, char_h, v_integral)
    if gutter is None:
        return row_order(boxes)
    g0, g1 = gutter
    out: list[Box] = []
    section: list[Box] = []

    def flush() -> None:
        left = [b for b in section if b[2] <= g0]
        right = [b for b in section if b[0] >= g1]
        out.extend(row_order(left))
        out.extend(row_order(right))
        section.clear()

    for b in sorted(boxes, key=lambda b: (b[1], b[0])):
        if b[0] < g1 and b[2] > g0:  # crosses the gutter: ends the section above it
            flush()
            out.append(b)
        else:
            section.append(b)
    flush()
    return out
