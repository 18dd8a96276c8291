"""The desired state Gainsight can hold right now (``normalize_desired``).

* Field definitions leave the diff: Gainsight's API cannot create custom fields, so each becomes
  a build-sheet step of its own (with ``platform_name``/``platform_type``), verified by describe.
* A value whose Company field does not exist yet (or has an unusable type) is left out of the
  desired state and counted as *waiting* on that field's step; the rest are written. ``tf_csm``
  also goes to the standard ``Csm`` lookup, so it is kept when the CSM is a Gainsight user.
* A playbook that ``playbooks:`` maps to an existing Gainsight playbook becomes one CTA per
  account with that playbook attached (Gainsight creates its tasks), instead of a CTA per step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from tierform.adapters.gainsight.index import Index
from tierform.adapters.gainsight.mapping import api_name, compatible
from tierform.sync.state import Data, Kind, State

PLAYBOOK_PREFIX = "tfg-"


def usable_fields(index: Index) -> set[str]:
    out = set()
    for name, definition in index.field_defs.items():
        data_type = index.schema.get(api_name(name))
        if data_type is not None and compatible(str(definition.get("type", "text")), data_type):
            out.add(name)
    return out


def copy_state(state: State) -> State:
    return State(
        {k: dict(v) for k, v in state.objects.items()},
        {k: dict(v) for k, v in state.labels.items()},
        {k: dict(v) for k, v in state.remote_ids.items()},
        list(state.warnings),
    )


def normalize(
    desired: State, index: Index, roster: dict[str, str | None], playbooks: Mapping[str, str]
) -> State:
    out = copy_state(desired)
    index.field_defs = {k: dict(v) for k, v in desired.of(Kind.field).items()}
    out.objects.pop(Kind.field, None)
    index.usable = usable_fields(index)
    index.waiting = {}
    accounts = out.objects.get(Kind.account, {})
    for key, data in list(accounts.items()):
        kept: Data = {}
        for name, value in data.items():
            if name in index.usable or (
                name == "tf_csm" and index.users.resolve(str(value), roster) is not None
            ):
                kept[name] = value
            else:
                index.waiting[name] = index.waiting.get(name, 0) + 1
        accounts[key] = kept
    items = out.objects.get(Kind.work_item)
    if items and playbooks:
        out.objects[Kind.work_item] = group_playbooks(items, playbooks, index.playbook_id)
        for key, data in out.objects[Kind.work_item].items():
            if key.startswith(PLAYBOOK_PREFIX):
                out.labels.setdefault(Kind.work_item, {})[key] = (
                    f"{data['title']} ({data['account_id']})"
                )
    return out


def playbook_of(data: Mapping[str, Any]) -> str | None:
    source = str(data.get("source") or "")
    return source.split(":", 1)[1].strip() or None if source.startswith("playbook:") else None


def group_key(account: str, playbook: str) -> str:
    digest = hashlib.sha256("\x1f".join((account, "playbook", playbook)).encode()).hexdigest()
    return f"{PLAYBOOK_PREFIX}{digest[:20]}"


def group_playbooks(
    items: dict[str, Data], playbooks: Mapping[str, str], known: Mapping[str, str]
) -> dict[str, Data]:
    """Per account and mapped playbook (that exists in Gainsight), one CTA: due at its earliest
    step, titled after the playbook; its steps come from the Gainsight playbook's tasks."""
    out: dict[str, Data] = {}
    lower = {name.strip().lower(): name for name in known}
    for key, data in sorted(items.items()):
        playbook = playbook_of(data)
        gs = playbooks.get(playbook) if playbook else None
        account = data.get("account_id")
        if playbook is None or gs is None or gs.strip().lower() not in lower or account is None:
            out[key] = data
            continue
        gkey = group_key(str(account), playbook)
        have = out.get(gkey)
        due = data.get("due")
        if have is None or _earlier(due, have.get("due")):
            out[gkey] = {
                "account_id": account,
                "title": playbook,
                "due": due,
                "source": f"playbook:{playbook}",
                "reason": data.get("reason"),
                "assignee": data.get("assignee"),
                "gs_playbook": lower[gs.strip().lower()],
            }
            out[gkey] = {k: v for k, v in out[gkey].items() if v is not None}
    return out


def _earlier(a: Any, b: Any) -> bool:
    if b is None:
        return a is not None
    if a is None:
        return False
    return dt.date.fromisoformat(str(a)) < dt.date.fromisoformat(str(b))
