"""Tier history through ``tierform sync`` on the Vitally fake: the platform's own last tf_tier
and CSM are the previous state, so a second book's tier moves set ``tf_migration``, create the
warm-handoff tasks, leave no named account without a CSM, and re-run as no change."""

from __future__ import annotations

import csv
from pathlib import Path

from .test_cli import _sync, project  # noqa: F401  (the fixture: example model on the fake)

ROSTER = {"Ana Ruiz", "Dev Patel", "Grace Kim", "Omar Haddad", "Lena Vogel"}
# The example model's bounds: Enterprise >= 100,000; Mid-Market 25,000-100,000; SMB / Growth
# 5,000-25,000 (pool "Growth pod"); Self-Serve below 5,000. --as-of 2025-01-15 + 14 days.
OVERLAP_UNTIL = "2025-01-29"


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _acv(row: dict[str, str]) -> float:
    return float(row["Annual Contract Value"].replace("$", "").replace(",", "") or "nan")


def _second_book(path: Path) -> tuple[str, str, str]:
    """Rewrite the book: an SMB account grows to $150K, an Enterprise account shrinks to
    $40K, a Mid-Market account turns strategic. Returns their ids (grow, shrink, strategic)."""
    header, rows = _rows(path)
    plain = [r for r in rows if r["strategic"] == "false"]
    grow = next(r for r in plain if 5_000 * 1.1 <= _acv(r) < 25_000 * 0.9)
    shrink = next(r for r in plain if _acv(r) >= 100_000 * 1.1)
    turn = next(r for r in plain if 25_000 * 1.1 <= _acv(r) < 100_000 * 0.9)
    grow["Annual Contract Value"] = "150000"
    shrink["Annual Contract Value"] = "40000"
    turn["strategic"] = "true"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, header)
        writer.writeheader()
        writer.writerows(rows)
    return grow["Account ID"], shrink["Account ID"], turn["Account ID"]


def test_second_book_moves_tiers_with_warm_handoffs(project, fake):  # noqa: F811
    first = _sync(project, "--apply")
    assert first.exit_code == 0, first.output
    grow, shrink, turn = _second_book(project / "accounts.csv")
    before = {k: dict(fake.account(k)["traits"]) for k in (grow, shrink, turn)}
    assert before[grow]["tf_tier"] == "SMB / Growth" and before[grow]["tf_csm"] == "Growth pod"
    assert before[shrink]["tf_tier"] == "Enterprise" and before[shrink]["tf_csm"] in ROSTER
    assert before[turn]["tf_tier"] == "Mid-Market"

    second = _sync(project, "--apply", "--force")
    assert second.exit_code == 0, second.output
    assert "with no CSM" not in second.output
    now = {k: fake.account(k)["traits"] for k in (grow, shrink, turn)}
    assert (now[grow]["tf_tier"], now[grow]["tf_migration"]) == ("Enterprise", "up")
    assert (now[shrink]["tf_tier"], now[shrink]["tf_migration"]) == ("Mid-Market", "down")
    assert (now[turn]["tf_tier"], now[turn]["tf_migration"]) == ("Enterprise", "up")
    # Accounts that kept their tier say so.
    others = [a for a in fake.accounts.values() if a["externalId"] not in (grow, shrink, turn)]
    assert {a["traits"].get("tf_migration") for a in others} == {"none"}

    # Every named-tier account has a roster CSM of its tier.
    named = [a["traits"] for a in fake.accounts.values()]
    for traits in named:
        if traits.get("tf_tier") in ("Enterprise", "Mid-Market"):
            assert traits.get("tf_csm") in ROSTER, traits

    tasks = {(t["accountId"], t["name"]) for t in fake.live_tasks()}
    vid = {k: fake.account(k)["id"] for k in (grow, shrink, turn)}
    for key, was in ((grow, "Growth pod"), (shrink, before[shrink]["tf_csm"])):
        name = fake.account(key)["name"]
        new_owner = now[key]["tf_csm"]
        target = now[key]["tf_tier"]
        assert (
            vid[key],
            f"Warm handoff: take over {name} (now {target}) from {was}; overlap until "
            f"{OVERLAP_UNTIL}",
        ) in tasks
        assert (
            vid[key],
            f"Warm handoff: introduce {new_owner} to {name} and stay on until {OVERLAP_UNTIL}",
        ) in tasks
    turn_name = fake.account(turn)["name"]
    assert any(
        a == vid[turn] and n.startswith(f"Warm handoff: take over {turn_name} (now Enterprise)")
        for a, n in tasks
    )
    assert not any("move_tier:" in n or "handoff_from:" in n for _, n in tasks)

    # Re-run during the overlap: the moves and their tasks stay as they are.
    again = _sync(project)
    assert again.exit_code == 0 and "No changes" in again.output, again.output
