"""manage.py check: every row has its file with the right sha256, every archive file has a row, the FTS
index matches the rows; --repair fixes what can be fixed and says what cannot."""
from __future__ import annotations

from sqlalchemy import text as sql

from archiver import config
from archiver.app import make_pipeline
from archiver.check import check
from archiver.cli import main
from archiver.storage import repository
from archiver.storage.search import search

from .support.helpers import text_pdf


def kinds(problems) -> list[tuple[str, str]]:
    return sorted((p.kind, p.where) for p in problems)


def test_check_reports_and_repairs(archive_config, capsys):
    s = config.load(archive_config)
    pipeline = make_pipeline(s)
    ids = []
    for i, topic in enumerate(["安全生产", "防汛抗旱", "财政预算"]):
        out = pipeline.process(text_pdf(s.paths.inbox / f"{i}.pdf", [[f"关于{topic}工作的通知", f"{topic}正文"]]))
        ids.append(out.document_id)
    assert check(s, pipeline.db) == []
    assert main(["--config", str(archive_config), "check"]) == 0
    assert capsys.readouterr().out.strip() == "3 documents checked: archive, database and search index agree"

    with pipeline.db.session() as ses:
        docs = [repository.get_document(ses, i) for i in ids]
    a = s.paths.archive
    moved = a / "misplaced" / "x.pdf"  # doc 1's original, moved away: missing, and an orphan with its bytes
    moved.parent.mkdir()
    (a / docs[0].archive_path).rename(moved)
    (a / docs[1].archive_path).write_bytes(b"%PDF-1.4 overwritten")  # doc 2's bytes damaged
    (a / docs[2].pages[0].thumbnail).unlink()
    (a / "stray.pdf").write_bytes(b"%PDF-1.4 nobody's")
    (a / "2024").mkdir(exist_ok=True)
    (a / "2024" / ".tmp-abc123").write_bytes(b"half")
    # On PostgreSQL the index row's foreign key keeps an index row without its document from existing.
    key = "document_id" if pipeline.db.backend == "postgresql" else "rowid"
    with pipeline.db.session() as ses:
        ses.execute(sql(f"DELETE FROM documents_fts WHERE {key} = :i"), {"i": ids[2]})
        ses.execute(sql(f"UPDATE documents_fts SET body = 'stale' WHERE {key} = :i"), {"i": ids[0]})
        if key == "rowid":
            ses.execute(sql("INSERT INTO documents_fts(rowid, title, meta, body) VALUES (99, 'x', 'y', 'z')"))
    expected = [("bad-sha256", docs[1].archive_path), ("fts-extra", "index row 99"),
                ("fts-missing", f"document {ids[2]}"), ("fts-stale", f"document {ids[0]}"),
                ("missing-file", docs[0].archive_path), ("missing-thumbnail", docs[2].pages[0].thumbnail),
                ("orphan-file", "misplaced/x.pdf"), ("orphan-file", "stray.pdf"), ("temp-file", "2024/.tmp-abc123")]
    if key != "rowid":
        expected.remove(("fts-extra", "index row 99"))
    assert kinds(check(s, pipeline.db)) == expected

    assert main(["--config", str(archive_config), "check"]) == 1
    out = capsys.readouterr().out
    assert "missing-file: " in out and out.strip().endswith(f"3 documents checked: {len(expected)} problems")

    assert main(["--config", str(archive_config), "check", "--repair"]) == 1  # two cannot be repaired
    out = capsys.readouterr().out
    assert f"repaired: restored {docs[0].archive_path} from misplaced/x.pdf (same sha256)" in out
    assert "repaired: deleted 2024/.tmp-abc123" in out and f"repaired: re-indexed document {ids[2]}" in out
    assert kinds(check(s, pipeline.db)) == [("bad-sha256", docs[1].archive_path),
                                            ("missing-thumbnail", docs[2].pages[0].thumbnail)]
    assert (s.paths.failed / "orphans" / "stray.pdf").exists()
    assert "no document row refers to it" in (s.paths.failed / "orphans" / "stray.pdf.reason.txt").read_text()
    assert not (a / "misplaced").exists()
    with pipeline.db.session() as ses:
        assert [h.document_id for h in search(ses, "财政预算")] == [ids[2]]  # back in the index
        assert [h.document_id for h in search(ses, "安全生产")] == [ids[0]]  # stale row rebuilt
