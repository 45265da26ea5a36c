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


def press_seal(rgb: np.ndarray, cx: int, cy: int, radius: int, name: str = "某某市档案局") -> np.ndarray:
    """The page with a round red seal pressed on it at (cx, cy): a ring, a star and the organ's name
    round the top, red over what is there (multiplied, as ink on ink prints)."""
    seal = Image.new("RGB", (2 * radius, 2 * radius), "white")
    d = ImageDraw.Draw(seal)
    red = (205, 30, 35)
    d.ellipse((4, 4, 2 * radius - 4, 2 * radius - 4), outline=red, width=max(3, radius // 14))
    r = radius * 0.28
    pts = [(radius + (r if k % 2 == 0 else r * 0.4) * np.sin(np.pi * k / 5),
            radius - (r if k % 2 == 0 else r * 0.4) * np.cos(np.pi * k / 5)) for k in range(10)]
    d.polygon(pts, fill=red)
    font = ImageFont.truetype(str(FONT_TTC), max(10, radius // 4), index=0)
    for k, ch in enumerate(name):
        a = -1.9 + 3.8 * (k + 0.5) / len(name)
        x, y = radius + radius * 0.72 * np.sin(a), radius - radius * 0.72 * np.cos(a)
        d.text((x, y), ch, font=font, fill=red, anchor="mm")
    out = np.asarray(rgb).copy()
    x0, y0 = cx - radius, cy - radius
    region = out[y0:y0 + 2 * radius, x0:x0 + 2 * radius].astype(np.float32)
    out[y0:y0 + 2 * radius, x0:x0 + 2 * radius] = (region * np.asarray(seal, np.float32) / 255).astype(np.uint8)
    return out
