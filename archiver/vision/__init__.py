"""Page analysis: clean a page image, correct its skew and cut it into text lines in reading order.

Imports numpy and OpenCV only; the OCR engine, storage and the site never come in here.
"""
from archiver.vision.layout import LineCrop, PageLayout, analyse_page, crop_line
from archiver.vision.preprocess import binarise, estimate_skew, normalise_background, rotate, suppress_red, to_gray
from archiver.vision.segment import find_lines, find_rulings, reading_order, text_height

__all__ = [
    "LineCrop", "PageLayout", "analyse_page", "crop_line",
    "binarise", "estimate_skew", "normalise_background", "rotate", "suppress_red", "to_gray",
    "find_lines", "find_rulings", "reading_order", "text_height",
]
