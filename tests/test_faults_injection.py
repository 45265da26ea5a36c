"""Injection: search queries with FTS5 syntax, quotes, `*`, NEAR are a one-line error or literal text, never a
traceback or SQL; the HTML site escapes everything that comes from a document."""
from __future__ import annotations

import pytest

from archiver import config
from archiver.app import make_pipeline, rebuild_site
from archiver.cli import main
from archiver.errors import QueryError
from archiver.storage import repository
from archiver.storage.search import search

from .support.helpers import text_pdf

HOSTILE_QUERIES = [
    '"', '通知"', '"通知', '""', "'", "*", "通知*", "*通知", "NEAR", "NEAR(通知 安全)", "NEAR(通知 安全, 2)",
    "通知 NEAR 安全", "title:字段", "title:通知", "body : 安全", "{title body}: 通知", "^通知", "通知 AND", "OR 通知", "NOT", "AND OR NOT",
    "-", "--", "- 通知", "(", ")", "(通知", "通知)", "((通知 OR 安全)", "通知 + 安全", "col:*", "'; DROP TABLE documents; --",
    "\" OR 1=1 --", "x' OR '1'='1", "通知\x00安全", "\\", "%", "_", "通知" * 2000, "🙂", "　", "\u202e通知",
]


@pytest.fixture
def archive(archive_config):
    s = config.load(archive_config)
    pipeline = make_pipeline(s)
    lines = ["关于加强安全生产工作的通知", "NEAR 条款与 title: 字段说明", '引号 "quoted" 与星号 * 的文字']
    assert pipeline.process(text_pdf(s.paths.inbox / "a.pdf", [lines])).status == "stored"
    return s, pipeline


def test_hostile_queries_are_errors_or_literal_text(archive):
    s, pipeline = archive
    outcomes = {}
    for q in HOSTILE_QUERIES:
        with pipeline.db.session() as ses:
            try:
                outcomes[q] = [h.document_id for h in search(ses, q)]
            except QueryError as exc:
                assert "\n" not in exc.message and exc.exit_code == 6
                outcomes[q] = exc.message
    with pipeline.db.session() as ses:
        assert repository.stats(ses)["documents"] == 1  # nothing dropped, nothing changed
    # literal text: the characters are searched, the operators of FTS5 are not obeyed
    assert outcomes["NEAR"] == [1] and outcomes["title:字段"] == [1] and outcomes["通知*"] == [1]
    assert outcomes["'; DROP TABLE documents; --"] == []
    assert outcomes["x' OR '1'='1"] == []
    assert isinstance(outcomes['"'], str) and "unbalanced quote" in outcomes['"']
    assert isinstance(outcomes["*"], str) and "nothing searchable" in outcomes["*"]


def test_hostile_queries_on_the_command_line(archive, archive_config, capsys):
    codes = set()
    for query in HOSTILE_QUERIES:
        code = main(["--config", str(archive_config), "search", "--", query])  # `--`: a query may start with -
        out, err = capsys.readouterr()
        codes.add(code)
        assert code in (0, 6) and "Traceback" not in out + err, query
        if code == 6:
            assert err.startswith("error: ") and err.count("\n") == 1, query
        else:
            assert out.rstrip().splitlines()[-1].endswith(("result", "results")), query
    assert codes == {0, 6}


def test_the_site_escapes_everything_from_documents(archive_config):
    s = config.load(archive_config)
    pipeline = make_pipeline(s)
    hostile = ['<script>alert("x")</script>关于<b>加粗</b>的通知', '"><img src=x onerror=alert(1)>',
               "{{ 7*7 }} {% if true %}jinja{% endif %}", "&amp; &lt; 〔2024〕"]
    name = '<svg onload=alert(2)> "报告".pdf'
    out = pipeline.process(text_pdf(s.paths.inbox / name, [hostile]))
    assert out.status == "stored"
    rebuild_site(s, pipeline.db)
    pages = {p: p.read_text(encoding="utf-8") for p in s.paths.site.rglob("*.html")}
    assert pages
    for path, html in pages.items():
        for raw in ("<script>alert", "<img src=x", "<svg onload", "<b>加粗"):
            assert raw not in html, (path, raw)
    doc = pages[s.paths.site / "doc" / f"{out.document_id}.html"]
    # shown as text: escaped once, and never rendered as a template
    assert "&lt;script&gt;alert(" in doc and "{{ 7*7 }}" in doc and "&amp;amp; &amp;lt;" in doc
