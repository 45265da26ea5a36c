"""Site-relative paths of the generated pages, and safe file names for category names."""
from __future__ import annotations

import hashlib
import re
import unicodedata

INDEX_PATH = "index.html"
STYLE_PATH = "static/style.css"
UNCATEGORISED_SLUG = "uncategorised"
UNKNOWN_YEAR_SLUG = "unknown"

# \w is Unicode-aware, so CJK characters and letters/digits of any script survive; everything else
# (path separators, dots, quotes, full-width punctuation such as 〔〕) becomes a hyphen.
_UNSAFE = re.compile(r"[^\w]+")
_MAX_BASE_CHARS = 40  # CJK is 3 bytes in UTF-8: 40 chars stays far below the 255-byte name limit


def category_slug(name: str | None) -> str:
    """A stable, file-name-safe slug: readable part plus a hash of the exact name (never collides)."""
    if name is None:
        return UNCATEGORISED_SLUG
    base = _UNSAFE.sub("-", unicodedata.normalize("NFKC", name)).strip("-_").lower()
    base = base[:_MAX_BASE_CHARS].rstrip("-_")
    # The hash keeps "a/b" and "a-b" apart, and makes every named slug differ from the fixed
    # "uncategorised" slug and from Windows reserved names such as "con".
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    return f"{base}-{digest}" if base else digest


def category_path(name: str | None) -> str:
    return f"category/{category_slug(name)}.html"


def year_path(year: int | None) -> str:
    return f"year/{UNKNOWN_YEAR_SLUG if year is None else int(year)}.html"


def doc_path(doc_id: int) -> str:
    return f"doc/{int(doc_id)}.html"
