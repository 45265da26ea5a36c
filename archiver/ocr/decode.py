"""CTC greedy decoding: a pure function of per-column probabilities, testable without a model."""
from __future__ import annotations

import numpy as np


def greedy_decode(probs: np.ndarray, length: int | None = None) -> tuple[list[int], float]:
    """Best path of a (T, C) probability matrix: collapse repeats, drop blanks (class 0).

    Confidence is the mean of the best-path probability over the columns that emitted a
    character, so long blank runs do not inflate it; an empty result has confidence 1.0 if the
    blanks were certain."""
    if length is not None:
        probs = probs[:length]
    if probs.shape[0] == 0:
        return [], 0.0
    best = probs.argmax(axis=1)
    return best_path(best, probs[np.arange(len(best)), best])


def best_path(best: np.ndarray, best_p: np.ndarray) -> tuple[list[int], float]:
    """greedy_decode from the per-column argmax and its probability (the beam search has both already)."""
    ids: list[int] = []
    confs: list[float] = []
    prev = 0
    for t, k in enumerate(best):
        k = int(k)
        if k != 0 and k != prev:
            ids.append(k)
            confs.append(float(best_p[t]))
        elif k != 0 and k == prev:
            confs[-1] = max(confs[-1], float(best_p[t]))
        prev = k
    if not ids:
        return [], float(best_p.mean())
    return ids, float(np.mean(confs))
