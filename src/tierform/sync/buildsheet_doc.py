"""The build sheet as a deliverable for the client's admin: .md, .html or .xlsx.

One row per step, with its id (what ``tierform buildsheet --done ID`` takes), who does it, its
status and the date it was marked done, then the numbered instructions in the platform's own
vocabulary. Steps the platform can read are verified by ``sync``; the others stay
``unverified`` until a person marks them done.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from tierform.errors import ConfigError, Issue
from tierform.sync.buildsheet import BuildStep, StepStatus

OWNER = "platform admin"
FORMATS = (".md", ".html", ".xlsx")


@dataclass(frozen=True)
class SheetRow:
    step: BuildStep
    status: str
    date: str

    @classmethod
    def of(cls, step: BuildStep, done: dict[str, tuple[str, str]]) -> SheetRow:
        marked = done.get(step.id)
        if marked and step.status is StepStatus.unverified:
            return cls(step, f"done (marked by {marked[1]})", marked[0][:10])
        return cls(step, step.status.value, marked[0][:10] if marked else "")


def rows_of(steps: list[BuildStep], done: dict[str, tuple[str, str]]) -> list[SheetRow]:
    return [SheetRow.of(s, done) for s in steps]


def write_sheet(rows: list[SheetRow], title: str, out: Path) -> None:
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ConfigError(
            [Issue(f"cannot write a build sheet to {out.name}: use .md, .html or .xlsx")]
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".md":
        out.write_text(markdown(rows, title), encoding="utf-8")
    elif suffix == ".html":
        out.write_text(_html(rows, title), encoding="utf-8")
    else:
        _xlsx(rows, title, out)


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown(rows: list[SheetRow], title: str) -> str:
    out = [
        f"# {_md(title)}",
        "",
        "| # | step | id | owner | status | date |",
        "|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(rows, start=1):
        out.append(
            f"| {i} | {_md(r.step.title)} | `{_md(r.step.id)}` | {OWNER} | {_md(r.status)} | "
            f"{r.date} |"
        )
    for i, r in enumerate(rows, start=1):
        out += ["", f"## {i}. {_md(r.step.title)}", "", _md(r.step.reason), ""]
        out += [f"{n}. {_md(line)}" for n, line in enumerate(r.step.steps, start=1)]
    return "\n".join(out) + "\n"


def _html(rows: list[SheetRow], title: str) -> str:
    e = html.escape
    body = [f"<h1>{e(title)}</h1>", "<table><thead><tr>"]
    body += [f"<th>{h}</th>" for h in ("#", "step", "id", "owner", "status", "date")]
    body.append("</tr></thead><tbody>")
    for i, r in enumerate(rows, start=1):
        cells = (str(i), r.step.title, r.step.id, OWNER, r.status, r.date)
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

    from tierform.workbook.spec import Number, Text
    from tierform.workbook.xlsx import save_atomic, write_cell

    wb = Workbook()
    ws = wb.active
    ws.title = "Build sheet"
    header = ["#", "step", "id", "owner", "status", "date", "instructions", "why"]
    ws.append(header)
    for i, r in enumerate(rows, start=2):
        values = [
            Number(i - 1),
            Text(r.step.title),
            Text(r.step.id),
            Text(OWNER),
            Text(r.status),
            Text(r.date) if r.date else None,
            Text("\n".join(f"{n}. {s}" for n, s in enumerate(r.step.steps, start=1))),
            Text(r.step.reason),
        ]
        for c, value in enumerate(values, start=1):
            write_cell(ws.cell(i, c), value)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    wb.properties.title = title
    save_atomic(wb, out)
