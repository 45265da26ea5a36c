"""Shared fixtures: a config.yaml for a throw-away archive, a migrated SQLite database, Document values."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from archiver.document import (Classification, Document, DuplicateMatch, Line, Metadata, Page, RuleHit,
                               SourceFile)
from archiver.storage.db import open_database

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def archive_config(tmp_path) -> Path:
    """A config.yaml whose folders and database live in tmp_path (none created yet); rules, weights and
    templates are the project's. Watch timings are short so daemon tests finish quickly."""
    cfg = tmp_path / "config.yaml"
    weights, rules, templates = ROOT / "archiver" / "ocr" / "weights", ROOT / "rules", ROOT / "templates"
    cfg.write_text(
        "database: {url: sqlite:///archive/archive.db}\n"
        f'ocr: {{weights: "{weights}", threads: 1}}\n'
        f'rules: {{folder: "{rules}"}}\n'
        f'site: {{templates: "{templates}"}}\n'
        "watch: {stable_seconds: 0.5, rescan_seconds: 1, poll_interval: 0.2}\n",
        encoding="utf-8",
    )
    return cfg


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'data' / 'archive.db'}")
    database.migrate()
    yield database
    database.close()


def build_document(*pages: list[str], name: str = "doc.pdf", sha: str | None = None, category: str | None = None,
                   tags: tuple[str, ...] = (), hits: tuple[RuleHit, ...] = (),
                   duplicate: DuplicateMatch | None = None, **metadata) -> Document:
    """A Document whose pages hold the given lines (boxes stacked down the page), metadata from kwargs."""
    built = []
    for n, lines in enumerate(pages, 1):
        built.append(Page(
            number=n, width=1240, height=1754, source="ocr" if n % 2 else "text-layer",
            lines=tuple(Line(t, (100, 100 + 60 * i, 100 + 40 * len(t), 150 + 60 * i), round(0.9 - 0.01 * i, 2))
                        for i, t in enumerate(lines)),
            phash=f"{n:02x}" + "f" * 14,
        ))
    digest = sha or hashlib.sha256(("|".join("\n".join(p) for p in pages) + name).encode()).hexdigest()
    return Document(
        source=SourceFile(Path("/inbox") / name, name, "pdf", digest, 1000 + len(built)),
        pages=tuple(built),
        metadata=Metadata(**metadata),
        classification=Classification(category, tags, hits),
        duplicate=duplicate,
    )


@pytest.fixture
def make_doc():
    return build_document
