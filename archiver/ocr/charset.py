"""The recogniser's alphabet: GB2312 hanzi, ASCII and the symbols of official documents.

Folding decision: full-width ASCII letters and digits (０-９ Ａ-Ｚ ａ-ｚ) and the ideographic
space are folded to their ASCII form before training and scoring, because they look alike in
print and a scan cannot tell them apart reliably. The Chinese punctuation of 公文 (，。：；（）
and the rest) is kept as its own class, because it is what the documents use and it carries
meaning (〔2024〕 in a 发文字号). Class 0 is the CTC blank.
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

from archiver.textnorm import compact

# Punctuation and symbols seen in 公文, budgets and tables, beyond GB2312 hanzi and ASCII.
SYMBOLS = (
    "，。、；：？！“”‘’（）《》〔〕【】［］｛｝—…·％★☆〇○●◎□■△▲◆◇※→←↑↓"
    "①②③④⑤⑥⑦⑧⑨⑩⑴⑵⑶⑷⑸⑹⑺⑻⑼⑽ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ"
    "–～¥￥×÷±≤≥≠≈∶‰℃㎡№§°′″「」『』﹝﹞々"
)
# Symbols added after weights had been trained on the alphabet above: appended after the hanzi, so that those
# weights keep their class ids and a run started from them grows its output layer (training/train.py).
# 〈〉: a title quoted inside a title (《国务院关于修改〈建设工程质量管理条例〉的决定》), 2,817 of the 2,945
# characters of the laws corpus outside the alphabet before.
ADDED = "〈〉"


def gb2312_hanzi() -> list[str]:
    """All 6,763 GB2312 hanzi, in code order (rows 16-87)."""
    chars = []
    for hi in range(0xB0, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                ch = bytes([hi, lo]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            chars.append(ch)
    return chars


def build_alphabet() -> list[str]:
    """The default alphabet: ASCII printable (no space), symbols, hanzi, then the symbols added since. Order
    is part of the weights."""
    ascii_chars = [chr(c) for c in range(0x21, 0x7F)]
    seen: set[str] = set()
    out: list[str] = []
    for ch in ascii_chars + list(SYMBOLS) + gb2312_hanzi() + list(ADDED):
        if ch not in seen:
            seen.add(ch)
            out.append(ch)
    return out


def fold(text: str) -> str:
    """Fold full-width ASCII look-alikes to ASCII and drop whitespace (we read lines without spaces)."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E and (ch.isalnum()):
            ch = chr(code - 0xFEE0)
        if ch.isspace():
            continue
        out.append(ch)
    return "".join(out)


def score_normalise(text: str) -> str:
    """Normalisation for scoring only: NFKC, whitespace removed (as the gov-dev README prescribes)."""
    return compact(text)


@dataclass(frozen=True)
class Charset:
    """Maps characters to class ids (1..N) and back; 0 is the CTC blank."""

    chars: tuple[str, ...]

    @property
    def num_classes(self) -> int:
        return len(self.chars) + 1

    @property
    def digest(self) -> str:
        return hashlib.sha256("".join(self.chars).encode("utf-8")).hexdigest()[:16]

    @functools.cached_property
    def index(self) -> dict[str, int]:
        return {ch: i + 1 for i, ch in enumerate(self.chars)}

    def encode(self, text: str) -> list[int]:
        """Class ids of a folded text; characters outside the alphabet raise KeyError."""
        idx = self.index
        return [idx[ch] for ch in fold(text)]

    def decode(self, ids: list[int]) -> str:
        return "".join(self.chars[i - 1] for i in ids if i > 0)

    def covers(self, text: str) -> bool:
        idx = self.index
        return all(ch in idx for ch in fold(text))

    def save(self, path: Path) -> None:
        path.write_text("\n".join(self.chars) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "Charset":
        lines = path.read_text(encoding="utf-8").split("\n")
        return cls(tuple(line for line in lines if line))

    @classmethod
    def default(cls) -> "Charset":
        return cls(tuple(build_alphabet()))
