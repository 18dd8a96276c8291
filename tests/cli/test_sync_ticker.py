"""The apply progress bar advances in steps, and the remainder is not lost."""

from __future__ import annotations

from typing import Any

from tierform.cli.sync_cmds import _Ticker


class _Progress:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, int]] = []

    def advance(self, task: Any, amount: int = 1) -> None:
        self.calls.append((task, amount))


def test_ticker_advances_every_step_and_flushes_the_rest() -> None:
    progress = _Progress()
    tick = _Ticker(progress, "t", step=3)
    for _ in range(7):
        tick(None)
    assert progress.calls == [("t", 3), ("t", 3)]  # 7 results: two full steps so far
    tick.flush()
    tick.flush()  # nothing pending: no empty advance
    assert progress.calls == [("t", 3), ("t", 3), ("t", 1)]
    assert sum(n for _, n in progress.calls) == 7
