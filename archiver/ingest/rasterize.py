"""Pages of a PDF or image file: an RGB image each, plus the lines of the PDF text layer if any.

PDF pages are rendered one at a time (poppler through pdf2image) so a long document never sits
whole in memory. Text-layer lines come from poppler's `pdftotext -bbox-layout`."""
from __future__ import annotations

import html
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image, ImageSequence, UnidentifiedImageError

from archiver.document import Line, SourceFile
from archiver.errors import CorruptFile

TEXT_LAYER_DPI = 100  # pages read from their text layer only need an image for thumbnail and hash
MIN_TEXT_CHARS = 5


@dataclass(frozen=True)
class RasterPage:
    number: int
    image: np.ndarray  # RGB uint8
    text_lines: tuple[Line, ...] | None  # from the PDF text layer, in image pixels; None: needs OCR


def pdf_page_count(path: Path) -> int:
    from pdf2image import pdfinfo_from_path
    from pdf2image.exceptions import PDFPageCountError, PDFSyntaxError

    try:
        return int(pdfinfo_from_path(str(path))["Pages"])
    except (PDFPageCountError, PDFSyntaxError, KeyError, ValueError) as exc:
        raise CorruptFile(f"{path.name}: unreadable PDF ({str(exc).strip().splitlines()[-1] if str(exc).strip() else 'no pages'})") from None


_LINE = re.compile(r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</line>', re.S)
_WORD = re.compile(r"<word[^>]*>(.*?)</word>", re.S)
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')


def _join_words(words: list[str]) -> str:
    """Words of one line: no space between CJK neighbours, one space otherwise."""
    out = ""
    for w in words:
        if out and not (_is_cjk(out[-1]) or _is_cjk(w[0])):
            out += " "
        out += w
    return out


def _is_cjk(ch: str) -> bool:
    return ord(ch) >= 0x2E80


def text_layer(path: Path, page: int, scale: float) -> tuple[Line, ...]:
    """Lines of one PDF page's text layer with boxes scaled from points to pixels."""
    try:
        res = subprocess.run(["pdftotext", "-bbox-layout", "-f", str(page), "-l", str(page), str(path), "-"],
                             capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    doc = res.stdout.decode("utf-8", "replace")
    lines = []
    for m in _LINE.finditer(doc):
        words = [html.unescape(w).strip() for w in _WORD.findall(m.group(5))]
        text = _join_words([w for w in words if w])
        if not text:
            continue
        x0, y0, x1, y1 = (float(v) * scale for v in m.groups()[:4])
        lines.append(Line(text=text, box=(int(x0), int(y0), int(round(x1)), int(round(y1))), confidence=1.0))
    return tuple(lines)


def _render(path: Path, page: int, dpi: int) -> np.ndarray:
    from pdf2image import convert_from_path
    from pdf2image.exceptions import PDFPageCountError, PDFSyntaxError

    try:
        images = convert_from_path(str(path), dpi=dpi, first_page=page, last_page=page)
    except (PDFPageCountError, PDFSyntaxError) as exc:
        raise CorruptFile(f"{path.name}: page {page} cannot be rendered") from exc
    if not images:
        raise CorruptFile(f"{path.name}: page {page} cannot be rendered")
    return np.asarray(images[0].convert("RGB"))


def pdf_pages(path: Path, dpi: int, use_text_layer: bool, max_pages: int) -> Iterator[RasterPage]:
    count = pdf_page_count(path)
    if count > max_pages:
        raise CorruptFile(f"{path.name}: {count} pages is over the limit of {max_pages} (intake.max_pages)")
    for number in range(1, count + 1):
        if use_text_layer:
            lines = text_layer(path, number, TEXT_LAYER_DPI / 72.0)
            if sum(len(ln.text.replace(" ", "")) for ln in lines) >= MIN_TEXT_CHARS:
                yield RasterPage(number, _render(path, number, TEXT_LAYER_DPI), lines)
                continue
        yield RasterPage(number, _render(path, number, dpi), None)


def image_pages(path: Path, max_pages: int) -> Iterator[RasterPage]:
    """Frames of an image file (a multi-page TIFF gives several)."""
    try:
        with Image.open(path) as im:
            for number, frame in enumerate(ImageSequence.Iterator(im), start=1):
                if number > max_pages:
                    raise CorruptFile(f"{path.name}: more than {max_pages} pages (intake.max_pages)")
                yield RasterPage(number, np.asarray(frame.convert("RGB")), None)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CorruptFile(f"{path.name}: cannot decode image ({exc})") from None


def pages(source: SourceFile, dpi: int, use_text_layer: bool = True, max_pages: int = 2000) -> Iterator[RasterPage]:
    """Every page of the source, in order."""
    if source.kind == "pdf":
        return pdf_pages(source.path, dpi, use_text_layer, max_pages)
    return image_pages(source.path, max_pages)
