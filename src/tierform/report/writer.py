"""Write the report's files: the HTML document, the Markdown document with its chart SVGs, and
the workbook. Everything is rendered in memory first and each file is replaced atomically, so a
failed run never leaves a half-written document beside a fresh workbook."""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tierform.core.book import AccountBook
from tierform.core.model import CoverageModel
from tierform.report.html import render_html
from tierform.report.markdown import CHART_DIR, render_markdown
from tierform.report.results import PlatformSupport, ReportData, gather
from tierform.report.sections_spec import build_document
from tierform.report.workbook import build_workbook
from tierform.workbook.xlsxwriter_sink import write_xlsx

STEM = "coverage-model"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    markdown: Path
    workbook: Path
    charts: tuple[Path, ...]
    notes: tuple[str, ...] = ()
    """What writing changed in the data (characters an .xlsx cannot store, replaced)."""


def prepare(
    model: CoverageModel,
    book: AccountBook,
    churn: str | Path | None = None,
    as_of: dt.date | None = None,
    *,
    model_file: str | Path | None = None,
    prepared_by: str | None = None,
    platform: PlatformSupport | None = None,
) -> ReportData:
    """Run the engine for the report (``churn``: a churn-history file for health validation;
    ``model_file``: the model's file, whose checksum the header shows)."""
    return gather(
        model,
        book,
        as_of=as_of,
        churn=churn,
        model_file=model_file,
        prepared_by=prepared_by,
        platform=platform,
    )


def file_mode() -> int:
    """The mode a new file gets under the current umask (temp files start private)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_text_atomic(path: Path, text: str) -> None:
    """Write through a temp file in the same folder and ``os.replace`` it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_report(
    data: ReportData, out: str | Path, stem: str = STEM, growth_pct: float | None = None
) -> ReportFiles:
    """Render the document and workbook and write them into ``out`` (``growth_pct``: the
    growth scenario of both, default 40 %)."""
    out = Path(out)
    doc = build_document(data, growth_pct)
    html, markdown = render_html(doc), render_markdown(doc)
    spec = build_workbook(data, growth_pct)
    workbook = out / f"{stem}.xlsx"
    notes = write_xlsx(spec, workbook)  # first: the one most likely to be locked
    for note in notes.messages():
        log.warning("write_report: %s", note)
    files = ReportFiles(
        out / f"{stem}.html",
        out / f"{stem}.md",
        workbook,
        tuple(out / CHART_DIR / f"{c.id}.svg" for c in doc.charts()),
        tuple(notes.messages()),
    )
    for chart, path in zip(doc.charts(), files.charts, strict=True):
        write_text_atomic(path, chart.svg + "\n")
    write_text_atomic(files.markdown, markdown)
    write_text_atomic(files.html, html)
    return files
