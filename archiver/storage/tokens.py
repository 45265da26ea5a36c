"""Search tokens: each CJK character is one token, runs of other letters and digits stay whole.

Text is folded (NFKC, lower case) first, so full-width ｛２０２４｝ and half-width 2024 are the same token.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import NamedTuple

# Ideographs (with 々〆〇), kana and hangul: scripts written without spaces, so one character per token.
_CJK_RANGES = (
    (0x3005, 0x3007),
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3FFFF),
)


class Token(NamedTuple):
    text: str  # folded
    start: int  # offsets of the token in the original (unfolded) string
    end: int


def is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return cp >= 0x3005 and any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


@lru_cache(maxsize=8192)
def _fold(ch: str) -> str:
    # Character by character, so every folded character keeps the offset of the one it came from.
    return ch.lower() if ch.isascii() else unicodedata.normalize("NFKC", ch).lower()


def tokenize(text: str) -> list[Token]:
    """Split text into search tokens with their offsets in the original string."""
    tokens: list[Token] = []
    run: list[str] = []
    run_start = run_end = 0
    for i, ch in enumerate(text):
        for c in _fold(ch):
            if c.isalnum() and not is_cjk(c):
                if not run:
                    run_start = i
                run.append(c)
                run_end = i + 1
                continue
            if run:
                tokens.append(Token("".join(run), run_start, run_end))
                run = []
            if c.isalnum():  # a CJK character: a token of its own
                tokens.append(Token(c, i, i + 1))
    if run:
        tokens.append(Token("".join(run), run_start, run_end))
    return tokens


def index_text(text: str) -> str:
    """The text as stored in the FTS index: its tokens joined by single spaces."""
    return " ".join(t.text for t in tokenize(text))


def phrase(text: str) -> tuple[str, ...]:
    """The tokens of a query term, in order; empty when nothing in it is searchable."""
    return tuple(t.text for t in tokenize(text))
