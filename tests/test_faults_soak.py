"""The soak script in its short mode: every fault kind dealt at least once through a real daemon process,
and every invariant it checks holds."""
from __future__ import annotations

from bench import soak


def test_soak_short_mode(tmp_path, capsys):
    # 0.65 of ~35 items are faults: the round-robin deals each of the 18 kinds once
    code = soak.main(["--pages", "40", "--fault-rate", "0.65", "--seed", "5", "--work", str(tmp_path / "soak"),
                      "--timeout", "300"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "invariants: all hold" in out
    injected = out.split("faults injected: ")[1].splitlines()[0]
    for kind in soak.FAULT_KINDS:
        assert f"{kind} " in injected, (kind, injected)
