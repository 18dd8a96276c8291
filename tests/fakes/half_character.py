"""One round trip every adapter's tests run against its fake: a managed text the platform holds
with half of a surrogate pair (cut in the middle of an emoji), sent as the fake's ASCII-escaped
JSON, is planned as an update from U+FFFD, rewritten by the apply, and then aligned."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tierform.sync.engine import Syncer
from tierform.sync.state import State

HALF = "Enter\ud800prise"  # what the platform holds
READ = "Enter\ufffdprise"  # what tierform reads it as


def plans_and_rewrites_a_half_character(
    fake: Any,
    syncer: Callable[[], Syncer],
    desired: State,
    key: str,
    holder: Callable[[], dict[str, Any]],
    field: str,
) -> None:
    """``holder()[field]``: where the fake stores the managed text of object ``key``."""
    assert syncer().apply(syncer().plan(desired)).ok
    expected = holder()[field]
    holder()[field] = HALF
    fake.ascii_json = True
    plan = syncer().plan(desired)
    assert [(c.key, [(d.old, d.new) for d in c.diffs]) for c in plan.changes] == [
        (key, [(READ, expected)])
    ]
    assert syncer().apply(plan).ok
    assert holder()[field] == expected
    assert syncer().plan(desired).is_empty
