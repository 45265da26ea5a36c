"""Read gov-dev's ground truth and cut real line images from its PDFs rasterised at a given dpi."""
from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_CJK = re.compile(r"[\u4e00-\u9fff]")


def default_root() -> Path:
    """gov-dev beside the project (../shared/data/gov-dev), or $ARCHIVER_GOVDEV."""
    env = os.environ.get("ARCHIVER_GOVDEV")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gov-dev"


@dataclass(frozen=True)
class GtLine:
    doc: str
    page: int
    box_pt: tuple[float, float, float, float]
    font_size: float
    text: str

    @property
    def has_cjk(self) -> bool:
        return bool(_CJK.search(self.text))


def read_lines(root: Path) -> list[GtLine]:
    out = []
    with open(root / "lines.tsv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            out.append(GtLine(row["doc"], int(row["page"]),
                              (float(row["x0"]), float(row["y0"]), float(row["x1"]), float(row["y1"])),
                              float(row["font_size_pt"]), row["text"]))
    return out


def read_pages(root: Path) -> dict[tuple[str, int], str]:
    out = {}
    with open(root / "pages.tsv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            out[(row["doc"], int(row["page"]))] = row["text"].replace("\\n", "\n")
    return out


def rasterise(pdf: Path, dpi: int, first: int | None = None, last: int | None = None) -> list[np.ndarray]:
    """Pages of a PDF as RGB arrays (poppler via pdf2image)."""
    from pdf2image import convert_from_path

    pages = convert_from_path(str(pdf), dpi=dpi, first_page=first, last_page=last)
    return [np.asarray(p.convert("RGB")) for p in pages]


def crop(page: np.ndarray, box_pt: tuple[float, float, float, float], dpi: int) -> np.ndarray:
    s = dpi / 72.0
    x0, y0, x1, y1 = (int(round(v * s)) for v in box_pt)
    h, w = page.shape[:2]
    return page[max(0, y0):min(h, y1), max(0, x0):min(w, x1)]


def select(lines: list[GtLine], n_cjk: int, n_num: int, seed: int = 0) -> list[GtLine]:
    """A fixed, spread-out subset: n_cjk CJK-bearing lines and n_num others."""
    import random

    rng = random.Random(seed)
    usable = [ln for ln in lines if ln.text.strip() and ln.box_pt[2] > ln.box_pt[0] and ln.box_pt[3] > ln.box_pt[1]]
    cjk = [ln for ln in usable if ln.has_cjk]
    num = [ln for ln in usable if not ln.has_cjk]
    return rng.sample(cjk, min(n_cjk, len(cjk))) + rng.sample(num, min(n_num, len(num)))


def cut_lines(root: Path, lines: list[GtLine], dpi: int = 200, page_filter=None) -> list[tuple[GtLine, np.ndarray]]:
    """Rasterise the pages the lines are on and cut each line (RGB). page_filter(img, doc, page) may damage a page first."""
    by_page: dict[tuple[str, int], list[GtLine]] = {}
    for ln in lines:
        by_page.setdefault((ln.doc, ln.page), []).append(ln)
    out = []
    for (doc, page), group in sorted(by_page.items()):
        img = rasterise(root / "pdfs" / f"{doc}.pdf", dpi, page, page)[0]
        if page_filter is not None:
            img = page_filter(img, doc, page)
        for ln in group:
            c = crop(img, ln.box_pt, dpi)
            if c.size:
                out.append((ln, c))
    return out
