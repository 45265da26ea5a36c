"""bench.ocr_rendered: real gongwen-real text cut into lines, rendered, scanned and read, printed as a table."""
from __future__ import annotations

import numpy as np
from PIL import ImageFont

from bench import ocr_rendered
from training.fonts import by_name


def test_lines_are_real_paragraph_text_cut_to_length():
    lines = ocr_rendered.real_lines()
    assert len(lines) > 1000
    assert all(ocr_rendered.MIN_CHARS <= len(t) <= ocr_rendered.LINE_CHARS and not any(c.isspace() for c in t)
               for t in lines)
    assert ocr_rendered.sample(5, 3) == ocr_rendered.sample(5, 3) != ocr_rendered.sample(5, 4)


def test_a_hanzi_line_is_centred_in_its_box():
    face = ImageFont.truetype(str(by_name("Noto Serif SC").path), ocr_rendered.FONT_PX, index=by_name("Noto Serif SC").index)
    img = ocr_rendered.render("国务院办公厅关于", face)
    rows = np.where(img.min(axis=(1, 2)) < 128)[0]
    assert img.shape[0] == round(ocr_rendered.FONT_PX * ocr_rendered.BOX_EM)
    assert abs((rows[0] + rows[-1]) / 2 - (img.shape[0] - 1) / 2) <= 1.5
    assert 0.55 < (rows[-1] - rows[0] + 1) / img.shape[0] < 0.75  # as much of the box as in gov-dev's
    small = ocr_rendered.render("国务院办公厅关于", ImageFont.truetype(str(by_name("Noto Serif SC").path), 25,
                                                                  index=by_name("Noto Serif SC").index), 25)
    assert small.shape[0] == round(25 * ocr_rendered.BOX_EM) and small.shape[1] < img.shape[1] * 0.65


def test_the_benchmark_reads_and_writes_its_table(tmp_path, capsys):
    out = tmp_path / "bench.md"
    ocr_rendered.main(["--lines", "8", "--levels", "clean", "--lm-weights", "0.3", "0.5", "--threads", "1",
                       "--out", str(out)])
    rows = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("| clean |")]
    assert [r.split("|")[2].strip() for r in rows] == ["ours-int8+lm 0.3", "ours-int8+lm 0.5"]
    assert all(float(r.split("|")[3].strip().rstrip("%")) < 5.0 for r in rows)  # clean lines read nearly exactly
    text = out.read_text(encoding="utf-8")
    assert "<!-- ocr-rendered -->" in text and "ours-int8+lm 0.5" in text
