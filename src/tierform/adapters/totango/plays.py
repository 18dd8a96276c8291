"""Running an existing manual SuccessPlay once per account (the ``successplays`` setting).

SuccessPlays cannot be created through the API, only run when they are manual and active
(``POST /api/v2/automations/run-manual-successplay`` [SP]). A playbook named in
``successplays`` gets one run item per account it is due for, instead of a task per step (the
SuccessPlay creates its own). A run cannot be read back or undone: the journal records it, so a
re-run never runs it twice while the playbook stays due; when it is no longer due, the record is
dropped and a later occurrence runs it again. Only onboarding and renewal playbooks qualify.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tierform.adapters.totango.client import TotangoApi
from tierform.adapters.totango.query import refusal
from tierform.errors import PermanentApiError
from tierform.sync.change import Change, ChangeResult, Op
from tierform.sync.state import Data, Kind, State

RUN_PREFIX = "tfsp-"
STAGES = ("onboarding", "renewal")


def run_key(account_id: str, playbook: str, play_id: str) -> str:
    digest = hashlib.sha256("\x1f".join((account_id, playbook, play_id)).encode()).hexdigest()
    return f"{RUN_PREFIX}{digest[:20]}"


@dataclass
class RunPlan:
    items: dict[str, Data] = field(default_factory=dict)
    replaced: set[str] = field(default_factory=set)  # step tasks the SuccessPlay does instead
    warnings: list[str] = field(default_factory=list)


def plan_runs(desired: State, successplays: Mapping[str, str]) -> RunPlan:
    out = RunPlan()
    if not successplays:
        return out
    stages: dict[str, str] = {}
    for data in desired.of(Kind.playbook).values():
        definition = data.get("definition") or {}
        if isinstance(definition, Mapping):
            stages[str(data.get("name"))] = str(definition.get("stage") or "")
    usable = {}
    for name, play in sorted(successplays.items()):
        if name not in stages:
            out.warnings.append(
                f"successplays: the model has no playbook named {name!r}; its SuccessPlay "
                f"{play} is never run (playbooks: {', '.join(sorted(stages)) or 'none'})"
            )
        elif stages[name] not in STAGES:
            out.warnings.append(
                f"successplays: {name!r} is a {stages[name] or 'stage-less'} playbook; only "
                "onboarding and renewal playbooks run a SuccessPlay, so it stays tasks"
            )
        else:
            usable[name] = play
    for key, data in sorted(desired.of(Kind.work_item).items()):
        source = str(data.get("source") or "")
        playbook = source.split(":", 1)[1] if source.startswith("playbook:") else None
        account = data.get("account_id")
        if playbook not in usable or account is None:
            continue
        play = usable[playbook]
        out.replaced.add(key)
        out.items[run_key(str(account), playbook, play)] = {
            "account_id": str(account),
            "title": f"Run SuccessPlay for {playbook}",
            "successplay": play,
            "source": source,
        }
    return out


class PlayRunner:
    def __init__(self, api: TotangoApi) -> None:
        self.api = api

    def write(self, change: Change) -> ChangeResult:
        if change.op is not Op.create:
            # A run cannot be changed or undone; dropping its record is all there is to do.
            return ChangeResult(change, ok=True, remote_id=change.remote_id)
        data: dict[str, Any] = change.data or {}
        play, account = str(data.get("successplay")), str(data.get("account_id"))
        try:
            reply = self.api.run_play(play, account)
        except PermanentApiError as exc:
            return ChangeResult(change, ok=False, error=_refused(play, data, str(exc)))
        text = refusal(reply)
        if text is not None:
            return ChangeResult(change, ok=False, error=_refused(play, data, text))
        return ChangeResult(change, ok=True, remote_id=f"{play}:{account}")


def _refused(play: str, data: Mapping[str, Any], text: str) -> str:
    playbook = str(data.get("source") or "").removeprefix("playbook:")
    return (
        f"totango: the SuccessPlay {play} (playbook {playbook!r}) was refused for account "
        f"{data.get('account_id')}: {text}. Only an active, manual SuccessPlay runs through the "
        "API: open it under SuccessBLOCs > SuccessPlays and check that its trigger is Manual "
        "and that it is active (or fix the id in `successplays`)"
    )
