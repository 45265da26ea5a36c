"""What only PostgreSQL has: the search index's GIN scans, long documents split in parts, a store
waiting on another one's lock. (Everything else runs on PostgreSQL through the shared fixtures.)"""
from __future__ import annotations

import pytest
from sqlalchemy import text

from archiver.check import check_index
from archiver.storage import pg_search
from archiver.storage import repository as repo
from archiver.storage.search import parse_query, search


pytestmark = pytest.mark.postgresql_only


@pytest.fixture
def pg(db):
    return db


@pytest.mark.parametrize("term", ["函", "通知", "国务院", "国务院办公厅 -通报", "通知 OR 批复"])
def test_search_terms_of_1_2_and_3_characters_are_answered_from_the_gin_index(pg, make_doc, term):
    with pg.session() as s:
        for i in range(30):
            repo.add_document(s, make_doc([f"国务院办公厅关于第{i}项工作的通知", "复函如下。"], name=f"{i}.pdf"), "x.pdf", [])
        s.execute(text("ANALYZE"))
        q = parse_query(term)
        sub, params = pg_search.matching_documents(q.groups, q.excluded)
        # 30 rows are read faster whole; barred from reading the table (or all of its key index) in full,
        # the planner must find an index that answers the condition itself.
        s.execute(text("SET LOCAL enable_seqscan = off"))
        s.execute(text("SET LOCAL enable_indexscan = off"))
        plan = "\n".join(r[0] for r in s.execute(text(f"EXPLAIN {sub}"), params))
    assert "Bitmap Index Scan on ix_documents_fts_grams" in plan, plan
    assert "Seq Scan on documents_fts" not in plan, plan


def test_a_long_document_is_split_in_parts_and_found_across_their_boundary(pg, make_doc, monkeypatch):
    monkeypatch.setattr(pg_search, "PART_TOKENS", 50)
    monkeypatch.setattr(pg_search, "OVERLAP", 8)
    filler = "的" * 47
    lines = [filler + "档案馆藏" + filler, "末尾的一句话在最后"]  # 档案馆藏 straddles the first boundary (tokens 47-50)
    with pg.session() as s:
        doc_id = repo.add_document(s, make_doc(lines, title="长文件"), "x.pdf", [])
        parts = s.execute(text("SELECT count(*) FROM documents_fts WHERE document_id = :i"), {"i": doc_id}).scalar()
        assert parts == 3
        for term in ("档案馆藏", "最后", "长文件", "的的的的的的的的的的的的的的的的的的的的的的的的的的的的的的"):
            assert [h.document_id for h in search(s, term)] == [doc_id], term
        assert search(s, "档案馆最") == []
    assert check_index(pg) == []  # the parts put back together are the document's tokens


def test_adjacency_is_exact_past_tsvector_position_limits(pg, make_doc):
    # 400 × 的 then a phrase: a tsvector keeps 256 positions per lexeme and none past 16,383,
    # so phrase search in a plain tsvector would miss this; the token stream does not.
    with pg.session() as s:
        doc_id = repo.add_document(s, make_doc(["的" * 400 + "中华人民共和国"] * 50), "x.pdf", [])
        assert [h.document_id for h in search(s, "的中华人民")] == [doc_id]
        assert search(s, "的华人民") == []


def test_a_store_waiting_on_another_store_past_the_lock_timeout_is_retried(archive_config, pg):
    from archiver import config
    from archiver.app import make_pipeline
    from archiver.storage.db import STORE_LOCK, open_database

    from .support.helpers import text_pdf

    cfg = archive_config
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("database: {url: ", "database: {busy_timeout: 0.3, url: "),
                   encoding="utf-8")
    s = config.load(cfg)
    pipeline = make_pipeline(s)
    f = text_pdf(s.paths.inbox / "n.pdf", [["某市人民政府关于安全生产的通知", "各区："]])
    other = open_database(s.database.url)
    with other.engine.connect() as conn:  # another worker, mid-store
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": STORE_LOCK})
        out = pipeline.process(f)
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": STORE_LOCK})
    other.close()
    assert out.status == "retry" and "will try again" in out.message and f.exists()
    assert pipeline.process(f).status == "stored" and not f.exists()


def test_terms_longer_than_three_characters_are_confirmed_in_rank_order_past_decoys(pg, make_doc):
    # Decoys hold every 3-character run of 国务院办公厅 but never the six in a row; there are more of
    # them than one batch of candidates, and being newer they come first among equals.
    with pg.session() as s:
        real = [repo.add_document(s, make_doc([f"国务院办公厅关于第{i}项工作的通知"], name=f"r{i}.pdf"), "x.pdf", [])
                for i in range(2)]
        for i in range(150):
            repo.add_document(s, make_doc([f"国务院。务院办。院办公。办公厅。第{i}号通知"], name=f"d{i}.pdf"), "x.pdf", [])
    with pg.session() as s:
        assert [h.document_id for h in search(s, "国务院办公厅")] == real[::-1]
        assert [h.document_id for h in search(s, "国务院办公厅", limit=1, offset=1)] == [real[0]]
        assert len(search(s, "通知 -国务院办公厅", limit=200)) == 150
        assert search(s, "通知 -国务院办公厅", limit=200)[0].original_name.startswith("d")
