"""The 公文 fields and the archival-number fields, declared once.

Each field has one name from extraction to the database column: the attribute of
`document.Metadata` and `storage.views.DocumentView`, the column of `documents`, the key of rule
conditions, `show --json`, `explain` and the site. Its label, the column type and whether a reader
expects to see it even when empty are declared here too; everything else derives from this list.
Order is the GB/T 9704-2012 reading order of a 公文, then what is derived from the fields.
"""
from __future__ import annotations

import string
from dataclasses import dataclass

from archiver.errors import ConfigError


@dataclass(frozen=True)
class Field:
    name: str
    zh: str  # label a clerk reads
    en: str
    column: str = "text"  # text | str32 | str10 | str200 | int: the column type (see storage.tables)
    indexed: bool = False
    always_shown: bool = False  # the document page shows it as "—" when empty
    derived: bool = False  # computed from other fields, not read from one line of the page
    python: type = str  # the value's type (None when absent)

    @property
    def label(self) -> str:
        return f"{self.zh} {self.en}"


# The 公文 fields of GB/T 9704-2012 that extraction reads (document.Metadata).
GONGWEN: tuple[Field, ...] = (
    Field("copy_no", "份号", "Copy number"),  # 6 digits
    Field("secrecy", "密级", "Secrecy", column="str32"),  # 绝密 | 机密 | 秘密
    Field("secrecy_period", "保密期限", "Secrecy period"),  # e.g. 5年
    Field("urgency", "紧急程度", "Urgency", column="str32"),  # 特急 | 加急
    Field("header", "发文机关标志", "Issuer header"),  # e.g. 上海市人民政府文件
    Field("doc_number", "发文字号", "Number", column="str200", always_shown=True),  # normalised to 〔〕
    Field("signer", "签发人", "Signed by"),
    Field("title", "标题", "Title"),
    Field("recipients", "主送机关", "Addressed to"),
    Field("attachments", "附件说明", "Attachments"),  # items joined by ；
    Field("signature", "发文机关署名", "Signature"),
    Field("date", "成文日期", "Date", column="str10", indexed=True, always_shown=True),  # ISO yyyy-mm-dd
    Field("note", "附注", "Note"),
    Field("cc", "抄送机关", "Copied to"),
    Field("printer", "印发机关", "Printed by"),
    Field("print_date", "印发日期", "Printed on"),  # ISO yyyy-mm-dd
    # Derived: from the title, the 版头 or the signature; from the title; from the date or the number.
    Field("issuer", "发文机关", "Issuer", indexed=True, always_shown=True, derived=True),
    Field("doc_type", "文种", "Type", column="str32", indexed=True, always_shown=True, derived=True),
    Field("year", "年度", "Year", column="int", indexed=True, derived=True, python=int),
)

# The 档号 (DA/T 22-2015) and its parts, assigned once when a document is stored.
ARCHIVAL: tuple[Field, ...] = (
    Field("archival_code", "档号", "Archival code"),
    Field("fonds", "全宗号", "Fonds"),
    Field("retention", "保管期限", "Retention"),
    Field("org", "机构", "Organisation"),
)

GONGWEN_NAMES: tuple[str, ...] = tuple(f.name for f in GONGWEN)
ARCHIVAL_NAMES: tuple[str, ...] = tuple(f.name for f in ARCHIVAL)
BY_NAME: dict[str, Field] = {f.name: f for f in ARCHIVAL + GONGWEN}

# 保管期限 of DA/T 22-2015 and the standard's code for each, as used in a 档号.
RETENTION_CODES: dict[str, str] = {"永久": "Y", "30年": "D30", "10年": "D10"}
RETENTIONS: tuple[str, ...] = tuple(RETENTION_CODES)

# What a 档号 pattern (archive.code_template, filled by classify.numbering) may name.
CODE_FIELDS: tuple[str, ...] = ("fonds", "year", "retention", "retention_code", "org", "seq")


def check_pattern(pattern: str, name: str = "archive.code_template") -> None:
    """Refuse a pattern that names an unknown field or lacks {seq} (codes would not be unique)."""
    try:
        names = {f for _t, f, _s, _c in string.Formatter().parse(pattern) if f is not None}
    except ValueError as exc:
        raise ConfigError(f"config: {name} is not a valid pattern ({exc})") from None
    if "seq" not in {n.split(".")[0].split("[")[0] for n in names}:
        raise ConfigError(f"config: {name} must contain {{seq}} so that every 档号 is unique")
    unknown = sorted(n for n in names if n and n not in CODE_FIELDS)
    if unknown:
        raise ConfigError(f"config: {name} has an unknown field {{{unknown[0]}}}; known: {', '.join(CODE_FIELDS)}")
