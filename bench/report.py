"""Benchmarks write their tables into docs/benchmarks.md, each in its own marked section."""
from __future__ import annotations

import re
from pathlib import Path


def write_section(path: Path, name: str, markdown: str) -> None:
    """Replace (or append) the section between <!-- name --> markers, leaving the rest alone."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    block = f"{start}\n{markdown.rstrip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _m: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
