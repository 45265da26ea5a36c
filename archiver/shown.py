"""Outside text (file names above all) made safe to show: in a log line, a terminal, a message, a
database row. A name may hold bytes that are not UTF-8 (kept by Python as lone surrogates, which no
database or UTF-8 file accepts), newlines that would forge a log line, or escape sequences that
would drive the terminal. Each such character is written as a visible escape; everything else,
Chinese above all, is left as it is."""
from __future__ import annotations

import logging
import os
import unicodedata

_ESCAPED = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # controls, format (bidi overrides), surrogates, unassigned


def shown(text: object) -> str:
    """text with every control, format or undecodable character as an escape (\\x1b, \\u202e, \\xff)."""
    s = os.fsdecode(text) if isinstance(text, (bytes, os.PathLike)) else str(text)
    if s.isprintable() and s.isascii():
        return s
    out = []
    for ch in s:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif unicodedata.category(ch) in _ESCAPED:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


class ShownFormatter(logging.Formatter):
    """A log formatter whose message part can never hold a raw newline or escape sequence, whatever
    a caller passed in; tracebacks (the formatter's own exc_text) keep their lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = shown(record.message)
        return super().formatMessage(record)
