"""A benchmark check: pass / warn / fail with the figure it was judged on and the recovery."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Status = Literal["pass", "warn", "fail", "info"]


@dataclass(frozen=True)
class Check:
    id: str
    status: Status
    figure: float | str | None
    message: str
    recovery: str | None = None
    grade: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None or k == "figure"}


def worst(checks: list[Check]) -> Status:
    order = {"info": 0, "pass": 0, "warn": 1, "fail": 2}
    status: Status = "pass"
    for check in checks:
        if order[check.status] > order[status]:
            status = check.status
    return status
