"""Full-text search: Chinese terms of any length, document numbers, operators, filters, snippets, bad input."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from archiver.errors import QueryError
from archiver.storage import repository as repo
from archiver.storage.search import parse_query, search, snippet
from archiver.storage.tokens import index_text


@pytest.fixture
def corpus(db, make_doc):
    """Three documents; returns their ids by short name."""
    docs = {
        "notice": make_doc(
            ["国务院办公厅文件", "国办发〔2024〕12号", "国务院办公厅关于印发2024年政务公开工作要点的通知",
             "各省、自治区、直辖市人民政府：", "现将《2024年政务公开工作要点》印发给你们，请认真贯彻执行。"],
            title="国务院办公厅关于印发2024年政务公开工作要点的通知", issuer="国务院办公厅",
            doc_number="国办发〔2024〕12号", doc_type="通知", date="2024-04-01", year=2024, category="政务公开"),
        "request": make_doc(
            ["财政部关于2023年预算执行情况的请示", "财预〔２０２３〕５号", "国务院：", "现将2023年预算执行情况报告如下。"],
            title="财政部关于2023年预算执行情况的请示", issuer="财政部", doc_number="财预〔2023〕5号",
            doc_type="请示", date="2023-06-15", year=2023, category="财政"),
        # has 通 and 知, never side by side: a two-character query must not match it
        "bulletin": make_doc(
            ["教育部关于表彰优秀教师的通报", "教人〔2022〕3号", "特此通报，望周知。"],
            title="教育部关于表彰优秀教师的通报", doc_type="通报", date="2022-09-10", year=2022, category="教育"),
    }
    with db.session() as s:
        return {k: repo.add_document(s, d, f"{k}.pdf", []) for k, d in docs.items()}


def ids(db, query, **filters):
    with db.session() as s:
        return {h.document_id for h in search(s, query, **filters)}


def test_index_text_splits_cjk_and_keeps_ascii_runs():
    assert index_text("国办发〔2024〕12号") == "国 办 发 2024 12 号"
    assert index_text("ＧＢ／Ｔ ９７０４—２０１２") == "gb t 9704 2012"  # full width folded


@pytest.mark.parametrize("query, expected", [
    ("通", {"notice", "bulletin"}),
    ("通知", {"notice"}),
    ("办公厅", {"notice"}),
    ("〔2024〕12号", {"notice"}),
    ("国办发[2024]12号", {"notice"}),  # the square brackets a scan may give
    ("2023", {"request"}),
    ("２０２３年", {"request"}),
    ("5号", {"request"}),  # written full width in the text
    ("国务院 预算", {"request"}),
    ("预算 OR 表彰", {"request", "bulletin"}),
    ("国务院 NOT 预算", {"notice"}),
    ("国务院 -预算", {"notice"}),
    ("公开 政务", {"notice"}),
    ('"政务 公开"', {"notice"}),
    ('"公开 政务"', set()),  # a phrase keeps its order
    ("通知*", {"notice"}),  # FTS syntax is ignored, not obeyed
    ("title:通知", set()),  # `title` is a word here, not a column filter
    ("不存在的词", set()),
])
def test_queries(db, corpus, query, expected):
    assert ids(db, query) == {corpus[k] for k in expected}


@pytest.mark.parametrize("filters, expected", [
    ({"category": "政务公开"}, {"notice"}),
    ({"doc_type": "请示"}, {"request"}),
    ({"year": 2023}, {"request"}),
    ({"date_from": "2023-01-01", "date_to": "2023-12-31"}, {"request"}),
    ({"date_from": "2024-01-01"}, {"notice"}),
    ({"date_to": "2022-12-31"}, {"bulletin"}),
    ({"category": "教育", "year": 2024}, set()),
])
def test_filters(db, corpus, filters, expected):
    assert ids(db, "关于", **filters) == {corpus[k] for k in expected}


def test_bad_date_filter_is_a_query_error(db, corpus):
    with db.session() as s, pytest.raises(QueryError, match="not a date"):
        search(s, "通知", date_from="2024-13-45")


def test_ranking_prefers_title_and_frequency(db, make_doc):
    with db.session() as s:
        weak = repo.add_document(s, make_doc(["会议纪要", "一、会议听取了工作汇报。" * 5, "会后将另行通知。"],
                                             title="会议纪要"), "a.pdf", [])
        strong = repo.add_document(s, make_doc(["关于召开会议的通知", "特此通知，请按通知要求参会。"],
                                               title="关于召开会议的通知"), "b.pdf", [])
    with db.session() as s:
        hits = search(s, "通知")
    assert [h.document_id for h in hits] == [strong, weak]
    assert hits[0].score > hits[1].score > 0
    assert hits[0].title == "关于召开会议的通知" and hits[0].original_name == "doc.pdf"


def test_hit_fields_and_paging(db, corpus):
    with db.session() as s:
        all_hits = search(s, "关于")
        page2 = search(s, "关于", limit=1, offset=1)
    assert len(all_hits) == 3 and page2 == all_hits[1:2]
    notice = next(h for h in all_hits if h.document_id == corpus["notice"])
    assert (notice.category, notice.doc_type, notice.year) == ("政务公开", "通知", 2024)


def test_snippet_marks_hits_in_the_original_text(db, corpus):
    with db.session() as s:
        [hit] = search(s, "办公厅 要点")
        [wide] = search(s, "〔2023〕5号")
    assert "国务院\x02办公厅\x03文件" in hit.snippet
    assert "\x02要点\x03" in hit.snippet
    assert "\n" not in hit.snippet and "文件 国办发" not in hit.snippet  # line breaks between CJK dropped
    assert "财预〔\x02２０２３〕５号\x03" in wide.snippet  # the original full-width text, marked


def test_snippet_window_and_fallback():
    body = "甲" * 300 + "通知" + "乙" * 300
    s = snippet(body, (("通", "知"),), width=40)
    assert s.startswith("…") and s.endswith("…") and "\x02通知\x03" in s
    assert len(s) < 50
    assert snippet("没有命中的正文", (("通", "知"),)) == "没有命中的正文"


def test_deleted_document_leaves_the_index(db, corpus):
    with db.session() as s:
        s.execute(text("DELETE FROM documents WHERE id = :i"), {"i": corpus["notice"]})
    assert ids(db, "办公厅") == set()
    with db.session() as s:
        assert s.execute(text("SELECT count(*) FROM documents_fts")).scalar() == 2


def test_reclassification_keeps_search_working(db, corpus):
    from archiver.document import Classification

    with db.session() as s:
        repo.replace_classification(s, corpus["notice"], Classification("综合", (), ()))
    assert ids(db, "办公厅", category="综合") == {corpus["notice"]}


@pytest.mark.parametrize("query, message", [
    ('"通知', "unbalanced quote"),
    ("通知 OR", "ends with OR"),
    ("OR 通知", "OR needs a term"),
    ("通知 OR OR 公开", "OR needs a term"),
    ("NOT", "ends with NOT"),
    ("通知 NOT NOT 公开", "NOT NOT"),
    ("通知 OR -公开", "OR cannot join"),
    ("", "empty query"),
    ("   ", "empty query"),
    ("*", "nothing searchable"),
    ("-通知", "only of excluded"),
    ("NOT 通知", "only of excluded"),
])
def test_malformed_queries_are_query_errors(db, query, message):
    with db.session() as s, pytest.raises(QueryError, match=message) as info:
        search(s, query)
    assert "\n" not in info.value.message


@pytest.mark.parametrize("query", [
    "NEAR(a b)", "*", "a:b", "^通知", '"" 通知', "(通知", "通知)", "{通知}", "通知 AND", "a + b", "col:*",
    "'通知'", "NEAR/3", "通知 -", "“通知”", "OR", "AND 通知", '"a" "b', "\\", "通知;DROP TABLE documents",
])
def test_fts_syntax_never_escapes_as_another_error(db, corpus, query):
    with db.session() as s:
        try:
            result = search(s, query)
        except QueryError:
            return
    assert {h.document_id for h in result} <= set(corpus.values())  # searched, as plain text: hits are ours
    with db.session() as s:
        assert s.execute(text("SELECT count(*) FROM documents")).scalar() == 3


def test_match_expression_holds_only_quoted_tokens():
    assert parse_query("NEAR(a b)").match_expression() == '("near a") AND ("b")'
    assert parse_query('通知 OR "政务 公开" -预算 a:b').match_expression() == (
        '(("通 知" OR "政 务 公 开") AND ("a b")) NOT ("预 算")')
