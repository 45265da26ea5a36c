"""config.yaml: read once, validated, one-line errors naming the key."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from archiver import config
from archiver.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_shipped_config_loads_with_paths_under_the_project():
    s = config.load(ROOT / "config.yaml")
    assert s.paths.inbox == ROOT / "inbox"
    assert s.database.url == f"sqlite:///{ROOT / 'archive' / 'archive.db'}"
    assert s.dedup.action == "mark" and s.intake.dpi == 200


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    s = config.load(write(tmp_path, "paths:\n  inbox: drop\ndatabase:\n  url: sqlite:///db/a.db\n"))
    assert s.paths.inbox == tmp_path / "drop"
    assert s.paths.archive == tmp_path / "archive"  # default, also relative to the file
    assert s.database.url == f"sqlite:///{tmp_path / 'db' / 'a.db'}"


@pytest.mark.parametrize("text, message", [
    ("paths:\n  inbx: x\n", "unknown key 'paths.inbx'"),
    ("colour: red\n", "unknown key 'colour'"),
    ("ocr:\n  threads: two\n", "ocr.threads must be an integer"),
    ("ocr:\n  threads: 0\n", "ocr.threads must be between"),
    ("dedup:\n  action: delete\n", "dedup.action must be one of mark, skip"),
    ("ocr:\n  engine: tensorrt\n", "ocr.engine must be one of onnx, onnx-int8, torch"),
    ("intake:\n  use_text_layer: 1\n", "intake.use_text_layer must be true or false"),
    ("paths: [1, 2]\n", "paths must be a mapping"),
    ("ocr: {threads: [\n", "not valid YAML"),
])
def test_bad_config_is_a_one_line_error_naming_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError) as exc:
        config.load(write(tmp_path, text))
    assert message in exc.value.message
    assert "\n" not in exc.value.message


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        config.load(tmp_path / "nope.yaml")


def test_settings_are_frozen():
    s = config.load(ROOT / "config.yaml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.workers = 3  # type: ignore[misc]


def test_a_bad_name_template_is_refused_when_the_config_is_read(tmp_path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text('archive: {name_template: "{year}/{nonsense}{ext}"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="name_template has an unknown field 'nonsense'"):
        config.load(cfg)
    cfg.write_text('archive: {name_template: "{year}/{archival_code}-{issuer}{ext}"}\n', encoding="utf-8")
    assert config.load(cfg).archive.name_template.startswith("{year}")
