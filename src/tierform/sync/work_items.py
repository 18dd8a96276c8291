"""Work items: the tasks a sync creates for the rules' due actions and the playbooks they start.

One per due rule action or playbook step, with a deterministic external id so a re-run updates
the same task instead of creating another. :func:`work_items` makes them one at a time, as
objects; :mod:`tierform.sync.item_columns` makes the same items as columns for a large book.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import cast

from tierform.core.design import Design
from tierform.core.playbooks.spec import Playbook
from tierform.core.rules.spec import Rule
from tierform.sync.state import Data

# A started playbook's steps become tasks once due within this many days (the rest follow on
# later syncs), so a 90-day sequence does not flood the platform with future tasks.
DUE_HORIZON_DAYS = 14


@dataclass(slots=True)
class WorkItem:
    account_id: str
    source: str  # "rule:<name>" or "playbook:<name>"
    title: str  # the action's code (e.g. "notify:named CSM"): the id is made from it
    due: dt.date | None = None
    reason: str | None = None
    assignee: str | None = None
    text: str = ""  # the title people read ("Renewal prep: book the call with Acme")
    # Ties on the due date go to the lowest rank, then the code: a kept task (whose code is
    # not known) ranks 0 when it is the account's next step on the platform, else 2.
    rank: int = 1
    external_id: str = field(init=False)

    def __post_init__(self) -> None:
        # The id stays on the code, so rewording a title updates the task, never duplicates it.
        self.external_id = work_item_id(self.account_id, self.source, self.title)
        if not self.text:
            self.text = self.title

    @classmethod
    def kept(cls, key: str, data: Data, next_step: str | None = None) -> WorkItem:
        """A work item the platform holds, kept exactly as it is (same key and values);
        ``next_step``: the account's ``tf_next_step`` on the platform."""
        due = data.get("due")
        text = str(data.get("title") or key)
        item = cls(
            str(data.get("account_id")),
            str(data.get("source") or ""),
            key,
            dt.date.fromisoformat(str(due)) if due else None,
            data.get("reason"),
            data.get("assignee"),
            text,
            0 if text == next_step else 2,
        )
        item.external_id = key
        return item


def _rule_title(rule: str) -> str:
    words = rule.replace("_", "-").split("-")
    return " ".join(words).capitalize() if words else rule


def human_title(code: str, rule: str, who: str) -> str:
    """A work item's title for people, from a rule action's code and the account's name."""
    verb, _, arg = code.partition(":")
    head = _rule_title(rule)
    if verb == "notify" and "prompt" in arg:
        return f"{head}: show the {arg} to {who}"
    if verb == "notify":
        return f"{head}: alert {arg or 'the CSM'} about {who}"
    if verb == "move_tier":
        return f"{head}: hand {who} over to {arg} coverage"
    if verb in ("assign", "assign_csm"):
        return f"{head}: assign {who} to {arg} coverage" if arg else f"{head}: assign {who}"
    if verb == "assign_pool":
        return f"{head}: assign {who} to the {arg} pool"
    if verb == "assign_digital":
        return f"{head}: move {who} to {arg}'s digital-only coverage (no CSM)"
    if verb == "create_task":
        return f"{head}: {arg} ({who})"
    if verb == "start_playbook":
        return f"{head}: start the {arg} playbook for {who}"
    return f"{head}: {code.replace('_', ' ').replace(':', ' ')} for {who}"


def work_item_id(account_id: str, source: str, title: str) -> str:
    """Deterministic external id: the same account, source and action give the same id."""
    digest = hashlib.sha256("\x1f".join((account_id, source, title)).encode()).hexdigest()
    return f"tf-{digest[:20]}"


@dataclass(frozen=True)
class AccountLists:
    """The per-account lists the desired state reads, made once: each holds a Python object
    per account, and a million-account book made some of them three times over."""

    ids: list[str]
    tiers: list[str | None]
    owners: list[str | None]
    names: list[str | None]
    unique: bool  # no id repeats, so each account is one row

    @classmethod
    def of(cls, d: Design) -> AccountLists:
        book = d.book
        lists = (book.ids(), d.seg.tier_names(), d.owners(), book.text("name"))
        return cls(*lists, book.ids_unique())

    @cached_property
    def position(self) -> dict[str, int]:
        """Account id -> its row (the last one for an id given twice, as a dict of it would)."""
        return dict(zip(self.ids, range(len(self.ids)), strict=True))


def work_items(d: Design, cols: AccountLists | None = None) -> list[WorkItem]:
    """Due rule actions; a ``start_playbook:<name>`` action becomes one task per step of that
    playbook (due = the action's due date + the step's day), unless automation runs it."""
    if d.rule_run is None:
        return []
    c = cols if cols is not None else AccountLists.of(d)
    actions = d.rule_run.actions
    known = d.rule_run.action_rows()  # the design's rules ran on its book
    if known is None:  # actions given as rows: found by id
        rows = list(map(c.position.get, (a.account_id for a in actions)))
    else:
        rows = cast("list[int | None]", known)
    owners, names, tiers = c.owners, c.names, c.tiers
    before = d.book.text("owner")
    rules = {r.name: r for r in d.specs.rules}
    steps = {p.name: _Steps.of(p) for p in d.specs.playbooks}
    horizon = d.as_of + dt.timedelta(days=DUE_HORIZON_DAYS)
    titles: dict[tuple[str, str], tuple[str, str] | None] = {}
    sources: dict[str, str] = {}
    found: dict[str, WorkItem] = {}
    for action, at in zip(actions, rows, strict=True):
        account_id, rule, label = action.account_id, action.rule, action.action
        due, reason = action.due, action.reason
        assignee = None if at is None else owners[at]
        who = (None if at is None else names[at]) or account_id
        pb = steps.get(label.split(":", 1)[1]) if label.startswith("start_playbook:") else None
        if pb is not None:
            why = f"{reason}; via rule {rule}" if reason else f"rule {rule}"
            for day, code, lead in pb.steps:
                step_due = due + dt.timedelta(days=day)
                if step_due > horizon:
                    continue
                _keep_earliest(
                    found,
                    WorkItem(account_id, pb.source, code, step_due, why, assignee, lead + who),
                )
            continue
        if label.startswith("move_tier:"):
            move = _move(rules.get(rule))
            hand = Handoff(account_id, rule, label, due, reason, who, move)
            previous = None if at is None else before[at]
            for item in hand.items(assignee, previous, None if at is None else tiers[at]):
                _keep_earliest(found, item)
            continue
        source = sources.get(rule)
        if source is None:
            source = sources[rule] = f"rule:{rule}"
        pair = (label, rule)
        if pair in titles:
            parts = titles[pair]
        else:
            parts = titles[pair] = _title_parts(label, rule)
        text = human_title(label, rule, who) if parts is None else parts[0] + who + parts[1]
        _keep_earliest(found, WorkItem(account_id, source, label, due, reason, assignee, text))
    return list(found.values())


@dataclass(frozen=True)
class _Steps:
    """A playbook's steps as work items need them: (day, code, title up to the account's
    name), worked out once per playbook rather than once per account and step."""

    source: str
    steps: tuple[tuple[int, str, str], ...]

    @classmethod
    def of(cls, pb: Playbook) -> _Steps | None:
        """None where no task is made (automation runs it, or it has no steps)."""
        if pb.owner == "automation" or not pb.steps:
            return None
        return cls(
            f"playbook:{pb.name}",
            tuple(
                (s.day, f"{pb.name}: {s.action}", f"{pb.name}: {_lower_first(s.action)} with ")
                for s in pb.steps
            ),
        )


_WHO = "\x00who\x00"


def _title_parts(code: str, rule: str) -> tuple[str, str] | None:
    """:func:`human_title` of ``code`` and ``rule`` around the account's name (None: the
    title cannot be split there, so it is made per account)."""
    parts = human_title(code, rule, _WHO).split(_WHO)
    return (parts[0], parts[1]) if len(parts) == 2 else None


def _on_tier_change(rule: Rule) -> bool:
    """A rule a tier move sets off: on a tier change, or moving the tier for good."""
    t = rule.trigger
    lasting = any(a.type == "move_tier" and not a.temporary_days for a in rule.actions)
    return (t.type == "field_change" and t.field == "tier") or lasting


def _move(rule: Rule | None) -> tuple[int | None, int | None]:
    """(overlap_days, temporary_days) of a rule's tier move."""
    for action in rule.actions if rule is not None else []:
        if action.type == "move_tier":
            return action.overlap_days, action.temporary_days
    return None, None


@dataclass(frozen=True)
class Handoff:
    """The work items of a tier move. A lasting move with an overlap is the recipe's warm
    handoff: the new owner takes the account over, the previous owner introduces them and stays
    on until the overlap ends (two tasks). A temporary move (at-risk) changes no tier: one task
    to give the account the other tier's coverage until the review date."""

    account_id: str
    rule: str
    label: str  # move_tier:<tier>: the new owner's task keeps the id it always had
    due: dt.date
    reason: str | None
    who: str
    move: tuple[int | None, int | None]

    def items(self, owner: str | None, previous: str | None, tier: str | None) -> list[WorkItem]:
        overlap, temporary = self.move
        target = self.label.partition(":")[2]
        head = _rule_title(self.rule)
        source = f"rule:{self.rule}"
        if temporary:
            review = self.due + dt.timedelta(days=temporary)
            text = (
                f"{head}: give {self.who} {target} coverage for {temporary} days (its tier "
                f"stays {tier or 'as it is'}); review on {review}"
            )
            return [
                WorkItem(self.account_id, source, self.label, self.due, self.reason, owner, text)
            ]
        if not overlap:
            text = human_title(self.label, self.rule, self.who)
            return [
                WorkItem(self.account_id, source, self.label, self.due, self.reason, owner, text)
            ]
        until = self.due + dt.timedelta(days=overlap)
        from_whom = f" from {previous}" if previous else ""
        items = [
            WorkItem(
                self.account_id,
                source,
                self.label,
                self.due,
                self.reason,
                owner,
                f"Warm handoff: take over {self.who} (now {target}){from_whom}; "
                f"overlap until {until}",
            )
        ]
        if previous and previous != owner:
            to_whom = owner or f"the {target} team"
            items.append(
                WorkItem(
                    self.account_id,
                    source,
                    f"handoff_from:{previous}",
                    self.due,
                    self.reason,
                    previous,
                    f"Warm handoff: introduce {to_whom} to {self.who} and stay on until {until}",
                )
            )
        return items


def _lower_first(text: str) -> str:
    """ "Book the call" -> "book the call" (an acronym such as "QBR" stays)."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _keep_earliest(found: dict[str, WorkItem], item: WorkItem) -> None:
    """One open task per account, source and action: the earliest due wins."""
    key = item.external_id
    have = found.get(key)
    if have is None or (item.due or dt.date.max) < (have.due or dt.date.max):
        found[key] = item
