"""--fail-on: a failing (or warning) benchmark check exits 1 only when asked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tierform.core.loader import starter_text

COMMANDS = [
    ("validate",),
    ("segment",),
    ("capacity",),
    ("assign",),
    ("health",),
    ("playbooks",),
    ("rules", "test", "--no-generated"),
]


@pytest.fixture
def all_enterprise(tmp_path: Path) -> Path:
    """Ten accounts of $200K: every one Enterprise (min_acv 100,000), 100 % of the book against
    the recipe's 5-15 % band -- the distribution checks are out of band (graded warn)."""
    model = tmp_path / "tierform.yaml"
    model.write_text(starter_text(), encoding="utf-8")
    book = tmp_path / "accounts.csv"
    rows = "\n".join(f"E-{i},Big {i},200000" for i in range(10))
    book.write_text(f"account_id,name,acv\n{rows}\n", encoding="utf-8")
    return model


def test_an_out_of_band_book_exits_1_only_when_asked(run, all_enterprise: Path) -> None:
    book = str(all_enterprise.parent / "accounts.csv")
    base = ("segment", "-c", str(all_enterprise), "--accounts", book)
    assert run(*base).exit_code == 0  # checks inform, by default
    result = run(*base, "--fail-on", "warn")
    assert result.exit_code == 1 and "distribution:Enterprise (warn)" in result.output
    assert run(*base, "--format", "json", "--fail-on", "warn").exit_code == 1  # JSON gated too
    assert run(*base, "--fail-on", "fail").exit_code == 0  # out of band is a warning, not a fail


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_exit_code_follows_the_reported_checks(run, example: Path, command: tuple[str, ...]):
    """On the bundled example: exit 1 under --fail-on exactly when a reported check is at
    that level or worse, for every analysis command."""
    args = [*command, "-c", str(example)]
    if command[0] not in ("playbooks", "rules"):
        args += ["--accounts", str(example.parent / "accounts.csv")]
    plain = run(*args, "--format", "json")
    assert plain.exit_code == 0
    doc = json.loads(plain.stdout)
    statuses = {c["status"] for c in doc.get("checks", [])}
    for level, bad in (("fail", {"fail"}), ("warn", {"warn", "fail"})):
        expected = 1 if statuses & bad else 0
        assert run(*args, "--format", "json", "--fail-on", level).exit_code == expected


def test_validate_warns_on_accounts_no_tier_takes(run, tmp_path: Path) -> None:
    """One of three accounts has a blank ACV and the starter model maps no proxy: no tier takes
    it, which validate reports as a warning -- exit 1 only under --fail-on warn."""
    model = tmp_path / "tierform.yaml"
    model.write_text(starter_text(), encoding="utf-8")
    book = tmp_path / "accounts.csv"
    book.write_text("account_id,name,acv\nA-1,One,50000\nA-2,Two,\nA-3,Three,3000\n")
    base = ("validate", "-c", str(model), "--accounts", str(book))
    assert run(*base).exit_code == 0
    assert run(*base, "--fail-on", "fail").exit_code == 0
    warned = run(*base, "--fail-on", "warn")
    assert warned.exit_code == 1 and "untiered (warn)" in warned.output
    doc = json.loads(run(*base, "--format", "json").stdout)
    assert [(c["id"], c["status"], c["figure"]) for c in doc["checks"]] == [("untiered", "warn", 1)]
