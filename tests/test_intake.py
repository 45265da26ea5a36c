"""Type by content, sha256, pages from PDFs (text layer or rendered) and images (multi-page TIFF)."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from archiver.config import Intake
from archiver.errors import CorruptFile, UnsupportedFile
from archiver.ingest.intake import take_in
from archiver.ingest.rasterize import pages

from .support.helpers import text_pdf


def read_pages(src, dpi: int) -> list:
    """Every page with the default limits (config Intake), as the pipeline reads them."""
    limits = Intake()
    return list(pages(src, dpi, limits.use_text_layer, max_pages=limits.max_pages, max_pixels=limits.max_page_pixels))


def test_type_is_sniffed_from_content_not_extension(tmp_path):
    p = tmp_path / "scan.pdf"  # really a PNG
    Image.new("RGB", (20, 10), "white").save(p, "PNG")
    src = take_in(p)
    assert src.kind == "png"
    assert src.sha256 == hashlib.sha256(p.read_bytes()).hexdigest()
    for fmt, kind in (("JPEG", "jpeg"), ("TIFF", "tiff"), ("BMP", "bmp")):
        q = tmp_path / f"x.{fmt}"
        Image.new("RGB", (20, 10), "white").save(q, fmt)
        assert take_in(q).kind == kind


def test_unsupported_and_empty_files(tmp_path):
    (tmp_path / "a.txt").write_text("hello")
    with pytest.raises(UnsupportedFile, match="not a PDF"):
        take_in(tmp_path / "a.txt")
    (tmp_path / "e.pdf").write_bytes(b"")
    with pytest.raises(CorruptFile, match="empty"):
        take_in(tmp_path / "e.pdf")


def test_text_layer_pdf_gives_lines_with_boxes(tmp_path):
    pdf = text_pdf(tmp_path / "t.pdf", [["关于做好防汛工作的通知", "国办发〔2024〕12号"], ["第二页"]])
    got = read_pages(take_in(pdf), 100)
    assert len(got) == 2
    texts = [ln.text for ln in got[0].text_lines]
    assert "关于做好防汛工作的通知" in texts and "国办发〔2024〕12号" in texts
    box = got[0].text_lines[0].box
    assert 0 <= box[0] < box[2] <= got[0].image.shape[1] and 0 <= box[1] < box[3] <= got[0].image.shape[0]


def test_pdf_without_text_layer_is_rendered_for_ocr(tmp_path):
    img = Image.new("RGB", (400, 300), "white")
    p = tmp_path / "scan.pdf"
    img.save(p, "PDF", resolution=100)
    got = read_pages(take_in(p), 150)
    assert len(got) == 1 and got[0].text_lines is None
    assert got[0].image.shape[0] == pytest.approx(450, abs=3)  # 3 inches at 150 dpi


def test_multipage_tiff(tmp_path):
    p = tmp_path / "m.tif"
    frames = [Image.new("RGB", (50, 40), c) for c in ("white", "black", "red")]
    frames[0].save(p, save_all=True, append_images=frames[1:])
    got = read_pages(take_in(p), 200)
    assert [g.number for g in got] == [1, 2, 3]
    assert got[1].image.mean() < 10 and all(g.text_lines is None for g in got)


def test_truncated_files_are_corrupt(tmp_path):
    p = tmp_path / "bad.pdf"
    p.write_bytes(b"%PDF-1.4\n1 0 obj garbage")
    with pytest.raises(CorruptFile):
        read_pages(take_in(p), 100)
    q = tmp_path / "bad.png"
    Image.new("RGB", (64, 64), "white").save(q, "PNG")
    q.write_bytes(q.read_bytes()[:40])
    with pytest.raises(CorruptFile):
        read_pages(take_in(q), 100)
