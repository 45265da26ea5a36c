"""`manage.py ocr`: the text of files, without storing anything."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, UnidentifiedImageError

from .errors import ArchiverError, CorruptFile, ExitCode, UnsupportedFile
from .ingest import intake, rasterize
from .pipeline import LineReader, make_reader, ocr_page
from .shown import shown


def _line_image(path: Path, max_pixels: int) -> np.ndarray:
    """A line image, opened as a regular file only (a pipe never blocks us) and refused over the pixel limit."""
    try:
        with os.fdopen(intake.open_regular(path), "rb") as f, Image.open(f) as im:
            rasterize.check_pixels(shown(path), "line image", im.width, im.height, max_pixels)
            return np.asarray(im.convert("L"))
    except intake.NotRegular as exc:
        raise UnsupportedFile(f"{shown(path)}: {exc.what}, not a file") from None
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise CorruptFile(f"{shown(path)}: cannot read as an image ({exc})") from None


def page_lines(src, settings, reader: Callable[[], LineReader], use_text_layer: bool | None = None):
    """(raster page, its lines) of each page of a source, under the daemon's limits: from the text layer
    where a PDF page has one (unless use_text_layer is False), else read by page analysis and the recogniser,
    which reader() gives the first time a page needs it (a text-layer PDF never loads it)."""
    i = settings.intake
    layer = i.use_text_layer if use_text_layer is None else use_text_layer
    for page in rasterize.pages(src, i.dpi, layer, max_pages=i.max_pages, max_pixels=i.max_page_pixels):
        yield page, (page.text_lines if page.text_lines is not None
                     else ocr_page(page.image, reader(), settings.ocr.min_confidence))


def read_pages(src, settings, reader: Callable[[], LineReader]) -> list[dict]:
    """Every page of a source as plain data: number, size, source and lines with boxes and confidences."""
    return [{"number": page.number, "width": int(page.image.shape[1]), "height": int(page.image.shape[0]),
             "source": "text-layer" if page.text_lines is not None else "ocr",
             "lines": [{"text": ln.text, "box": list(ln.box), "confidence": ln.confidence} for ln in lines]}
            for page, lines in page_lines(src, settings, reader)]


def run_ocr(args, settings) -> int:
    files = [Path(f) for f in args.files]
    for f in files:
        if not os.path.lexists(f):
            raise ArchiverError(f"{shown(f)}: no such file")
    reader = make_reader(settings)
    if args.lines:
        readings = reader.read([_line_image(f, settings.intake.max_page_pixels) for f in files])
        for f, r in zip(files, readings):
            print(f"{f}\t{r.text}\t{r.confidence:.3f}")
        return ExitCode.OK
    for f in files:
        # the same limits as the daemon's, checked from the headers before anything is decoded
        src = intake.take_in(f, max_bytes=int(settings.intake.max_file_mb * 2**20))
        if len(files) > 1:
            print(f"==> {f} <==")
        for page, lines in page_lines(src, settings, lambda: reader,
                                      settings.intake.use_text_layer and not args.force_ocr):
            if page.number > 1:
                print("\f", end="")
            for ln in lines:
                print(ln.text)
        sys.stdout.flush()
    return ExitCode.OK
