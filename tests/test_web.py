"""The web server against a live socket: uvicorn on a free 127.0.0.1 port, the real pipeline watching
the inbox in the server's process, real PDFs and a scanned image made here, a real SQLite file (and
PostgreSQL where the suite runs on it). The API end to end, tokens, limits, the OCR cache, failures and
retry, what is never served, and the pages."""
from __future__ import annotations

import html
import io
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import text

from archiver import config
from archiver.storage import api_tokens
from archiver.web.server import create_app

from .support.helpers import page_image, text_pdf

NOTICE = [["上海市普陀区人民政府关于加强档案管理工作的通知", "普府发〔2024〕7号", "各街道办事处：",
           "为做好档案管理工作，现将有关事项通知如下。", "上海市普陀区人民政府", "2024年3月5日"]]
BUDGET = [["上海市普陀区2023年区级部门预算", "一般公共预算财政拨款支出预算表", "单位：万元"]]


@dataclass
class Server:
    url: str
    settings: config.Settings
    token: str
    app: object

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                token: str | None = "default") -> tuple[int, dict, bytes]:
        h = dict(headers or {})
        if token == "default":
            token = self.token
        if token:
            h["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def json(self, method: str, path: str, **kw) -> tuple[int, dict]:
        status, _, body = self.request(method, path, **kw)
        return status, json.loads(body)

    def upload(self, *files: tuple[str, bytes], token: str | None = "default", path: str = "/api/v1/documents"):
        body, ctype = multipart(files)
        return self.json("POST", path, body=body, headers={"Content-Type": ctype}, token=token)

    def wait_final(self, job_id: int, timeout: float = 120) -> dict:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            _, job = self.json("GET", f"/api/v1/jobs/{job_id}")
            if job["state"] in ("stored", "duplicate", "failed"):
                return job
            time.sleep(0.3)
        raise AssertionError(f"job {job_id} still {job['state']} after {timeout} s")


def multipart(files, field: str = "files") -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, data in files:
        out.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
                  f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n".encode())
        out.write(data)
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def start(settings: config.Settings):
    import uvicorn

    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    end = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > end or not thread.is_alive():
            raise AssertionError("the web server did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    return app, server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture
def make_server(tmp_path, archive_config):
    running = []

    def make(extra: str = "") -> Server:
        if extra:
            archive_config.write_text(archive_config.read_text(encoding="utf-8") + extra, encoding="utf-8")
        settings = config.load(archive_config)
        app, server, thread, url = start(settings)
        running.append((server, thread))
        with app.state.archive.db.session() as s:
            token = api_tokens.create(s, "clerk")
        return Server(url, settings, token, app)

    yield make
    for server, thread in running:
        server.should_exit = True
        thread.join(timeout=60)


@pytest.fixture
def web(make_server) -> Server:
    return make_server()


def pdf_bytes(tmp_path: Path, pages, name: str = "doc.pdf") -> bytes:
    return text_pdf(tmp_path / name, pages).read_bytes()


def scan_png() -> bytes:
    img = page_image(["关于开展档案检查工作的通知", "请各单位认真做好自查工作。"])
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def test_upload_is_stored_found_and_downloaded(web, tmp_path):
    notice = pdf_bytes(tmp_path, NOTICE)
    status, body = web.upload(("档案通知.pdf", notice), ("scan.png", scan_png()))
    assert status == 202 and [j["state"] for j in body["jobs"]] == ["queued", "queued"]
    jobs = [web.wait_final(j["id"]) for j in body["jobs"]]
    assert [j["state"] for j in jobs] == ["stored", "stored"], jobs
    doc_id = jobs[0]["document_id"]
    status, hits = web.json("GET", "/api/v1/documents?" + urllib.parse.urlencode({"q": "档案管理"}))
    assert status == 200 and [h["id"] for h in hits["results"]] == [doc_id]
    assert "【" in hits["results"][0]["snippet"] and hits["results"][0]["page_url"].startswith(f"/documents/{doc_id}#L1-")
    status, doc = web.json("GET", f"/api/v1/documents/{doc_id}")
    assert doc["fields"]["doc_number"] == "普府发〔2024〕7号" and doc["fields"]["date"] == "2024-03-05"
    assert doc["original_name"] == "档案通知.pdf" and doc["fields"]["archival_code"]
    status, headers, original = web.request("GET", f"/api/v1/documents/{doc_id}/original")
    assert status == 200 and original == notice and headers["content-type"] == "application/pdf"
    status, headers, png = web.request("GET", f"/api/v1/documents/{doc_id}/pages/1")
    assert status == 200 and png[:3] in (b"\xff\xd8\xff", b"\x89PN")
    scanned = web.json("GET", f"/api/v1/documents/{jobs[1]['document_id']}")[1]
    assert scanned["pages"][0]["source"] == "ocr" and "档案" in "".join(ln["text"] for ln in scanned["pages"][0]["lines"])
    # Nothing half-written was ever in the inbox, and nothing is left in its hidden upload folder.
    assert not list((web.settings.paths.inbox / ".uploads").iterdir())


def test_the_same_bytes_again_are_a_duplicate_of_the_stored_document(web, tmp_path):
    notice = pdf_bytes(tmp_path, NOTICE)
    first = web.wait_final(web.upload(("a.pdf", notice))[1]["jobs"][0]["id"])
    status, again = web.upload(("renamed.pdf", notice))
    job = again["jobs"][0]
    assert status == 202 and job["state"] == "duplicate" and job["document_id"] == first["document_id"]
    assert web.json("GET", "/api/v1/stats")[1]["documents"] == 1
    assert not any(web.settings.paths.inbox.glob("*.pdf"))  # never put into the inbox


def test_uploads_and_ocr_need_a_valid_token(web, tmp_path):
    notice = pdf_bytes(tmp_path, NOTICE)
    status, body = web.upload(("a.pdf", notice), token=None)
    assert status == 401 and "token" in body["error"]
    status, body = web.upload(("a.pdf", notice), token="arc_not-a-real-token")
    assert status == 401 and "not valid" in body["error"]
    assert web.upload(("a.pdf", notice), token=None, path="/api/v1/ocr")[0] == 401
    assert web.json("POST", "/api/v1/failures/1/retry", token=None)[0] == 401
    assert not any(web.settings.paths.inbox.glob("*.pdf"))
    with web.app.state.archive.db.session() as s:
        api_tokens.revoke(s, "clerk")
    assert web.upload(("a.pdf", notice))[0] == 401  # a revoked token is refused at once


def test_limits_answer_413_and_415_and_leave_nothing_behind(make_server, tmp_path):
    web = make_server("web: {max_upload_mb: 0.05, max_files: 2}\nintake: {max_pages: 2}\n")
    status, body = web.upload(("big.pdf", b"%PDF-1.4\n" + b"0" * 60_000))
    assert status == 413 and "limit" in body["error"]
    status, body = web.upload(("notes.txt", b"just some text"))
    assert status == 415 and "not a PDF" in body["error"]
    three = pdf_bytes(tmp_path, [["一"], ["二"], ["三"]])
    status, body = web.upload(("three.pdf", three))
    assert status == 413 and "3 pages" in body["error"]
    small = pdf_bytes(tmp_path, NOTICE)
    status, body = web.upload(("1.pdf", small), ("2.pdf", small), ("3.pdf", small))
    assert status == 413 and "more than 2 files" in body["error"]
    status, body = web.json("POST", "/api/v1/documents", body=b"files=x",
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and "multipart" in body["error"]
    inbox = web.settings.paths.inbox
    assert not [p for p in inbox.rglob("*") if p.is_file()]


def test_a_connection_cut_mid_file_leaves_no_file(web, tmp_path):
    body, ctype = multipart([("cut.pdf", pdf_bytes(tmp_path, NOTICE))])
    host, port = web.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(f"POST /api/v1/documents HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {web.token}\r\n"
                     f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body[:len(body) // 2])
        time.sleep(0.5)
    time.sleep(1.0)
    inbox = web.settings.paths.inbox
    assert not [p for p in inbox.rglob("*") if p.is_file()]
    assert web.json("GET", "/api/v1/stats")[1]["documents"] == 0


def test_ocr_reads_without_storing_and_answers_repeats_from_the_cache(web, tmp_path):
    png = scan_png()
    status, first = web.upload(("line.png", png), path="/api/v1/ocr")
    assert status == 200 and not first["cached"] and "档案" in first["text"]
    line = first["pages"][0]["lines"][0]
    assert len(line["box"]) == 4 and 0 < line["confidence"] <= 1 and first["processing_time_ms"] > 0
    status, again = web.upload(("other-name.png", png), path="/api/v1/ocr")
    assert again["cached"] and again["text"] == first["text"] and again["processing_time_ms"] == 0
    assert web.json("GET", "/api/v1/stats")[1]["documents"] == 0 and not any(web.settings.paths.inbox.glob("*.png"))


def test_ocr_refuses_long_or_unreadable_files_by_the_clients_name(make_server, tmp_path):
    web = make_server("web: {ocr_max_pages: 3}\nintake: {max_pages: 2}\n")
    three = pdf_bytes(tmp_path, [["一"], ["二"], ["三"]])
    status, body = web.upload(("三页.pdf", three), path="/api/v1/ocr")
    assert status == 413 and body["error"] == "三页.pdf: 3 pages, more than the limit of 2 (intake.max_pages)"
    status, body = web.upload(("unreadable.pdf", b"%PDF-1.4\n%%EOF garbage"), path="/api/v1/ocr")
    assert status == 422 and body["error"].startswith("unreadable.pdf") and ".upload-" not in body["error"]
    status, body = web.upload(("broken.png", scan_png()[:3000]), path="/api/v1/ocr")
    assert status == 422 and "broken.png" in body["error"] and ".upload-" not in body["error"]
    assert not [p for p in web.settings.paths.inbox.rglob("*") if p.is_file()]


def test_ocr_has_its_own_smaller_page_limit(make_server, tmp_path):
    web = make_server("web: {ocr_max_pages: 1}\n")
    status, body = web.upload(("两页.pdf", pdf_bytes(tmp_path, [["一"], ["二"]])), path="/api/v1/ocr")
    assert status == 413 and body["error"] == "两页.pdf: 2 pages, more than the limit of 1 (web.ocr_max_pages)"
    assert web.upload(("两页.pdf", pdf_bytes(tmp_path, [["一"], ["二"]])))[0] == 202  # the inbox takes it


def test_a_failed_upload_shows_its_reason_and_can_be_retried_once(web):
    status, body = web.upload(("unreadable.pdf", b"%PDF-1.4\n%%EOF garbage"))
    assert status == 422 and "unreadable.pdf" in body["error"]  # refused at once: poppler cannot count its pages
    truncated = scan_png()[:3000]  # its header is whole, its pixels are not: fails in the pipeline
    job = web.wait_final(web.upload(("broken.png", truncated))[1]["jobs"][0]["id"])
    assert job["state"] == "failed" and "broken.png" in job["message"]
    failures = web.json("GET", "/api/v1/failures")[1]["failures"]
    assert len(failures) == 1 and failures[0]["retriable"] and failures[0]["reason"] == job["message"]
    status, body = web.json("POST", f"/api/v1/failures/{failures[0]['id']}/retry")
    assert status == 202 and body["inbox_name"].startswith("retry-")
    end = time.monotonic() + 60
    while len(web.json("GET", "/api/v1/failures")[1]["failures"]) < 2 and time.monotonic() < end:
        time.sleep(0.3)
    failures = web.json("GET", "/api/v1/failures")[1]["failures"]
    assert len(failures) == 2 and failures[1]["retried_at"] and not failures[1]["retriable"]
    status, body = web.json("POST", f"/api/v1/failures/{failures[1]['id']}/retry")
    assert status == 409 and "cannot be retried" in body["error"]


def test_never_serves_the_database_the_work_folder_or_a_listing(web, tmp_path):
    web.wait_final(web.upload(("a.pdf", pdf_bytes(tmp_path, NOTICE)))[1]["jobs"][0]["id"])
    for path in ("/archive/archive.db", "/archive/", "/archive/.archiver.lock", "/archive/../config.yaml",
                 "/archive/%2e%2e/config.yaml", "/site/../archive/archive.db", "/static/../../config.yaml",
                 "/.work/", "/inbox/"):
        status, _, body = web.request("GET", path, token=None)
        assert status == 404 and b"SQLite format" not in body, path
    status, _, body = web.request("GET", "/site/doc/", token=None)
    assert status == 404 and b"1.html" not in body


def eventually(check, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"not true after {timeout} s")
        time.sleep(0.3)


def test_reading_can_require_a_token(make_server, tmp_path):
    web = make_server("web: {read_access: token}\n")
    assert web.json("GET", "/api/v1/documents?q=x", token=None)[0] == 401
    assert web.request("GET", "/", token=None)[0] == 401
    assert web.json("GET", "/api/v1/documents?q=x")[0] == 200
    assert web.json("GET", "/api/v1/health", token=None)[0] == 200
    # The built static site is as closed as the pages (it is rebuilt after the document is stored).
    web.wait_final(web.upload(("a.pdf", pdf_bytes(tmp_path, NOTICE)))[1]["jobs"][0]["id"])
    site = ("/site/", "/site/index.html", "/site/search-index.js", "/site/doc/1.html")
    eventually(lambda: [web.request("GET", p)[0] for p in site] == [200] * 4)
    assert [web.request("GET", p, token=None)[0] for p in site] == [401] * 4
    status, _, body = web.request("GET", "/site/doc/1.html", token=None)
    assert "普府发" not in body.decode()


def test_a_cookie_signed_post_from_another_site_is_refused(web):
    cookie = {"Cookie": f"archiver_token={web.token}"}
    status, body = web.json("POST", "/api/v1/failures/1/retry", token=None,
                            headers={**cookie, "Origin": "http://evil.example"})
    assert status == 403 and "another site" in body["error"]
    for same_site in ({**cookie, "Origin": web.url}, cookie):  # this server's own page; no Origin at all
        assert web.json("POST", "/api/v1/failures/1/retry", token=None, headers=same_site)[0] == 404
    # A bearer token is not sent by a browser on its own: no Origin check for it.
    assert web.json("POST", "/api/v1/failures/1/retry", headers={"Origin": "http://evil.example"})[0] == 404


def test_bad_requests_get_a_json_message(web):
    status, body = web.json("GET", "/api/v1/documents/999")
    assert status == 404 and body == {"error": "no document with id 999"}
    status, body = web.json("GET", "/api/v1/documents?" + urllib.parse.urlencode({"q": "通" * 201}))
    assert status == 422 and "q" in body["error"]
    status, body = web.json("GET", "/api/v1/documents")
    assert status == 400 and "query" in body["error"]
    status, body = web.json("GET", "/api/v1/documents?" + urllib.parse.urlencode({"q": '"unclosed'}))
    assert status in (200, 400) and (status == 200 or body["error"])
    status, body = web.json("GET", "/api/v1/jobs?ids=1,x")
    assert status == 400


def test_the_openapi_schema_documents_the_api(web):
    status, schema = web.json("GET", "/api/v1/openapi.json")
    paths = schema["paths"]
    assert status == 200 and {"/api/v1/documents", "/api/v1/jobs/{job_id}", "/api/v1/documents/{document_id}",
                              "/api/v1/documents/{document_id}/original", "/api/v1/ocr", "/api/v1/health",
                              "/api/v1/documents/{document_id}/pages/{number}"} <= set(paths)
    post = paths["/api/v1/documents"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"] and "413" in post["responses"]
    status, _, page = web.request("GET", "/api")
    assert status == 200 and b"/api/v1/ocr" in page and b"cdn" not in page.lower()


def test_pages_render_search_and_counts(web, tmp_path):
    web.wait_final(web.upload(("a.pdf", pdf_bytes(tmp_path, NOTICE)))[1]["jobs"][0]["id"])
    web.wait_final(web.upload(("b.pdf", pdf_bytes(tmp_path, BUDGET, "b.pdf")))[1]["jobs"][0]["id"])
    status, _, page = web.request("GET", "/search?" + urllib.parse.urlencode({"q": "档案"}))
    html = page.decode()
    assert status == 200 and "<mark>档案</mark>" in html and 'href="/documents/1#L1-' in html
    status, _, page = web.request("GET", "/search?" + urllib.parse.urlencode({"q": "预算 OR 档案", "year": "2024"}))
    assert page.decode().count('class="result"') == 1
    status, _, page = web.request("GET", "/documents/1")
    assert status == 200 and "普府发〔2024〕7号" in page.decode() and 'id="original-link"' in page.decode()
    status, _, page = web.request("GET", "/stats")
    assert status == 200 and page.decode().count("<svg") == 2 and "<title>2024: 1</title>" in page.decode()
    assert web.request("GET", "/failures")[0] == 200


def test_search_is_paged_in_the_api_and_on_the_page(web, tmp_path):
    ids = [web.wait_final(web.upload((f"{i}.pdf", pdf_bytes(tmp_path, pages, f"{i}.pdf")))[1]["jobs"][0]["id"])
           ["document_id"] for i, pages in enumerate((NOTICE, BUDGET))]
    first, second, third = (web.json("GET", "/api/v1/documents?" + urllib.parse.urlencode(
        {"q": "普陀区", "per_page": 1, "page": n}))[1] for n in (1, 2, 3))
    assert first["next"] and not second["next"] and second["page"] == 2 and third["results"] == []
    assert sorted([first["results"][0]["id"], second["results"][0]["id"]]) == sorted(ids)
    page_one = web.request("GET", "/search?" + urllib.parse.urlencode({"q": "普陀区", "per_page": 1}))[2].decode()
    assert result_ids(page_one) == [first["results"][0]["id"]] and 'id="prev-page"' not in page_one
    next_url = html.unescape(re.search(r'id="next-page" href="([^"]+)"', page_one)[1])
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(next_url).query) == {"q": ["普陀区"], "per_page": ["1"],
                                                                            "page": ["2"]}
    page_two = web.request("GET", next_url)[2].decode()
    assert result_ids(page_two) == [second["results"][0]["id"]]
    assert 'id="next-page"' not in page_two and 'id="prev-page"' in page_two


def result_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="result" data-id="(\d+)"', page)]


def test_search_filters_by_type_category_and_issuer(web, tmp_path):
    notice, budget = (web.wait_final(web.upload((f"{i}.pdf", pdf_bytes(tmp_path, pages, f"{i}.pdf")))[1]["jobs"][0]
                                     ["id"])["document_id"] for i, pages in enumerate((NOTICE, BUDGET)))

    def api(**params) -> list[int]:
        status, body = web.json("GET", "/api/v1/documents?" + urllib.parse.urlencode(params))
        assert status == 200, body
        return [h["id"] for h in body["results"]]

    def page(**params) -> list[int]:
        return result_ids(web.request("GET", "/search?" + urllib.parse.urlencode(params))[2].decode())

    for find in (api, page):
        assert sorted(find(q="普陀区")) == sorted([notice, budget])
        assert find(type="通知") == [notice] and find(q="普陀区", type="通知") == [notice]
        assert find(category="财政预算") == [budget] and find(q="档案", category="财政预算") == []
        assert find(issuer="普陀区人民政府") == [notice] and find(issuer="国务院") == []


def test_low_confidence_lines_are_marked_on_the_document_page(web, tmp_path):
    doc_id = web.wait_final(web.upload(("a.pdf", pdf_bytes(tmp_path, NOTICE)))[1]["jobs"][0]["id"])["document_id"]
    with web.app.state.archive.db.session() as s:  # as if the recogniser had been unsure of line 2
        s.execute(text("UPDATE lines SET confidence = 0.3 WHERE number = 2 AND page_id IN "
                       "(SELECT id FROM pages WHERE document_id = :d)"), {"d": doc_id})
    lines = web.json("GET", f"/api/v1/documents/{doc_id}")[1]["pages"][0]["lines"]
    assert [ln["confidence"] < web.settings.ocr.low_confidence for ln in lines] == [i == 1 for i in range(len(lines))]
    page = web.request("GET", f"/documents/{doc_id}")[2].decode()
    marked = re.findall(r'<li class="line low-confidence"[^>]*title="低置信度 Low confidence: 0.30">([^<]*)</li>', page)
    assert [html.unescape(t) for t in marked] == [lines[1]["text"]]
    assert len(re.findall(r'<li class="line[ "]', page)) == len(lines) > 2


def test_the_server_does_not_watch_an_inbox_another_daemon_holds(make_server, archive_config):
    from archiver.app import watch_locks

    archive_lock, inbox_lock = watch_locks(config.load(archive_config), "watch")
    with archive_lock, inbox_lock:  # a daemon is running on this archive
        web = make_server()
        health = web.json("GET", "/api/v1/health")[1]
        assert not health["watching"] and "another process" in health["watch_note"]
        status, body = web.upload(("a.pdf", b"%PDF-1.4\n%%EOF"))
        assert status in (202, 422)  # still takes uploads: the daemon will process them


def test_token_commands_create_list_and_revoke(archive_config, capsys):
    from archiver.cli import main

    assert main(["--config", str(archive_config), "token", "create", "clerk-1"]) == 0
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("arc_") and len(secret) > 40
    assert main(["--config", str(archive_config), "token", "create", "clerk-1"]) == 2  # the name is taken
    assert "exists" in capsys.readouterr().err
    assert main(["--config", str(archive_config), "token", "list"]) == 0
    listed = capsys.readouterr().out
    assert "clerk-1" in listed and secret not in listed
    settings = config.load(archive_config)
    from archiver.app import open_db

    db = open_db(settings)
    with db.session() as s:
        assert api_tokens.verify(s, secret) == "clerk-1" and api_tokens.verify(s, secret + "x") is None
        assert secret not in str([tuple(r) for r in s.execute(text("SELECT * FROM api_tokens"))])
    assert main(["--config", str(archive_config), "token", "revoke", "clerk-1"]) == 0
    with db.session() as s:
        assert api_tokens.verify(s, secret) is None
    db.close()
    assert main(["--config", str(archive_config), "token", "create", "bad name/x"]) == 2


def test_a_token_notes_its_last_use_at_most_once_a_minute(db):
    from datetime import datetime, timedelta, timezone

    from archiver.storage.tables import TokenRow

    def used(seconds_ago: int) -> str:
        return (datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)).isoformat(timespec="seconds")

    with db.session() as s:
        secret = api_tokens.create(s, "clerk")
    for seconds_ago, written in ((30, False), (90, True)):
        before = used(seconds_ago)
        with db.session() as s:
            s.query(TokenRow).update({"last_used_at": before})
        with db.session() as s:
            assert api_tokens.verify(s, secret) == "clerk"
        with db.session() as s:
            last = s.query(TokenRow.last_used_at).scalar()
        assert last > before if written else last == before


def test_only_the_servers_own_inbox_names_are_looked_up_as_uploads():
    from archiver.storage.uploads import could_be_upload

    assert could_be_upload("17-档案通知.pdf")
    assert not could_be_upload("档案通知.pdf") and not could_be_upload("x-17.pdf")
    assert not could_be_upload("17-" + "\udcb0\udca1.pdf")  # a name that is not UTF-8 (surrogate escapes)


def test_hostile_upload_names_are_shown_never_used_as_paths(web, tmp_path):
    notice = pdf_bytes(tmp_path, NOTICE)
    status, body = web.upload(("../../etc/passwd\x1b[31m.pdf", notice))
    job = web.wait_final(body["jobs"][0]["id"])
    assert status == 202 and job["state"] == "stored" and "/" not in job["name"] and "\x1b" not in job["name"]
    assert job["name"] == "passwd\\x1b[31m.pdf"
    long_name = "档" * 400 + ".pdf"
    status, body = web.upload((long_name, pdf_bytes(tmp_path, BUDGET, "b.pdf")))
    assert status == 202 and len(body["jobs"][0]["name"]) <= 240
    assert all(p.parent == web.settings.paths.inbox or p.parent.name == ".uploads"
               for p in web.settings.paths.inbox.rglob("*") if p.is_file())
    assert not (tmp_path / "etc").exists()
