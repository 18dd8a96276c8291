"""Moving a client from one platform to another: A's values, as people left them, onto B.

The desired state of B is *A's snapshot*, not a recomputation from the book: a CSM reassigned in
A's UI or a tier overridden there is what arrives in B. The neutral model makes the coverage
fields a no-op mapping; the CSM goes through the roster (A's user, by e-mail or name, is the
roster's CSM, whom B's adapter matches to its own user). B's field definitions and
configuration come from the model, so B's build sheet is part of the migration plan. Open work
items on A are carried with their due dates and keys (B upserts on them, so a re-run or a
resumed run never duplicates). After the apply, B is read back and every account verified.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tierform.core.model import CoverageLayer, CoverageModel
from tierform.sync.change import ChangeResult
from tierform.sync.snapshot import Snapshot, model_state
from tierform.sync.state import Data, Kind, State, canon

CUTOVER_CHECKLIST = (
    "Freeze edits of tierform's fields and CSM assignments in {a} (tell the team the date).",
    "Run the final delta migration: `tierform migrate --from {a} --to {b} --apply` (it carries "
    "only what changed since the last run).",
    "Check they agree: `tierform compare {a} {b}` exits 0.",
    "Switch the nightly `tierform sync -t {a} --check` to `-t {b}`.",
    "Finish {b}'s build-sheet steps (`tierform buildsheet -t {b}`), then retire {a}'s tf_ "
    "fields, segments and playbooks.",
)


class People:
    """Who a CSM value names: roster entries by e-mail or name, and the model's pools."""

    def __init__(self, model: CoverageModel) -> None:
        self.by_alias: dict[str, str] = {}
        for entry in model.roster:
            self.by_alias[entry.name.strip().casefold()] = entry.name
            if entry.email:
                self.by_alias[entry.email.strip().casefold()] = entry.name
        for tier in model.tiers:
            if tier.layer is CoverageLayer.pooled:
                self.by_alias[tier.pool_name.strip().casefold()] = tier.pool_name

    def resolve(self, who: str | None) -> str | None:
        """The roster name (or pool) ``who`` stands for, or None when it is not known."""
        if not who:
            return None
        return self.by_alias.get(who.strip().casefold())

    def same(self, a: str | None, b: str | None) -> bool:
        ra, rb = self.resolve(a) or a, self.resolve(b) or b
        return (ra or "").strip().casefold() == (rb or "").strip().casefold()


@dataclass
class Migration:
    """B's desired state made from A's snapshot, with what the plan must say about it."""

    source: Snapshot
    desired: State
    notes: list[str] = field(default_factory=list)

    @property
    def accounts(self) -> dict[str, Data]:
        return self.desired.of(Kind.account)


def migration_desired(
    source: Snapshot, model: CoverageModel, from_model: State | None = None
) -> Migration:
    """B's desired state: the model's definitions, A's accounts and open work items.

    ``from_model``: the desired state compiled from the model and a book; where A has no value
    of a field B needs, the model's value is used (and the plan says so).
    """
    people = People(model)
    desired = model_state(model)
    out = Migration(source, desired)
    unknown: Counter[str] = Counter()
    labels = source.state.labels.get(Kind.account, {})
    model_accounts = from_model.of(Kind.account) if from_model is not None else {}
    for key, data in sorted(source.accounts.items()):
        values: dict[str, Any] = dict(data)
        who = source.csm(key)
        if who:
            name = people.resolve(who)
            if name is None:
                unknown[who] += 1
            values["tf_csm"] = name or who
        desired.put(Kind.account, key, values, label=labels.get(key))
    out.notes += _field_gaps(out, model_accounts)
    for who, n in sorted(unknown.items()):
        out.notes.append(
            f"CSM {who!r} ({n} account(s)) is not in the model's roster: carried as written; "
            "add them to the roster with their e-mail so the new platform's user is found"
        )
    items = source.open_work_items()
    work_labels = source.state.labels.get(Kind.work_item, {})
    for key, data in sorted(items.items()):
        desired.put(Kind.work_item, key, data, label=work_labels.get(key))
    return out


def _field_gaps(m: Migration, model_accounts: dict[str, Data]) -> list[str]:
    """Per field B needs: the accounts whose value A lacks, filled from the model when given."""
    notes: list[str] = []
    accounts = m.desired.objects.setdefault(Kind.account, {})
    for name in sorted(m.desired.of(Kind.field)):
        missing = [k for k, d in accounts.items() if d.get(name) is None]
        if not accounts or len(missing) < len(accounts):
            continue  # some accounts carry it: a blank value is data, not a gap
        filled = 0
        for key in missing:
            value = model_accounts.get(key, {}).get(name)
            if value is not None:
                accounts[key] = {**accounts[key], name: canon(value)}
                filled += 1
        where = m.source.target
        if filled:
            notes.append(
                f"{name}: {where} has no values; filled from the model for {filled} of "
                f"{len(missing)} account(s)"
            )
        else:
            notes.append(
                f"{name}: {where} has no values; left empty (give --accounts to fill it "
                "from the model)"
            )
    return notes


@dataclass
class Verification:
    read: int
    written: int
    verified: int
    mismatched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return self.read - self.verified

    def summary(self, a: str, b: str) -> str:
        return (
            f"{self.read} accounts read from {a}, {self.written} written to {b}, "
            f"{self.verified} verified; {self.lost} lost"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "written": self.written,
            "verified": self.verified,
            "lost": self.lost,
            "missing_in_target": self.missing,
            "different_in_target": self.mismatched,
        }


def accounts_written(m: Migration, failures: Iterable[ChangeResult]) -> int:
    """The migration's accounts the apply wrote (or found already aligned): all but the failed."""
    failed = {r.change.key for r in failures if r.change.kind is Kind.account}
    return len(set(m.accounts) - failed)


def verify(m: Migration, target: Snapshot, model: CoverageModel, written: int) -> Verification:
    """Every account of A read back from B with the values the migration wanted."""
    people = People(model)
    out = Verification(len(m.source.accounts), written, 0)
    for key, want in sorted(m.accounts.items()):
        have = target.accounts.get(key)
        if have is None:
            out.missing.append(key)
            continue
        fields_ok = all(canon(have.get(f)) == canon(v) for f, v in want.items() if f != "tf_csm")
        # The CSM as written (tf_csm, or the owner field the adapter writes it to); a platform
        # whose own owner the API cannot set assigns it through a build-sheet step.
        if fields_ok and people.same(_written_csm(have), want.get("tf_csm")):
            out.verified += 1
        else:
            out.mismatched.append(key)
    return out


def _written_csm(data: Data) -> str | None:
    value = data.get("tf_csm")
    return str(value) if value is not None else None


def cutover_checklist(a: str, b: str) -> list[str]:
    return [step.format(a=a, b=b) for step in CUTOVER_CHECKLIST]
