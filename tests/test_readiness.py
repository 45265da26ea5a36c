"""A file is read only once it has stopped growing; temp and hidden files are ignored."""
from __future__ import annotations

import os
from pathlib import Path

from archiver.daemon.readiness import Readiness, candidates, ignored


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_a_growing_file_is_not_ready_until_it_holds_still(tmp_path):
    clock = Clock()
    r = Readiness(3.0, clock)
    f = tmp_path / "scan.pdf"
    f.write_bytes(b"%PDF-1.4 part")
    r.observe(f)
    clock.t += 2
    assert r.ready() == []
    with open(f, "ab") as fh:  # the scanner writes more
        fh.write(b" more")
    os.utime(f, (clock.t, clock.t + 1))
    r.observe(f)
    clock.t += 2.5
    assert r.ready() == []  # the quiet period restarted at the change
    clock.t += 1
    assert r.ready() == [f]


def test_empty_and_vanished_files_are_not_ready(tmp_path):
    clock = Clock()
    r = Readiness(1.0, clock)
    e = tmp_path / "empty.pdf"
    e.write_bytes(b"")
    gone = tmp_path / "gone.pdf"
    gone.write_bytes(b"x")
    r.observe(e)
    r.observe(gone)
    gone.unlink()
    clock.t += 5
    assert r.ready() == []


def test_temp_hidden_and_office_lock_files_are_ignored(tmp_path):
    for name in ["a.pdf", ".hidden.pdf", "b.pdf.part", "~$c.docx", ".DS_Store", "d.tmp", "e.jpg"]:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "f.png").write_bytes(b"x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "g.pdf").write_bytes(b"x")
    names = sorted(p.name for p in candidates(tmp_path))
    assert names == ["a.pdf", "e.jpg", "f.png"]
    assert ignored(Path("x/scan.pdf.crdownload"))
