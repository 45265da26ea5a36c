"""Repository round trips against a real, migrated SQLite file."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from archiver.document import Classification, DuplicateMatch, RuleHit
from archiver.errors import NotFound
from archiver.storage import repository as repo
from archiver.storage.views import LineView, RuleHitView

HIT = RuleHit("gov-open", "政务公开", ("公开",), "title", ("政务公开", "要点"), priority=5)


def _store(db, doc, archive_path="2024/doc.pdf", thumbnails=None):
    with db.session() as s:
        return repo.add_document(s, doc, archive_path, thumbnails if thumbnails is not None else [])


def test_add_document_round_trips_through_get_document(db, make_doc):
    doc = make_doc(
        ["国务院办公厅文件", "国办发〔2024〕12号"], ["现将要点印发给你们。"],
        name="要点.pdf", title="关于印发要点的通知", issuer="国务院办公厅", doc_number="国办发〔2024〕12号",
        doc_type="通知", date="2024-04-01", year=2024, secrecy="公开", urgency="特急",
        category="政务公开", tags=("公开", "年度", "公开"), hits=(HIT,),
    )
    doc_id = _store(db, doc, thumbnails=["thumbs/1/p0001.jpg", None])
    with db.session() as s:
        v = repo.get_document(s, doc_id)
    assert (v.id, v.sha256, v.original_name, v.kind, v.size, v.page_count) == (
        doc_id, doc.source.sha256, "要点.pdf", "pdf", 1002, 2)
    assert (v.title, v.issuer, v.doc_number, v.doc_type, v.date, v.year, v.secrecy, v.urgency) == (
        "关于印发要点的通知", "国务院办公厅", "国办发〔2024〕12号", "通知", "2024-04-01", 2024, "公开", "特急")
    assert v.category == "政务公开" and v.tags == ("公开", "年度")  # order kept, the repeat stored once
    assert v.archive_path == "2024/doc.pdf" and v.duplicate_of is None and v.duplicates == ()
    assert v.created_at[:2] == "20" and v.created_at.endswith("+00:00")
    assert [(p.number, p.source, p.thumbnail) for p in v.pages] == [
        (1, "ocr", "thumbs/1/p0001.jpg"), (2, "text-layer", None)]
    assert v.pages[0].lines == (
        LineView("国务院办公厅文件", (100, 100, 420, 150), 0.9),
        LineView("国办发〔2024〕12号", (100, 160, 580, 210), 0.89),
    )
    assert v.hits == (RuleHitView("gov-open", "政务公开", ("公开",), "title", ("政务公开", "要点")),)


def test_find_by_sha256_and_text(db, make_doc):
    doc = make_doc(["第一行", "第二行"], ["第二页"])
    doc_id = _store(db, doc)
    with db.session() as s:
        assert repo.find_by_sha256(s, doc.source.sha256) == doc_id
        assert repo.find_by_sha256(s, "0" * 64) is None
        assert repo.document_text(s, doc_id) == "第一行\n第二行\n\n第二页"
        assert repo.page_hashes(s) == [(doc_id, 1, "01" + "f" * 14), (doc_id, 2, "02" + "f" * 14)]


def test_sha256_is_unique_in_the_database(db, make_doc):
    _store(db, make_doc(["一"], sha="a" * 64))
    with pytest.raises(IntegrityError):
        _store(db, make_doc(["二"], name="other.pdf", sha="a" * 64))
    with db.session() as s:  # the failed insert was rolled back whole
        assert repo.stats(s)["documents"] == 1


def test_session_rolls_back_on_error(db, make_doc):
    with pytest.raises(RuntimeError):
        with db.session() as s:
            repo.add_document(s, make_doc(["回滚"]), "x.pdf", [])
            raise RuntimeError("boom")
    with db.session() as s:
        assert repo.list_documents(s) == []


def test_missing_document_raises_not_found(db):
    with db.session() as s:
        with pytest.raises(NotFound, match="no document with id 42"):
            repo.get_document(s, 42)
        with pytest.raises(NotFound):
            repo.document_text(s, 42)
        with pytest.raises(NotFound):
            repo.replace_classification(s, 42, Classification(None, (), ()))


def test_duplicates_events_and_groups(db, make_doc):
    original = _store(db, make_doc(["原件"]))
    dup = _store(db, make_doc(["原件 扫描"], duplicate=DuplicateMatch(original, 3, 0.97)))
    other = _store(db, make_doc(["另一份"]))
    with db.session() as s:
        assert repo.get_document(s, original).duplicates == (dup,)
        assert repo.get_document(s, dup).duplicate_of == original
        assert repo.duplicate_groups(s) == [(original, [dup])]
        kinds = s.execute(text("SELECT document_id, kind FROM events ORDER BY id")).all()
    assert kinds == [(original, "ingested"), (dup, "duplicate"), (other, "ingested")]


def test_set_files_records_archive_path_and_thumbnails(db, make_doc):
    doc_id = _store(db, make_doc(["一"], ["二"]), archive_path="")
    with db.session() as s:
        repo.set_files(s, doc_id, "2024/通知/1.pdf", ["t/1.jpg", "t/2.jpg"])
    with db.session() as s:
        v = repo.get_document(s, doc_id)
    assert v.archive_path == "2024/通知/1.pdf"
    assert [p.thumbnail for p in v.pages] == ["t/1.jpg", "t/2.jpg"]


def test_failures_and_events(db):
    with db.session() as s:
        fid = repo.record_failure(s, "坏.pdf", "b" * 64, "corrupt PDF", "failed/坏.pdf")
        repo.record_event(s, "skipped", "same bytes")
        with pytest.raises(ValueError, match="unknown event kind"):
            repo.record_event(s, "exploded", "no")
    with db.session() as s:
        row = s.execute(text("SELECT original_name, reason, failed_path FROM failures WHERE id = :i"),
                        {"i": fid}).one()
        events = s.execute(text("SELECT kind, message FROM events ORDER BY id")).all()
        assert repo.stats(s)["failures"] == 1
    assert tuple(row) == ("坏.pdf", "corrupt PDF", "failed/坏.pdf")
    assert events == [("failed", "坏.pdf: corrupt PDF"), ("skipped", "same bytes")]


def test_replace_classification(db, make_doc):
    doc_id = _store(db, make_doc(["政务公开工作要点"], category="旧类", tags=("甲", "乙"), hits=(HIT,)))
    new_hit = RuleHit("finance", "财政", ("乙",), "text", ("预算",))
    with db.session() as s:
        # "乙" is given again: a naive insert-then-delete would trip the (document_id, tag) unique constraint
        repo.replace_classification(s, doc_id, Classification("财政", ("乙", "丙"), (new_hit,)))
    with db.session() as s:
        v = repo.get_document(s, doc_id)
        inputs = list(repo.classification_inputs(s))
        event = s.execute(text("SELECT kind, message FROM events ORDER BY id DESC LIMIT 1")).one()
        assert s.execute(text("SELECT count(*) FROM rule_hits")).scalar() == 1
    assert (v.category, v.tags) == ("财政", ("乙", "丙"))
    assert v.hits == (RuleHitView("finance", "财政", ("乙",), "text", ("预算",)),)
    assert [tuple(i)[:6] for i in inputs] == [(doc_id, None, None, "政务公开工作要点", "财政", ("乙", "丙"))]
    assert inputs[0].values["doc_type"] is None  # the stored 公文 fields come along for `when:` rules
    assert event == ("reclassified", "category 旧类 -> 财政; tags 甲, 乙 -> 乙, 丙")


def test_list_documents_newest_first_without_pages(db, make_doc):
    ids = [_store(db, make_doc([f"文件{i}"], tags=(f"t{i}",))) for i in range(3)]
    with db.session() as s:
        listed = repo.list_documents(s)
    assert [v.id for v in listed] == ids[::-1]
    assert [v.tags for v in listed] == [("t2",), ("t1",), ("t0",)]
    assert all(v.pages == () and v.hits == () for v in listed)


def test_stats(db, make_doc):
    a = _store(db, make_doc(["甲", "乙"], category="财政", doc_type="通知", year=2024))
    _store(db, make_doc(["丙"], category="财政", doc_type="请示", date="2023-05-01"))
    _store(db, make_doc(["丁"], ["戊"], doc_type="通知", year=2024, duplicate=DuplicateMatch(a, 2, 0.9)))
    with db.session() as s:
        st = repo.stats(s)
    assert (st["documents"], st["pages"], st["lines"], st["failures"], st["duplicates"]) == (3, 4, 5, 0, 1)
    assert st["by_category"] == {"财政": 2, None: 1}
    assert st["by_year"] == {2024: 2, 2023: 1}  # the year falls back to the date's
    assert st["by_type"] == {"通知": 2, "请示": 1}


def test_deleting_a_document_cascades(db, make_doc):
    doc_id = _store(db, make_doc(["一", "二"]))
    with db.session() as s:
        s.execute(text("DELETE FROM documents WHERE id = :i"), {"i": doc_id})
    with db.session() as s:
        counts = [s.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in ("pages", "lines", "documents_fts")]
        assert counts == [0, 0, 0]
        assert s.execute(text("SELECT document_id FROM events")).scalars().all() == [None]


@pytest.mark.sqlite_only
def test_sqlite_pragmas(db):
    with db.engine.connect() as conn:
        got = [conn.exec_driver_sql(f"PRAGMA {p}").scalar()
               for p in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")]
    assert got == ["wal", 1, 10000, 2]  # synchronous FULL: a commit survives a power cut
