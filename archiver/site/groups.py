"""Groupings of documents for the index, category and year pages (pure functions)."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from archiver.site.paths import category_path, year_path
from archiver.storage.views import DocumentView

UNCATEGORISED_LABEL = "未分类 Uncategorised"
UNKNOWN_YEAR_LABEL = "年份不详 Unknown year"
UNKNOWN_DOC_TYPE_LABEL = "未识别 Unknown"


@dataclass(frozen=True)
class Group:
    """One listing page: its label, its site-relative path and its documents, newest first."""

    label: str
    path: str
    documents: tuple[DocumentView, ...]

    @property
    def count(self) -> int:
        return len(self.documents)


def category_of(doc: DocumentView) -> str | None:
    """The category a document is listed under; blank names count as uncategorised."""
    return doc.category if doc.category and doc.category.strip() else None


def newest_first(docs) -> list[DocumentView]:
    """By 成文日期 descending, undated last, then by id descending."""
    return sorted(docs, key=lambda d: (d.date or "", d.id), reverse=True)


def recently_archived(docs, count: int) -> list[DocumentView]:
    return sorted(docs, key=lambda d: (d.created_at, d.id), reverse=True)[:count]


def by_category(docs) -> list[Group]:
    """One group per category, sorted by name, uncategorised last."""
    buckets: dict[str | None, list[DocumentView]] = defaultdict(list)
    for doc in docs:
        buckets[category_of(doc)].append(doc)
    keys = sorted((k for k in buckets if k is not None)) + ([None] if None in buckets else [])
    return [
        Group(UNCATEGORISED_LABEL if k is None else k, category_path(k), tuple(newest_first(buckets[k])))
        for k in keys
    ]


def by_year(docs) -> list[Group]:
    """One group per year, newest year first, unknown year last."""
    buckets: dict[int | None, list[DocumentView]] = defaultdict(list)
    for doc in docs:
        buckets[doc.year].append(doc)
    keys = sorted((k for k in buckets if k is not None), reverse=True)
    keys += [None] if None in buckets else []
    return [
        Group(UNKNOWN_YEAR_LABEL if k is None else str(k), year_path(k), tuple(newest_first(buckets[k])))
        for k in keys
    ]


def doc_type_counts(docs) -> list[tuple[str, int]]:
    """(文种, count) pairs, most common first; unrecognised types counted under one label."""
    counts = Counter((d.doc_type or "").strip() or UNKNOWN_DOC_TYPE_LABEL for d in docs)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
