"""A reassignment in a books-of-business plan (its own module: the balancing code builds them)."""

from __future__ import annotations

from typing import Any, NamedTuple


class Move(NamedTuple):
    """A tuple, not a frozen dataclass: a rebalance of a million accounts builds hundreds of
    thousands of them, and a tuple is built (and read back as columns) several times faster."""

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
