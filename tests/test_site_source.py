"""The site's view of a real database: every stored document in a few queries, and a rebuild after an ingest."""
from __future__ import annotations


from archiver.document import DuplicateMatch, RuleHit
from archiver.site.build import build_site
from archiver.storage import repository
from archiver.resources import TEMPLATES



def fill(db, make_doc) -> list[int]:
    hit = RuleHit("budget", "财政预算", ("预算",), "text", ("预算", "决算"))
    with db.session() as s:
        first = repository.add_document(s, make_doc(["关于印发预算的通知", "各区县："], ["特此通知。"], name="a.pdf",
                                                    category="财政预算", tags=("预算", "年度"), hits=(hit,),
                                                    title="关于印发预算的通知", date="2024-02-01"),
                                        "2024/a.pdf", ["thumbs/1-1.png", "thumbs/1-2.png"])
        second = repository.add_document(s, make_doc(["关于印发预算的通知（复印件）"], name="b.pdf",
                                                     duplicate=DuplicateMatch(first, 3, 0.93)), "2024/b.pdf", [None])
        third = repository.add_document(s, make_doc([], name="empty.pdf"), "empty.pdf", [])
    return [first, second, third]


def test_all_documents_at_once_equal_one_by_one(db, make_doc):
    ids = fill(db, make_doc)
    with db.session() as s:
        together = repository.get_documents(s)
        one_by_one = [repository.get_document(s, i) for i in ids]
    assert together == one_by_one
    assert together[0].duplicates == (ids[1],) and together[1].duplicate_of == ids[0]
    assert [ln.text for p in together[0].pages for ln in p.lines] == ["关于印发预算的通知", "各区县：", "特此通知。"]
    assert together[0].hits[0].matched == ("预算", "决算") and together[0].tags == ("预算", "年度")


def test_rebuild_after_an_ingest_renders_only_the_new_and_related_pages(db, make_doc, tmp_path):
    ids = fill(db, make_doc)
    out, archive = tmp_path / "site", tmp_path / "archive"
    with db.session() as s:
        first = build_site(repository.get_documents(s), out, templates_dir=TEMPLATES, archive_dir=archive)
    assert first.reused == 0 and (out / f"doc/{ids[0]}.html").is_file()
    with db.session() as s:
        new = repository.add_document(s, make_doc(["关于召开会议的通知"], name="c.pdf", title="关于召开会议的通知",
                                                  date="2023-05-05", doc_type="通知"), "c.pdf", [None])
    with db.session() as s:
        again = build_site(repository.get_documents(s), out, templates_dir=TEMPLATES, archive_dir=archive)
    assert again.reused == 3  # the three earlier document pages were not rendered at all
    assert (out / f"doc/{new}.html").is_file() and (out / "year/2023.html").is_file()
    assert "关于召开会议的通知" in (out / "search-index.js").read_text(encoding="utf-8")
    # written: the new page, home, search.html (filter counts), search-index.js, the four browse
    # indexes (counts) and the four listings it joins (uncategorised, 通知, 2023, unknown issuer)
    assert again.written == 12 and again.removed == 0, again


def test_serve_without_a_site_is_a_one_line_usage_error(archive_config, capsys):
    from archiver.cli import main

    assert main(["--config", str(archive_config), "serve", "--no-build", "--port", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "build-site" in err
