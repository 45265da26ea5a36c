"""queue: celery, with a real Redis broker and real `manage.py worker` processes, on both backends:
the watcher only registers and enqueues; workers store each file once, even when one is killed mid-document."""
from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path

import pytest
from PIL import Image

from archiver import config
from archiver.app import make_pipeline
from archiver.check import check
from archiver.storage import jobs
from archiver.storage.db import open_database
from archiver.workers.dispatch import Dispatcher

from .support.crashkit import Daemon, db_location, sha256, stored_shas
from .support.helpers import page_image, text_pdf

REDIS_URL = os.environ.get("ARCHIVER_TEST_REDIS", "")


@pytest.fixture
def celery_config(archive_config):
    """The test archive with queue: celery on its own Redis queue; quick heartbeats and stale limit."""
    if not REDIS_URL:
        pytest.skip("Celery tests skipped: no Redis server configured (ARCHIVER_TEST_REDIS is unset; "
                    "`bash scripts/test.sh` or .ci/run starts one)")
    import redis

    queue = f"archiver-test-{uuid.uuid4().hex[:10]}"
    with archive_config.open("a", encoding="utf-8") as f:
        f.write(f'queue: celery\ncelery: {{broker: "{REDIS_URL}", queue_name: {queue}, heartbeat_seconds: 0.5, '
                f'stale_seconds: 3}}\n')
    client = redis.Redis.from_url(REDIS_URL)
    yield archive_config
    client.delete(queue)
    client.close()


def queued_messages(s) -> int:
    import redis

    client = redis.Redis.from_url(s.celery.broker)
    try:
        return client.llen(s.celery.queue_name)
    finally:
        client.close()


def job(s, sha: str):
    db = open_database(s.database.url)
    try:
        with db.session() as ses:
            row = jobs.get(ses, sha)
            return None if row is None else (row.state, row.worker, row.interrupted)
    finally:
        db.close()


def test_the_watcher_only_registers_and_enqueues(celery_config):
    s = config.load(celery_config)
    pipeline = make_pipeline(s)
    f = text_pdf(s.paths.inbox / "n.pdf", [["某市人民政府关于安全生产的通知", "各区："]])
    dispatch = Dispatcher(s, pipeline.db)
    out = dispatch(f)
    assert out.status == "queued" and queued_messages(s) == 1
    assert job(s, sha256(f)) == ("queued", None, 0)
    assert f.exists() and stored_shas(db_location(s)) == []  # nothing processed by the watcher
    assert dispatch(f).status == "held" and queued_messages(s) == 1  # seen again at a rescan: not sent twice

    # A worker took it and died: its heartbeat goes stale, and the file is queued again.
    with pipeline.db.session() as ses:
        row = jobs.get(ses, sha256(f))
        row.state, row.worker = "running", "elsewhere:1"
    assert dispatch(f).status == "held"  # heartbeat fresh: the worker is alive
    with pipeline.db.session() as ses:
        jobs.get(ses, sha256(f)).updated_at = jobs.seconds_ago(10)
    assert dispatch(f).status == "queued" and queued_messages(s) == 2
    assert job(s, sha256(f)) == ("queued", None, 1)  # the dead worker's attempt counts as cut short

    # Stored, but the file is still there (seen just before the worker removed it, or a crash between
    # commit and unlink): a message goes out so a worker takes the file away; the job stays stored.
    with pipeline.db.session() as ses:
        jobs.finish(ses, sha256(f), "stored")
    out = dispatch(f)
    assert out.status == "held" and "already archived" in out.message and queued_messages(s) == 3
    assert job(s, sha256(f))[0] == "stored"


def test_a_job_held_by_a_live_worker_is_not_begun_by_another(celery_config):
    s = config.load(celery_config)
    a, b = make_pipeline(s), make_pipeline(s)
    f = text_pdf(s.paths.inbox / "n.pdf", [["某市人民政府关于安全生产的通知", "各区："]])
    a.worker, b.worker = "host:1", "host:2"
    sha = sha256(f)
    with a.db.session() as ses:
        jobs.begin(ses, sha, f.name, str(f), worker="host:1", stale_seconds=3)
    out = b.process(f)
    assert out.status == "held" and "being processed by host:1" in out.message and f.exists()
    with a.db.session() as ses:
        assert jobs.heartbeat(ses, sha, "host:1") and not jobs.heartbeat(ses, sha, "host:2")
        jobs.get(ses, sha).updated_at = jobs.seconds_ago(10)
    assert b.process(f).status == "stored"  # host:1 went silent: host:2 takes over
    assert job(s, sha)[:2] == ("stored", "host:2")


def test_two_workers_store_every_file_once(celery_config, tmp_path):
    s = config.load(celery_config)
    drop = tmp_path / "drop"
    drop.mkdir()
    files = [text_pdf(drop / f"{i}.pdf", [[f"某市人民政府关于第{i}项工作的通知", f"某政发〔2024〕{i}号", "正文。"]])
             for i in range(6)]
    shas = sorted(sha256(f) for f in files)
    watcher = Daemon(celery_config, tmp_path / "watch.log")
    workers = [Daemon(celery_config, tmp_path / f"w{i}.log", command="worker") for i in range(2)]
    try:
        assert watcher.wait_for("watching", 90), watcher.text()
        assert all(w.wait_for("taking jobs", 90) for w in workers), workers[0].text() + workers[1].text()
        for f in files:
            shutil.move(f, s.paths.inbox / f.name)
        end = time.time() + 120
        while time.time() < end and len(stored_shas(db_location(s))) < len(files):
            time.sleep(0.2)
        assert sorted(stored_shas(db_location(s))) == shas, watcher.text() + workers[0].text() + workers[1].text()
        for sha in shas:
            assert job(s, sha)[0] in ("stored", "duplicate")  # alike enough to be marked near-duplicates
    finally:
        rcs = [w.stop() for w in workers] + [watcher.stop()]
    assert rcs == [0, 0, 0]  # SIGTERM: each finishes what it holds and exits cleanly
    assert not [p for p in s.paths.inbox.rglob("*") if p.is_file()]
    assert watcher.text().count(": queued") == len(files)
    logged = workers[0].text() + workers[1].text()  # one line per document, as the local daemon logs them
    assert sum(logged.count(f" {f.name} pages=") for f in files) == len(files), logged


def scanned_pdf(path: Path, pages: int) -> Path:
    """An image-only PDF: every page goes through page analysis and OCR (seconds per document)."""
    images = [Image.fromarray(page_image([f"关于做好第{n}季度档案工作的通知", "各处室：请按要求整理归档文件。",
                                          "特此通知。"], height=900)) for n in range(pages)]
    images[0].save(path, save_all=True, append_images=images[1:], resolution=200)
    return path


def test_a_worker_killed_mid_document_is_finished_by_another_exactly_once(celery_config, tmp_path):
    s = config.load(celery_config)
    scan = scanned_pdf(tmp_path / "scan.pdf", 4)
    sha = sha256(scan)
    watcher = Daemon(celery_config, tmp_path / "watch.log")
    a = Daemon(celery_config, tmp_path / "a.log", command="worker")
    b = None
    try:
        assert watcher.wait_for("watching", 90) and a.wait_for("taking jobs", 90), watcher.text() + a.text()
        shutil.copy(scan, s.paths.inbox / scan.name)
        end = time.time() + 60
        while time.time() < end and (job(s, sha) or ("",))[0] != "running":
            time.sleep(0.05)
        state, holder, _ = job(s, sha)
        assert state == "running" and holder.endswith(f":{a.proc.pid}"), a.text()
        a.kill()  # kill -9 mid-document: no clean-up, the broker message is never acknowledged
        b = Daemon(celery_config, tmp_path / "b.log", command="worker")
        end = time.time() + 180
        while time.time() < end and stored_shas(db_location(s)) == []:
            time.sleep(0.2)
        assert stored_shas(db_location(s)) == [sha], watcher.text() + b.text()
        state, holder, _ = job(s, sha)
        assert state == "stored" and holder.endswith(f":{b.proc.pid}")
        time.sleep(1.5)  # a late duplicate message, if any, would be handled by now
        assert stored_shas(db_location(s)) == [sha]  # exactly once
    finally:
        rcs = [d.stop() for d in (b, watcher) if d is not None]
    assert rcs == [0, 0]
    assert watcher.text().count(f"{scan.name}: queued") == 2  # once when dropped, once when A's heartbeat went stale
    assert not [p for p in s.paths.inbox.rglob("*") if p.is_file()]
    assert not s.paths.failed.exists() or not any(s.paths.failed.iterdir())
    db = make_pipeline(s).db
    assert check(s, db) == []  # no orphan file of A's, the search index whole


def test_an_upload_to_the_web_server_is_stored_by_a_worker(celery_config, tmp_path):
    """queue: celery behind the web server: its watcher enqueues the upload, a worker stores it, and the
    job's state (read from the jobs and documents rows) says so."""
    from archiver.storage import api_tokens

    from .test_web import NOTICE, multipart, start

    s = config.load(celery_config)
    worker = Daemon(celery_config, tmp_path / "w.log", command="worker")
    app, server, thread, url = start(s)
    try:
        assert worker.wait_for("taking jobs", 90), worker.text()
        with app.state.archive.db.session() as db:
            token = api_tokens.create(db, "clerk")
        body, ctype = multipart([("通知.pdf", text_pdf(tmp_path / "n.pdf", NOTICE).read_bytes())])
        import json
        import urllib.request

        req = urllib.request.Request(url + "/api/v1/documents", data=body, method="POST",
                                     headers={"Content-Type": ctype, "Authorization": f"Bearer {token}"})
        job_id = json.loads(urllib.request.urlopen(req, timeout=60).read())["jobs"][0]["id"]
        end, state = time.time() + 120, {}
        while time.time() < end:
            state = json.loads(urllib.request.urlopen(f"{url}/api/v1/jobs/{job_id}", timeout=30).read())
            if state["state"] in ("stored", "failed"):
                break
            time.sleep(0.3)
        assert state["state"] == "stored" and state["document_id"], (state, worker.text())
        doc = json.loads(urllib.request.urlopen(f"{url}/api/v1/documents/{state['document_id']}", timeout=30).read())
        assert doc["original_name"] == "通知.pdf"  # the worker stored it under the client's name
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        assert worker.stop() == 0
