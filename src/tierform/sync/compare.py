"""Where two platforms disagree, per account and field (octoDNS's compare).

Both sides are snapshots (:mod:`tierform.sync.snapshot`); the CSM is compared as each platform
has it (its own owner field where it keeps one), so a reassignment made in one platform's UI
shows here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tierform.sync.snapshot import Snapshot
from tierform.sync.state import canon

CSM = "csm"


@dataclass(frozen=True)
class FieldDifference:
    account: str
    field: str
    a: Any
    b: Any


@dataclass
class Comparison:
    a: str
    b: str
    accounts_compared: int = 0
    only_a: list[str] = field(default_factory=list)
    only_b: list[str] = field(default_factory=list)
    differences: list[FieldDifference] = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return not (self.only_a or self.only_b or self.differences)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "agree": self.agree,
            "accounts_compared": self.accounts_compared,
            "only_in_a": self.only_a,
            "only_in_b": self.only_b,
            "differences": [
                {"account": d.account, "field": d.field, "a": d.a, "b": d.b}
                for d in self.differences
            ],
        }


def compare(
    a: Snapshot, b: Snapshot, same: Callable[[str | None, str | None], bool] | None = None
) -> Comparison:
    """Accounts only on one side, and every field (and the CSM) that differs on the others.
    ``same``: whether two CSM values name one person (the roster maps e-mails to names)."""
    same = same or same_person
    out = Comparison(a.target, b.target)
    keys_a, keys_b = set(a.accounts), set(b.accounts)
    out.only_a = sorted(keys_a - keys_b)
    out.only_b = sorted(keys_b - keys_a)
    both = sorted(keys_a & keys_b)
    out.accounts_compared = len(both)
    for key in both:
        da, db = a.accounts[key], b.accounts[key]
        for name in sorted((set(da) | set(db)) - {"tf_csm"}):
            if canon(da.get(name)) != canon(db.get(name)):
                out.differences.append(FieldDifference(key, name, da.get(name), db.get(name)))
        csm_a, csm_b = a.csm(key), b.csm(key)
        if not same(csm_a, csm_b):
            out.differences.append(FieldDifference(key, CSM, csm_a, csm_b))
    return out


def same_person(a: str | None, b: str | None) -> bool:
    return (a or "").strip().casefold() == (b or "").strip().casefold()


def render_text(c: Comparison, limit: int = 200) -> str:
    if c.agree:
        return f"{c.a} and {c.b} agree on all {c.accounts_compared} account(s)."
    lines = [
        f"{c.a} and {c.b} differ: {len(c.differences)} field difference(s) on "
        f"{c.accounts_compared} shared account(s); {len(c.only_a)} only in {c.a}, "
        f"{len(c.only_b)} only in {c.b}."
    ]
    for d in c.differences[:limit]:
        lines.append(f"  {d.account} {d.field}: {c.a}={_show(d.a)} {c.b}={_show(d.b)}")
    if len(c.differences) > limit:
        lines.append(f"  ... {len(c.differences) - limit} more (use --format json)")
    for side, keys in ((c.a, c.only_a), (c.b, c.only_b)):
        if keys:
            shown = ", ".join(keys[:20]) + (" ..." if len(keys) > 20 else "")
            lines.append(f"  only in {side}: {shown}")
    return "\n".join(lines)


def render_markdown(c: Comparison) -> str:
    out = [f"# {c.a} vs {c.b}", ""]
    if c.agree:
        return "\n".join([*out, f"They agree on all {c.accounts_compared} account(s).", ""])
    out += [
        f"{len(c.differences)} field difference(s) on {c.accounts_compared} shared account(s); "
        f"{len(c.only_a)} account(s) only in {c.a}, {len(c.only_b)} only in {c.b}.",
        "",
        f"| account | field | {_md(c.a)} | {_md(c.b)} |",
        "|---|---|---|---|",
    ]
    out += [
        f"| {_md(d.account)} | {_md(d.field)} | {_md(_show(d.a))} | {_md(_show(d.b))} |"
        for d in c.differences
    ]
    for side, keys in ((c.a, c.only_a), (c.b, c.only_b)):
        if keys:
            out += ["", f"Only in {_md(side)}: " + ", ".join(_md(k) for k in keys)]
    return "\n".join(out) + "\n"


def _show(value: Any) -> str:
    return "—" if value is None else str(value)


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
