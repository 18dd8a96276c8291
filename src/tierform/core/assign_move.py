"""A reassignment in a books-of-business plan (its own module: the balancing code builds them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Move:
    account_id: str
    from_owner: str | None
    to_owner: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "from": self.from_owner,
            "to": self.to_owner,
            "reason": self.reason,
        }
