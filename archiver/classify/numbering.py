"""Archival numbering after DA/T 22-2015 (归档文件整理规则): documents are filed by 年度, 保管期限
and 机构 within a 全宗, and numbered in that group; the 档号 is built from a configured pattern.

    {fonds}-WS·{year}-{retention_code}-{org}-{seq:04d}   →   J001-WS·2024-Y-BGS-0001

Fields: fonds, year, retention (永久/30年/10年), retention_code (Y/D30/D10, the standard's codes),
org, seq, and the 公文 fields (doc_type, doc_number, issuer, ...). Pure: the sequence number comes
from storage, which keeps a given number for good."""
from __future__ import annotations

from archiver.errors import ConfigError
from archiver.fields import RETENTION_CODES, check_pattern


def archival_code(pattern: str, *, fonds: str, year: int | None, retention: str, org: str, seq: int) -> str:
    """The 档号 for one document; a missing year is written 0000 (DA/T 22 files undated papers apart)."""
    check_pattern(pattern)
    try:
        return pattern.format(fonds=fonds, year=f"{year:04d}" if year else "0000", retention=retention,
                              retention_code=RETENTION_CODES.get(retention, retention), org=org, seq=seq)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"config: archive.code_template cannot be filled ({exc})") from None
