"""The web server's pages in headless Chromium (Debian's, through Playwright): sign in with a token,
drop a real PDF, a scanned image, a broken image and a text file onto the upload page, watch them
reach `stored` and `failed` (and keep their #N links and reasons after a reload), find one by search, open it with the hit line highlighted, download its
original. Screenshots go to $ARCHIVER_SCREENSHOTS when set (docs/screenshots), else to a tmp folder."""
from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from .test_web import NOTICE, make_server, pdf_bytes, scan_png, web  # noqa: F401  (fixtures)


@pytest.fixture
def shots(tmp_path) -> Path:
    return Path(os.environ["ARCHIVER_SCREENSHOTS"]) if os.environ.get("ARCHIVER_SCREENSHOTS") else tmp_path


DROP = """([name, data, type]) => {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], name, {type}));
  const zone = document.getElementById("upload-form");
  zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
  zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
}"""


def drop(page, name: str, data: bytes, media_type: str) -> None:
    """Drop one file on the upload page, as a user dragging it from their desktop does."""
    page.evaluate(DROP, [name, base64.b64encode(data).decode(), media_type])


def states(page) -> list[str]:
    return sorted(page.locator("tr.upload").evaluate_all("rows => rows.map(r => r.dataset.state)"))


@pytest.mark.sqlite_only  # one backend is enough for the browser; the API tests run on both
def test_drop_upload_watch_search_open_and_download(chromium, web, tmp_path, shots):
    notice = pdf_bytes(tmp_path, NOTICE)
    png = scan_png()
    page = chromium.new_page(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    page.goto(web.url + "/")
    assert page.locator("#token-needed").is_visible()  # not signed in: the page says a token is needed
    page.click("text=登录")
    page.fill("#token", "arc_wrong")
    page.click("#login-form button")
    assert page.locator("#login-failed").is_visible()
    page.fill("#token", web.token)
    page.click("#login-form button")
    page.wait_for_url(web.url + "/")
    drop(page, "档案通知.pdf", notice, "application/pdf")
    drop(page, "扫描件.png", png, "image/png")
    drop(page, "broken.png", png[:3000], "image/png")  # its header is whole: taken, then fails in the pipeline
    drop(page, "notes.txt", b"just some text", "text/plain")  # refused at once (415)
    page.wait_for_function("document.querySelectorAll('tr.upload[data-state=stored]').length === 2"
                           " && document.querySelectorAll('tr.upload[data-state=failed]').length === 2",
                           timeout=120_000)
    page.screenshot(path=str(shots / "web-upload.png"), full_page=True)
    before = page.locator("#upload-rows").inner_html()
    page.reload()  # the list, the states, the #N links and the reasons survive a reload
    page.wait_for_selector("tr.upload[data-state]")
    assert states(page) == ["failed", "failed", "stored", "stored"]
    assert page.locator("#upload-rows").inner_html() == before
    names = page.locator("tr.upload td.name").all_inner_texts()
    assert sorted(names) == sorted(["档案通知.pdf", "扫描件.png", "broken.png", "notes.txt"])
    for link in page.locator("tr.upload[data-state=stored] a.doc-link").all():
        assert link.get_attribute("href") == "/documents/" + link.inner_text().removeprefix("#")
    assert page.locator("tr.upload[data-state=stored] a.doc-link").count() == 2
    reasons = page.locator("tr.upload[data-state=failed] .reason").all_inner_texts()
    assert len(reasons) == 2 and any("broken.png" in r for r in reasons) and any("not a PDF" in r for r in reasons)

    page.fill(".nav-search input", "档案管理")
    page.press(".nav-search input", "Enter")
    page.wait_for_selector("#results .result")
    assert page.locator("#results mark").first.inner_text() == "档案管理"
    page.screenshot(path=str(shots / "web-search.png"), full_page=True)
    page.click("#results .result-title")
    page.wait_for_selector(".line.target")  # the hit line is highlighted on its page
    assert "档案管理" in page.locator(".line.target").inner_text()
    assert page.locator("#meta").inner_text().count("普府发〔2024〕7号") == 1
    page.screenshot(path=str(shots / "web-document.png"), full_page=True)
    href = page.get_attribute("#original-link", "href")
    assert page.request.get(web.url + href).body() == notice
    with page.expect_download() as download:
        page.evaluate("url => { const a = document.createElement('a'); a.href = url; a.download = '';"
                      " document.body.appendChild(a); a.click(); }", href)
    assert Path(download.value.path()).read_bytes() == notice

    page.goto(web.url + "/stats")
    assert page.locator("#chart-years svg rect").count() == 1
    page.screenshot(path=str(shots / "web-stats.png"), full_page=True)
    page.close()
