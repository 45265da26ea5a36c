"""Crash points for the crash-safety tests and the soak: with ARCHIVER_CRASH_AT=name or name:n in the
environment, the process SIGKILLs itself (no clean-up, no finally blocks) the n-th time it reaches
the named point. Unset, as in every normal run, a crash point is one comparison."""
from __future__ import annotations

import os
import signal

POINTS = ("migrating", "analysed", "archive-written", "committed", "reason-written", "failed-moved")
_target = os.environ.get("ARCHIVER_CRASH_AT", "")
_name, _, _nth = _target.partition(":")
_remaining = int(_nth or 1) if _name else 0


def crash_point(name: str) -> None:
    """Die here, as kill -9 would, if the environment names this point."""
    global _remaining
    if name != _name:
        return
    _remaining -= 1
    if _remaining == 0:
        os.kill(os.getpid(), signal.SIGKILL)
