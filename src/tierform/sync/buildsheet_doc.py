"""The build sheet as a deliverable for the client's admin: .md, .html or .xlsx.

One row per step, with its id (what ``tierform buildsheet --done ID`` takes), who does it, its
status and date, then the numbered instructions in the platform's own vocabulary. Steps the
platform can read are verified by the dry plan (the date is the day of that check); the others
stay ``unverified`` until a person marks them done (the date is the day they did). User text
is escaped in every format; in the workbook every text cell stays text (never a formula).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from pathlib import Path

from tierform.errors import ConfigError, Issue
from tierform.sync.buildsheet import BuildStep, StepStatus

FORMATS = (".md", ".html", ".xlsx")
HEADER = ("#", "step", "id", "owner", "status", "date")


@dataclass(frozen=True)
class SheetRow:
    step: BuildStep
    status: str
    date: str

    @classmethod
    def of(cls, step: BuildStep, checked: dt.date) -> SheetRow:
        if step.marked is not None:
            return cls(step, f"done (marked by {step.marked.who})", step.marked.date)
        if step.status is StepStatus.unverified:
            stale = step.stale_mark
            if stale is not None:
                note = (
                    f"unverified (marked done by {stale.who} on {stale.date} for an earlier "
                    "version of this step: do it as it reads now, then mark it again)"
                )
                return cls(step, note, "")
            return cls(step, step.status.value, "")
        return cls(step, step.status.value, checked.isoformat())


def rows_of(steps: list[BuildStep], checked: dt.date) -> list[SheetRow]:
    return [SheetRow.of(s, checked) for s in steps]


def write_sheet(rows: list[SheetRow], title: str, out: Path) -> None:
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ConfigError(
            [Issue(f"cannot write a build sheet to {out.name}: use .md, .html or .xlsx")]
        )
    if suffix == ".xlsx":
        _xlsx(rows, title, out)
        return
    text = markdown(rows, title) if suffix == ".md" else _html(rows, title)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            [Issue(f"cannot write {out}: {exc.strerror or exc}: choose a writable path")]
        ) from None


_MD_SPECIAL = re.compile(r"([\\*_\[\]<>&|])")
_CODE_SPAN = re.compile(r"(`[^`\n]*`)")


def _md(text: str) -> str:
    """User text as literal Markdown: outside `code spans` every character Markdown or HTML
    would act on is escaped; inside them only the table's pipe (a code span is literal)."""
    parts = _CODE_SPAN.split(text.replace("\n", " "))
    return "".join(
        part.replace("|", "\\|") if i % 2 else _MD_SPECIAL.sub(r"\\\1", part.replace("`", "'"))
        for i, part in enumerate(parts)
    )


def _code(text: str) -> str:
    """An id inside a code span (only the table's pipe needs escaping there)."""
    return "`" + text.replace("`", "'").replace("|", "\\|").replace("\n", " ") + "`"


def markdown(rows: list[SheetRow], title: str) -> str:
    out = [f"# {_md(title)}", "", "| " + " | ".join(HEADER) + " |", "|---" * len(HEADER) + "|"]
    for i, r in enumerate(rows, start=1):
        out.append(
            f"| {i} | {_md(r.step.title)} | {_code(r.step.id)} | {_md(r.step.owner)} | "
            f"{_md(r.status)} | {r.date} |"
        )
    for i, r in enumerate(rows, start=1):
        out += ["", f"## {i}. {_md(r.step.title)}", "", _md(r.step.reason), ""]
        out += [f"{n}. {_md(line)}" for n, line in enumerate(r.step.steps, start=1)]
    return "\n".join(out) + "\n"


def _html(rows: list[SheetRow], title: str) -> str:
    e = html.escape
    body = [f"<h1>{e(title)}</h1>", "<table><thead><tr>"]
    body += [f"<th>{h}</th>" for h in HEADER]
    body.append("</tr></thead><tbody>")
    for i, r in enumerate(rows, start=1):
        cells = (str(i), r.step.title, r.step.id, r.step.owner, r.status, r.date)
        body.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>")
    body.append("</tbody></table>")
    for i, r in enumerate(rows, start=1):
        body.append(f"<h2>{i}. {e(r.step.title)}</h2><p>{e(r.step.reason)}</p><ol>")
        body += [f"<li>{e(line)}</li>" for line in r.step.steps]
        body.append("</ol>")
    style = (
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .5rem}"
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>'
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n"
    )


def _xlsx(rows: list[SheetRow], title: str, out: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from tierform.workbook.spec import Number, Text
    from tierform.workbook.xlsx import save_atomic, write_cell

    def text(value: str) -> Text:
        return Text(ILLEGAL_CHARACTERS_RE.sub("?", value))

    wb = Workbook()
    ws = wb.active
    ws.title = "Build sheet"
    for c, name in enumerate((*HEADER, "instructions", "why"), start=1):
        write_cell(ws.cell(1, c), Text(name))
    for i, r in enumerate(rows, start=2):
        values = [
            Number(i - 1),
            text(r.step.title),
            text(r.step.id),
            text(r.step.owner),
            text(r.status),
            Text(r.date) if r.date else None,
            text("\n".join(f"{n}. {s}" for n, s in enumerate(r.step.steps, start=1))),
            text(r.step.reason),
        ]
        for c, value in enumerate(values, start=1):
            write_cell(ws.cell(i, c), value)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    wb.properties.title = title
    save_atomic(wb, out)
