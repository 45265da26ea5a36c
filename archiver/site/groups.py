"""Groupings of documents for the index and listing pages (pure functions)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Hashable, Iterable

from archiver.site.paths import (
    CATEGORY_FOLDER,
    DOC_TYPE_FOLDER,
    ISSUER_FOLDER,
    UNCATEGORISED_SLUG,
    UNKNOWN_SLUG,
    YEAR_FOLDER,
    listing_path,
    name_slug,
)
from archiver.storage.views import DocumentView

UNCATEGORISED_LABEL = "未分类 Uncategorised"
UNKNOWN_YEAR_LABEL = "年份不详 Unknown year"
UNKNOWN_DOC_TYPE_LABEL = "未识别 Unknown"
UNKNOWN_ISSUER_LABEL = "机关不详 Unknown issuer"


@dataclass(frozen=True)
class Group:
    """One listing: its label, where its pages live and its documents, newest first."""

    label: str
    folder: str
    slug: str
    documents: tuple[DocumentView, ...]

    @property
    def path(self) -> str:
        return listing_path(self.folder, self.slug)

    @property
    def count(self) -> int:
        return len(self.documents)


@dataclass(frozen=True)
class Dimension:
    """A way of listing documents (category, 文种, year, issuer) and its groups."""

    folder: str
    heading: str
    groups: tuple[Group, ...]


def _text(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def category_of(doc: DocumentView) -> str | None:
    """The category a document is listed under; blank names count as uncategorised."""
    return _text(doc.category)


def doc_type_of(doc: DocumentView) -> str | None:
    return _text(doc.doc_type)


def issuer_of(doc: DocumentView) -> str | None:
    return _text(doc.issuer)


def newest_first(docs) -> list[DocumentView]:
    """By 成文日期 descending, undated last, then by id descending."""
    return sorted(docs, key=lambda d: (d.date or "", d.id), reverse=True)


def recently_archived(docs, count: int) -> list[DocumentView]:
    return sorted(docs, key=lambda d: (d.created_at, d.id), reverse=True)[:count]


def _group(
    docs: Iterable[DocumentView],
    key: Callable[[DocumentView], Hashable],
    order: Callable[[list], list],
    make: Callable[[Hashable, tuple[DocumentView, ...]], Group],
) -> tuple[Group, ...]:
    """Bucket docs by key; order() sorts the non-missing keys, a missing (None) key comes last."""
    buckets: dict = defaultdict(list)
    for doc in docs:
        buckets[key(doc)].append(doc)
    keys = order([k for k in buckets if k is not None]) + ([None] if None in buckets else [])
    return tuple(make(k, tuple(newest_first(buckets[k]))) for k in keys)


def by_category(docs) -> tuple[Group, ...]:
    """One group per category, sorted by name, uncategorised last."""
    return _group(docs, category_of, sorted, lambda k, ds: Group(
        UNCATEGORISED_LABEL if k is None else k, CATEGORY_FOLDER, name_slug(k, UNCATEGORISED_SLUG), ds))


def by_year(docs) -> tuple[Group, ...]:
    """One group per year, newest year first, unknown year last."""
    return _group(docs, lambda d: d.year, lambda ks: sorted(ks, reverse=True), lambda k, ds: Group(
        UNKNOWN_YEAR_LABEL if k is None else str(k), YEAR_FOLDER, UNKNOWN_SLUG if k is None else str(int(k)), ds))


def _most_documents_first(docs, key, folder: str, unknown: str) -> tuple[Group, ...]:
    groups = _group(docs, key, sorted, lambda k, ds: Group(unknown if k is None else k, folder, name_slug(k), ds))
    return tuple(sorted(groups, key=lambda g: -g.count))  # stable: ties stay by name, unknown last


def by_doc_type(docs) -> tuple[Group, ...]:
    """One group per 文种, most documents first; unrecognised types under one label."""
    return _most_documents_first(docs, doc_type_of, DOC_TYPE_FOLDER, UNKNOWN_DOC_TYPE_LABEL)


def by_issuer(docs) -> tuple[Group, ...]:
    """One group per issuing authority (发文机关), most documents first."""
    return _most_documents_first(docs, issuer_of, ISSUER_FOLDER, UNKNOWN_ISSUER_LABEL)


def dimensions(docs) -> tuple[Dimension, ...]:
    """Every way the site lists documents, in navigation order."""
    return (
        Dimension(CATEGORY_FOLDER, "分类 Categories", by_category(docs)),
        Dimension(DOC_TYPE_FOLDER, "文种 Document types", by_doc_type(docs)),
        Dimension(YEAR_FOLDER, "年份 Years", by_year(docs)),
        Dimension(ISSUER_FOLDER, "发文机关 Issuers", by_issuer(docs)),
    )
