"""The package holds runtime code only: benchmarks in bench/, training in training/, test helpers in
tests/support/; torch is imported only under archiver/ocr; reading a document imports no training code."""
from __future__ import annotations

import re
import subprocess
import sys

from .conftest import ROOT


def test_torch_is_imported_only_under_archiver_ocr():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "archiver").rglob("*.py")
                 if "ocr" not in p.relative_to(ROOT / "archiver").parts[:1]
                 and re.search(r"^\s*(import torch|from torch)", p.read_text(encoding="utf-8"), re.M)]
    assert offenders == []


def test_the_runtime_imports_no_training_or_benchmark_code():
    code = ("import sys, archiver.cli, archiver.pipeline, archiver.ocr.recognizer, archiver.daemon.watch, "
            "archiver.workers.worker; print(sorted(m for m in sys.modules if m.split('.')[0] in ('training', 'bench', 'tests')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_no_package_module_reaches_outside_the_package():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "archiver").rglob("*.py")
                 if re.search(r"^\s*(from|import) (bench|training|tests)\b", p.read_text(encoding="utf-8"), re.M)]
    assert offenders == ["archiver/cli.py"]  # only `manage.py train-ocr`, lazily, from a checkout
