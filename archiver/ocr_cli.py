"""`manage.py ocr`: the text of files, without storing anything."""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from .errors import ArchiverError, CorruptFile
from .ingest import intake, rasterize
from .pipeline import make_reader, ocr_page


def _line_image(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("L"))
    except (UnidentifiedImageError, OSError) as exc:
        raise CorruptFile(f"{path}: cannot read as an image ({exc})") from None


def run_ocr(args, settings) -> int:
    files = [Path(f) for f in args.files]
    for f in files:
        if not f.is_file():
            raise ArchiverError(f"{f}: no such file")
    reader = make_reader(settings)
    if args.lines:
        readings = reader.read([_line_image(f) for f in files])
        for f, r in zip(files, readings):
            print(f"{f}\t{r.text}\t{r.confidence:.3f}")
        return 0
    intake_cfg = dataclasses.replace(settings.intake, use_text_layer=settings.intake.use_text_layer and not args.force_ocr)
    for f in files:
        src = intake.take_in(f)
        if len(files) > 1:
            print(f"==> {f} <==")
        for page in rasterize.pages(src, intake_cfg.dpi, intake_cfg.use_text_layer, intake_cfg.max_pages):
            lines = page.text_lines if page.text_lines is not None else ocr_page(page.image, reader, settings.ocr.min_confidence)
            if page.number > 1:
                print("\f", end="")
            for ln in lines:
                print(ln.text)
        sys.stdout.flush()
    return 0
