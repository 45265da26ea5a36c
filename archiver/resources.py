"""The files the package ships beside its code (templates, migrations, rules, recogniser weights),
found through importlib.resources so that they are where the package is, installed or checked out."""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def bundled(name: str) -> Path:
    """A folder or file shipped inside the archiver package, as a filesystem path."""
    path = Path(str(files("archiver").joinpath(name)))
    if not path.exists():  # a zipped install is not supported: Alembic and jinja2 need real files
        raise FileNotFoundError(f"archiver package data missing: {name} (looked in {path})")
    return path


TEMPLATES = bundled("templates")
MIGRATIONS = bundled("migrations")
RULES = bundled("rules")
WEIGHTS = bundled("ocr/weights")
SECOND_WEIGHTS = WEIGHTS / "second"  # the second reader's weights (ocr.second_weights), beside the first's
