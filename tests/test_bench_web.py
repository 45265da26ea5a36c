"""bench.web runs end to end on a small archive (SQLite): a real server process, uploads and searches,
and prints its table. Figures are not judged here (timings are noisy); that it measures is."""
from bench import web


def test_bench_web_measures_uploads_and_searches(capsys, tmp_path):
    out = tmp_path / "b.md"
    assert web.main(["--docs", "200", "--uploads", "4", "--clients", "2", "--queries", "10", "--backends", "sqlite",
                     "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    row = next(line for line in printed.splitlines() if line.startswith("| sqlite"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert float(cells[1]) > 0 and cells[2].endswith("ms") and float(cells[4]) > 0
    assert "<!-- web -->" in out.read_text(encoding="utf-8")
