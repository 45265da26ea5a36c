"""`manage.py explain ID`: the 公文 fields of a stored document with the line each was read from,
the archival number and the rules that fired and why. Formats a storage view; imports nothing of storage."""
from __future__ import annotations

import unicodedata

from archiver.fields import GONGWEN



def _pad(text: str, width: int) -> str:
    cols = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - cols)


def explain_data(doc) -> dict:
    """Fields (value, page, line, source text), archival number and rule hits of a DocumentView."""
    spans = {sp.field: sp for sp in getattr(doc, "spans", ())}
    fields = []
    for f in GONGWEN:
        value = getattr(doc, f.name, None)
        sp = spans.get(f.name)
        fields.append({"field": f.name, "label": f.zh, "value": value, "derived": f.derived,
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
            ("  ← derived" if f["derived"] else "")
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
