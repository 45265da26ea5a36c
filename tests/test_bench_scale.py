"""bench.scale at toy sizes: every part runs end to end, prints its tables and leaves nothing behind."""
from __future__ import annotations

import os

import pytest

from bench import scale

PG_URL = os.environ.get("ARCHIVER_TEST_PG", "")
REDIS_URL = os.environ.get("ARCHIVER_TEST_REDIS", "")


def _pg_or_skip(backend: str) -> str:
    if backend == "postgresql" and not PG_URL:
        pytest.skip("PostgreSQL half skipped: no server configured (ARCHIVER_TEST_PG is unset)")
    return PG_URL or scale.DEFAULT_PG


def _scale_databases(pg_url: str) -> list[str]:
    with scale._admin(pg_url) as conn:
        return [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'archiver_scale_%'")]


def test_generated_documents_are_about_a_page_and_the_query_mix_is_fixed():
    docs = list(scale.light_documents(50, seed=3))
    assert [d["id"] for d in docs] == list(range(1, 51))
    assert all(450 <= len(d["text"]) <= 1200 for d in docs)
    assert docs == list(scale.light_documents(50, seed=3))
    mix = scale.query_mix(45, seed=1)
    assert mix == scale.query_mix(45, seed=1) and sorted(mix) == sorted(scale.QUERIES * 3)
    assert "u:***@h/db" in scale.command_line(["--pg", "postgresql+psycopg://u:secret@h/db"])


def test_the_report_names_the_queries_the_backends_disagree_on():
    counts = {b: {q: 10 for q, _ in scale.QUERIES} for b in scale.BACKENDS}
    assert scale.disagreement_note(counts, list(scale.BACKENDS)) == ""
    counts["postgresql"]["通知"], counts["sqlite"]["防汛"] = 11, 0
    assert scale.disagreement_note(counts, list(scale.BACKENDS)) == "**The backends disagree on the matches of: 通知, 防汛**"
    assert scale.disagreement_note(counts, ["sqlite"]) == ""


def test_search_and_writers_parts_print_their_tables(backend, tmp_path, capsys):
    pg = _pg_or_skip(backend)
    before = _scale_databases(pg) if backend == "postgresql" else []
    out = tmp_path / "benchmarks.md"
    assert scale.main(["--parts", "search,writers", "--backends", backend, "--docs", "60", "--queries", "15",
                       "--writer-counts", "1,2", "--writer-docs", "3", "--pg", pg, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "### Search latency" in printed and "### The single-writer limit" in printed
    assert f"| {backend} | 2 | 6 |" in printed  # two writers stored 3 documents each
    if backend == "postgresql":
        assert "ix_documents_fts_grams" not in printed or "Bitmap Index Scan" in printed
        assert "PostgreSQL plans" in printed
        assert _scale_databases(pg) == before  # every database it made was dropped
    section = out.read_text(encoding="utf-8")
    assert section.count("<!-- scale -->") == 1 and "python -m bench.scale --parts search,writers" in section


@pytest.mark.sqlite_only
def test_workers_part_runs_celery_workers(backend, capsys):
    if not REDIS_URL:
        pytest.skip("Celery part skipped: no Redis server configured (ARCHIVER_TEST_REDIS is unset)")
    import redis

    assert scale.main(["--parts", "workers", "--backends", "sqlite", "--workloads", "text", "--text", "2",
                       "--workers", "1", "--broker", REDIS_URL]) == 0
    assert "| sqlite | text layer | 1 | 2 |" in capsys.readouterr().out
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert not list(client.scan_iter(match="*archiver-scale-*"))  # the run's queue was deleted
    finally:
        client.close()
