"""``tierform sync`` end to end on a Vitally target declared in the model (the README's flow)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import tierform.sync.targets as targets
from tierform.cli.main import cli
from tierform.sync import registry

from .conftest import overrides

EXAMPLES = Path(__file__).parents[3] / "examples"
TARGET = """targets:
  cs:
    platform: vitally
    subdomain: acme
    api_key: {env: VITALLY_API_KEY}
    project_templates: {SMB / Growth onboarding: SMB onboarding}
"""


@pytest.fixture
def project(tmp_path, fake, clock, monkeypatch):
    """The example model with a Vitally target, 150 accounts of its book, and the workspace."""
    model = (EXAMPLES / "tierform.yaml").read_text(encoding="utf-8")
    model = model[: model.index("targets:")] + TARGET
    (tmp_path / "tierform.yaml").write_text(model, encoding="utf-8")
    lines = (EXAMPLES / "accounts.csv").read_text(encoding="utf-8").splitlines()[:151]
    (tmp_path / "accounts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for row in lines[1:]:
        account_id, name = [c.strip('"') for c in row.split(",")[:2]]
        fake.add_account(account_id, name)
    for name in ("Ana Ruiz", "Dev Patel", "Grace Kim", "Omar Haddad", "Lena Vogel"):
        fake.add_admin(name, name.split()[0].lower() + "@example.com")
    fake.add_template("SMB onboarding")
    # As if installed with its entry point; and the virtual clock, so nothing sleeps.
    monkeypatch.setitem(
        registry.BUILTIN, "vitally", "tierform.adapters.vitally.adapter:VitallyAdapter"
    )
    real_open = targets.open_target
    monkeypatch.setattr(
        targets,
        "open_target",
        lambda *a, **k: real_open(*a, **{**k, "http_overrides": overrides(clock)}),
    )
    return tmp_path


def _sync(project: Path, *args: str):
    return CliRunner().invoke(
        cli,
        [
            "sync",
            "-c",
            str(project / "tierform.yaml"),
            "--accounts",
            str(project / "accounts.csv"),
            "--as-of",
            "2025-01-15",
            *args,
        ],
    )


def test_sync_dry_run_apply_then_aligned(project, fake):
    dry = _sync(project)
    assert dry.exit_code == 0, dry.output
    assert "Vitally's API cannot assign an account's CSM" in dry.output
    assert "account trait `tf_tier` is `Enterprise`" in dry.output
    assert fake.log.writes() == []

    applied = _sync(project, "--apply")
    assert applied.exit_code == 0, applied.output
    assert "0 failed" in applied.output
    assert fake.account("ACC-000001")["traits"]["tf_tier"]

    again = _sync(project)
    assert again.exit_code == 0 and "No changes" in again.output
    # --check: the data is aligned, but the build sheet (custom traits, CSM playbooks) is not
    # done: exit 3 (only build-sheet steps pending), with a message that says so.
    check = _sync(project, "--check")
    assert check.exit_code == 3
    assert "only" in check.output and "build-sheet step(s) are pending" in check.output


def test_a_platform_text_holding_half_a_character_is_planned_and_overwritten(project, fake):
    """A trait and a name cut in the middle of a character (half a surrogate pair, escaped in
    the JSON): the plan reads the half as U+FFFD instead of failing, and the apply writes the
    model's value over the trait."""
    assert _sync(project, "--apply").exit_code == 0
    tier = fake.account("ACC-000001")["traits"]["tf_tier"]
    fake.account("ACC-000001")["traits"]["tf_tier"] = "Enter\ud800prise"
    fake.account("ACC-000002")["name"] = "Bad \udfff name"
    fake.ascii_json = True

    dry = _sync(project)
    assert dry.exit_code == 0, dry.output
    assert "Enter\ufffdprise" in dry.output and "1 to update" in dry.output

    applied = _sync(project, "--apply")
    assert applied.exit_code == 0, applied.output
    assert fake.account("ACC-000001")["traits"]["tf_tier"] == tier
    again = _sync(project)
    assert again.exit_code == 0 and "No changes" in again.output


def test_control_characters_from_the_platform_never_reach_the_terminal(project, fake):
    """Escape sequences in a platform's values (a trait, a name, an id) are shown as escapes
    in the plan and its warnings, never sent raw to the terminal."""
    assert _sync(project, "--apply").exit_code == 0
    fake.account("ACC-000001")["traits"]["tf_tier"] = "Enter\x1b[2Jprise"
    fake.account("ACC-000002")["name"] = "Bad \x1b]0;title\x07 name"
    fake.add_account("ACC-\x9b31mX", "Ghost \x1b[5m", traits={"tf_tier": "Enterprise"})
    dry = _sync(project)
    assert dry.exit_code == 0, dry.output
    assert "Enter\\x1b[2Jprise" in dry.output
    for control in ("\x1b", "\x07", "\x9b"):
        assert control not in dry.output
