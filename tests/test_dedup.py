"""Near-duplicates: page looks narrow the field, text agreement decides."""
from __future__ import annotations

import cv2
import numpy as np

from archiver.dedup import (BLANK, contained, find_near_duplicate, hamming, page_hash, page_matches, sure_text,
                            text_similarity)

from .support.helpers import page_image

BODY = ["上海市普陀区人民政府关于加强安全生产工作的通知", "各街道办事处、镇人民政府：", "为进一步落实安全生产责任，",
        "现将有关事项通知如下。", "一、提高认识，加强领导。", "二、突出重点，强化检查。"]


def rescan(rgb: np.ndarray) -> np.ndarray:
    """Other dpi, slight rotation, JPEG: what scanning the same paper again gives."""
    h, w = rgb.shape[:2]
    small = cv2.resize(rgb, (int(w * 0.75), int(h * 0.75)), interpolation=cv2.INTER_AREA)
    m = cv2.getRotationMatrix2D((small.shape[1] / 2, small.shape[0] / 2), 0.8, 1.0)
    rot = cv2.warpAffine(small, m, (small.shape[1], small.shape[0]), borderValue=(255, 255, 255))
    ok, buf = cv2.imencode(".jpg", rot, [cv2.IMWRITE_JPEG_QUALITY, 70])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def test_rescan_keeps_its_page_hash_and_another_page_does_not():
    a = page_image(BODY)
    other = page_image(["会议纪要", "时间：2024年5月6日", "地点：第一会议室"] + ["议题" * 10] * 8)
    assert hamming(page_hash(a), page_hash(rescan(a))) <= 10
    assert hamming(page_hash(a), page_hash(other)) > 10


def test_page_hash_is_imagehash_phash_bit_for_bit():
    """Archives made before the hash was computed here keep matching: the same 64 bits as imagehash's."""
    import imagehash
    from PIL import Image

    rng = np.random.default_rng(7)
    pages = [page_image(BODY), rescan(page_image(BODY)), np.full((300, 200, 3), 255, np.uint8)]
    pages += [rng.integers(0, 256, (int(rng.integers(8, 300)), int(rng.integers(8, 300)), 3)).astype(np.uint8)
              for _ in range(40)]
    for rgb in pages:
        assert page_hash(rgb) == str(imagehash.phash(Image.fromarray(rgb).convert("L")))


def test_text_similarity_tolerates_ocr_slips_but_not_other_content():
    text = "".join(BODY) * 3
    slipped = text.replace("安全", "安仝", 2).replace("通知", "通如", 1)
    assert text_similarity(text, slipped) > 0.9
    other_year = text.replace("安全生产", "防汛防台").replace("提高认识", "压实责任").replace("突出重点", "排查隐患")
    assert text_similarity(text, other_year) < 0.85
    assert text_similarity("２０２４ 年", "2024年") == 1.0


def test_find_near_duplicate_needs_both_looks_and_text():
    h = page_hash(page_image(BODY))
    stored = [(1, 1, h), (2, 1, "0" * 16)]
    texts = {1: "".join(BODY), 2: "".join(BODY)}
    m = find_near_duplicate([h], "".join(BODY), stored, texts.__getitem__, 10, 0.85)
    assert m is not None and m.document_id == 1 and m.text_similarity == 1.0
    # same look, different text (same template, other content): not a duplicate
    assert find_near_duplicate([h], "完全不同的另一份文件内容" * 5, stored, texts.__getitem__, 10, 0.85) is None
    # one matching page out of three is not enough
    assert find_near_duplicate([h, "f" * 16, "0f" * 8], "".join(BODY), [(1, 1, h)], texts.__getitem__, 10, 0.85) is None


def test_page_hash_index_reads_incrementally_and_matches_like_the_pairwise_count():
    import random

    from archiver.dedup import PageHashIndex, page_matches

    rng = random.Random(3)
    pages = [(n, 1 + n // 3, f"{rng.getrandbits(64):016x}") for n in range(1, 301)]  # (page id, doc, hash)
    index = PageHashIndex()
    index.add(pages[:200])
    index.add(pages[200:])
    assert index.last_page_id == 300 and len(index.hashes) == 300
    near = f"{int(pages[10][2], 16) ^ 0b1011:016x}"  # 3 bits from page 11 (document 4)
    new = [near, f"{rng.getrandbits(64):016x}"]
    got = index.matches(new, 10)
    want = {}
    for _pid, doc, h in pages:  # the pairwise definition, written out
        for i, nh in enumerate(new):
            if hamming(nh, h) <= 10:
                want.setdefault(doc, {})[i] = min(want.get(doc, {}).get(i, 65), hamming(nh, h))
    assert got == {doc: (len(d) / len(new), max(d.values())) for doc, d in want.items()}
    assert got[4] == (0.5, 3)
    assert page_matches(new, [(doc, 1, h) for _pid, doc, h in pages], 10) == got


def test_a_document_gone_since_its_pages_were_indexed_is_no_candidate():
    h = "0f" * 8
    assert find_near_duplicate([h], "正文" * 20, [(1, 1, h)], lambda _i: None, 10, 0.5) is None


def test_blank_pages_take_no_part_in_matching():
    """A blank page's hash is the hash of its paper noise: a rescan's blank page matches nothing, and
    must not keep the rescan's text pages from counting as all of its pages."""
    h = page_hash(page_image(BODY))
    stored = [(1, 1, h), (1, 2, BLANK)]
    assert page_matches([h, BLANK], stored, 10) == {1: (1.0, 0)}
    assert page_matches([BLANK, BLANK], stored, 10) == {}
    texts = {1: "".join(BODY)}
    m = find_near_duplicate([BLANK, h, BLANK], "".join(BODY), stored, texts.__getitem__, 10, 0.85)
    assert m is not None and m.document_id == 1


def test_a_rescan_of_the_same_paper_needs_less_text_agreement_than_a_look_alike():
    """A poor copy's OCR loses a quarter of the bigrams: with as many pages as the stored document and
    nearly all alike, rescan_similarity is enough; a document that only shares most page looks (other
    page count) still needs min_similarity."""
    pages = [page_hash(page_image(BODY[:k] + ["第" + "一二三四"[k] + "页"])) for k in range(4)]
    stored = [(7, n + 1, h) for n, h in enumerate(pages)]
    text = "".join(BODY) * 4
    poor = text[: int(len(text) * 0.75)] + "某某" * 20  # about 0.75 agreement
    sim = text_similarity(poor, text)
    assert 0.68 < sim < 0.82
    m = find_near_duplicate(pages, poor, stored, {7: text}.__getitem__, 10, 0.82, 0.68)
    assert m is not None and m.document_id == 7
    # the same text agreement without the second rule, or with a page fewer: not a duplicate
    assert find_near_duplicate(pages, poor, stored, {7: text}.__getitem__, 10, 0.82) is None
    assert find_near_duplicate(pages[:3], poor, stored, {7: text}.__getitem__, 10, 0.82, 0.68) is None


def test_a_rescan_whose_seal_lines_are_garbled_is_linked_by_the_lines_it_read_surely():
    """A poor copy misreads its seal and small print: Dice falls under rescan_similarity, but what it read
    with confidence is found in the stored text. Only for a rescan of the same paper (as many pages, all
    alike); a document on the same template, read just as surely, shares too little to be linked."""
    pages = [page_hash(page_image(BODY))]
    stored = [(7, 1, pages[0])]
    text = "".join(BODY)
    garbled = ["墨—四吧耻吧“■VIII咆即三—6wm6mmi", "耻吧■咆即三6wm—四吧", "■VIII咆即墨耻吧"]
    lines = [(ln, 0.97) for ln in BODY[:4]] + [(g, 0.31) for g in garbled]
    poor = "\n".join(t for t, _ in lines)
    assert text_similarity(poor, text) < 0.68
    sure = sure_text(lines)
    assert garbled[0] not in sure and contained(sure, text) == 1.0
    m = find_near_duplicate(pages, poor, stored, {7: text}.__getitem__, 10, 0.82, 0.68, sure)
    assert m is not None and m.document_id == 7
    assert find_near_duplicate(pages, poor, stored, {7: text}.__getitem__, 10, 0.82, 0.68) is None  # Dice alone
    # a page fewer or more: not a rescan of the same paper, the confident lines do not count
    assert find_near_duplicate(pages * 2, poor, stored, {7: text}.__getitem__, 10, 0.82, 0.68, sure) is None
    # the same 版头, 主送 and first lines, then its own content, all read surely: not linked
    other = BODY[:2] + ["为做好今年汛期各项准备工作，", "现将防汛有关事项通知如下。", "一、压实防汛责任，排查隐患。",
                        "二、加强值班值守，报送信息。"]
    other_sure = sure_text((ln, 0.99) for ln in other)
    assert contained(other_sure, text) < 0.68
    assert find_near_duplicate(pages, "\n".join(other), stored, {7: text}.__getitem__, 10, 0.82, 0.68, other_sure) is None
