"""End to end from the bundled example model and (part of) its account book."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from tierform.core.book import read_book
from tierform.core.loader import load_model
from tierform.sync.desired import compile_desired
from tierform.sync.state import Kind

EXAMPLES = Path(__file__).parents[3] / "examples"


def test_example_model_round_trip(fake, syncer, tmp_path):
    lines = (EXAMPLES / "accounts.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "accounts.csv").write_text("\n".join(lines[:151]) + "\n", encoding="utf-8")
    model = load_model(EXAMPLES / "tierform.yaml")
    book = read_book(tmp_path / "accounts.csv", model.accounts)
    desired = compile_desired(model, book, dt.date(2025, 1, 15))
    for row in lines[1:151]:
        account_id, name = [c.strip('"') for c in row.split(",")[:2]]
        fake.add_account(account_id, name, {"hspot.lifecycle": "customer"})
    for csm in model.roster:
        fake.add_admin(csm.name, csm.name.lower().replace(" ", ".") + "@example.com")
    template = fake.add_template("SMB onboarding")

    settings = {"project_templates": {"SMB / Growth onboarding": "SMB onboarding"}}
    plan = syncer(**settings).plan(desired)
    assert not [w for w in plan.warnings if w.startswith("unmatched")]
    report = syncer(**settings).apply(plan)
    assert report.ok, [f.error for f in report.failures]
    assert syncer(**settings).plan(desired).is_empty

    # Every book account carries exactly the desired traits plus what was there before.
    for key, data in desired.of(Kind.account).items():
        assert fake.account(key)["traits"] == {"hspot.lifecycle": "customer", **data}
    tasks = {t["externalId"]: t for t in fake.live_tasks()}
    wanted = {k for k in desired.of(Kind.work_item)}
    assert set(tasks) == wanted and len(fake.tasks) == len(wanted)
    assert max(Counter(t["externalId"] for t in fake.tasks.values()).values()) == 1
    onboarding = {
        d["account_id"]
        for d in desired.of(Kind.work_item).values()
        if d["source"] == "playbook:SMB / Growth onboarding"
    }
    assert onboarding and wanted
    assert {
        fake.accounts[p["accountId"]]["externalId"] for p in fake.projects.values()
    } == onboarding
    assert all(p["templateId"] == template["id"] for p in fake.projects.values())
