"""Openly licensed CJK fonts from Debian packages, and which characters each one draws.

One font is held out of training on purpose (WenQuanYi Micro Hei) so tests can check that the
recogniser reads a typeface it has never seen.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont

NOTO = Path("/usr/share/fonts/opentype/noto")
TT = Path("/usr/share/fonts/truetype")


@dataclass(frozen=True)
class FontSpec:
    name: str
    path: Path
    index: int = 0
    style: str = "song"  # song | hei | kai | fangsong
    bold: bool = False  # draw with a stroke to embolden a regular face


TRAINING_FONTS: tuple[FontSpec, ...] = (
    FontSpec("Noto Serif SC", NOTO / "NotoSerifCJK-Regular.ttc", 2, "song"),
    FontSpec("Noto Serif SC Light", NOTO / "NotoSerifCJK-Light.ttc", 2, "song"),
    FontSpec("Noto Serif SC Bold", NOTO / "NotoSerifCJK-Bold.ttc", 2, "song"),
    FontSpec("Noto Serif SC SemiBold", NOTO / "NotoSerifCJK-SemiBold.ttc", 2, "song"),
    FontSpec("Noto Sans SC", NOTO / "NotoSansCJK-Regular.ttc", 2, "hei"),
    FontSpec("Noto Sans SC Light", NOTO / "NotoSansCJK-Light.ttc", 2, "hei"),
    FontSpec("Noto Sans SC Bold", NOTO / "NotoSansCJK-Bold.ttc", 2, "hei"),
    FontSpec("Noto Sans SC Medium", NOTO / "NotoSansCJK-Medium.ttc", 2, "hei"),
    FontSpec("AR PL UMing CN", TT / "arphic/uming.ttc", 0, "song"),
    FontSpec("AR PL UMing CN bold", TT / "arphic/uming.ttc", 0, "song", bold=True),
    FontSpec("AR PL SungtiL GB", TT / "arphic-gbsn00lp/gbsn00lp.ttf", 0, "song"),
    FontSpec("AR PL UKai CN", TT / "arphic/ukai.ttc", 0, "kai"),
    FontSpec("AR PL KaitiM GB", TT / "arphic-gkai00mp/gkai00mp.ttf", 0, "kai"),
    FontSpec("AR PL KaitiM GB bold", TT / "arphic-gkai00mp/gkai00mp.ttf", 0, "kai", bold=True),
    FontSpec("LXGW WenKai", TT / "lxgw-wenkai/LXGWWenKai-Regular.ttf", 0, "kai"),
    FontSpec("LXGW WenKai Bold", TT / "lxgw-wenkai/LXGWWenKai-Bold.ttf", 0, "kai"),
    FontSpec("WenQuanYi Zen Hei", TT / "wqy/wqy-zenhei.ttc", 0, "hei"),
    FontSpec("cwTeX FangSong", TT / "cwtex/cwfs.ttf", 0, "fangsong"),
)

HELD_OUT_FONT = FontSpec("WenQuanYi Micro Hei", TT / "wqy/wqy-microhei.ttc", 0, "hei")

# Where a face lacks a character, it is drawn with the face of the closest style that has it.
FALLBACK = {
    "song": "Noto Serif SC",
    "hei": "Noto Sans SC",
    "kai": "AR PL KaitiM GB",
    "fangsong": "AR PL KaitiM GB",
}


@functools.lru_cache(maxsize=None)
def coverage(path: Path, index: int) -> frozenset[str]:
    """Characters the face maps to a glyph."""
    if path.suffix.lower() == ".ttc":
        font = TTCollection(str(path)).fonts[index]
    else:
        font = TTFont(str(path), lazy=True)
    cmap = font.getBestCmap() or {}
    return frozenset(chr(c) for c in cmap)


def available(fonts: tuple[FontSpec, ...] = TRAINING_FONTS) -> tuple[FontSpec, ...]:
    """The fonts of the list that are installed on this machine."""
    return tuple(f for f in fonts if f.path.exists())


def by_name(name: str) -> FontSpec:
    for f in TRAINING_FONTS + (HELD_OUT_FONT,):
        if f.name == name:
            return f
    raise KeyError(name)
