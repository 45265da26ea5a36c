"""Inputs built at test time: text-layer PDFs, scanned-looking page images."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from training import fonts

FONT_TTC = fonts.path_of("WenQuanYi Zen Hei")  # TrueType outlines: reportlab can embed it
SERIF = fonts.path_of("Noto Serif SC")


def text_pdf(path: Path, pages: list[list[str]], size: int = 16) -> Path:
    """An A4 PDF with a real text layer: one list of lines per page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "WQY" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("WQY", str(FONT_TTC), subfontIndex=0))
    c = canvas.Canvas(str(path), pagesize=A4)
    for lines in pages:
        y = A4[1] - 80
        for line in lines:
            c.setFont("WQY", size)
            c.drawString(72, y, line)
            y -= size * 2
        c.showPage()
    c.save()
    return path


def page_image(lines: list[str], size: int = 44, width: int = 1654, height: int = 1000, margin: int = 120) -> np.ndarray:
    """A clean page image (RGB) with lines of text drawn in Noto Serif SC, 200-dpi-like scale."""
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(SERIF), size, index=2)
    y = margin
    for line in lines:
        d.text((margin, y), line, font=font, fill=(15, 15, 15))
        y += int(size * 1.9)
    return np.asarray(img)
