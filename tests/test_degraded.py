"""Scans as they really come (issue 19): lines set solid, small type, grey-filled table rows.

Pages are drawn at test time in a font the recogniser was trained on and damaged by bench.scansim;
the shipped recogniser reads what page analysis cuts out."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from archiver.ocr.metrics import edit_distance
from archiver.ocr.recognizer import Recognizer
from archiver.vision import analyse_page, binarise, normalise_background, text_height, to_gray
from bench.scansim import simulate

from .support.helpers import SERIF

PARAGRAPH = [
    "根据政府信息公开条例第五十条规定，现公布本机关年度报告。",
    "本报告由总体情况、主动公开政府信息情况等部分组成。",
    "所列数据的统计期限自一月一日起至十二月三十一日止。",
    "各部门要切实加强组织领导，健全工作机制，确保落到实处。",
    "如对本报告有疑问，请与区政府办公室联系，欢迎监督。",
]
CELLS = [["项目", "申请数量", "办理结果"], ["一、本年新收申请", "128", "已答复"],
         ["二、上年结转申请", "35", "已答复"], ["合计", "163", "全部办结"]]


@pytest.fixture(scope="module")
def reader():
    return Recognizer(threads=1)


def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(SERIF), size, index=2)


def paragraph(leading: float, size: int = 40, scale: float = 1.0) -> np.ndarray:
    """The paragraph with `leading` em from one line to the next (1.0: set solid), at 200 dpi x scale."""
    img = Image.new("RGB", (int(1654 * scale), int(900 * scale)), "white")
    d = ImageDraw.Draw(img)
    f = font(int(size * scale))
    for i, line in enumerate(PARAGRAPH):
        d.text((int(100 * scale), int((100 + i * size * leading) * scale)), line, font=f, fill=(15, 15, 15))
    return np.asarray(img)


def table(fill: int, scale: float = 1.0) -> np.ndarray:
    """A ruled 4 x 3 table whose header row is filled grey (fill level) and whose total row a lighter grey."""
    img = Image.new("RGB", (int(1654 * scale), int(900 * scale)), "white")
    d = ImageDraw.Draw(img)
    f = font(int(30 * scale))
    cols = [int(x * scale) for x in (100, 600, 1000, 1400)]
    rows = [int(y * scale) for y in (100, 170, 240, 310, 380)]
    d.rectangle((cols[0], rows[0], cols[-1], rows[1]), fill=(fill,) * 3)
    d.rectangle((cols[0], rows[3], cols[-1], rows[4]), fill=(fill + 25,) * 3)
    for x in cols:
        d.line((x, rows[0], x, rows[-1]), fill=(0, 0, 0), width=max(1, int(2 * scale)))
    for y in rows:
        d.line((cols[0], y, cols[-1], y), fill=(0, 0, 0), width=max(1, int(2 * scale)))
    for r, row in enumerate(CELLS):
        for c, text in enumerate(row):
            d.text((cols[c] + 20 * scale, rows[r] + 18 * scale), text, font=f, fill=(10, 10, 10))
    return np.asarray(img)


def cer(read: list[str], truth: list[str]) -> float:
    a, b = "".join(read), "".join(truth)
    return edit_distance(a, b) / len(b)


@pytest.mark.parametrize("leading", [1.0, 0.95])
@pytest.mark.parametrize("level", ["clean", "poor"])
def test_a_paragraph_set_solid_is_read_line_by_line(reader, leading, level):
    """No empty row between the lines, characters touching the line above: each line is still cut out
    and read."""
    layout = analyse_page(simulate(paragraph(leading), level, seed=1), reader=reader)
    assert len(layout.lines) == len(PARAGRAPH)
    readings = reader.read([ln.image for ln in layout.lines])
    assert min(r.confidence for r in readings) > 0.5
    assert cer([r.text for r in readings], PARAGRAPH) < 0.05


def test_overlapping_lines_are_cut_into_lines_not_dropped(reader):
    """At 0.9 em the lines overlap and no row separates them: the block is cut into bands of the text
    height, one per line (read less well, but not lost as one unreadable block)."""
    layout = analyse_page(simulate(paragraph(0.9), "clean", seed=1), reader=reader)
    assert len(layout.lines) == len(PARAGRAPH)
    readings = reader.read([ln.image for ln in layout.lines])
    assert cer([r.text for r in readings], PARAGRAPH) < 0.25


def test_characters_touching_the_next_line_do_not_make_the_text_taller():
    page = paragraph(0.9)
    b = binarise(normalise_background(to_gray(page)))
    spaced = binarise(normalise_background(to_gray(paragraph(1.5))))
    assert abs(text_height(b) - text_height(spaced)) <= 0.1 * text_height(spaced)


def test_a_line_of_big_type_is_not_cut_into_bands(reader):
    """Only body text is cut by its profile: a title twice the body size stays one line."""
    img = Image.new("RGB", (1654, 700), "white")
    d = ImageDraw.Draw(img)
    d.text((200, 100), "上海市普陀区人民政府文件", font=font(90), fill=(10, 10, 10))
    for i, line in enumerate(PARAGRAPH[:3]):
        d.text((100, 300 + 70 * i), line, font=font(36), fill=(10, 10, 10))
    layout = analyse_page(np.asarray(img), reader=reader)
    assert len(layout.lines) == 4
    assert reader.read([layout.lines[0].image])[0].text == "上海市普陀区人民政府文件"


@pytest.mark.parametrize("fill", [200, 170])
@pytest.mark.parametrize("level", ["office", "poor"])
def test_a_table_with_a_grey_header_row_is_read_cell_by_cell(reader, fill, level):
    """The fill is flattened to paper up to the rules: no band of it is taken for a line, and the text
    on it is cut and read like any other cell."""
    layout = analyse_page(simulate(table(fill), level, seed=3), reader=reader)
    texts = [r.text for r in reader.read([ln.image for ln in layout.lines])]
    assert len(texts) == 12
    if level == "office":
        # The two filled rows, word for word (a speck of dust beside a cell may come out as a point).
        assert [t.rstrip("。.") for t in texts[:3] + texts[9:]] == CELLS[0] + CELLS[3]
        assert cer(texts, [c for row in CELLS for c in row]) < 0.05
    else:  # a fax-like copy: no cell lost or merged, look-alikes here and there (measured CER 0.11-0.15)
        assert cer(texts, [c for row in CELLS for c in row]) < 0.2


def test_the_grey_fill_of_a_table_row_becomes_paper_up_to_its_rules():
    g = normalise_background(to_gray(table(170)))
    inside = g[106:118, 300:500]  # the header row's fill just below its top rule, away from the text
    assert inside.min() > 200


def test_a_page_scanned_at_100_dpi_is_enlarged_and_read(reader):
    page = simulate(paragraph(1.6, size=34, scale=0.5), "clean", seed=2)  # 12 pt at 100 dpi: 17 px type
    layout = analyse_page(page, reader=reader)
    assert layout.scale > 1.5  # analysed at about 200 dpi
    assert len(layout.lines) == len(PARAGRAPH)
    readings = reader.read([ln.image for ln in layout.lines])
    assert cer([r.text for r in readings], PARAGRAPH) < 0.03
    # boxes come back on the 100 dpi image as given
    h, w = page.shape[:2]
    assert all(0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h for x0, y0, x1, y1 in (ln.page_box for ln in layout.lines))
    top = layout.lines[0].page_box
    assert abs(top[1] - 50) <= 6 and abs(top[0] - 50) <= 6
