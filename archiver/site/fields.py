"""The metadata table of a document page, read generically from whatever fields the view carries.

Storage grows new 公文 fields (份号, 签发人, 档号, ...) over time; the page must show them without a
template change. So rows come from the view's dataclass fields in a preferred order, with a label
for each known name and the bare field name for any other, plus an optional `fields` attribute of
(label, value) pairs that a view may offer ready-made.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Iterable

from archiver.fields import ARCHIVAL, GONGWEN
from archiver.storage.views import DocumentView

# Field names and their labels, in the order a records clerk reads a 公文: the 档号 first, then the
# GB/T 9704 order (archiver.fields).
LABELS: dict[str, str] = {f.name: f.label for f in ARCHIVAL + GONGWEN}
ALWAYS_SHOWN: tuple[str, ...] = tuple(f.name for f in GONGWEN if f.always_shown)

# Shown in their own rows below (with links or formatting), or not metadata at all.
_STRUCTURAL = {
    "id", "sha256", "original_name", "kind", "size", "page_count", "category", "tags", "archive_path",
    "duplicate_of", "duplicates", "created_at", "pages", "hits", "year", "fields", "spans",
}
# Fields whose value links to a listing page of the site.
LINKED = {"issuer": "issuer", "doc_type": "doc_type"}


@dataclass(frozen=True)
class FieldRow:
    """One row of the metadata table: name is the view's field name (or None for a ready-made pair)."""

    name: str | None
    label: str
    value: str


def _text(value: Any) -> str | None:
    """A printable value, or None for an empty one; lists become 、-separated (Chinese enumeration)."""
    if value is None:
        return None
    if isinstance(value, (list, tuple, set, frozenset)):
        parts = [t for t in (_text(v) for v in value) if t]
        return "、".join(parts) or None
    if isinstance(value, float):
        return f"{value:g}"
    if not isinstance(value, (str, int)):
        return None  # a structured value (e.g. where a field was read) is not a table cell
    text = str(value).strip()
    return text or None


def _pairs(extra: Any) -> Iterable[tuple[str, Any]]:
    if isinstance(extra, dict):
        return extra.items()
    if isinstance(extra, (list, tuple)):
        return (p for p in extra if isinstance(p, (list, tuple)) and len(p) == 2)
    return ()


def metadata_rows(doc: DocumentView, show_empty: tuple[str, ...] = ALWAYS_SHOWN) -> list[FieldRow]:
    """The 公文 fields of doc in reading order: known names first, then any other scalar field.

    Empty fields are left out except those in show_empty, which a reader expects to see even as "—".
    """
    values = {f.name: getattr(doc, f.name) for f in dataclasses.fields(doc) if f.name not in _STRUCTURAL}
    order = [n for n in LABELS if n in values] + sorted(n for n in values if n not in LABELS)
    rows: list[FieldRow] = []
    seen_labels: set[str] = set()
    for name in order:
        if name == "title":
            continue  # the page heading already is the title
        text = _text(values[name])
        label = LABELS.get(name, name)
        if label in seen_labels:
            continue
        if text is None and name not in show_empty:
            continue
        seen_labels.add(label)
        rows.append(FieldRow(name, label, text or "—"))
    for label, value in _pairs(getattr(doc, "fields", None)):
        text = _text(value)
        label = str(label)
        if text is None or label in seen_labels or LABELS.get(label) in seen_labels:
            continue
        seen_labels.add(label)
        rows.append(FieldRow(None, LABELS.get(label, label), text))
    return rows
