"""Red ink on colour scans: seals are taken out, red text (the 发文机关标志 header) is kept as ink.

A 公文 carries red in two roles. The seal over the 署名 and 成文日期 hides black text and must go;
the header and the red rule under it are part of the page and must be read. Colour tells red from
black; shape tells a seal (a round or oval outline) from header characters and rules.

On a grey scan colour is gone, but tone and shape remain: red prints as a mid grey, lighter than black
ink, and a seal is still a ring (with a star and characters inside). `lift_grey_seals` finds the rings
of that mid tone and turns the seal's tone to paper inside them, keeping what is darker (the 署名 and
成文日期 under it) and the light strokes joined to it; red header text, which is no ring, is read like
black text. A light stroke that stands alone (一, the bars of 三, the ring of 〇) looks like the seal's own
characters there and goes too, so the page is also lifted a second way that keeps every thin stroke inside
a text line (`RedInk.lines_kept`): the lines under the seal are read from both, and a date read from the
second wins (`ocr.dates.either_date`). A grey page without a seal is returned unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from archiver.vision.preprocess import to_gray

# How much the red channel must exceed the larger of green and blue for a pixel to count as red ink.
RED_MARGIN = 50


@dataclass(frozen=True)
class RedInk:
    """The grey page to analyse plus where the red was: `seal` pixels were turned to paper, `text`
    pixels (red outside any seal) were kept dark."""

    gray: np.ndarray
    seal: np.ndarray  # uint8 mask, 255 inside a seal's outline
    text: np.ndarray  # uint8 mask, 255 on red ink outside seals
    colour: bool  # False for a grey input: nothing could be separated
    # A grey page with a seal: the same page lifted keeping every thin stroke inside a text line
    # (lift_grey_seals' second page), for a second reading of what lies under the seal; else None.
    lines_kept: np.ndarray | None = None


def is_colour(image: np.ndarray) -> bool:
    """True for an RGB(A) image whose channels actually differ (a grey scan saved as RGB is not)."""
    a = np.asarray(image)
    if a.ndim != 3 or a.shape[2] < 3 or a.size == 0:
        return False
    step = max(1, int(np.sqrt(a.shape[0] * a.shape[1] / 250_000)))  # a sample is enough
    s = a[::step, ::step, :3].astype(np.int16)
    return bool((np.abs(s[:, :, 0] - s[:, :, 1]) > 12).mean() > 1e-4 or
                (np.abs(s[:, :, 1] - s[:, :, 2]) > 12).mean() > 1e-4)


def red_mask(rgb: np.ndarray, margin: int = RED_MARGIN) -> np.ndarray:
    """uint8 mask (255) of pixels where red clearly dominates green and blue."""
    r, g, b = cv2.split(np.ascontiguousarray(np.asarray(rgb)[:, :, :3]))
    return cv2.threshold(cv2.subtract(r, cv2.max(g, b)), margin, 255, cv2.THRESH_BINARY)[1]


def seal_outlines(red: np.ndarray, black: np.ndarray | None = None) -> np.ndarray:
    """Filled mask of the round or oval red shapes large enough to be seals.

    A seal's outline is an ellipse: its filled hull is close to pi/4 of its bounding box and every
    contour point lies near the fitted ellipse. Header characters, even boxy ones like 国, fill
    their box (or break into pieces) and the red rule is a thin bar, so neither passes.

    Where black text crosses the ring, ink on ink prints black and the red ring is cut; `black` (a mask
    of dark ink) fills such cuts where they touch red.
    """
    H, W = red.shape
    out = np.zeros_like(red)
    if not red.any():
        return out
    # Faded seals print as broken rings; a small closing rejoins them.
    k = max(3, (min(H, W) // 400) | 1)
    if black is not None:
        near = cv2.dilate(red, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1)))
        red = red | (black & near)
    closed = cv2.morphologyEx(red, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    min_side = max(40, 0.06 * min(H, W))
    for c in contours:
        x, y, w, h = cv2.boundingRect(c)
        if min(w, h) < min_side or not 0.6 <= w / h <= 1.7 or len(c) < 20:
            continue
        # The hull, not the contour: where black text crosses the ring the red is broken, and a broken
        # ring's contour runs round both its edges and encloses next to nothing.
        hull = cv2.convexHull(c)
        fill = cv2.contourArea(hull) / float(w * h)
        if not 0.68 <= fill <= 0.86:
            continue
        (cx, cy), (ew, eh), ang = cv2.fitEllipse(c)
        pts = c.reshape(-1, 2).astype(np.float64) - (cx, cy)
        t = np.radians(ang)
        u = pts[:, 0] * np.cos(t) + pts[:, 1] * np.sin(t)
        v = -pts[:, 0] * np.sin(t) + pts[:, 1] * np.cos(t)
        r = np.hypot(u / max(ew / 2, 1), v / max(eh / 2, 1))
        if np.median(np.abs(r - 1.0)) > 0.06:
            continue
        cv2.drawContours(out, [hull], -1, 255, thickness=cv2.FILLED)
    return out


def _lift_seals(out: np.ndarray, rgb: np.ndarray, red: np.ndarray, seal: np.ndarray) -> np.ndarray:
    """Inside each seal (and a rim around it), take the red channel, stretched so the seal's ink reaches the
    paper's level: red ink turns to paper while black ink, dark in every channel, stays dark.

    Every pixel of the seal's area is taken, not only the clearly red ones: a scan's JPEG keeps colour
    at half resolution, so thin red strokes (the seal's characters, the ring's edges) come out greyish
    and fail any redness test, yet they are still bright in the red channel. Returns the area lifted."""
    k = max(3, (min(seal.shape) // 250) | 1)
    area = cv2.dilate(seal, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    n, labels = cv2.connectedComponents(area)
    r = rgb[:, :, 0]
    for i in range(1, n):
        one = labels == i
        ink = one & (red > 0)
        if not ink.any():
            continue
        vals = r[one].astype(np.float32)
        paper = float(np.percentile(vals, 60))
        level = float(np.median(r[ink]))
        black = min(float(np.percentile(vals, 1)), level - 1.0)
        # The darkest ink stays where it is and the seal's ink goes up to paper; in between, a straight line.
        gain = min(2.0, max(1.0, (paper - black) / (level - black)))
        out[one] = np.clip(black + (vals - black) * gain, 0, max(paper, level)).astype(np.uint8)
    return area


# A seal (公章) is 38–45 mm across; radii looked for, as a share of the page's short side (A4: 210 mm),
# with margin: 14–26 mm.
SEAL_RADIUS = (14 / 210, 26 / 210)


def _tones_on_circles(gray: np.ndarray, cxs: np.ndarray, cys: np.ndarray, rs: np.ndarray, band: float) -> np.ndarray:
    """Per circle (cxs[i], cys[i], rs[i]) and angle (180 of them), the darkest grey within band of its radius."""
    H, W = gray.shape
    angles = np.linspace(0, 2 * np.pi, 180, endpoint=False)
    radii = np.linspace(rs - band, rs + band, 7, axis=-1)  # circles x 7
    xs = np.clip((cxs[:, None, None] + radii[:, :, None] * np.cos(angles)).round().astype(int), 0, W - 1)
    ys = np.clip((cys[:, None, None] + radii[:, :, None] * np.sin(angles)).round().astype(int), 0, H - 1)
    return gray[ys, xs].min(axis=1)


def _tone_on_circle(gray: np.ndarray, cx: float, cy: float, r: float, band: float) -> np.ndarray:
    """Per angle (180 of them), the darkest grey within band of radius r round (cx, cy)."""
    return _tones_on_circles(gray, np.array([cx]), np.array([cy]), np.array([r]), band)[0]


# Hough's centre on the reduced page is off by up to a tenth of the radius (seen: 20 px of 150 on an
# office-level grey scan of gongwen-real, which left a third of the ring outside the band looked at):
# each circle is moved and resized within REFINE of its radius to where its line runs round furthest.
REFINE = 0.12


def _coverage(gray: np.ndarray, cxs: np.ndarray, cys: np.ndarray, rs: np.ndarray, band: float,
              paper_t: int) -> np.ndarray:
    """For each circle: the share of its angles where its line is darker than paper_t."""
    return (_tones_on_circles(gray, cxs, cys, rs, band) < paper_t).mean(axis=1)


def _refine(gray: np.ndarray, cx: float, cy: float, r: float, band: float, paper_t: int) -> tuple[float, float, float]:
    """The circle near (cx, cy, r) whose line is darker than paper_t on the most angles: a coarse grid of
    centres and radii within REFINE * r, then a finer one round the best (the first best in grid order; the
    circle as given where nothing beats it)."""
    best_cov = float(_coverage(gray, np.array([cx]), np.array([cy]), np.array([r]), band, paper_t)[0])
    for span in (REFINE * r, REFINE * r / 3):
        steps = np.linspace(-span, span, 7)
        dr, dy, dx = (a.ravel() for a in np.meshgrid(steps[::3], steps, steps, indexing="ij"))
        covs = _coverage(gray, cx + dx, cy + dy, r + dr, band, paper_t)
        k = int(np.argmax(covs))
        if covs[k] > best_cov:
            best_cov, cx, cy, r = float(covs[k]), cx + dx[k], cy + dy[k], r + dr[k]
    return float(cx), float(cy), float(r)


def find_grey_seals(gray: np.ndarray) -> list[tuple[float, float, float, int]]:
    """(cx, cy, r, tone) of each seal on a grey page: a circle of the seal's size whose line runs round
    nearly all the way (≥ 85 % of its angles), printed lighter than the ink's cores (red prints as a mid
    grey), with paper on a quarter of a circle half as wide at least (a ring, not a filled disc or a
    photo; the words under the seal cross it)."""
    short = min(gray.shape)
    scale = max(1, short // 500)  # the search on a reduced page: a seal is still ~40 px across there
    small = cv2.resize(gray, (gray.shape[1] // scale, gray.shape[0] // scale), interpolation=cv2.INTER_AREA)
    rmin, rmax = (int(f * short / scale) for f in SEAL_RADIUS)
    if rmin < 10:  # a page (or a crop) too small to carry a seal that could be found
        return []
    circles = cv2.HoughCircles(cv2.GaussianBlur(small, (5, 5), 0), cv2.HOUGH_GRADIENT, dp=1.5, minDist=rmin * 2,
                               param1=120, param2=35, minRadius=rmin, maxRadius=rmax)
    if circles is None:
        return []
    paper_t = int(cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0])
    dark = gray[gray < paper_t]
    core = float(np.percentile(dark, 10)) if dark.size else 0.0
    found = []
    for cx, cy, r in circles[0][:4] * scale:
        band = max(2.0, 0.025 * r)  # the ring itself, not what lies near it
        cx, cy, r = _refine(gray, cx, cy, r, band, paper_t)
        on = _tone_on_circle(gray, cx, cy, r, band)
        inside = _tone_on_circle(gray, cx, cy, 0.5 * r, band / 2)  # between the star and the name
        tone = float(np.median(on))
        if (on < paper_t).mean() < 0.85 or (inside < paper_t).mean() > 0.75 or tone < core + 15:
            continue
        found.append((float(cx), float(cy), float(r), int(tone)))
    return found


# Within a seal, what is lighter than SEAL_SPREAD levels under the seal's tone is the seal's ink or the
# faint edge of a stroke; what is darker is ink under or beside the seal. Measured on the seal pages of
# office-level grey scans of gongwen-real (26 pages; the seal's flat ink spreads 3-4 levels either side
# of its tone, text cores lie 10-100 below it): dates under the seal read 15, 16, 15, 15 at 4, 8, 10,
# 12 levels; 10 at 16 and 9 at 20, where the light cores of faint text go with the seal; the 署名 26 of
# 26 from 8 to 16, 23 at 4 (the seal's own characters stay). 10 is the middle of that plateau.
SEAL_SPREAD = 10


# The second lift keeps the thin pieces of the seal's tone that lie inside a text line: the
# light strokes that stand alone in a character (一, the bars of 二 and 三, the ring of 〇), which the first
# lift cannot tell from the seal's own characters. A text line is the dark ink, in pieces of at least
# LINE_PART of the seal's radius (2 mm on a 42 mm seal; specks start no line), joined across gaps up to
# LINE_JOIN of the radius (21 mm, three and a half characters of 16 pt type, so a date's 〇〇 between 二
# and 四 is inside it); a piece is kept when its box lies within a line's box, LINE_EDGE of the radius
# (under 1 mm) to spare.
LINE_PART = 0.1
LINE_JOIN = 1.0
LINE_EDGE = 0.04


def _in_lines(text: np.ndarray, thin: np.ndarray, r: float) -> np.ndarray:
    """The connected pieces of `thin` whose boxes lie inside the box of a text line of `text`."""
    n, lab, st, _ = cv2.connectedComponentsWithStats(text, connectivity=8)
    sized = (st[:, cv2.CC_STAT_AREA] >= 12) & (np.maximum(st[:, 2], st[:, 3]) >= LINE_PART * r)
    sized[0] = False
    joined = cv2.morphologyEx(sized[lab].astype(np.uint8), cv2.MORPH_CLOSE,
                              cv2.getStructuringElement(cv2.MORPH_RECT, (max(1, int(LINE_JOIN * r)), 1)))
    _, _, lines, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    lines = lines[1:][lines[1:, 2] > 3 * LINE_PART * r]  # a line is a character wide at least
    e = max(1, int(LINE_EDGE * r))
    lx0, ly0 = lines[:, 0] - e, lines[:, 1] - e
    lx1, ly1 = lines[:, 0] + lines[:, 2] + e, lines[:, 1] + lines[:, 3] + e
    m, plab, ps, _ = cv2.connectedComponentsWithStats(thin, connectivity=8)
    x0, y0, x1, y1 = ps[:, 0:1], ps[:, 1:2], ps[:, 0:1] + ps[:, 2:3], ps[:, 1:2] + ps[:, 3:4]
    inside = ((x0 >= lx0) & (y0 >= ly0) & (x1 <= lx1) & (y1 <= ly1)).any(axis=1)
    inside[0] = False
    return inside[plab].astype(np.uint8)


def lift_grey_seals(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """A grey page with its seals lifted, the seals' mask (all zero when there is none), and the page lifted
    the second way (None when there is no seal).

    Inside each seal found (find_grey_seals), ink darker than the seal's tone (SEAL_SPREAD) is text and
    stays. Ink of the seal's tone or lighter goes to paper unless it belongs to a stroke of that text: a
    thin piece (a light face's horizontal, a stroke's soft edge) joined to the text within a few pixels,
    or, on the second page, any thin piece inside a text line (_in_lines).
    Thick pieces of the seal's tone (its ring and star: an opening about as wide as a light face's stroke,
    1/300 of the page's short side, 5 px at 200 dpi, keeps them and removes strokes) always go, and so do
    its own characters, thin but joined to no text; then the seal's soft outline, lighter than the
    page's ink threshold, where it lies away from the text kept."""
    seals = find_grey_seals(gray)
    mask = np.zeros(gray.shape, np.uint8)
    if not seals:
        return gray, mask, None
    out, second = gray.copy(), gray.copy()
    short = min(gray.shape)
    k = max(5, (short // 300) | 1)
    reach = max(1, round(short / 550))  # how far a text stroke's light part runs from its core: 3 px at 200 dpi
    paper_t = int(cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0])
    grow = np.ones((3, 3), np.uint8)
    for cx, cy, r, tone in seals:
        # Each seal is worked on in its own window: the disc and a margin wider than any kernel used, and
        # sideways the text that a line through the seal continues into.
        m = int(1.15 * r) + 2 * k
        side = m + int(LINE_JOIN * r)
        x0, y0 = max(0, int(cx) - side), max(0, int(cy) - m)
        x1, y1 = min(gray.shape[1], int(cx) + side + 1), min(gray.shape[0], int(cy) + m + 1)
        win = gray[y0:y1, x0:x1]
        disc = np.zeros(win.shape, np.uint8)
        cv2.circle(disc, (int(cx) - x0, int(cy) - y0), int(r * 1.12), 255, thickness=-1)
        area = disc > 0
        paper = np.uint8(np.percentile(win[area], 90))
        text = ((win < tone - SEAL_SPREAD) & area).astype(np.uint8)
        sealish = ((win >= tone - SEAL_SPREAD) & (win < paper_t) & area).astype(np.uint8)
        thick = cv2.morphologyEx(sealish, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
        thin = sealish & (1 - cv2.dilate(thick, grow))
        kept = text
        for _ in range(reach):  # the text grown along the thin pieces joined to it
            kept = cv2.dilate(kept, grow) & (text | thin)
        # The second page: outside the disc every ink is text; pieces touching the ring or star's edge are not.
        ink = (text | ((win < paper_t) & ~area)).astype(np.uint8)
        in_lines = kept | _in_lines(ink, thin & (1 - cv2.dilate(thick, grow, iterations=2)), r)
        for dst, keep in ((out[y0:y1, x0:x1], kept), (second[y0:y1, x0:x1], in_lines)):
            near_kept = cv2.dilate(keep, grow) > 0
            dst[((sealish > 0) & (keep == 0)) | (area & (win >= paper_t) & ~near_kept)] = paper
        mask[y0:y1, x0:x1] |= disc
    return out, mask, second


def separate_red(image: np.ndarray, margin: int = RED_MARGIN) -> RedInk:
    """Grey page with seals removed and red text kept dark; a grey input passes through unchanged."""
    a = np.asarray(image)
    if a.dtype != np.uint8:
        a = np.clip(a, 0, 255).astype(np.uint8)
    gray = to_gray(a)
    empty = np.zeros(gray.shape, np.uint8)
    if not is_colour(a):
        lifted, seal, second = lift_grey_seals(gray)
        return RedInk(lifted, seal, empty, False, second)
    rgb = np.ascontiguousarray(a[:, :, :3])
    red = red_mask(rgb, margin)
    if not red.any():
        return RedInk(gray, empty, empty, True)
    black = cv2.threshold(cv2.max(cv2.max(rgb[:, :, 0], rgb[:, :, 1]), rgb[:, :, 2]), 127, 255, cv2.THRESH_BINARY_INV)[1]
    seal = seal_outlines(red, black)
    out = gray.copy()
    lifted = _lift_seals(out, rgb, red, seal)
    # Red text elsewhere is drawn as dark as its darkest channel, so the header reads like black ink.
    text = (red > 0) & ~(lifted > 0)
    out[text] = np.maximum(rgb[:, :, 1][text], rgb[:, :, 2][text])
    return RedInk(out, seal, text.astype(np.uint8) * 255, True)
