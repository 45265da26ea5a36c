"""Openly licensed CJK fonts from Debian packages, and which characters each one draws.

One font is held out of training on purpose (WenQuanYi Micro Hei) so tests can check that the
recogniser reads a typeface it has never seen.

Every font the code uses (training, rendered test inputs, benchmarks) is named here with the Debian
package that installs it, and every use goes through `by_name` or `require`: a font that is not
installed is a FontMissing error naming its file and package, never a FileNotFoundError deep in a
renderer, and never a silently shorter list. scripts/setup.sh installs every package named here
(a test checks that).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont

from archiver.errors import FontMissing

NOTO = Path("/usr/share/fonts/opentype/noto")
TT = Path("/usr/share/fonts/truetype")


@dataclass(frozen=True)
class FontSpec:
    name: str
    path: Path
    index: int = 0
    style: str = "song"  # song | hei | kai | fangsong
    bold: bool = False  # draw with a stroke to embolden a regular face
    package: str = "fonts-noto-cjk"  # the Debian package that installs path


TRAINING_FONTS: tuple[FontSpec, ...] = (
    FontSpec("Noto Serif SC", NOTO / "NotoSerifCJK-Regular.ttc", 2, "song"),
    FontSpec("Noto Serif SC Light", NOTO / "NotoSerifCJK-Light.ttc", 2, "song", package="fonts-noto-cjk-extra"),
    FontSpec("Noto Serif SC Bold", NOTO / "NotoSerifCJK-Bold.ttc", 2, "song"),
    FontSpec("Noto Serif SC SemiBold", NOTO / "NotoSerifCJK-SemiBold.ttc", 2, "song", package="fonts-noto-cjk-extra"),
    FontSpec("Noto Sans SC", NOTO / "NotoSansCJK-Regular.ttc", 2, "hei"),
    FontSpec("Noto Sans SC Light", NOTO / "NotoSansCJK-Light.ttc", 2, "hei", package="fonts-noto-cjk-extra"),
    FontSpec("Noto Sans SC Bold", NOTO / "NotoSansCJK-Bold.ttc", 2, "hei"),
    FontSpec("Noto Sans SC Medium", NOTO / "NotoSansCJK-Medium.ttc", 2, "hei", package="fonts-noto-cjk-extra"),
    FontSpec("AR PL UMing CN", TT / "arphic/uming.ttc", 0, "song", package="fonts-arphic-uming"),
    FontSpec("AR PL UMing CN bold", TT / "arphic/uming.ttc", 0, "song", bold=True, package="fonts-arphic-uming"),
    FontSpec("AR PL SungtiL GB", TT / "arphic-gbsn00lp/gbsn00lp.ttf", 0, "song", package="fonts-arphic-gbsn00lp"),
    FontSpec("AR PL UKai CN", TT / "arphic/ukai.ttc", 0, "kai", package="fonts-arphic-ukai"),
    FontSpec("AR PL KaitiM GB", TT / "arphic-gkai00mp/gkai00mp.ttf", 0, "kai", package="fonts-arphic-gkai00mp"),
    FontSpec("AR PL KaitiM GB bold", TT / "arphic-gkai00mp/gkai00mp.ttf", 0, "kai", bold=True, package="fonts-arphic-gkai00mp"),
    FontSpec("LXGW WenKai", TT / "lxgw-wenkai/LXGWWenKai-Regular.ttf", 0, "kai", package="fonts-lxgw-wenkai"),
    FontSpec("LXGW WenKai Bold", TT / "lxgw-wenkai/LXGWWenKai-Bold.ttf", 0, "kai", package="fonts-lxgw-wenkai"),
    FontSpec("WenQuanYi Zen Hei", TT / "wqy/wqy-zenhei.ttc", 0, "hei", package="fonts-wqy-zenhei"),
    FontSpec("cwTeX FangSong", TT / "cwtex/cwfs.ttf", 0, "fangsong", package="fonts-cwtex-fs"),
)

HELD_OUT_FONT = FontSpec("WenQuanYi Micro Hei", TT / "wqy/wqy-microhei.ttc", 0, "hei", package="fonts-wqy-microhei")

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


ALL_FONTS = TRAINING_FONTS + (HELD_OUT_FONT,)


def require(fonts: tuple[FontSpec, ...] = TRAINING_FONTS) -> tuple[FontSpec, ...]:
    """The fonts, every one of them installed; FontMissing names the files and packages that are not."""
    missing = [f for f in fonts if not f.path.is_file()]
    if missing:
        packages = " ".join(sorted({f.package for f in missing}))
        files = ", ".join(str(f.path) for f in missing)
        raise FontMissing(f"font files missing: {files}; install them with `apt-get install {packages}` "
                          f"(scripts/setup.sh does)")
    return fonts


def by_name(name: str) -> FontSpec:
    """The named font, installed (FontMissing otherwise)."""
    for f in ALL_FONTS:
        if f.name == name:
            return require((f,))[0]
    raise KeyError(name)


def path_of(name: str) -> Path:
    """The file of the named font, installed (FontMissing otherwise)."""
    return by_name(name).path
