"""Site-relative paths of the generated pages, and safe file names for category and other names."""
from __future__ import annotations

import hashlib
import re
import unicodedata

INDEX_PATH = "index.html"
STYLE_PATH = "static/style.css"
SEARCH_PATH = "search.html"
SEARCH_INDEX_PATH = "search-index.js"
UNCATEGORISED_SLUG = "uncategorised"
UNKNOWN_SLUG = "unknown"
UNKNOWN_YEAR_SLUG = UNKNOWN_SLUG

# One folder per way of listing documents; each holds index.html (all groups) and the group pages.
CATEGORY_FOLDER = "category"
DOC_TYPE_FOLDER = "type"
YEAR_FOLDER = "year"
ISSUER_FOLDER = "issuer"
DOC_FOLDER = "doc"
PAGE_FOLDERS = (CATEGORY_FOLDER, DOC_TYPE_FOLDER, YEAR_FOLDER, ISSUER_FOLDER, DOC_FOLDER)

# \w is Unicode-aware, so CJK characters and letters/digits of any script survive; everything else
# (path separators, dots, quotes, full-width punctuation such as 〔〕) becomes a hyphen.
_UNSAFE = re.compile(r"[^\w]+")
_MAX_BASE_CHARS = 40  # CJK is 3 bytes in UTF-8: 40 chars stays far below the 255-byte name limit


def name_slug(name: str | None, missing: str = UNKNOWN_SLUG) -> str:
    """A stable, file-name-safe slug: readable part plus a hash of the exact name (never collides)."""
    if name is None:
        return missing
    base = _UNSAFE.sub("-", unicodedata.normalize("NFKC", name)).strip("-_").lower()
    base = base[:_MAX_BASE_CHARS].rstrip("-_")
    # The hash keeps "a/b" and "a-b" apart, and makes every named slug differ from the fixed
    # "uncategorised"/"unknown"/"index" names and from Windows reserved names such as "con".
    # A slug always ends in 8 hex digits, so the "-p2" suffix of a second page never collides.
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    return f"{base}-{digest}" if base else digest


def category_slug(name: str | None) -> str:
    return name_slug(name, UNCATEGORISED_SLUG)


def listing_path(folder: str, slug: str, page: int = 1) -> str:
    """Page `page` (1-based) of one group's listing; the first page has no suffix."""
    return f"{folder}/{slug}.html" if page <= 1 else f"{folder}/{slug}-p{int(page)}.html"


def folder_index_path(folder: str) -> str:
    return f"{folder}/index.html"


def category_path(name: str | None, page: int = 1) -> str:
    return listing_path(CATEGORY_FOLDER, category_slug(name), page)


def doc_type_path(name: str | None, page: int = 1) -> str:
    return listing_path(DOC_TYPE_FOLDER, name_slug(name), page)


def issuer_path(name: str | None, page: int = 1) -> str:
    return listing_path(ISSUER_FOLDER, name_slug(name), page)


def year_path(year: int | None, page: int = 1) -> str:
    return listing_path(YEAR_FOLDER, UNKNOWN_YEAR_SLUG if year is None else str(int(year)), page)


def doc_path(doc_id: int) -> str:
    return f"{DOC_FOLDER}/{int(doc_id)}.html"
