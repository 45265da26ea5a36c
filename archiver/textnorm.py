"""The one text normalisation shared by matching, search filters, dedup and scoring."""
from __future__ import annotations

import unicodedata


def compact(text: str | None) -> str:
    """NFKC-folded text with every whitespace character removed: full-width ２０２４ matches 2024, and a
    scan's stray spaces inside Chinese text mean nothing."""
    return "".join(unicodedata.normalize("NFKC", text or "").split())
