"""Plan renderers: text (default), Markdown and JSON, all from ``Plan.to_dict()``-level data.

An adapter's facts about the run (``plan.meta``: how a read was partitioned, which API wrote)
are shown as short notes; they are not part of the checksum, and never carry a secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tierform.sync.buildsheet import BuildStep
from tierform.sync.change import Change, Op
from tierform.sync.plan import Plan

SYMBOL = {Op.create: "+", Op.update: "~", Op.delete: "-"}
MAX_LISTED = 200  # per op; the rest are counted (a 100k-account first sync stays readable)
#: Meta keys never shown, whatever an adapter puts there (the contract already forbids secrets).
_SECRET_KEY = re.compile(r"secret|passw|token|credential|private|key")


def _value(v: Any) -> str:
    if v is None:
        return "(none)"
    if isinstance(v, dict | list):
        text = json.dumps(v, sort_keys=True, ensure_ascii=False)
        return text if len(text) <= 80 else text[:77] + "..."
    return repr(v) if isinstance(v, str) else str(v)


def _name(c: Change) -> str:
    return f"{c.kind.value} {c.key}" + (f" ({c.label})" if c.label and c.label != c.key else "")


def _change_lines(c: Change) -> list[str]:
    lines = [f"{SYMBOL[c.op]} {_name(c)}"]
    if c.op is Op.update:
        lines += [f"    {d.field}: {_value(d.old)} -> {_value(d.new)}" for d in c.diffs]
    elif c.op is Op.create and c.data:
        lines += [f"    {k}: {_value(v)}" for k, v in c.data.items()]
    return lines


def _listed(plan: Plan) -> tuple[list[Change], int]:
    """The first :data:`MAX_LISTED` changes of each op, in plan order, and how many are left
    out. The walk stops once all are found: a first sync's million creates are not looked at
    beyond the first few hundred."""
    ops = [c.op for c in plan.changes]
    room = {op: min(ops.count(op), MAX_LISTED) for op in Op}
    wanted = sum(room.values())
    shown: list[Change] = []
    for c in plan.changes:
        if len(shown) == wanted:
            break
        if room[c.op]:
            room[c.op] -= 1
            shown.append(c)
    return shown, len(plan.changes) - len(shown)


def render_text(plan: Plan) -> str:
    counts = plan.counts()
    out = [
        f"Plan for target {plan.target!r} ({plan.platform}): "
        f"{counts['create']} to create, {counts['update']} to update, "
        f"{counts['delete']} to delete, {counts['build_steps']} build-sheet step(s); "
        f"{plan.existing_count} managed object(s) exist"
    ]
    if plan.is_empty:
        out.append(_empty_line(plan))
    transitions = sum(1 for c in plan.changes if c.transition)
    if transitions:
        out.append(
            f"{transitions} of the changes are expected transitions (not counted by the safety "
            "thresholds): " + next(str(c.transition) for c in plan.changes if c.transition)
        )
    shown, hidden = _listed(plan)
    for c in shown:
        out += _change_lines(c)
    if hidden:
        out.append(f"... and {hidden} more change(s) (use --format json for all)")
    if plan.build_steps:
        out.append("")
        out.append("Build sheet (the platform's API cannot do these; a person must):")
        for i, step in enumerate(plan.build_steps, 1):
            out.append(f"{i}. [{_status(step)}] {step.title}: {step.reason}")
            out += [f"   {j}) {s}" for j, s in enumerate(step.steps, 1)]
    for w in plan.warnings:
        out.append(f"warning: {w}")
    notes = safe_meta(plan.meta)
    if notes:
        out.append("notes:")
        out += [f"  {k}: {_note(v)}" for k, v in notes.items()]
    out.append(f"checksum: {plan.checksum()}")
    return "\n".join(out)


def render_markdown(plan: Plan) -> str:
    counts = plan.counts()
    out = [
        f"## Plan for `{plan.target}` ({plan.platform})",
        "",
        "| create | update | delete | build steps | existing |",
        "|---:|---:|---:|---:|---:|",
        f"| {counts['create']} | {counts['update']} | {counts['delete']} | "
        f"{counts['build_steps']} | {plan.existing_count} |",
        "",
    ]
    shown, hidden = _listed(plan)
    if shown:
        out += ["| op | object | field | old | new |", "|---|---|---|---|---|"]
        for c in shown:
            rows = c.diffs if c.op is not Op.delete else []
            if not rows:
                out.append(f"| {c.op.value} | {_md(_name(c))} | | | |")
            for d in rows:
                out.append(
                    f"| {c.op.value} | {_md(_name(c))} | {_md(d.field)} | "
                    f"{_md(_value(d.old))} | {_md(_value(d.new))} |"
                )
        if hidden:
            out.append(f"\n_... and {hidden} more change(s)._")
    else:
        out.append(_empty_line(plan))
    if plan.build_steps:
        out += ["", "### Build sheet", ""]
        for i, step in enumerate(plan.build_steps, 1):
            out.append(f"{i}. **{_md(step.title)}** ({_md(_status(step))}): {_md(step.reason)}")
            out += [f"   {j}. {_md(s)}" for j, s in enumerate(step.steps, 1)]
    for w in plan.warnings:
        out.append(f"\n> warning: {_md(w)}")
    notes = safe_meta(plan.meta)
    if notes:
        out += ["", "### Notes", ""]
        out += [f"- {_md(k)}: {_md(_note(v))}" for k, v in notes.items()]
    out.append(f"\nchecksum: `{plan.checksum()}`")
    return "\n".join(out)


def _status(step: BuildStep) -> str:
    m = step.marked
    return step.status.value + (f", marked by {m.who} on {m.date}" if m is not None else "")


def _empty_line(plan: Plan) -> str:
    pending = sum(1 for s in plan.build_steps if s.status.is_drift)
    if pending:
        return (
            f"No changes to apply: the platform's data matches the model; {pending} "
            "build-sheet step(s) are still pending (below)."
        )
    return "No changes: the platform matches the model."


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def safe_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The plan's notes fit to show: no empty values, no key that names a secret, and URLs
    without user info, query or fragment (where a credential could ride along)."""
    out: dict[str, Any] = {}
    for key, value in sorted(meta.items()):
        if value is None or value == "" or _SECRET_KEY.search(str(key).lower()):
            continue
        out[str(key)] = _scrub(value)
    return out


def _scrub(value: Any) -> Any:
    if isinstance(value, Mapping):
        return safe_meta(value)
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    if isinstance(value, str) and "://" in value:
        parts = urlsplit(value)
        if parts.scheme and parts.netloc:
            host = parts.netloc.rpartition("@")[2]  # drop any user:password@
            return urlunsplit((parts.scheme, host, parts.path, "", ""))
    return value


def _note(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return str(value)


def render_json(plan: Plan) -> str:
    doc = {**plan.to_dict(), "checksum": plan.checksum(), "meta": safe_meta(plan.meta)}
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str)


RENDERERS: dict[str, Callable[[Plan], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
}
