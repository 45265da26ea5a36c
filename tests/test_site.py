"""Static site: pages, counts, links, escaping and incremental writes, built from tiny views."""
from __future__ import annotations

import dataclasses
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest

from archiver.errors import ConfigError
from archiver.site.build import BuildReport, SiteOptions, build_site
from archiver.site.paths import category_path, category_slug, doc_type_path, issuer_path
from archiver.storage.views import DocumentView, LineView, PageView, RuleHitView
from archiver.resources import TEMPLATES

XSS = '<script>alert("x")</script>'


class Page(HTMLParser):
    """What the tests need from a generated page: links, element texts by id, table rows, lines."""

    def __init__(self, path: Path):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.by_id: dict[str, str] = {}
        self.rows: list[tuple[str | None, list[str], list[str]]] = []  # (table id, cells, hrefs)
        self.lines: list[tuple[str, dict]] = []  # (text, attrs) of recognised-text lines
        self._open_ids: list[tuple[str, str, list[str]]] = []
        self._tables: list[str | None] = []
        self._row: tuple[list[str], list[str]] | None = None
        self._line: tuple[list[str], dict] | None = None
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name in ("href", "src"):
            if a.get(name) is not None:
                self.links.append(a[name])
                if self._row is not None and name == "href":
                    self._row[1].append(a[name])
        if "id" in a:
            self._open_ids.append((tag, a["id"], []))
        if tag == "table":
            self._tables.append(a.get("id"))
        elif tag == "tr":
            self._row = ([], [])
        elif tag in ("td", "th") and self._row is not None:
            self._row[0].append("")
        elif tag == "li" and "line" in (a.get("class") or "").split():
            self._line = ([], a)

    def handle_endtag(self, tag):
        if self._open_ids and self._open_ids[-1][0] == tag:
            _, ident, parts = self._open_ids.pop()
            self.by_id[ident] = "".join(parts).strip()
        if tag == "table" and self._tables:
            self._tables.pop()
        elif tag == "tr" and self._row is not None:
            cells = [c.strip() for c in self._row[0]]
            self.rows.append((self._tables[-1] if self._tables else None, cells, self._row[1]))
            self._row = None
        elif tag == "li" and self._line is not None:
            self.lines.append(("".join(self._line[0]), self._line[1]))
            self._line = None

    def handle_data(self, data):
        for _, _, parts in self._open_ids:
            parts.append(data)
        if self._row is not None and self._row[0]:
            self._row[0][-1] += data
        if self._line is not None:
            self._line[0].append(data)

    def table(self, table_id: str) -> list[list[str]]:
        return [cells for tid, cells, _ in self.rows if tid == table_id]

    def row_hrefs(self, table_id: str) -> list[str]:
        return [h for tid, _, hrefs in self.rows if tid == table_id for h in hrefs]


def line(text: str, confidence: float = 0.95) -> LineView:
    return LineView(text=text, box=(0, 0, 100, 20), confidence=confidence)


def make_doc(doc_id: int, **changes) -> DocumentView:
    base = dict(
        id=doc_id,
        sha256=f"{doc_id:064x}",
        original_name=f"scan-{doc_id}.pdf",
        kind="pdf",
        size=2048,
        page_count=1,
        title=f"文件{doc_id}",
        issuer="某市人民政府办公室",
        doc_number=f"某政办发〔2024〕{doc_id}号",
        doc_type="通知",
        date="2024-01-01",
        year=2024,
        secrecy=None,
        urgency=None,
        category=None,
        tags=(),
        archive_path=f"originals/{doc_id}.pdf",
        duplicate_of=None,
        duplicates=(),
        created_at=f"2024-06-01T00:00:0{doc_id}Z",
        pages=(PageView(1, 1240, 1754, "ocr", f"thumbs/{doc_id}-1.png", (line(f"第{doc_id}号正文"),)),),
        hits=(),
    )
    base.update(changes)
    return DocumentView(**base)


def sample_docs() -> list[DocumentView]:
    notice = make_doc(
        1,
        title="国务院办公厅关于加强档案管理工作的通知",
        issuer="国务院办公厅",
        doc_number="国办发〔2024〕5号",
        date="2024-03-05",
        secrecy="内部",
        category="办公/行政",
        tags=("档案", "管理"),
        original_name="通知 #1.pdf",
        archive_path="originals/2024/通知 #1.pdf",
        page_count=2,
        duplicates=(3,),
        pages=(
            PageView(1, 1240, 1754, "ocr", "thumbs/1-1.png", (
                line("国务院办公厅关于加强档案管理工作的通知", 0.97),
                line("各省、自治区、直辖市人民政府：", 0.42),
            )),
            PageView(2, 1240, 1754, "text-layer", "thumbs/1-2.png", (line("特此通知。", 1.0),)),
        ),
        hits=(RuleHitView("office-notice", "办公/行政", ("档案",), "title", ("办公厅", "通知")),),
    )
    decision = make_doc(
        2, title="关于任免干部的决定", doc_type="决定", date="2023-11-20", year=2023, category="人事"
    )
    copy = make_doc(3, title="国务院办公厅关于加强档案管理工作的通知（复印件）", category="办公/行政",
                    date="2024-03-06", duplicate_of=1)
    hostile = make_doc(
        4, title=XSS + ' "quoted" & \'single\'', original_name=f'{XSS}".pdf', category=None,
        year=None, date=None, doc_type=None,
        pages=(PageView(1, 100, 100, "ocr", None, (line(XSS, 0.3),)),),
    )
    return [notice, decision, copy, hostile]


def make_archive(root: Path, docs: list[DocumentView]) -> Path:
    archive = root / "archive"
    for d in docs:
        for rel in [d.archive_path] + [p.thumbnail for p in d.pages if p.thumbnail]:
            (archive / rel).parent.mkdir(parents=True, exist_ok=True)
            (archive / rel).write_bytes(b"x")
    return archive


@pytest.fixture
def site(tmp_path):
    docs = sample_docs()
    archive = make_archive(tmp_path, docs)
    out = tmp_path / "site"
    report = build_site(docs, out, templates_dir=TEMPLATES, archive_dir=archive)
    return out, archive, docs, report


def html_files(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def test_index_counts_and_links(site):
    out, _, _, report = site
    index = Page(out / "index.html")
    assert index.by_id["stat-documents"] == "4"
    assert index.by_id["stat-pages"] == "5"
    assert ["办公/行政", "2"] in index.table("by-category")
    assert ["人事", "1"] in index.table("by-category")
    assert ["未分类 Uncategorised", "1"] in index.table("by-category")
    assert index.table("by-year") == [["2024", "2"], ["2023", "1"], ["年份不详 Unknown year", "1"]]
    assert index.table("by-doc-type")[0] == ["通知", "2"]
    assert ["决定", "1"] in index.table("by-doc-type")
    assert quote(category_path("办公/行政")) in index.row_hrefs("by-category")
    assert "category/uncategorised.html" in index.row_hrefs("by-category")
    # Recently archived: newest created_at first.
    assert index.row_hrefs("recent") == ["doc/4.html", "doc/3.html", "doc/2.html", "doc/1.html"]
    text = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in text and '<meta charset="utf-8">' in text
    assert (out / "static/style.css").read_bytes() == (TEMPLATES / "static/style.css").read_bytes()
    # index, 4 browse indexes, 3 categories, 3 types, 3 years, 2 issuers, 4 documents,
    # search.html + search-index.js, 3 static files
    assert report == BuildReport(written=25, unchanged=0, removed=0)


def test_recent_list_is_capped(tmp_path):
    docs = [make_doc(i, archive_path="o.pdf") for i in range(1, 8)]
    archive = make_archive(tmp_path, docs)
    build_site(docs, tmp_path / "s", templates_dir=TEMPLATES, archive_dir=archive,
               options=SiteOptions(recent_count=3))
    assert Page(tmp_path / "s/index.html").row_hrefs("recent") == ["doc/7.html", "doc/6.html", "doc/5.html"]


def test_category_and_year_pages_list_the_right_documents(site):
    out = site[0]
    office = Page(out / category_path("办公/行政"))
    assert office.row_hrefs("documents") == ["../doc/3.html", "../doc/1.html"]  # newest date first
    assert office.by_id["group-count"] == "2"
    assert Page(out / category_path("人事")).row_hrefs("documents") == ["../doc/2.html"]
    assert Page(out / "category/uncategorised.html").row_hrefs("documents") == ["../doc/4.html"]
    assert Page(out / "year/2024.html").row_hrefs("documents") == ["../doc/3.html", "../doc/1.html"]
    assert Page(out / "year/2023.html").row_hrefs("documents") == ["../doc/2.html"]
    assert Page(out / "year/unknown.html").row_hrefs("documents") == ["../doc/4.html"]
    assert sorted(p.name for p in (out / "year").iterdir()) == ["2023.html", "2024.html", "index.html", "unknown.html"]


def test_category_slugs_are_safe_stable_and_distinct():
    names = ["办公/行政", "办公-行政", "..", "a\\b:c*?", "CON", "国办发〔2024〕", " "]
    slugs = [category_slug(n) for n in names]
    assert len(set(slugs)) == len(slugs)
    for name, slug in zip(names, slugs):
        assert slug == category_slug(name)
        assert not set(slug) & set('/\\:*?"<>|. ') and slug.strip("-")
    assert category_slug("办公/行政").startswith("办公-行政-")
    assert category_slug(None) == "uncategorised" and "uncategorised" not in slugs


def test_document_page_shows_metadata_text_rules_and_duplicates(site):
    out = site[0]
    page = Page(out / "doc/1.html")
    meta = dict((cells[0], cells[1]) for cells in page.table("meta"))
    assert meta["发文字号 Number"] == "国办发〔2024〕5号"
    assert meta["发文机关 Issuer"] == "国务院办公厅"
    assert meta["成文日期 Date"] == "2024-03-05"
    assert meta["文种 Type"] == "通知"
    assert meta["密级 Secrecy"] == "内部"
    assert meta["分类 Category"] == "办公/行政"
    assert meta["标签 Tags"] == "档案 管理"
    assert meta["文件名 File name"] == "通知 #1.pdf"
    assert meta["SHA-256"] == "1".rjust(64, "0")
    assert meta["页数 Pages"] == "2"

    texts = [t for t, _ in page.lines]
    assert texts == ["国务院办公厅关于加强档案管理工作的通知", "各省、自治区、直辖市人民政府：", "特此通知。"]
    low = [(t, a) for t, a in page.lines if "low-confidence" in a["class"].split()]
    assert [t for t, _ in low] == ["各省、自治区、直辖市人民政府："]
    assert "0.42" in low[0][1]["title"]

    assert ["office-notice", "title", "办公/行政", "档案", "办公厅 通知"] in page.table("rules-table")
    assert "3.html" in page.links and "../" + quote(category_path("办公/行政")) in page.links
    assert "../../archive/originals/2024/%E9%80%9A%E7%9F%A5%20%231.pdf" in page.links
    assert "../../archive/thumbs/1-2.png" in page.links

    copy = Page(out / "doc/3.html")
    assert "1.html" in copy.links
    assert "#1 国务院办公厅关于加强档案管理工作的通知" in copy.by_id["duplicate-notice"]
    assert "duplicate-notice" not in page.by_id


def test_all_internal_links_resolve(site):
    out = site[0]
    checked = 0
    for path in html_files(out):
        for link in Page(path).links:
            parts = urlsplit(link)
            assert not parts.scheme and not parts.netloc, f"{path}: external link {link}"
            if not parts.path:
                continue  # a fragment within the page
            target = (path.parent / unquote(parts.path)).resolve()
            assert target.is_file(), f"{path.relative_to(out)}: broken link {link}"
            checked += 1
    assert checked > 60


def test_hostile_text_is_escaped(site):
    out = site[0]
    for path in html_files(out):
        assert "<script>alert" not in path.read_text(encoding="utf-8"), path
    raw = (out / "doc/4.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(" in raw
    page = Page(out / "doc/4.html")
    assert page.by_id["doc-title"] == XSS + ' "quoted" & \'single\''
    assert [t for t, _ in page.lines] == [XSS]
    assert dict(c[:2] for c in page.table("meta"))["文件名 File name"] == f'{XSS}".pdf'


def test_second_build_without_changes_writes_nothing(site):
    out, archive, docs, first = site
    inodes = {p: p.stat().st_ino for p in out.rglob("*") if p.is_file()}
    again = build_site(docs, out, templates_dir=TEMPLATES, archive_dir=archive)
    # The four document pages are not even rendered: the build state says their inputs are the same.
    assert again == BuildReport(written=0, unchanged=first.written, removed=0, reused=4)
    assert {p: p.stat().st_ino for p in out.rglob("*") if p.is_file()} == inodes


def test_changing_one_document_rewrites_only_related_pages(site):
    out, archive, docs, _ = site
    inodes = {p.name: p.stat().st_ino for p in (out / "doc").iterdir()}
    docs[1] = dataclasses.replace(docs[1], title="关于任免干部的决定（修订）")
    report = build_site(docs, out, templates_dir=TEMPLATES, archive_dir=archive)
    assert "关于任免干部的决定（修订）" in (out / "doc/2.html").read_text(encoding="utf-8")
    assert (out / "doc/2.html").stat().st_ino != inodes["2.html"]
    for name in ("1.html", "3.html", "4.html"):
        assert (out / "doc" / name).stat().st_ino == inodes[name], name
    # doc/2, index (recent list), its category, type, year and issuer pages, the search index
    assert report == BuildReport(written=7, unchanged=18, removed=0, reused=3)
    assert "关于任免干部的决定（修订）" in (out / "search-index.js").read_text(encoding="utf-8")


def test_removed_document_and_category_pages_are_pruned(site):
    out, archive, docs, _ = site
    report = build_site(docs[:1] + docs[2:3], out, templates_dir=TEMPLATES, archive_dir=archive)
    assert not (out / "doc/2.html").exists() and not (out / "doc/4.html").exists()
    assert not (out / category_path("人事")).exists() and not (out / "year/2023.html").exists()
    assert (out / "doc/1.html").exists()
    assert not (out / doc_type_path("决定")).exists() and not (out / "type/unknown.html").exists()
    assert report.removed == 8  # 2 docs, 2 categories, 2 types, 2 years (both issuers remain)
    assert not [p for p in out.rglob("*.tmp")]


def test_missing_templates_folder_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="templates folder not found"):
        build_site([], tmp_path / "s", templates_dir=tmp_path / "nope", archive_dir=tmp_path)


def test_empty_archive_builds_an_index(tmp_path):
    report = build_site([], tmp_path / "s", templates_dir=TEMPLATES, archive_dir=tmp_path)
    index = Page(tmp_path / "s/index.html")
    assert index.by_id["stat-documents"] == "0" and index.by_id["stat-pages"] == "0"
    # index, 4 browse indexes, search.html, search-index.js, 3 static files
    assert report == BuildReport(written=10, unchanged=0, removed=0)
    assert Page(tmp_path / "s/category/index.html").by_id["group-total"] == "0"


def test_duplicate_of_a_document_not_in_the_site_is_not_linked(tmp_path):
    doc = make_doc(5, duplicate_of=99)
    archive = make_archive(tmp_path, [doc])
    build_site([doc], tmp_path / "s", templates_dir=TEMPLATES, archive_dir=archive)
    page = Page(tmp_path / "s/doc/5.html")
    assert "#99" in page.by_id["duplicate-notice"]
    assert "99.html" not in page.links


@dataclasses.dataclass(frozen=True)
class RicherView(DocumentView):
    """A view with fields the site has no label for, a list value and ready-made pairs: all shown."""

    signer: str | None = None
    cc: tuple[str, ...] = ()
    print_date: str | None = None
    shelf_mark: str | None = None  # a field the site has no label for
    origin: tuple[LineView, ...] = ()  # structured: where fields were read, not a table cell
    fields: tuple[tuple[str, str], ...] = ()


def test_metadata_table_shows_every_field_the_view_offers(tmp_path):
    base = dataclasses.asdict(make_doc(7, urgency=None, doc_number=None))
    base.update(pages=make_doc(7).pages)
    # update(), not keywords: storage's own view may already carry some of these fields.
    base.update(archival_code="A001-WS·2024-Y-BGS-0007", signer="张三", cc=("市委办公室", "市人大办公室"),
                shelf_mark='<b>"架"</b>', origin=(line("张三"),), fields=(("附注 Note", "（此件公开发布）"),))
    doc = RicherView(**base)
    archive = make_archive(tmp_path, [doc])
    build_site([doc], tmp_path / "s", templates_dir=TEMPLATES, archive_dir=archive)
    rows = Page(tmp_path / "s/doc/7.html").table("meta")
    labels = [r[0] for r in rows]
    meta = dict(r[:2] for r in rows)
    assert meta["档号 Archival code"] == "A001-WS·2024-Y-BGS-0007"
    assert meta["签发人 Signed by"] == "张三"
    assert meta["抄送机关 Copied to"] == "市委办公室、市人大办公室"
    assert meta["shelf_mark"] == '<b>"架"</b>'  # unknown names show as they are, escaped
    assert meta["附注 Note"] == "（此件公开发布）"
    assert meta["发文字号 Number"] == "—"  # expected on every 公文: shown even when not found
    assert "紧急程度 Urgency" not in meta and "印发日期 Printed on" not in meta  # empty: left out
    assert "origin" not in meta and not any("LineView" in r[1] for r in rows)
    assert labels.index("档号 Archival code") < labels.index("发文字号 Number") < labels.index("shelf_mark")


def test_template_change_renders_document_pages_again(tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    docs = sample_docs()
    archive = make_archive(tmp_path, docs)
    build_site(docs, tmp_path / "s", templates_dir=templates, archive_dir=archive)
    assert build_site(docs, tmp_path / "s", templates_dir=templates, archive_dir=archive).reused == 4
    doc_html = templates / "doc.html"
    doc_html.write_text(doc_html.read_text(encoding="utf-8").replace("分类依据", "分类依据（新）"), encoding="utf-8")
    report = build_site(docs, tmp_path / "s", templates_dir=templates, archive_dir=archive)
    assert report.reused == 0 and report.written == 4
    assert "分类依据（新）" in (tmp_path / "s/doc/2.html").read_text(encoding="utf-8")
    # A lost page is rendered again even though the state file remembers it.
    (tmp_path / "s/doc/3.html").unlink()
    report = build_site(docs, tmp_path / "s", templates_dir=templates, archive_dir=archive)
    assert report.reused == 3 and (tmp_path / "s/doc/3.html").is_file()


def test_long_listings_are_paged_and_every_document_appears_once(tmp_path):
    docs = [make_doc(i, category="人事", date=f"2024-01-{i:02d}") for i in range(1, 8)]
    archive = make_archive(tmp_path, docs)
    out = tmp_path / "s"
    build_site(docs, out, templates_dir=TEMPLATES, archive_dir=archive, options=SiteOptions(per_page=3))
    first = category_path("人事")
    pages = [out / first, out / category_path("人事", 2), out / category_path("人事", 3)]
    assert not (out / category_path("人事", 4)).exists()
    listed = [h for p in pages for h in Page(p).row_hrefs("documents")]
    assert listed == [f"../doc/{i}.html" for i in range(7, 0, -1)]  # newest 成文日期 first, none twice
    middle = Page(pages[1])
    assert middle.by_id["page-number"] == "2" and middle.by_id["group-count"] == "7"
    assert quote(first.split("/")[1]) in middle.links and quote(category_path("人事", 3).split("/")[1]) in middle.links
    assert "pager" not in Page(out / "type/index.html").by_id
    assert Page(out / "year/2024-p3.html").row_hrefs("documents") == ["../doc/1.html"]  # every listing is paged


def test_type_and_issuer_pages(site):
    out = site[0]
    notices = Page(out / doc_type_path("通知"))
    assert notices.row_hrefs("documents") == ["../doc/3.html", "../doc/1.html"]
    assert Page(out / "type/unknown.html").row_hrefs("documents") == ["../doc/4.html"]
    office = Page(out / issuer_path("国务院办公厅"))
    assert office.by_id["group-label"] == "国务院办公厅" and office.row_hrefs("documents") == ["../doc/1.html"]
    types = Page(out / "type/index.html")
    assert types.by_id["group-total"] == "3"


def test_search_index_holds_the_text_and_cannot_end_a_script(site):
    import json

    out = site[0]
    js = (out / "search-index.js").read_text(encoding="utf-8")
    assert "<" not in js and ">" not in js  # "</script>" in a document cannot close anything
    data = json.loads(js[js.index("{"):js.rindex("}") + 1])
    entries = {e[0]: e for e in data["docs"]}
    assert entries[1][1] == "国务院办公厅关于加强档案管理工作的通知" and entries[1][2] == "通知"
    assert entries[1][5] == [[1, "国务院办公厅关于加强档案管理工作的通知", "各省、自治区、直辖市人民政府："], [2, "特此通知。"]]
    assert entries[4][5] == [[1, XSS]] and entries[4][2] is None and entries[4][3] is None
