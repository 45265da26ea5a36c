"""The generated site driven in headless Chromium: browse, search, highlight, escaping, serve.

The archive is made by the real pipeline (`manage.py ingest` of text-layer PDFs rendered here), so
the pages carry real thumbnails and line boxes. Chromium is Debian's (/usr/bin/chromium, installed by
scripts/setup.sh) driven by the Playwright Python package; nothing is downloaded. Without it these
tests fail, unless ARCHIVER_NO_BROWSER=1 says the machine has no browser on purpose.

Screenshots go to $ARCHIVER_SCREENSHOTS when set (e.g. docs/screenshots), else to a pytest tmp folder.
"""
from __future__ import annotations

import json

import os
import threading
from pathlib import Path

import pytest

from archiver.cli import main
from archiver.resources import RULES, TEMPLATES

from .support.helpers import text_pdf

ROOT = Path(__file__).resolve().parents[1]
# A file name cannot hold "/", so no closing tag; an opening <script> with quotes is hostile enough.
HOSTILE_NAME = '<script>alert("x")\'q\'.pdf'

NOTICE_P1 = ["上海市普陀区人民政府关于加强安全生产工作的通知", "普府发〔2024〕12号", "各街道办事处、区政府各委、办、局：",
             "为切实做好今年安全生产工作，现将有关事项通知如下。", "一、提高思想认识，切实加强组织领导。",
             "二、突出工作重点，扎实开展隐患排查。"]
NOTICE_P2 = ["三、强化监督检查，严格落实责任。", "请各单位于每月5日前报送工作进展情况。", "特此通知。",
             "上海市普陀区人民政府", "2024年3月1日"]
BUDGET = ["上海市普陀区2023年区级部门预算", "一般公共预算财政拨款支出预算表", "单位：万元", "合计 156,211.50"]
REPLY = ["上海市普陀区人民政府关于同意设立档案服务中心的批复", "普府复〔2022〕3号", "区档案局：",
         "你局《关于设立档案服务中心的请示》收悉。经研究，同意设立。", "上海市普陀区人民政府", "2022年6月8日"]
HOSTILE = ["关于“<b>加粗</b>”与 <script>alert(1)</script> 的通知", "正文含有 '单引号' 和 \"双引号\"。"]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A real archive: text-layer PDFs ingested by manage.py, which also builds the site."""
    root = tmp_path_factory.mktemp("browser-archive")
    cfg = root / "config.yaml"
    cfg.write_text(
        "database: {url: sqlite:///archive/archive.db}\n"
        f'ocr: {{weights: "{ROOT / "archiver/ocr/weights"}", threads: 1}}\n'
        f'rules: {{folder: "{RULES}"}}\n'
        f'site: {{templates: "{TEMPLATES}"}}\n',
        encoding="utf-8",
    )
    drop = root / "drop"
    drop.mkdir()
    text_pdf(drop / "普陀区安全生产通知.pdf", [NOTICE_P1, NOTICE_P2], size=18)
    text_pdf(drop / "预算.pdf", [BUDGET], size=18)
    text_pdf(drop / "批复.pdf", [REPLY], size=18)
    text_pdf(drop / HOSTILE_NAME, [HOSTILE], size=18)
    assert main(["--config", str(cfg), "ingest", "-q", str(drop)]) == 0
    site = root / "site"
    assert (site / "index.html").is_file() and (site / "search-index.js").is_file()
    return root, site


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = Path(os.environ["ARCHIVER_SCREENSHOTS"]) if os.environ.get("ARCHIVER_SCREENSHOTS") \
        else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(5000)
    pg = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.dialogs, pg.errors = dialogs, errors
    yield pg
    context.close()
    assert not dialogs, f"a page opened a dialog: {dialogs}"  # injected script ran
    assert not errors, f"JavaScript errors: {errors}"


def notice_link(pg):
    """The two-page notice in the home page's recent list, found by its 发文字号."""
    return pg.locator("#recent tr", has_text="普府发〔2024〕12号").locator("a").first


def image_loaded(pg, selector: str, timeout_ms: int = 15000) -> bool:
    """The image has loaded with pixels, waiting for it (a loaded machine serves it late)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    check = f"() => {{ const img = document.querySelector({json.dumps(selector)}); return !!img && img.complete && img.naturalWidth > 0; }}"
    try:
        pg.wait_for_function(check, timeout=timeout_ms)
    except PlaywrightTimeout:
        return False
    return True


def test_home_category_and_document_pages(archive, page, shots):
    _, site = archive
    page.goto((site / "index.html").as_uri())
    assert page.inner_text("#stat-documents") == "4"
    assert page.title().startswith("首页")
    years = page.locator("#by-year tr").all_inner_texts()
    labels = [t.split()[0] for t in years]
    numeric = [int(y) for y in labels if y.isdigit()]
    assert {2024, 2022} <= set(numeric) and numeric == sorted(numeric, reverse=True), years  # newest first
    assert labels[-1] == "年份不详", years  # the hostile notice has no date: unknown year comes last
    page.screenshot(path=str(shots / "home.png"), full_page=True)

    link = page.locator("#by-category a").first
    label = link.inner_text()
    link.click()
    assert page.inner_text("#group-label") == label
    count = int(page.inner_text("#group-count"))
    assert count >= 1 and page.locator("#documents tbody tr").count() == count
    page.screenshot(path=str(shots / "category.png"), full_page=True)

    page.goto((site / "index.html").as_uri())
    notice_link(page).click()
    assert page.inner_text("#doc-title")  # the title is whatever 公文 extraction found; not asserted here
    assert page.locator("#page-1 .line").first.inner_text() == NOTICE_P1[0]
    meta = dict(zip(page.locator("#meta th").all_inner_texts(), page.locator("#meta td").all_inner_texts()))
    assert meta["发文字号 Number"] == "普府发〔2024〕12号"
    assert meta["成文日期 Date"] == "2024-03-01"
    assert "文种 Type" in meta and "发文机关 Issuer" in meta  # values are the extractor's business
    assert page.locator(".page").count() == 2
    assert image_loaded(page, "#page-1 .thumb img") and image_loaded(page, "#page-2 .thumb img")
    assert page.locator("#page-2 .line", has_text="特此通知").count() == 1
    assert page.locator("#original-link").get_attribute("href").endswith(".pdf")
    page.screenshot(path=str(shots / "document.png"), full_page=True)
    page.emulate_media(media="print")  # print: the document without navigation or search
    assert page.locator(".site-header").is_hidden() and page.locator("#doc-title").is_visible()
    assert page.locator("#page-2 .line", has_text="特此通知").is_visible()


def test_two_character_search_opens_the_hit_with_its_line_marked(archive, page, shots):
    _, site = archive
    page.goto((site / "search.html").as_uri())
    page.fill("#q", "通知")
    page.press("#q", "Enter")
    page.wait_for_selector(".result")
    results = page.locator(".result").all_inner_texts()
    assert len(results) == 2, results  # the notice and the hostile 通知; not the budget or the reply
    assert any("普府发〔2024〕12号" not in r and "特此通知" in r for r in results)
    assert set(page.locator(".result mark").all_inner_texts()) == {"通知"}
    assert "找到" in page.inner_text("#search-status")

    types = [v for v in page.eval_on_selector_all("#type-filter option", "os => os.map(o => o.value)") if v]
    assert types, "the 文种 filter lists the archive's types"
    seen = 0
    for value in types:  # each filter keeps exactly the documents of that type
        page.select_option("#type-filter", value)
        metas = page.locator(".result-meta").all_inner_texts()
        expected = "未识别文种" if value == "__unknown__" else value
        assert all(m.split(" · ")[0] == expected for m in metas), (value, metas)
        seen += len(metas)
    assert seen == 2  # the two hits, each under its own type
    page.select_option("#type-filter", "")
    assert page.locator(".result").count() == 2
    page.select_option("#year-filter", "2022")
    assert page.locator(".result").count() == 0
    page.fill("#q", "档案")
    page.press("#q", "Enter")
    assert page.locator(".result").count() == 1
    assert "同意设立档案服务中心" in page.inner_text(".result")
    page.select_option("#year-filter", "")
    page.fill("#q", "通知")
    page.press("#q", "Enter")
    page.wait_for_selector(".result")
    page.screenshot(path=str(shots / "search.png"), full_page=True)

    hit = page.locator(".snippet-link", has_text="特此通知")
    hit.click()
    page.wait_for_selector(".line.target")
    assert "#L2-" in page.url
    assert "特此通知" in page.inner_text(".line.target")
    box = page.locator("#page-2 .line-box")
    assert box.is_visible()
    b, img = box.bounding_box(), page.locator("#page-2 .thumb img").bounding_box()
    assert b["width"] > 5 and b["height"] > 2
    assert img["x"] - 1 <= b["x"] and b["x"] + b["width"] <= img["x"] + img["width"] + 1
    assert img["y"] - 1 <= b["y"] and b["y"] + b["height"] <= img["y"] + img["height"] + 1
    assert page.locator("#page-1 .line-box").is_hidden()
    page.screenshot(path=str(shots / "document-highlight.png"))


def test_hostile_names_and_text_render_as_text(archive, page):
    _, site = archive
    page.goto((site / "search.html").as_uri() + "?q=script")
    page.wait_for_selector(".result")
    page.locator(".result-title").first.click()
    page.wait_for_selector("#doc-title")
    # Text-layer extraction drops the spaces; the tags must still be there, as text.
    assert "“<b>加粗</b>”与<script>alert(1)</script>的通知" in page.inner_text("#doc-title").replace(" ", "")
    assert page.locator("main script, main b").count() == 0  # neither tag became markup
    meta = dict(zip(page.locator("#meta th").all_inner_texts(), page.locator("#meta td").all_inner_texts()))
    assert meta["文件名 File name"] == HOSTILE_NAME
    assert "\"双引号\"" in page.inner_text("#pages")
    # The page and page fixture assert that no alert() dialog opened.


def test_phone_width_has_no_sideways_scroll(archive, chromium, shots):
    _, site = archive
    context = chromium.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    pg = context.new_page()
    try:
        for name in ("index.html", "search.html"):
            pg.goto((site / name).as_uri())
            assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), name
        pg.goto((site / "index.html").as_uri())
        notice_link(pg).click()
        assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        pg.screenshot(path=str(shots / "document-phone.png"))
    finally:
        context.close()


def test_serve_gives_pages_and_archive_files_over_http(archive, page):
    from archiver.site.serve import make_server, site_url, stored_files
    from archiver.storage.db import open_database

    root, site = archive
    db = open_database(f"sqlite:///{root / 'archive' / 'archive.db'}")
    server = make_server(site, root / "archive", port=0, archive_allows=stored_files(db))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = site_url(server)
        assert url.startswith("http://127.0.0.1:")
        page.goto(url)
        assert page.inner_text("#stat-documents") == "4"
        notice_link(page).click()
        assert image_loaded(page, "#page-1 .thumb img")  # the archive is reachable through the server
        page.goto(url.replace("index.html", "search.html") + "?q=通知")
        page.wait_for_selector(".result")
        base = url.replace("/index.html", "")
        for refused in ("/archive/archive.db", "/archive/", "/archive", "/archive/thumbs/", "/archive/.archiver.lock",
                        "/archive/../archive/archive.db", "/archive/%2e%2e/config.yaml", "/../config.yaml"):
            assert http_status(base + refused) == 404, refused
    finally:
        server.shutdown()
        server.server_close()
        db.close()


def http_status(url: str) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code
