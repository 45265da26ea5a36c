"""`manage.py explain ID`: the 公文 fields of a stored document with the line each was read from,
the archival number and the rules that fired and why. Formats a storage view; imports nothing of storage."""
from __future__ import annotations

import unicodedata

# GB/T 9704-2012 order, then what is derived from them.
LABELS = (("copy_no", "份号"), ("secrecy", "密级"), ("secrecy_period", "保密期限"), ("urgency", "紧急程度"),
          ("header", "发文机关标志"), ("doc_number", "发文字号"), ("signer", "签发人"), ("title", "标题"),
          ("recipients", "主送机关"), ("attachments", "附件说明"), ("signature", "发文机关署名"), ("date", "成文日期"),
          ("note", "附注"), ("cc", "抄送机关"), ("printer", "印发机关"), ("print_date", "印发日期"),
          ("issuer", "发文机关"), ("doc_type", "文种"), ("year", "年度"))


def _pad(text: str, width: int) -> str:
    cols = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - cols)


def explain_data(doc) -> dict:
    """Fields (value, page, line, source text), archival number and rule hits of a DocumentView."""
    spans = {sp.field: sp for sp in getattr(doc, "spans", ())}
    fields = []
    for name, label in LABELS:
        value = getattr(doc, name, None)
        sp = spans.get(name)
        fields.append({"field": name, "label": label, "value": value,
                       "page": sp.page if sp else None, "line": sp.line if sp else None,
                       "source": sp.text if sp else None})
    return {
        "id": doc.id, "file": doc.original_name, "title": doc.title,
        "archival_code": doc.archival_code, "fonds": doc.fonds, "retention": doc.retention, "org": doc.org,
        "category": doc.category, "tags": list(doc.tags), "fields": fields,
        "rules": [{"rule": h.rule, "category": h.category, "tags": list(h.tags), "field": h.field,
                   "matched": list(h.matched)} for h in doc.hits],
    }


def explain_lines(doc) -> list[str]:
    """The same as explain_data, as lines for a terminal."""
    d = explain_data(doc)
    out = [f"#{d['id']}  {d['title'] or d['file']}"]
    if d["archival_code"]:
        out.append(f"档号: {d['archival_code']}  (全宗 {d['fonds']}, 保管期限 {d['retention']}, 机构 {d['org']})")
    out.append("fields (value ← page:line source text as read):")
    missing = []
    for f in d["fields"]:
        if f["value"] in (None, ""):
            missing.append(f["label"])
            continue
        src = f"  ← p{f['page']}:{f['line']} {f['source']!r}" if f["source"] is not None else \
            ("  ← derived" if f["field"] in ("doc_type", "year", "issuer") else "")
        out.append(f"  {_pad(f['label'], 12)} {f['value']}{src}")
    if missing:
        out.append(f"  not found: {'、'.join(missing)}")
    out.append(f"category: {d['category'] or '-'}; tags: {', '.join(d['tags']) or '-'}")
    if not d["rules"]:
        out.append("rules: none fired")
    for r in d["rules"]:
        gives = " ".join(x for x in ([f"category {r['category']}"] if r["category"] else []) +
                         ([f"tags {', '.join(r['tags'])}"] if r["tags"] else []))
        out.append(f"rule {r['rule']}{' → ' + gives if gives else ''}: fired on {r['field']}: {'; '.join(r['matched'])}")
    return out
