"""``assign`` as text shows what its JSON holds: the books, the count of moves, the first 200
moves in order, how many more there are, and the checks.

The reference is ``assign --format json`` on the same book and roster. A roster short of the
CSMs ``capacity`` asks for makes hundreds of moves and an over-capacity check.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from tierform.core.loader import starter_text
from tierform.testing.sample import CSMS, generate_accounts, write_csv


def _short_roster(run, model: Path, accounts: Path, path: Path) -> None:
    """The named CSMs ``capacity`` asks for, each tier's known owners first, less a third."""
    capacity = json.loads(
        run("capacity", "-c", str(model), "--accounts", str(accounts), "--format", "json").stdout
    )
    rows = []
    for tier in capacity["tiers"]:
        known = list(CSMS.get(tier["name"], []))
        for k in range(tier["headcount"]):
            rows.append(
                [known[k] if k < len(known) else f"{tier['name']} CSM {k + 1}", tier["name"]]
            )
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["name", "tier", "pool", "capacity"])
        for name, tier in rows[: len(rows) * 2 // 3]:
            out.writerow([name, tier, "", ""])


def test_the_text_shows_what_the_json_holds(run, tmp_path: Path) -> None:
    model, accounts, roster = tmp_path / "tierform.yaml", tmp_path / "a.csv", tmp_path / "r.csv"
    model.write_text(starter_text(), encoding="utf-8")
    write_csv(generate_accounts(3000, seed=11), str(accounts))
    _short_roster(run, model, accounts, roster)
    args = ["assign", "-c", str(model), "--accounts", str(accounts), "--roster", str(roster)]
    data = json.loads(run(*args, "--format", "json").stdout)
    text = run(*args).stdout

    moves, checks = data["moves"], data["checks"]
    assert len(moves) > 200 and checks  # the case this test is about
    head, _, rest = text.partition(f"\n{len(moves)} reassignment(s)\n")
    assert rest, "the count of moves"
    for book in data["books"]:
        assert re.search(rf"│ {re.escape(book['owner'])} +│ {book['accounts']} +│", head)
    shown, _, after = rest.partition(f"... {len(moves) - 200} more (use --format json)")
    assert after, "how many moves are not shown"
    assert re.findall(r"│ (ACC-\d+) ", shown) == [m["account_id"] for m in moves[:200]]
    first = moves[0]
    assert re.search(
        rf"│ {first['account_id']} +│ {re.escape(first['from'] or '—')} +│ "
        rf"{re.escape(first['to'] or '—')} +│",
        shown,
    )
    for check in checks:
        assert check["id"] in after
