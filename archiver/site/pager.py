"""Splitting a long listing into numbered pages, and the page links shown under it (pure)."""
from __future__ import annotations

from dataclasses import dataclass

from archiver.site.groups import Group
from archiver.site.paths import listing_path
from archiver.storage.views import DocumentView


@dataclass(frozen=True)
class PagerLink:
    label: str
    path: str | None  # None: the current page, or a gap ("…")
    current: bool = False


@dataclass(frozen=True)
class ListingPage:
    group: Group
    number: int  # 1-based
    total: int
    documents: tuple[DocumentView, ...]
    first_index: int  # 1-based position of documents[0] in the whole listing

    @property
    def path(self) -> str:
        return listing_path(self.group.folder, self.group.slug, self.number)

    @property
    def prev_path(self) -> str | None:
        return listing_path(self.group.folder, self.group.slug, self.number - 1) if self.number > 1 else None

    @property
    def next_path(self) -> str | None:
        return listing_path(self.group.folder, self.group.slug, self.number + 1) if self.number < self.total else None

    def links(self, window: int = 2) -> list[PagerLink]:
        """1 … n-2 n-1 [n] n+1 n+2 … last: every page stays two clicks away at most via the ends."""
        if self.total <= 1:
            return []
        shown = {1, self.total} | set(range(self.number - window, self.number + window + 1))
        out: list[PagerLink] = []
        previous = 0
        for n in sorted(k for k in shown if 1 <= k <= self.total):
            if n - previous > 1:
                out.append(PagerLink("…", None))
            current = n == self.number
            out.append(PagerLink(str(n), None if current else listing_path(self.group.folder, self.group.slug, n), current))
            previous = n
        return out


def paginate(group: Group, per_page: int) -> list[ListingPage]:
    """The pages of one group's listing; an empty group still has one (empty) page."""
    if per_page < 1:
        raise ValueError("per_page must be >= 1")
    docs = group.documents
    total = max(1, -(-len(docs) // per_page))
    return [
        ListingPage(group, n + 1, total, docs[n * per_page:(n + 1) * per_page], n * per_page + 1)
        for n in range(total)
    ]
