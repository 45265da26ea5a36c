"""Near-duplicate detection: perceptual page hashes narrow the candidates, text agreement decides.

A rescan (other dpi, slight rotation, JPEG instead of PDF) keeps both its page hashes and its text;
two documents on the same template (the 2023 and 2024 budgets) share page looks but not text,
so both tests must pass."""
from __future__ import annotations

from collections import Counter
from typing import Callable, Iterable

import numpy as np
from PIL import Image

from .document import DuplicateMatch
from .textnorm import compact

# A stored document is only a candidate when this share of the new document's pages (those with text)
# has a look-alike page in it: one shared cover page does not make two documents duplicates.
MIN_PAGE_SHARE = 0.8
# A rescan of the same paper has as many pages as the stored document and nearly all of them look alike;
# then a lower text agreement (dedup.rescan_text_similarity) is enough, since a poor copy's OCR costs a
# quarter of the bigrams. bench.rescan on gov-dev: rescans 0.90-1.00 of their pages; documents on one
# template (other year, department vs unit budget) 0.06-0.52, and other page counts.
RESCAN_PAGE_SHARE = 0.9
# For such a rescan the text test also counts, of the bigrams the new copy read with confidence (its lines of
# at least SURE_CONFIDENCE), the share found in the stored text: a seal or a table that a poor copy misreads
# costs it lines, not agreement, where Dice counts every misread bigram against it. bench.rescan on gov-dev:
# this share is 0.83-1.00 for every rescan and its original (Dice 0.44-0.98).
SURE_CONFIDENCE = 0.9
# The hash stored for a page without text. A blank page's perceptual hash is the hash of its paper
# noise, which no rescan repeats: blank pages take no part in matching, on either side.
BLANK = "blank"


# scipy.fftpack's (unnormalised) DCT-II of 32 samples as a matrix: C @ x is dct(x)
_N = 32
_DCT = 2.0 * np.cos(np.pi * np.outer(np.arange(_N), 2 * np.arange(_N) + 1) / (2 * _N))


def page_hash(rgb: np.ndarray) -> str:
    """64-bit DCT perceptual hash of a page image, as 16 hex digits: imagehash.phash's, bit for bit (the
    page in grey shrunk to 32 x 32 with Lanczos; of its 2-D DCT the 8 x 8 lowest frequencies, each above
    their median or not), computed without importing scipy, which cost half a second of every start."""
    small = np.asarray(Image.fromarray(rgb).convert("L").resize((_N, _N), Image.Resampling.LANCZOS), dtype=np.float64)
    # rounded: on a flat image the coefficients other than the first are 0 give or take the last bits of a
    # float, and those bits must not decide (imagehash's are exact zeros there)
    low = np.round((_DCT @ small @ _DCT.T)[:8, :8], 6)
    bits = "".join("1" if b else "0" for b in (low > np.median(low)).ravel())
    return f"{int(bits, 2):016x}"


def hamming(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def _grams(text: str) -> Counter:
    t = compact(text)
    return Counter(t[i:i + 2] for i in range(len(t) - 1))


def contained(part: str, whole: str) -> float:
    """Share of part's character bigrams (a multiset, as text_similarity counts them) found in whole (0..1)."""
    gp, gw = _grams(part), _grams(whole)
    n = sum(gp.values())
    return sum((gp & gw).values()) / n if n else 0.0


def sure_text(lines: Iterable[tuple[str, float]]) -> str:
    """The text of the lines read with at least SURE_CONFIDENCE."""
    return "\n".join(text for text, confidence in lines if confidence >= SURE_CONFIDENCE)


def text_similarity(a: str, b: str) -> float:
    """Dice coefficient of character-bigram multisets after NFKC, whitespace removed (0..1).

    Bigrams tolerate OCR slips (one wrong character breaks two bigrams, not the document) and
    need no word segmentation, which Chinese lacks."""
    ga, gb = _grams(a), _grams(b)
    total = sum(ga.values()) + sum(gb.values())
    if total == 0:
        return 1.0 if a.strip() == b.strip() else 0.0
    return 2 * sum((ga & gb).values()) / total


class PageHashIndex:
    """Page hashes in memory as 64-bit integers, compared with all of a new document's pages at once.

    A worker keeps one and adds the pages stored since it last looked (by page id), so a store reads
    only what is new instead of every page in the archive."""

    def __init__(self) -> None:
        self.doc_ids = np.empty(0, dtype=np.int64)
        self.hashes = np.empty(0, dtype=np.uint64)
        self.last_page_id = 0
        self.page_counts: Counter = Counter()  # document id -> pages, blank ones too

    @classmethod
    def of(cls, stored: Iterable[tuple[int, int, str]]) -> "PageHashIndex":
        index = cls()
        index.add([(0, doc_id, h) for doc_id, _page, h in stored])
        return index

    def add(self, rows: list[tuple[int, int, str]]) -> None:
        """(page id, document id, phash) rows, in page-id order."""
        if not rows:
            return
        self.last_page_id = max(self.last_page_id, rows[-1][0])
        self.page_counts.update(r[1] for r in rows)
        rows = [r for r in rows if r[2] != BLANK]
        if not rows:
            return
        self.doc_ids = np.concatenate([self.doc_ids, np.fromiter((r[1] for r in rows), np.int64, len(rows))])
        self.hashes = np.concatenate([self.hashes, np.fromiter((int(r[2], 16) for r in rows), np.uint64, len(rows))])

    def matches(self, new_hashes: list[str], max_distance: int) -> dict[int, tuple[float, int]]:
        """For each stored document with look-alike pages: (share of the new document's pages with text
        that matched, worst matched distance)."""
        new_hashes = [h for h in new_hashes if h != BLANK]
        best: dict[int, list[int]] = {}
        for i, nh in enumerate(new_hashes):
            dist = np.bitwise_count(self.hashes ^ np.uint64(int(nh, 16)))
            for j in np.flatnonzero(dist <= max_distance):
                dists = best.setdefault(int(self.doc_ids[j]), [65] * len(new_hashes))
                dists[i] = min(dists[i], int(dist[j]))
        out = {}
        for doc_id, dists in best.items():
            matched = [d for d in dists if d <= max_distance]
            out[doc_id] = (len(matched) / len(new_hashes), max(matched))
        return out


def page_matches(new_hashes: list[str], stored: Iterable[tuple[int, int, str]] | PageHashIndex,
                 max_distance: int) -> dict[int, tuple[float, int]]:
    """For each stored document with look-alike pages: (share of new pages matched, worst matched distance)."""
    index = stored if isinstance(stored, PageHashIndex) else PageHashIndex.of(stored)
    return index.matches(new_hashes, max_distance) if new_hashes else {}


def find_near_duplicate(new_hashes: list[str], new_text: str, stored: Iterable[tuple[int, int, str]] | PageHashIndex,
                        text_of: Callable[[int], str | None], max_distance: int,
                        min_similarity: float, rescan_similarity: float | None = None,
                        new_sure_text: str | None = None) -> DuplicateMatch | None:
    """The closest stored document that matches on both page looks and text, or None: MIN_PAGE_SHARE of
    the pages and min_similarity of the text; or, for what looks like a rescan of the same paper (as many
    pages, RESCAN_PAGE_SHARE of them alike), rescan_similarity of the text, or of the share of
    `new_sure_text` (the new copy's confident lines, sure_text) found in the stored text. `text_of` gives
    None for a document that is gone (deleted since its pages were indexed)."""
    index = stored if isinstance(stored, PageHashIndex) else PageHashIndex.of(stored)
    found: DuplicateMatch | None = None
    for doc_id, (share, dist) in sorted(page_matches(new_hashes, index, max_distance).items()):
        if share < MIN_PAGE_SHARE:
            continue
        rescan = (rescan_similarity is not None and share >= RESCAN_PAGE_SHARE
                  and index.page_counts[doc_id] == len(new_hashes))
        needed = min(min_similarity, rescan_similarity) if rescan else min_similarity
        text = text_of(doc_id)
        if text is None:
            continue
        sim = text_similarity(new_text, text)
        if rescan and new_sure_text and sim < needed:
            sim = max(sim, contained(new_sure_text, text))
        if sim >= needed and (found is None or sim > found.text_similarity):
            found = DuplicateMatch(document_id=doc_id, hash_distance=dist, text_similarity=round(sim, 4))
    return found
