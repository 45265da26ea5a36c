"""Page analysis: clean a page image, separate red ink, turn it upright, correct its skew and cut it
into text lines and table cells in reading order.

Imports numpy and OpenCV only; the OCR engine, storage and the site never come in here (orientation
asks a recogniser passed in by the caller).
"""
from archiver.vision.layout import LineCrop, PageLayout, analyse_page, crop_line
from archiver.vision.order import reading_order
from archiver.vision.orient import direction_ratio
from archiver.vision.preprocess import (binarise, despeckle, estimate_skew, normalise_background, rotate,
                                        suppress_red, to_gray)
from archiver.vision.red import RedInk, separate_red
from archiver.vision.segment import find_lines, find_rulings, text_height

__all__ = [
    "LineCrop", "PageLayout", "analyse_page", "crop_line",
    "binarise", "despeckle", "estimate_skew", "normalise_background", "rotate", "suppress_red", "to_gray",
    "RedInk", "separate_red", "direction_ratio",
    "find_lines", "find_rulings", "reading_order", "text_height",
]
