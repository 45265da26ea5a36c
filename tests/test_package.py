"""The package installs: a wheel carries the runtime code and its data (templates, migrations, rules,
weights) and nothing else, the installed copy finds its data through importlib.resources, and the
`archiver` command runs."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from archiver.cli import config_path

from .conftest import ROOT

DATA = ("archiver/templates/base.html", "archiver/templates/static/style.css", "archiver/migrations/env.py",
        "archiver/migrations/script.py.mako", "archiver/migrations/versions/0006_date_column.py",
        "archiver/rules/topics.yaml", "archiver/ocr/weights/crnn.pt", "archiver/ocr/weights/lm.npz",
        "archiver/ocr/weights/charset.txt", "archiver/ocr/weights/config.json",
        "archiver/ocr/weights/second/crnn-int8.onnx", "archiver/ocr/weights/second/charset.txt")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    src = out / "src"  # a copy, so that the build leaves nothing in the checkout
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", "runs", "__pycache__", "*.egg-info", ".git",
                                                              "archive", "inbox", "failed", "site", ".work", "build"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out),
                    str(src)], check=True, capture_output=True)
    return next(out.glob("archiver-*.whl"))


def test_the_wheel_holds_the_package_and_its_data_only(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert set(DATA) <= names
    assert {n.split("/")[0] for n in names} <= {"archiver", next(n.split("/")[0] for n in names if ".dist-info" in n)}
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "archiver = archiver.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_an_installed_copy_finds_its_data_and_runs(wheel, tmp_path):
    target = tmp_path / "site-packages"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = "import archiver.resources as r; print(r.TEMPLATES); print(r.MIGRATIONS); print(r.RULES); print(r.WEIGHTS)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert all(Path(p).is_dir() and Path(p).is_relative_to(target) for p in out)
    # From an empty folder: built-in defaults, folders made under it, the database migrated from the package.
    run = subprocess.run([sys.executable, "-m", "archiver", "stats", "--json"], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert '"documents": 0' in run.stdout and (tmp_path / "archive" / "archive.db").is_file()


def test_the_archiver_command_is_installed():
    exe = Path(sys.executable).parent / "archiver"
    run = subprocess.run([str(exe), "--help"], capture_output=True, text=True)
    assert run.returncode == 0 and "COMMAND" in run.stdout


def test_config_is_looked_up_in_order(tmp_path, monkeypatch):
    given = tmp_path / "given.yaml"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARCHIVER_CONFIG", str(tmp_path / "env.yaml"))
    assert config_path(given) == given
    assert config_path(None) == tmp_path / "env.yaml"
    monkeypatch.delenv("ARCHIVER_CONFIG")
    (tmp_path / "config.yaml").write_text("{}", encoding="utf-8")
    assert config_path(None) == Path("config.yaml")
    (tmp_path / "config.yaml").unlink()
    assert config_path(None) == ROOT / "config.yaml"  # the checkout's, beside manage.py
