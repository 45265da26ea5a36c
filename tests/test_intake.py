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


def test_a_pdf_is_rasterised_a_few_pages_per_run_with_its_text_layer_read_once(tmp_path, monkeypatch):
    """Mixed pages (text layer, five image-only pages, text layer) come out in order, each at its dpi,
    with one pdftotext run for the document and one pdftoppm run per RENDER_RUN pages of a kind."""
    import subprocess

    from PIL import Image as PILImage
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    from archiver.ingest import intake, rasterize

    from .support.helpers import page_image, text_pdf

    text_pdf(tmp_path / "t.pdf", [["第一页文字层内容"]])  # registers the font
    scan = tmp_path / "scan.png"
    PILImage.fromarray(page_image(["扫描页"], height=600)).save(scan)
    path = tmp_path / "mixed.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    for k in range(7):
        if k in (0, 6):
            c.setFont("WQY", 16)
            c.drawString(72, 700, f"第{k + 1}页的文字层内容")
        else:
            c.drawImage(ImageReader(str(scan)), 40, 300, 500, 180)
        c.showPage()
    c.save()
    calls = []  # every program started (subprocess.run starts its process through Popen too)
    real_popen = subprocess.Popen

    class Popen(real_popen):
        def __init__(self, cmd, *a, **kw):
            calls.append(cmd[0] if "-v" not in cmd else f"{cmd[0]} -v")  # pdf2image asks the version first
            super().__init__(cmd, *a, **kw)

    import pdf2image.pdf2image

    monkeypatch.setattr(subprocess, "Popen", Popen)
    monkeypatch.setattr(pdf2image.pdf2image, "Popen", Popen)  # it took its own name for Popen at import
    pages = list(rasterize.pages(intake.take_in(path), 200, True, max_pages=10, max_pixels=80_000_000))
    assert [p.number for p in pages] == list(range(1, 8))
    assert [p.text_lines is not None for p in pages] == [True, False, False, False, False, False, True]
    assert pages[0].text_lines[0].text == "第1页的文字层内容"
    widths = [p.image.shape[1] for p in pages]  # A4 is 8.27 in wide: 827 px at 100 dpi, 1654 at 200
    assert widths == [827, 1654, 1654, 1654, 1654, 1654, 827]
    assert calls.count("pdftotext") == 1
    assert calls.count("pdftoppm") == 4, calls  # page 1; pages 2-5; page 6; page 7
