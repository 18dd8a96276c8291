"""`tierform export`, `compare` and `migrate` end to end on two workbook targets."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from tierform.cli.main import cli
from tierform.core.loader import starter_text

TARGETS = """targets:
  old:
    platform: xlsx
    path: old.xlsx
  new:
    platform: xlsx
    path: new.xlsx
"""
AS_OF = "2025-01-15"


def setup(tmp_path: Path) -> Path:
    text = starter_text()
    head, _, tail = text.partition("\ntargets:\n")
    rest = tail.split("\n\n", 1)[1]
    model = tmp_path / "tierform.yaml"
    model.write_text(f"{head}\n{TARGETS}\n{rest}", encoding="utf-8")
    book = tmp_path / "accounts.csv"
    book.write_text(
        "account_id,name,acv,owner\n"
        "A-1,Acme,150000,\nA-2,Bolt,40000,\nA-3,Core,9000,\nA-4,Dune,2000,\n",
        encoding="utf-8",
    )
    return model


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_migrate_export_and_compare(tmp_path: Path) -> None:
    model = setup(tmp_path)
    m, book = str(model), str(tmp_path / "accounts.csv")
    code, _ = run("sync", "-c", m, "--accounts", book, "-t", "old", "--apply", "--as-of", AS_OF)
    assert code == 0
    # Someone overrides a tier in the old workbook after provisioning.
    wb = openpyxl.load_workbook(tmp_path / "old.xlsx")
    ws = wb["Accounts"]
    tier = [c.value for c in ws[1]].index("Tier") + 1
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "A-3")
    ws.cell(row, tier).value = "Mid-Market"
    wb.save(tmp_path / "old.xlsx")

    code, out = run("migrate", "-c", m, "--from", "old", "--to", "new")
    assert code == 0 and "Cut-over checklist:" in out and "4 account(s) read from old" in out
    assert not (tmp_path / "new.xlsx").exists()  # a dry run writes nothing
    code, out = run("migrate", "-c", m, "--from", "old", "--to", "new", "--apply")
    assert code == 0
    assert "4 accounts read from old, 4 written to new, 4 verified; 0 lost" in out

    code, out = run("compare", "-c", m, "old", "new")
    assert code == 0 and "agree on all 4 account(s)" in out
    code, out = run("migrate", "-c", m, "--from", "old", "--to", "new", "--format", "json")
    assert code == 0 and json.loads(out)["changes"] == []  # nothing left to carry

    export = tmp_path / "new.csv"
    code, _ = run("export", "-c", m, "-t", "new", "--out", str(export))
    assert code == 0
    with export.open(encoding="utf-8") as fh:
        rows = {r["account_id"]: r for r in csv.DictReader(fh)}
    # A-1 150,000 >= 100,000 -> Enterprise; A-3 was overridden to Mid-Market in the old book.
    assert rows["A-1"]["tf_tier"] == "Enterprise" and rows["A-3"]["tf_tier"] == "Mid-Market"
    assert rows["A-1"]["name"] == "Acme"

    wb = openpyxl.load_workbook(tmp_path / "new.xlsx")
    ws = wb["Accounts"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "A-2")
    ws.cell(row, tier).value = "Enterprise"
    wb.save(tmp_path / "new.xlsx")
    code, out = run("compare", "-c", m, "old", "new", "--format", "json")
    assert code == 2
    doc = json.loads(out[: out.rindex("}") + 1])
    assert doc["differences"] == [
        {"account": "A-2", "field": "tf_tier", "a": "Mid-Market", "b": "Enterprise"}
    ]
