"""Rescans of one paper (issue 19): a colour scan and a grey rescan of the same sealed page, at another
dpi and slightly turned, are one document; a page of the same template with other content is not.
Pages are drawn here and damaged by bench.scansim; the real pipeline reads them."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from archiver import config
from archiver.app import make_pipeline
from bench.scansim import simulate

from .support.helpers import page_image, press_seal

NOTICE = ["上海市普陀区人民政府文件", "普府发〔2024〕12号", "上海市普陀区人民政府关于加强安全生产工作的通知",
          "各街道办事处、镇人民政府：", "为落实安全生产责任，现将有关事项通知如下。", "一、提高思想认识，加强组织领导。",
          "二、突出工作重点，强化安全检查。", "三、严格责任追究，确保落实到位。", "上海市普陀区人民政府", "2024年3月1日"]
# the same 版头, 主送, 署名 and seal; its own number, title, body and date
OTHER = ["上海市普陀区人民政府文件", "普府发〔2024〕31号", "上海市普陀区人民政府关于做好防汛防台工作的通知",
         "各街道办事处、镇人民政府：", "为做好今年汛期各项准备，现将有关事项通知如下。", "一、压实防汛责任，全面排查隐患。",
         "二、加强值班值守，及时报送信息。", "三、做好物资储备，提升应急能力。", "上海市普陀区人民政府", "2024年7月9日"]


def sealed_page(lines: list[str]) -> np.ndarray:
    rgb = page_image(lines, size=40, height=1500)
    y_sign = 120 + int(40 * 1.9) * (len(lines) - 2)
    return press_seal(rgb, 420, y_sign + 40, 130)


def colour_scan(path: Path, rgb: np.ndarray, seed: int) -> Path:
    Image.fromarray(simulate(rgb, "office", seed)).save(path, quality=70)
    return path


def grey_rescan(path: Path, rgb: np.ndarray, seed: int) -> Path:
    """Scanned again in grey, at 0.8 of the resolution, turned 0.6 degrees."""
    scan = simulate(rgb, "office", seed, rotate=0.6)
    grey = cv2.cvtColor(scan, cv2.COLOR_RGB2GRAY)
    grey = cv2.resize(grey, None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA)
    Image.fromarray(grey).save(path)
    return path


def test_a_colour_scan_and_a_grey_rescan_of_one_page_are_linked_another_content_is_not(archive_config):
    s = config.load(archive_config)
    s.paths.inbox.mkdir(parents=True)
    pipeline = make_pipeline(s)
    page, other = sealed_page(NOTICE), sealed_page(OTHER)
    first = pipeline.process(colour_scan(s.paths.inbox / "colour.jpg", page, seed=1))
    again = pipeline.process(grey_rescan(s.paths.inbox / "grey.png", page, seed=2))
    assert first.status == "stored" and first.duplicate_of is None
    assert again.status == "duplicate" and again.duplicate_of == first.document_id
    # a document on the same template is one of its own; its grey rescan is linked to it, not to the first
    own = pipeline.process(colour_scan(s.paths.inbox / "other.jpg", other, seed=3))
    assert own.status == "stored" and own.duplicate_of is None
    rescan = pipeline.process(grey_rescan(s.paths.inbox / "other.png", other, seed=4))
    assert rescan.status == "duplicate" and rescan.duplicate_of == own.document_id
