"""Read config.yaml once, validate it, and hand out frozen settings.

Every key is known: an unknown key or a value of the wrong type or range is a ConfigError that
names it (`config.yaml: ocr.threads must be an integer >= 1, got 'two'`). Relative paths are
resolved against the folder of the config file, so the project runs from anywhere."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

import yaml

from .errors import ConfigError
from .fields import RETENTIONS, check_pattern
from .ocr.beam import DEFAULT_LM_WEIGHT
from .ocr.engines import DEFAULT_ENGINE, ENGINES, PRECISIONS, SECOND_BELOW
from .resources import RULES, SECOND_WEIGHTS, TEMPLATES, WEIGHTS


@dataclass(frozen=True)
class Paths:
    inbox: Path = Path("inbox")
    archive: Path = Path("archive")
    failed: Path = Path("failed")
    site: Path = Path("site")
    work: Path = Path(".work")  # scratch space for rendered pages


@dataclass(frozen=True)
class Database:
    url: str = "sqlite:///archive/archive.db"
    busy_timeout: float = 10.0  # seconds a write waits for another writer before the file is retried later


@dataclass(frozen=True)
class Intake:
    dpi: int = 200
    use_text_layer: bool = True  # a PDF page with a text layer is read from it, not OCR'd
    max_pages: int = 2000
    max_page_pixels: int = 80_000_000  # width × height of one rendered page; a 30,000² image is refused unread
    max_file_mb: float = 500.0  # larger files are refused before any reading


@dataclass(frozen=True)
class Ocr:
    weights: Path = WEIGHTS  # crnn.pt + crnn.onnx + crnn-int8.onnx + config.json + charset.txt + lm.npz, shipped in the package
    threads: int = 2
    batch_size: int = 32
    # onnx-int8 / onnx: ONNX Runtime runs crnn-int8.onnx / crnn.onnx (faster here, no torch in the worker); torch: PyTorch runs crnn.pt
    engine: str = DEFAULT_ENGINE
    # torch engine only. auto: bfloat16 for the CNN where the CPU has native bf16 (AVX-512 BF16 / AMX), else float32
    precision: str = "auto"
    low_confidence: float = 0.6  # lines below this are marked in the site
    min_confidence: float = 0.25  # reads below this are noise (specks, stains) and are dropped
    decoder: str = "beam"  # beam: prefix beam search with the character language model lm.npz; greedy: best path
    lm_weight: float = DEFAULT_LM_WEIGHT  # weight of the language model's log probability per hanzi (beam only)
    beam_width: int = 8
    # a line read with less confidence than second_below is read again by second_weights (trained on small type
    # scanned fax-like) and that text stands; 0 turns the second reading off
    second_weights: Path = SECOND_WEIGHTS
    second_below: float = SECOND_BELOW


@dataclass(frozen=True)
class Dedup:
    hash_distance: int = 10  # max Hamming distance between page pHashes (64-bit)
    text_similarity: float = 0.82  # min similarity of the texts (bigram Dice)
    rescan_text_similarity: float = 0.68  # ...for a rescan of the same paper (as many pages, 90 % alike)
    action: str = "mark"  # mark: store and mark duplicate_of; skip: do not store


@dataclass(frozen=True)
class Rules:
    folder: Path = RULES  # the rules shipped in the package (archiver/rules); point it at a copy to edit them


@dataclass(frozen=True)
class Archive:
    name_template: str = "{year}/{category}/{id}-{title}{ext}"
    thumbnail_width: int = 300
    # 档号 after DA/T 22-2015: 全宗号, pattern, and the 保管期限 / 机构 used when no rule chooses one
    fonds: str = "J001"
    code_template: str = "{fonds}-WS·{year}-{retention_code}-{org}-{seq:04d}"
    default_retention: str = "30年"
    default_org: str = "BGS"


@dataclass(frozen=True)
class Watch:
    stable_seconds: float = 3.0  # size and mtime unchanged this long before a file is read
    rescan_seconds: float = 30.0  # periodic full scan catches missed events
    polling: bool = False  # poll instead of inotify (network shares)
    poll_interval: float = 2.0
    empty_seconds: float = 60.0  # a zero-byte file still empty after this long is failed, not waited on
    max_interrupted: int = 3  # a file whose processing was cut short (crash) this often goes to failed/
    # A file that will not parse (truncated, damaged) and was written to less than this long ago is a copy
    # that paused, not a bad file: it is read again once it changes, and failed only after this long.
    settle_seconds: float = 60.0


@dataclass(frozen=True)
class Site:
    auto_build: bool = True
    templates: Path = TEMPLATES


@dataclass(frozen=True)
class Celery:
    """`queue: celery`: the watcher registers files and enqueues them; `manage.py worker` processes take them."""

    broker: str = "redis://127.0.0.1:6379/0"
    queue_name: str = "archiver"
    heartbeat_seconds: float = 5.0  # a worker marks the job it holds alive this often
    stale_seconds: float = 60.0  # a running job not marked alive this long lost its worker: queued again
    requeue_seconds: float = 3600.0  # a job queued this long without a worker taking it is queued again
    visibility_timeout: float = 7200.0  # the broker hands an unacknowledged job to another worker after this


@dataclass(frozen=True)
class Web:
    """`manage.py web`: the upload pages, search and the REST API (/api/v1)."""

    host: str = "127.0.0.1"  # another address only when told: the server is reachable from there
    port: int = 8000
    read_access: str = "open"  # open: anyone who reaches the server may read; token: reading needs a token too
    max_upload_mb: float = 200.0  # a larger upload is refused with 413 (and never above intake.max_file_mb)
    max_files: int = 50  # files in one POST /documents
    ocr_cache: int = 256  # POST /ocr results kept, by the file's sha256
    ocr_max_pages: int = 20  # POST /ocr answers while the client waits: a longer file goes through the inbox
    watch: bool = True  # watch the inbox in the server's process when no daemon does


@dataclass(frozen=True)
class Settings:
    paths: Paths = field(default_factory=Paths)
    database: Database = field(default_factory=Database)
    intake: Intake = field(default_factory=Intake)
    ocr: Ocr = field(default_factory=Ocr)
    dedup: Dedup = field(default_factory=Dedup)
    rules: Rules = field(default_factory=Rules)
    archive: Archive = field(default_factory=Archive)
    watch: Watch = field(default_factory=Watch)
    site: Site = field(default_factory=Site)
    workers: int = 1
    queue: str = "local"  # local: the daemon processes files itself; celery: workers do (see Celery)
    celery: Celery = field(default_factory=Celery)
    web: Web = field(default_factory=Web)
    base_dir: Path = Path(".")  # folder of the config file; not a key in the file


_CHOICES = {"queue": ("local", "celery"), "dedup.action": ("mark", "skip"), "ocr.engine": ENGINES, "ocr.precision": PRECISIONS, "ocr.decoder": ("greedy", "beam"), "archive.default_retention": RETENTIONS,
            "web.read_access": ("open", "token")}
_RANGES = {
    "intake.dpi": (50, 1200), "intake.max_pages": (1, 100000),
    "intake.max_page_pixels": (10_000, 10_000_000_000), "intake.max_file_mb": (0.001, 1_000_000.0),
    "watch.empty_seconds": (0.0, 86400.0), "watch.settle_seconds": (0.0, 86400.0), "database.busy_timeout": (0.0, 3600.0), "watch.max_interrupted": (1, 1000), "ocr.threads": (1, 256),
    "ocr.batch_size": (1, 4096), "ocr.low_confidence": (0.0, 1.0), "ocr.lm_weight": (0.0, 5.0), "ocr.beam_width": (1, 64), "ocr.second_below": (0.0, 1.0), "ocr.min_confidence": (0.0, 1.0), "dedup.hash_distance": (0, 64),
    "dedup.text_similarity": (0.0, 1.0), "dedup.rescan_text_similarity": (0.0, 1.0), "watch.stable_seconds": (0.0, 3600.0),
    "watch.rescan_seconds": (1.0, 86400.0), "watch.poll_interval": (0.1, 3600.0), "workers": (1, 256),
    "archive.thumbnail_width": (16, 4000), "celery.heartbeat_seconds": (0.1, 3600.0),
    "celery.stale_seconds": (1.0, 86400.0), "celery.requeue_seconds": (1.0, 604800.0),
    "celery.visibility_timeout": (1.0, 604800.0),
    "web.port": (0, 65535), "web.max_upload_mb": (0.001, 1_000_000.0), "web.max_files": (1, 10000),
    "web.ocr_cache": (0, 100000), "web.ocr_max_pages": (1, 100000),
}


def _convert(name: str, kind: Any, value: Any, base: Path) -> Any:
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"config: {name} must be true or false, got {value!r}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"config: {name} must be an integer, got {value!r}")
    elif kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"config: {name} must be a number, got {value!r}")
        value = float(value)
    elif kind is str:
        if not isinstance(value, str) or not value:
            raise ConfigError(f"config: {name} must be a non-empty string, got {value!r}")
    elif kind is Path:
        if not isinstance(value, str) or not value:
            raise ConfigError(f"config: {name} must be a path, got {value!r}")
        p = Path(value).expanduser()
        return p if p.is_absolute() else (base / p)
    if name in _RANGES:
        lo, hi = _RANGES[name]
        if not lo <= value <= hi:
            raise ConfigError(f"config: {name} must be between {lo} and {hi}, got {value!r}")
    if name in _CHOICES and value not in _CHOICES[name]:
        raise ConfigError(f"config: {name} must be one of {', '.join(_CHOICES[name])}, got {value!r}")
    return value


def _build(cls: type, data: Any, prefix: str, base: Path) -> Any:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"config: {prefix.rstrip('.') or 'the file'} must be a mapping of keys, got {type(data).__name__}")
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "base_dir"}
    for key in data:
        if key not in fields:
            raise ConfigError(f"config: unknown key '{prefix}{key}'")
    values = {}
    for name, f in fields.items():
        kind = hints[name]
        full = prefix + name
        if dataclasses.is_dataclass(kind):
            values[name] = _build(kind, data.get(name), full + ".", base)
        elif name in data:
            values[name] = _convert(full, kind, data[name], base)
        else:
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            values[name] = (base / default) if isinstance(default, Path) and not default.is_absolute() else default
    return cls(**values)


def _sqlite_relative(url: str, base: Path) -> str:
    """Resolve a relative SQLite path against the config folder, as every other path is."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
        return prefix + str(base / url[len(prefix):])
    return url


def load(path: Path | None) -> Settings:
    """Settings from a YAML file (None: defaults relative to the current folder)."""
    if path is None:
        base = Path.cwd()
        data: Any = {}
    else:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config: {path} not found")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            raise ConfigError(f"config: {path} is not valid YAML{where}") from None
        base = path.resolve().parent
    settings = _build(Settings, data, "", base)
    check_pattern(settings.archive.code_template)  # a bad 档号 pattern is a config error, found at load
    from .archive_files import check_template

    check_template(settings.archive.name_template)
    db = dataclasses.replace(settings.database, url=_sqlite_relative(settings.database.url, base))
    return dataclasses.replace(settings, database=db, base_dir=base)
