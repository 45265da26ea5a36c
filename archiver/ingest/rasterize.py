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
from archiver.shown import shown

TEXT_LAYER_DPI = 100  # pages read from their text layer only need an image for thumbnail and hash
MIN_TEXT_CHARS = 5


@dataclass(frozen=True)
class RasterPage:
    number: int
    image: np.ndarray  # RGB uint8
    text_lines: tuple[Line, ...] | None  # from the PDF text layer, in image pixels; None: needs OCR


def _pdf_error(path: Path, detail: str) -> CorruptFile:
    """poppler's complaint, as one line a user can act on."""
    last = detail.strip().splitlines()[-1] if detail.strip() else "no pages"
    if "password" in detail.lower() or "encrypt" in detail.lower():
        return CorruptFile(f"{shown(path.name)}: encrypted PDF: it needs a password to open ({last})")
    if "xref" in detail or "trailer" in detail:
        return CorruptFile(f"{shown(path.name)}: damaged or truncated PDF ({last})")
    return CorruptFile(f"{shown(path.name)}: unreadable PDF ({last})")


def pdf_page_count(path: Path) -> int:
    from pdf2image import pdfinfo_from_path
    from pdf2image.exceptions import PDFPageCountError, PDFSyntaxError

    try:
        return int(pdfinfo_from_path(str(path))["Pages"])
    except (PDFPageCountError, PDFSyntaxError, KeyError, ValueError) as exc:
        raise _pdf_error(path, str(exc)) from None


_SIZE = re.compile(r"^Page\s+(\d+) size:\s+([\d.]+) x ([\d.]+) pts", re.M)


def pdf_page_sizes(path: Path, count: int) -> dict[int, tuple[float, float]]:
    """Page number -> (width, height) in points, read by pdfinfo without rendering anything."""
    try:
        res = subprocess.run(["pdfinfo", "-f", "1", "-l", str(count), str(path)], capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        raise CorruptFile(f"{shown(path.name)}: pdfinfo took over 120 s to list the pages") from None
    if res.returncode != 0:
        raise _pdf_error(path, res.stderr.decode("utf-8", "replace"))
    return {int(m[1]): (float(m[2]), float(m[3])) for m in _SIZE.finditer(res.stdout.decode("utf-8", "replace"))}


def check_pixels(name: str, what: str, width: float, height: float, max_pixels: int) -> None:
    """Refuse a page before it is decoded when it would be larger than intake.max_page_pixels."""
    if width * height > max_pixels:
        raise CorruptFile(f"{name}: {what} is {width:.0f} × {height:.0f} = {width * height / 1e6:.0f} megapixels, "
                          f"over the limit of {max_pixels / 1e6:g} (intake.max_page_pixels)")


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


_CONTROL = {c: None for c in range(32) if chr(c) not in "\t\n\r"}


def _layer_lines(xml: str, scale: float) -> tuple[Line, ...]:
    """Lines of one page of `pdftotext -bbox-layout` output, boxes scaled from points to pixels."""
    lines = []
    for m in _LINE.finditer(xml):
        # Control characters are never text (a broken font's NUL would also be refused by PostgreSQL).
        words = [html.unescape(w).translate(_CONTROL).strip() for w in _WORD.findall(m.group(5))]
        text = _join_words([w for w in words if w])
        if not text:
            continue
        x0, y0, x1, y1 = (float(v) * scale for v in m.groups()[:4])
        lines.append(Line(text=text, box=(int(x0), int(y0), int(round(x1)), int(round(y1))), confidence=1.0))
    return tuple(lines)


_PAGE = re.compile(r"<page\b[^>]*>(.*?)</page>", re.S)


def text_layers(path: Path, count: int, scale: float) -> list[tuple[Line, ...]]:
    """Every page's text-layer lines, from one pdftotext run over the whole document (a page without
    text, or a run that fails, gives no lines)."""
    try:
        res = subprocess.run(["pdftotext", "-bbox-layout", "-f", "1", "-l", str(count), str(path), "-"],
                             capture_output=True, timeout=60 + count)
    except (OSError, subprocess.TimeoutExpired):
        return [()] * count
    pages = [_layer_lines(m.group(1), scale) for m in _PAGE.finditer(res.stdout.decode("utf-8", "replace"))]
    return (pages + [()] * count)[:count]


RENDER_RUN = 4  # pages rendered by one pdftoppm run: one process per few pages, a few pages in memory


def _render(path: Path, first: int, last: int, dpi: int) -> list[np.ndarray]:
    from pdf2image import convert_from_path
    from pdf2image.exceptions import PDFPageCountError, PDFSyntaxError

    try:
        images = convert_from_path(str(path), dpi=dpi, first_page=first, last_page=last)
    except (PDFPageCountError, PDFSyntaxError) as exc:
        raise CorruptFile(f"{shown(path.name)}: pages {first}–{last} cannot be rendered") from exc
    if len(images) != last - first + 1:
        raise CorruptFile(f"{shown(path.name)}: page {first + len(images)} cannot be rendered")
    return [np.asarray(im.convert("RGB")) for im in images]


def pdf_pages(path: Path, dpi: int, use_text_layer: bool, max_pages: int,
              max_pixels: int | None = None) -> Iterator[RasterPage]:
    """The pages of a PDF: its text layer read once for the whole document, and the pages rendered a few
    at a time, at TEXT_LAYER_DPI where the text layer carries the text (the image is only for the
    thumbnail and the hash) and at dpi where it has to be recognised."""
    count = pdf_page_count(path)
    if count > max_pages:
        raise CorruptFile(f"{shown(path.name)}: {count} pages is over the limit of {max_pages} (intake.max_pages)")
    if max_pixels is not None:  # every page is checked before the first is rendered: a bomb costs nothing
        for number, (w, h) in sorted(pdf_page_sizes(path, count).items()):
            check_pixels(shown(path.name), f"page {number} at {dpi} dpi", w * dpi / 72, h * dpi / 72, max_pixels)
    layers = text_layers(path, count, TEXT_LAYER_DPI / 72.0) if use_text_layer else [()] * count
    has_text = [sum(len(ln.text.replace(" ", "")) for ln in lines) >= MIN_TEXT_CHARS for lines in layers]
    number = 1
    while number <= count:
        last = number
        while last < count and last - number + 1 < RENDER_RUN and has_text[last] == has_text[number - 1]:
            last += 1
        images = _render(path, number, last, TEXT_LAYER_DPI if has_text[number - 1] else dpi)
        for k, image in enumerate(images, number):
            yield RasterPage(k, image, layers[k - 1] if has_text[k - 1] else None)
        number = last + 1


def image_frame_count(im: Image.Image, name: str, max_pages: int, max_pixels: int | None = None) -> int:
    """How many frames the open image has, walking the frame headers only (no pixel is decoded) and no
    further than max_pages + 1; CorruptFile when there are more, or a frame is over max_pixels."""
    count = 0
    try:
        while True:
            im.seek(count)
            count += 1
            if count > max_pages:
                raise CorruptFile(f"{name}: more than {max_pages} pages (intake.max_pages)")
            if max_pixels is not None:
                check_pixels(name, f"image frame {count}", im.width, im.height, max_pixels)
    except EOFError:
        pass
    im.seek(0)
    return count


def image_pages(path: Path, max_pages: int, max_pixels: int | None = None) -> Iterator[RasterPage]:
    """Frames of an image file (a multi-page TIFF gives several). The frame count and every frame's size are
    read from the headers, and checked against the limits, before the first frame is decoded."""
    try:
        with Image.open(path) as im:
            image_frame_count(im, shown(path.name), max_pages, max_pixels)
            for number, frame in enumerate(ImageSequence.Iterator(im), start=1):
                yield RasterPage(number, np.asarray(frame.convert("RGB")), None)
    except Image.DecompressionBombError as exc:  # Pillow's own guard fires in open(), before ours can
        m = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(m[1]) / 1e6:.0f} megapixels" if m else "too many pixels"
        limit = f"{max_pixels / 1e6:g}" if max_pixels else f"{Image.MAX_IMAGE_PIXELS * 2 / 1e6:.0f} (Pillow's)"
        raise CorruptFile(f"{shown(path.name)}: image of {size}, over the limit of {limit} (intake.max_page_pixels)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CorruptFile(f"{shown(path.name)}: cannot decode image ({exc})") from None


def page_count(source: SourceFile) -> int:
    """Pages of a source from its headers only: pdfinfo for a PDF, the frame headers of a TIFF."""
    if source.kind == "pdf":
        return pdf_page_count(source.path)
    try:
        with Image.open(source.path) as im:
            return image_frame_count(im, shown(source.name), max_pages=10**6)
    except (Image.DecompressionBombError, UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CorruptFile(f"{source.name}: cannot decode image ({exc})") from None


def pages(source: SourceFile, dpi: int, use_text_layer: bool, *, max_pages: int, max_pixels: int) -> Iterator[RasterPage]:
    """Every page of the source, in order; the limits (pages, pixels per page: intake.max_pages and
    max_page_pixels, required of every caller) are checked before decoding."""
    if source.kind == "pdf":
        return pdf_pages(source.path, dpi, use_text_layer, max_pages, max_pixels)
    return image_pages(source.path, max_pages, max_pixels)
