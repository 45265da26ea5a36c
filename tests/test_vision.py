"""Page analysis on pages drawn at test time with a CJK font."""
from __future__ import annotations


import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from archiver.vision import (LineCrop, PageLayout, analyse_page, binarise, estimate_skew, find_lines,
                             normalise_background, rotate, suppress_red, to_gray)
from training import fonts

from .support.helpers import page_image

FONT = fonts.path_of("Noto Serif SC")

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
BODY = [
    "关于做好二〇二四年部门预算编制工作的通知",
    "各区人民政府，市政府各委、办、局：",
    "为贯彻落实国务院有关决策部署，现将有关事项通知如下。",
    "一、财政拨款收入九千六百二十八万元，比上年增加。",
    "二、请各单位于三月底前报送，逾期不予受理。",
]


def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), size, index=2)


def text_page(lines=BODY, size: int = 36, w: int = 1400, h: int = 900, top: int = 120, step: int = 110):
    """A white RGB page with the given lines; returns the image and each line's ink box."""
    img = Image.new("RGB", (w, h), WHITE)
    d = ImageDraw.Draw(img)
    f = font(size)
    boxes = []
    for i, text in enumerate(lines):
        xy = (120, top + i * step)
        d.text(xy, text, font=f, fill=BLACK)
        boxes.append(d.textbbox(xy, text, font=f))
    return np.asarray(img), boxes


def iou(a, b) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def test_known_lines_come_back_in_order_with_boxes_around_them():
    rgb, expected = text_page()
    layout = analyse_page(rgb)
    assert isinstance(layout, PageLayout)
    assert layout.angle == 0.0
    assert layout.image.shape == rgb.shape[:2] and layout.image.dtype == np.uint8
    assert len(layout.lines) == len(BODY)
    tops = [ln.box[1] for ln in layout.lines]
    assert tops == sorted(tops)
    for line, want in zip(layout.lines, expected):
        assert iou(line.box, want) > 0.75, (line.box, want)


def test_line_crop_has_a_margin_and_dark_ink_on_paper():
    rgb, _ = text_page(lines=BODY[:1])
    (line,) = analyse_page(rgb).lines
    assert isinstance(line, LineCrop)
    x0, y0, x1, y1 = line.box
    h, w = line.image.shape
    assert line.image.dtype == np.uint8
    assert 1.15 * (y1 - y0) <= h <= 1.4 * (y1 - y0)
    assert (x1 - x0) + 2 <= w <= (x1 - x0) + 0.3 * (y1 - y0)
    # Margin rows are paper; the middle holds ink.
    assert line.image[0].min() > 200 and line.image[-1].min() > 200
    assert line.image.min() < 80


def test_line_crop_is_grey_not_binarised():
    # Measured (python -m bench.crops, 30 gov-dev pages): the same boxes read from the binarised page give
    # whole-page CER 4.2 % office and 10.2 % poor against 0.9 % and 1.8 % from the flattened grey page.
    rgb, _ = text_page(lines=BODY[:1])
    blurred = cv2.GaussianBlur(rgb, (0, 0), 1.0)
    (line,) = analyse_page(blurred).lines
    levels = np.unique(line.image)
    assert len(levels) > 16  # anti-aliased stroke edges kept, not cut to ink and paper


@pytest.mark.parametrize("angle", [3.0, -3.0])
def test_rotated_page_is_deskewed(angle):
    rgb, _ = text_page()
    turned = np.asarray(Image.fromarray(rgb).rotate(angle, resample=Image.BILINEAR, fillcolor=WHITE))
    layout = analyse_page(turned)
    assert abs(layout.angle - angle) <= 0.3
    assert len(layout.lines) == len(BODY)
    # After correction each line is flat again: no taller than a straight line of that size.
    straight = analyse_page(rgb).lines
    for got, flat in zip(layout.lines, straight):
        assert (got.box[3] - got.box[1]) <= (flat.box[3] - flat.box[1]) + 6


def test_estimate_skew_on_binary_alone():
    rgb, _ = text_page()
    gray = rotate(to_gray(rgb), 1.5)
    assert abs(estimate_skew(binarise(gray)) - 1.5) <= 0.15
    assert abs(estimate_skew(binarise(to_gray(rgb)))) <= 0.1


def seal_over_text():
    """A line of black text with a red seal printed over its middle (multiplied, as ink on ink)."""
    rgb, (box,) = text_page(lines=["二〇二四年三月十五日　上海市普陀区司法局"], size=36, h=500, top=200)
    seal = Image.new("RGB", (rgb.shape[1], rgb.shape[0]), WHITE)
    cx, cy, r = (box[0] + box[2]) // 2, (box[1] + box[3]) // 2, 130
    ImageDraw.Draw(seal).ellipse((cx - r, cy - r, cx + r, cy + r), fill=(220, 30, 40))
    mixed = (rgb.astype(np.uint16) * np.asarray(seal) // 255).astype(np.uint8)
    return mixed, rgb, box, (cx, cy, r)


def test_red_seal_is_suppressed_and_black_text_under_it_stays():
    mixed, clean, box, (cx, cy, r) = seal_over_text()
    plain = to_gray(mixed)
    gray = suppress_red(mixed)
    text_ink = to_gray(clean) < 100
    seal_only = np.zeros_like(text_ink)
    seal_only[cy - r + 10:cy - r + 60, cx - 40:cx + 40] = True  # inside the seal, above the text
    seal_only &= ~text_ink
    assert plain[seal_only].mean() < 120  # plain grey keeps the seal dark: the test can fail
    assert gray[seal_only].min() > 200
    under_seal = text_ink & (np.hypot(*np.mgrid[:gray.shape[0], :gray.shape[1]][::-1] -
                                       np.array([cx, cy])[:, None, None]) < r)
    assert under_seal.sum() > 200
    assert np.median(gray[under_seal]) < 100

    layout = analyse_page(mixed)
    assert len(layout.lines) == 1
    x0, y0, x1, y1 = layout.lines[0].box
    assert iou((x0, y0, x1, y1), box) > 0.75  # the seal's disc (taller than the line) is gone


def table_page(rows: int = 3, cols: int = 3):
    """A ruled table; in each row the first cell's text hugs the right rule and the next cell's the left
    one, so only the rule keeps them apart."""
    w, h = 1300, 700
    img = Image.new("RGB", (w, h), WHITE)
    d = ImageDraw.Draw(img)
    f = font(30)
    x_edges = [100, 500, 850, 1200]
    y_edges = [150, 230, 310, 390]
    for x in x_edges:
        d.line([(x, y_edges[0]), (x, y_edges[-1])], fill=BLACK, width=2)
    for y in y_edges:
        d.line([(x_edges[0], y), (x_edges[-1], y)], fill=BLACK, width=2)
    texts = [["财政拨款收入", "9,628,221", "事业收入"], ["一般公共预算", "0.00", "其他收入"],
             ["合计", "12,345", "上年结转"]]
    centres = []
    for r in range(rows):
        for c in range(cols):
            t = texts[r][c]
            tb = d.textbbox((0, 0), t, font=f)
            tw = tb[2] - tb[0]
            x = x_edges[c + 1] - 10 - tw if c % 2 == 0 else x_edges[c] + 10
            y = y_edges[r] + 20
            d.text((x - tb[0], y), t, font=f, fill=BLACK)
            centres.append(((x_edges[c] + x_edges[c + 1]) / 2, (y_edges[r] + y_edges[r + 1]) / 2, c, r))
    return np.asarray(img), x_edges, y_edges


def test_ruled_table_gives_its_nine_cells_in_row_order():
    rgb, xs, ys = table_page()
    layout = analyse_page(rgb)
    assert len(layout.lines) == 9
    cells = []
    for ln in layout.lines:
        x0, y0, x1, y1 = ln.box
        col = next(i for i in range(3) if xs[i] <= x0 and x1 <= xs[i + 1])
        row = next(i for i in range(3) if ys[i] <= y0 and y1 <= ys[i + 1])
        cells.append((row, col))
    assert cells == [(r, c) for r in range(3) for c in range(3)]


def test_small_punctuation_stays_with_its_line():
    rgb, _ = text_page(lines=["现将有关事项通知如下。"], size=36, h=400)
    without, _ = text_page(lines=["现将有关事项通知如下"], size=36, h=400)
    (line,) = analyse_page(rgb).lines
    (bare,) = analyse_page(without).lines
    ink_right = np.flatnonzero((to_gray(rgb) < 128).any(axis=0))[-1] + 1
    assert line.box[2] >= ink_right - 1  # the box reaches the 。's right edge
    assert line.box[2] - bare.box[2] >= 8  # and the 。 is what took it there
    assert line.box[3] - line.box[1] <= bare.box[3] - bare.box[1] + 2


def test_uneven_light_is_flattened():
    rgb, expected = text_page()
    ramp = np.linspace(1.0, 0.45, rgb.shape[1])[None, :, None]
    dim = (rgb * ramp).astype(np.uint8)
    flat = normalise_background(to_gray(dim))
    paper = to_gray(rgb) > 250
    assert to_gray(dim)[paper].min() < 130  # the dark side really is dark before
    assert np.percentile(flat[paper], 1) > 215
    assert len(analyse_page(dim).lines) == len(expected)


def test_empty_page_has_no_lines():
    layout = analyse_page(np.full((800, 600, 3), 255, np.uint8))
    assert layout.lines == ()
    assert layout.angle == 0.0
    assert find_lines(np.zeros((800, 600), np.uint8)) == []


@pytest.mark.parametrize("image", [
    np.zeros((1, 1, 3), np.uint8),
    np.full((1, 1, 3), 255, np.uint8),
    np.zeros((120, 90, 3), np.uint8),
    np.zeros((5, 400), np.uint8),
    np.full((3, 3), 255, np.uint8),
], ids=["1x1-black", "1x1-white", "all-black", "thin-grey", "3x3-grey"])
def test_degenerate_input_does_not_crash(image):
    layout = analyse_page(image)
    assert layout.lines == ()
    assert layout.image.shape == image.shape[:2]
    assert -5.0 <= layout.angle <= 5.0


# --- orientation, red ink, layout, sizes -----------------------------------------------------------

@pytest.fixture(scope="module")
def reader():
    from archiver.ocr.recognizer import DEFAULT_WEIGHTS, Recognizer

    return Recognizer(DEFAULT_WEIGHTS, threads=2)


def ink_box(gray: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(gray < 128)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_sideways_and_upside_down_pages_are_turned_upright(turns, reader):
    rgb, expected = text_page()
    scanned = np.ascontiguousarray(np.rot90(rgb, turns))
    layout = analyse_page(scanned, reader=reader)
    assert layout.quarter_turns == (4 - turns) % 4
    assert layout.image.shape == rgb.shape[:2]
    assert len(layout.lines) == len(BODY)
    for line, want in zip(layout.lines, expected):
        assert iou(line.box, want) > 0.75, (line.box, want)
        # page_box is where the line is on the image as it was given (turned): ink lies inside it.
        x0, y0, x1, y1 = line.page_box
        on_input = to_gray(scanned)[y0:y1, x0:x1]
        assert (on_input < 128).sum() > 0.9 * (to_gray(rgb)[want[1]:want[3], want[0]:want[2]] < 128).sum()


def test_without_a_reader_a_sideways_page_is_still_turned():
    rgb, _ = text_page()
    layout = analyse_page(np.ascontiguousarray(np.rot90(rgb, 1)))
    assert layout.quarter_turns in (1, 3)  # which way round needs the reader
    assert len(layout.lines) == len(BODY)


def test_skewed_page_boxes_map_back_onto_the_input():
    rgb, expected = text_page()
    turned = np.asarray(Image.fromarray(rgb).rotate(2.0, resample=Image.BILINEAR, fillcolor=WHITE))
    layout = analyse_page(turned)
    assert abs(layout.angle - 2.0) <= 0.15
    g = to_gray(turned)
    for line in layout.lines:
        x0, y0, x1, y1 = line.page_box
        inside = (g[y0:y1, x0:x1] < 128).sum()
        # The axis-aligned box around a tilted line holds all of that line's ink on the input.
        assert inside > 0
    total_in_boxes = sum((g[b[1]:b[3], b[0]:b[2]] < 128).sum() for b in (ln.page_box for ln in layout.lines))
    assert total_in_boxes >= 0.97 * (g < 128).sum()


def ring_seal_over_date():
    """A date line in black with a round red seal (ring, star, arc of red characters) stamped over it."""
    rgb, (box,) = text_page(lines=["二〇二四年三月十五日"], size=36, w=1000, h=600, top=260)
    seal = Image.new("RGB", (rgb.shape[1], rgb.shape[0]), WHITE)
    d = ImageDraw.Draw(seal)
    cx, cy, r = (box[0] + box[2]) // 2, (box[1] + box[3]) // 2, 150
    red = (215, 35, 40)
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=red, width=9)
    d.regular_polygon((cx, cy - 20, 40), 5, fill=red)
    d.text((cx - 100, cy - 120), "普陀区司法局", font=font(34), fill=red)
    mixed = (rgb.astype(np.uint16) * np.asarray(seal) // 255).astype(np.uint8)
    return mixed, rgb, box, (cx, cy, r)


def test_ring_seal_is_removed_and_the_date_under_it_stays(reader):
    from archiver.vision.red import separate_red

    mixed, clean, box, (cx, cy, r) = ring_seal_over_date()
    red = separate_red(mixed)
    assert red.colour
    yy, xx = np.mgrid[:mixed.shape[0], :mixed.shape[1]]
    disc = np.hypot(xx - cx, yy - cy) < r - 3
    assert (red.seal[disc] > 0).mean() > 0.95  # the whole seal is recognised as one
    seal_ink = (to_gray(mixed) < 160) & (to_gray(clean) > 250)
    assert seal_ink.sum() > 2000  # the seal really printed
    assert red.gray[seal_ink].min() > 170  # and it is gone
    layout = analyse_page(mixed, reader=reader)
    assert len(layout.lines) == 1
    assert iou(layout.lines[0].box, box) > 0.7
    (text,) = [x.text for x in reader.read([ln.image for ln in layout.lines])]
    assert sum(a == b for a, b in zip(text, "二〇二四年三月十五日")) >= 8, text


def test_a_seal_ring_cut_by_bold_black_text_is_still_one_seal():
    # Ink on ink prints black: where a bold date crosses the ring, the red ring is cut in two arcs.
    from archiver.vision.red import red_mask, separate_red

    img = Image.new("RGB", (1000, 600), WHITE)
    ImageDraw.Draw(img).text((200, 270), "二〇二四年三月十五日", font=font(60), fill=BLACK, stroke_width=2,
                             stroke_fill=BLACK)
    seal = Image.new("RGB", img.size, WHITE)
    cx, cy, r = 500, 300, 150
    ImageDraw.Draw(seal).ellipse((cx - r, cy - r, cx + r, cy + r), outline=(215, 35, 40), width=9)
    mixed = (np.asarray(img).astype(np.uint16) * np.asarray(seal) // 255).astype(np.uint8)
    n, _ = cv2.connectedComponents(red_mask(mixed))
    assert n - 1 >= 2  # the red alone is no ring
    yy, xx = np.mgrid[:600, :1000]
    disc = np.hypot(xx - cx, yy - cy) < r - 3
    red = separate_red(mixed)
    assert (red.seal[disc] > 0).mean() > 0.95
    ring = (np.abs(np.hypot(xx - cx, yy - cy) - r + 4) < 3) & (to_gray(np.asarray(img)) > 250)
    assert red.gray[ring].min() > 170  # the ring is gone, the date is not
    assert red.gray[to_gray(np.asarray(img)) < 50].mean() < 60


def test_seal_on_a_faded_jpeg_scan_is_lifted_to_paper_and_the_date_stays_dark():
    # A scan's JPEG keeps colour at half resolution: the seal's thin red strokes come out greyish and fail
    # a redness test, so only masking red pixels left them on the page as grey ink over the date.
    from bench.scansim import simulate
    from archiver.vision.red import separate_red

    mixed, clean, _, _ = ring_seal_over_date()
    seal_ink = (to_gray(mixed) < 160) & (to_gray(clean) > 250)
    text_ink = to_gray(clean) < 80
    for seed in range(3):
        gray = separate_red(simulate(mixed, "office", seed)).gray
        paper = np.median(gray)
        assert np.percentile(gray[seal_ink], 5) > 0.8 * paper, seed
        assert np.median(gray[text_ink]) < 0.6 * paper, seed


@pytest.mark.parametrize("last", ["告", "吕"])
def test_a_wrapped_titles_last_character_alone_on_its_line_stays_one_line(last):
    # Title type is larger than the body's, so 告 (𠂉土 over 口) falls into two line-tall pieces.
    img = Image.new("RGB", (1400, 900), WHITE)
    d = ImageDraw.Draw(img)
    d.text((300, 60), "湖南省水利厅关于森林防火有关事项的公", font=font(50), fill=BLACK)
    d.text((660, 140), last, font=font(50), fill=BLACK)
    glyph = d.textbbox((660, 140), last, font=font(50))
    for i, t in enumerate(BODY):
        d.text((120, 240 + i * 70), t, font=font(36), fill=BLACK)
    boxes = find_lines(binarise(to_gray(np.asarray(img))))
    assert len(boxes) == 2 + len(BODY)
    x0, y0, x1, y1 = boxes[1]
    assert iou(boxes[1], glyph) > 0.6 and y1 - y0 >= 0.85 * (glyph[3] - glyph[1])


def test_a_speck_beside_a_line_does_not_make_its_box_taller():
    # The recogniser scales every line to one height: a box made taller by dust shows it smaller text.
    img = Image.new("RGB", (1400, 700), WHITE)
    d = ImageDraw.Draw(img)
    for i, t in enumerate(BODY[:3]):
        d.text((120, 100 + i * 110), t, font=font(36), fill=BLACK)
    d.text((120, 430), "minimum joining", font=font(36), fill=BLACK)
    d.text((120, 560), "抄送：市委办公厅，市人大常委会办公厅。", font=font(26), fill=BLACK)  # smaller type (版记)
    small = d.textbbox((120, 560), "抄送：市委办公厅，市人大常委会办公厅。", font=font(26))
    clean = to_gray(np.asarray(img))
    latin_top = int(np.flatnonzero((clean[400:500, 100:500] < 128).any(axis=1))[0]) + 400
    ink = [d.textbbox((120, 100 + i * 110), t, font=font(36)) for i, t in enumerate(BODY[:2])]
    a = np.asarray(img).copy()
    cv2.circle(a, (400, ink[0][1] - 8), 2, (0, 0, 0), -1)  # above the first line
    cv2.circle(a, (ink[1][0] - 10, ink[1][1] + 105), 2, (0, 0, 0), -1)  # above and before the third
    cv2.circle(a, (300, small[1] - 7), 2, (0, 0, 0), -1)
    boxes = find_lines(binarise(to_gray(a)))
    assert len(boxes) == 5
    assert boxes[0][1] >= ink[0][1] - 1  # the speck above is left out
    assert boxes[2][0] >= 118 and boxes[2][1] >= ink[1][1] + 109
    assert boxes[3][1] <= latin_top + 1  # the dots of i and j are no specks
    assert boxes[4][1] >= small[1] - 1


def header_page():
    """A 公文 head: the issuer in big red type, a red rule, then black text."""
    img = Image.new("RGB", (1400, 1100), WHITE)
    d = ImageDraw.Draw(img)
    red = (225, 25, 30)
    d.text((260, 100), "普陀区司法局文件", font=font(110), fill=red)
    head = d.textbbox((260, 100), "普陀区司法局文件", font=font(110))
    d.line([(120, 330), (1280, 330)], fill=red, width=5)
    for i, t in enumerate(BODY[:3]):
        d.text((120, 420 + i * 110), t, font=font(36), fill=BLACK)
    return np.asarray(img), head


def test_red_header_is_kept_as_a_line_and_the_red_rule_is_not(reader):
    rgb, head = header_page()
    layout = analyse_page(rgb, reader=reader)
    assert len(layout.lines) == 4  # header + three body lines; the rule is no line
    first = layout.lines[0]
    assert iou(first.box, head) > 0.7
    assert first.image.min() < 100  # red became dark ink in the crop, as the recogniser expects
    text = reader.read([first.image])[0].text
    assert sum(c in text for c in "普陀区司法局") >= 5, text


def test_grey_scan_is_passed_through():
    from archiver.vision.red import separate_red

    mixed, _, _, _ = ring_seal_over_date()
    grey = to_gray(mixed)
    red = separate_red(np.stack([grey] * 3, axis=2))
    assert not red.colour and not red.seal.any()
    assert np.array_equal(red.gray, grey)  # nothing can be told apart by colour, nothing is changed


def test_two_columns_are_read_one_after_the_other():
    img = Image.new("RGB", (1600, 1000), WHITE)
    d = ImageDraw.Draw(img)
    f = font(30)
    left = ["左栏第一行文字内容较长一些", "左栏第二行文字内容较长一些", "左栏第三行文字内容较长一些", "左栏第四行文字内容较长一些"]
    right = ["右栏第一行文字内容较长一些", "右栏第二行文字内容较长一些", "右栏第三行文字内容较长一些", "右栏第四行文字内容较长一些"]
    d.text((500, 80), "两栏排版的标题", font=f, fill=BLACK)
    for i, (a, b) in enumerate(zip(left, right)):
        d.text((100, 200 + i * 80), a, font=f, fill=BLACK)
        d.text((880, 200 + i * 80), b, font=f, fill=BLACK)
    d.text((760, 900), "- 1 -", font=f, fill=BLACK)
    layout = analyse_page(np.asarray(img))
    xs = [ln.box[0] for ln in layout.lines]
    assert len(xs) == 10
    assert 450 < xs[0] < 550  # the title first
    assert all(x < 200 for x in xs[1:5]) and all(x > 800 for x in xs[5:9])  # left column, then right
    assert 700 < xs[9] < 800  # the page number kept, last


def test_two_column_table_without_rules_is_still_read_row_by_row():
    from archiver.vision.order import reading_order

    rows = [(100, 100 + 50 * i, 500, 130 + 50 * i) for i in range(6)]
    cells = [b for r in rows for b in (r, (900, r[1], 1300, r[3]))]
    # Cells as wide as prose lines but in a ruled table: the rule in the gutter keeps rows together.
    ruled = np.zeros((800, 1400), np.uint8)
    ruled[90:420, 700:702] = 1
    import cv2

    order = reading_order(cells, 30.0, cv2.integral(ruled))
    assert order == sorted(cells, key=lambda b: (b[1], b[0]))


def test_dust_is_removed_but_punctuation_stays():
    rgb, _ = text_page(lines=["现将有关事项通知如下。", "各区、各部门，"], size=36, h=600)
    dusty = rgb.copy()
    rng = np.random.default_rng(3)
    for y, x in zip(rng.integers(350, 590, 40), rng.integers(20, 1380, 40)):
        dusty[y:y + 3, x:x + 3] = 30  # specks on the empty lower half
    clean_lines = analyse_page(rgb).lines
    lines = analyse_page(dusty).lines
    assert len(lines) == len(clean_lines) == 2
    for a, b in zip(lines, clean_lines):
        assert a.box == b.box  # the 。 and 、 still reach the box edges


def test_blank_dusty_scan_has_no_lines():
    from bench.scansim import simulate

    page = simulate(np.full((1100, 800, 3), 255, np.uint8), "office", seed=5, rotate=1.5)
    assert analyse_page(page).lines == ()


def test_huge_image_is_analysed_at_a_bounded_size_and_boxes_come_back_full_size():
    rgb, expected = text_page()
    big = np.asarray(Image.fromarray(rgb).resize((rgb.shape[1] * 3, rgb.shape[0] * 3), Image.BILINEAR))
    layout = analyse_page(big, max_pixels=rgb.shape[0] * rgb.shape[1] * 2)
    assert layout.scale < 1.0 and layout.image.size <= rgb.shape[0] * rgb.shape[1] * 2
    assert len(layout.lines) == len(BODY)
    for line, want in zip(layout.lines, expected):
        assert iou(line.page_box, tuple(3 * v for v in want)) > 0.7


def test_bench_maps_found_boxes_back_onto_the_clean_page(reader):
    from bench.page import Scan, levenshtein, page_boxes

    rgb, expected = text_page()
    scan = Scan("doc", 1, angle=2.4, turns=3)
    layout = analyse_page(scan.apply(rgb), reader=reader)
    assert layout.quarter_turns == 1 and abs(layout.angle - 2.4) <= 0.15
    boxes = page_boxes(layout, scan, rgb.shape[:2])
    assert len(boxes) == len(expected)
    for got, want in zip(boxes, expected):
        assert iou(tuple(got), want) > 0.7, (got, want)
    assert levenshtein("国务院办公厅关于", "国务院关于通知") == 5  # 办公厅 out, 通知 in


# --- which way up from the punctuation (no reading) ------------------------------------------------

PUNCTUATED = ["为做好档案工作，现将有关事项通知如下。", "一、各单位要高度重视，认真组织，按时完成。", "二、做好收集、整理、鉴定和移交。",
              "三、加强保管，确保安全，防止损毁。", "请各单位于年底前报送，逾期不候。"]


class CountingReader:
    """A recogniser that counts what it is asked to read (and reads everything as unsure)."""

    def __init__(self):
        self.crops = 0

    def read(self, images):
        from archiver.ocr.recognizer import Reading

        self.crops += len(images)
        return [Reading("", 0.1) for _ in images]


def _binary_and_lines(rgb):
    b = binarise(to_gray(rgb))
    return b, find_lines(b)


def test_punctuation_tells_an_upright_page_from_an_upside_down_one():
    from archiver.vision.orient import mark_votes, upright_by_marks

    rgb = page_image(PUNCTUATED)
    b, lines = _binary_and_lines(rgb)
    low, high = mark_votes(b, lines)
    assert low >= 10 and high <= 1, (low, high)  # ，。、 print low in the line
    assert upright_by_marks(b, lines) is True
    b2, lines2 = _binary_and_lines(np.ascontiguousarray(rgb[::-1, ::-1]))
    assert upright_by_marks(b2, lines2) is False


def test_quotation_marks_and_unpunctuated_lines_do_not_decide():
    from archiver.vision.orient import upright_by_marks

    for text in (["“三公”经费支出“一般公共预算”", "“三公”经费“机关运行”经费"] * 3,  # quotes print high
                 ["二〇二四年部门预算表", "一般公共预算财政拨款支出表", "基本支出项目支出合计"] * 2):
        b, lines = _binary_and_lines(page_image(text))
        assert upright_by_marks(b, lines) is None, text


def test_an_upside_down_punctuated_page_is_turned_without_reading_a_line():
    counting = CountingReader()
    rgb = page_image(PUNCTUATED)
    layout = analyse_page(np.ascontiguousarray(rgb[::-1, ::-1]), reader=counting)
    assert layout.quarter_turns == 2 and len(layout.lines) == len(PUNCTUATED)
    assert counting.crops == 0  # the marks settled it: no orientation reads
    assert analyse_page(np.ascontiguousarray(rgb[::-1, ::-1])).quarter_turns == 2  # with no reader at all
    unsure = CountingReader()
    analyse_page(page_image(["二〇二四年部门预算表", "一般公共预算财政拨款支出表", "基本支出项目支出合计"] * 2), reader=unsure)
    assert unsure.crops > 0  # no marks: the reader is asked


def test_pieces_found_while_despeckling_are_the_pages_own():
    """despeckled hands its connected pieces on (text height, text direction): they must be what a fresh
    labelling of the despeckled page finds, with the dust taken off, so sharing them changes nothing."""
    from archiver.vision.orient import direction_ratio
    from archiver.vision.pieces import find_pieces
    from archiver.vision.preprocess import despeckled
    from archiver.vision.segment import text_height

    rgb = text_page()[0].copy()
    rng = np.random.default_rng(3)
    for y, x in zip(rng.integers(0, rgb.shape[0], 40), rng.integers(0, rgb.shape[1], 40)):
        cv2.circle(rgb, (int(x), int(y)), 2, (0, 0, 0), -1)  # dust on the paper
    page, pieces = despeckled(binarise(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)))
    fresh = find_pieces(page)
    _, shared_stats = pieces.live_stats()
    _, fresh_stats = fresh.live_stats()
    assert len(shared_stats) < len(pieces.stats) - 1  # some dust was taken off
    assert np.array_equal(shared_stats, fresh_stats)
    assert np.array_equal(pieces.labels > 0, page > 0)
    assert text_height(page, pieces) == text_height(page) > 0
    assert direction_ratio(page, None, pieces) == direction_ratio(page) > 1.25
