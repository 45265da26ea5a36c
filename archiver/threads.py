"""CPU thread pools, set once from one setting (ocr.threads): OpenCV's and torch's in this process, and
OpenMP/BLAS's for processes started from it (ONNX Runtime's session is given the same number when the
recogniser is built). Several worker processes share the machine's cores:
each gets its share (worker_threads), so that two workers on two cores do not run four threads."""
from __future__ import annotations

import os
import sys


def set_threads(n: int) -> None:
    n = max(1, int(n))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)
    import cv2

    cv2.setNumThreads(n)
    if "torch" in sys.modules:  # imported only when a page needs OCR; the recogniser sets it then too
        sys.modules["torch"].set_num_threads(n)


def worker_threads(threads: int, workers: int) -> int:
    """Each of `workers` processes' share of `threads` (at least one)."""
    return max(1, int(threads) // max(1, int(workers)))
