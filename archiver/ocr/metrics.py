"""Character error rate: Levenshtein distance over the reference length."""
from __future__ import annotations

import numpy as np


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, one numpy pass per character of `a`: whole pages are thousands of characters."""
    if not a or not b:
        return max(len(a), len(b))
    bb = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    j = np.arange(len(b) + 1)
    prev = j.copy()
    for i, ca in enumerate(a, 1):
        cost = (bb != ord(ca)).astype(np.int64)
        row = np.empty_like(prev)
        row[0] = i
        row[1:] = np.minimum(prev[1:] + 1, prev[:-1] + cost)
        # An insertion chain along the row: cur[j] = min over k <= j of row[k] + (j - k).
        prev = np.minimum.accumulate(row - j) + j
    return int(prev[-1])


def cer(pred: str, ref: str) -> float:
    """Edit distance / len(ref); an empty reference scores 0 for an empty prediction, else 1."""
    if not ref:
        return 0.0 if not pred else 1.0
    return edit_distance(pred, ref) / len(ref)
