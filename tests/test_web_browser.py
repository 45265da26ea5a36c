"""The web server's pages in headless Chromium (Debian's, through Playwright): sign in with a token,
drop a real PDF onto the upload page and choose a scanned image, watch both reach `stored` (and stay
listed after a reload), find one by search, open it with the hit line highlighted, download its
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


DROP = """([name, data]) => {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], name, {type: "application/pdf"}));
  const zone = document.getElementById("upload-form");
  zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
  zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
}"""


@pytest.mark.sqlite_only  # one backend is enough for the browser; the API tests run on both
def test_drop_upload_watch_search_open_and_download(chromium, web, tmp_path, shots):
    notice = pdf_bytes(tmp_path, NOTICE)
    png = tmp_path / "扫描件.png"
    png.write_bytes(scan_png())
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
    page.evaluate(DROP, ["档案通知.pdf", base64.b64encode(notice).decode()])
    page.set_input_files("#file-input", str(png))
    page.wait_for_function("document.querySelectorAll('tr.upload[data-state=stored]').length === 2",
                           timeout=120_000)
    page.screenshot(path=str(shots / "web-upload.png"), full_page=True)
    page.reload()  # the list and the states survive a reload
    page.wait_for_function("document.querySelectorAll('tr.upload[data-state=stored]').length === 2")
    names = page.locator("tr.upload td.name").all_inner_texts()
    assert sorted(names) == sorted(["档案通知.pdf", "扫描件.png"])

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
