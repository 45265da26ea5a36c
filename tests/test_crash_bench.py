"""The crash benchmark in a short run: a real daemon killed with SIGKILL three times among good documents and
every hostile arrival, and every invariant it reports holds."""
from __future__ import annotations

from bench import crash


def test_crash_bench_short_run(tmp_path, capsys):
    out_md = tmp_path / "benchmarks.md"
    code = crash.main(["--rounds", "3", "--docs", "6", "--seed", "2", "--work", str(tmp_path / "crash"),
                       "--timeout", "120", "--out", str(out_md)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "invariants: all hold" in out and "INVARIANT BROKEN" not in out
    rows = {line.split(" | ")[0].lstrip("| "): line for line in out.splitlines() if line.startswith("| ")}
    assert rows["kills (SIGKILL, then a restart)"].split(" | ")[1].startswith("3 in 3 rounds")
    assert "6 of 6 (6 rows, 6 distinct sha256" in rows["good documents stored, each once"]
    hostile = rows["hostile arrivals in failed/ once, with reason file and failure row"]
    assert f"{len(crash.HOSTILE)} of {len(crash.HOSTILE)}" in hostile
    for kind in crash.HOSTILE:
        assert kind in hostile
    for what, want in [("inbox", "empty"), ("scratch folders left in the work folder", "0"),
                       ("jobs still marked running", "0"), ("lost (neither archived nor in failed/ with its reason)", "none"),
                       ("anything else in failed/", "nothing")]:
        assert rows[what].split(" | ")[1] == want, rows[what]
    assert "exit 0" in rows["`manage.py check`"]
    assert rows["tracebacks in the logs"].split(" | ")[1].startswith("0 of ")
    assert all(line.endswith("| yes |") for line in rows.values() if not line.startswith("| |")), out
    section = out_md.read_text(encoding="utf-8")
    assert "<!-- crash -->" in section and "`python -m bench.crash --rounds 3 --docs 6" in section
