"""health, playbooks and rules through click: JSON contracts, exit codes, write-back."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tierform.core.loader import load_model, starter_text


def test_health_json_contract(run, example):
    result = run("health", "-c", str(example), "--as-of", "2026-11-01", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"weights", "accounts", "validation", "checks"}
    assert len(data["accounts"]) == 400
    assert set(data["accounts"][0]) == {"account_id", "tier", "score", "band", "dimensions"}
    assert {"correlation", "auc", "churned_below_60"} <= set(data["validation"])
    assert data["weights"]["default"]["usage"] == 35
    ids = {c["id"] for c in data["checks"]}
    assert {"health_churn_correlation", "health_clustering", "health_coverage"} <= ids


HEALTH = """
health:
  # four dimensions, one signal each, scored as themselves
  signals:
    u: {dimension: usage, normalise: {type: linear, worst: 0, best: 100}}
    e: {dimension: engagement, normalise: {type: linear, worst: 0, best: 100}}
    s: {dimension: support, normalise: {type: linear, worst: 0, best: 100}}
    f: {dimension: financial, normalise: {type: linear, worst: 0, best: 100}}
  weights: {usage: 25, engagement: 25, support: 25, financial: 25}
  tier_weights: {}
"""


@pytest.fixture
def churn_history(tmp_path):
    """Churn driven by 50/20/20/10 weights of four independent signals (see the core test)."""
    rng = np.random.default_rng(5)
    n = 4000
    cols = {k: rng.normal(50, 10, n) for k in "uesf"}
    latent = 0.5 * cols["u"] + 0.2 * cols["e"] + 0.2 * cols["s"] + 0.1 * cols["f"]
    latent = latent + rng.normal(0, 2, n)
    churned = latent < np.quantile(latent, 0.2)
    lines = ["account_id,acv,u,e,s,f,churned"]
    lines += [
        f"A{i},20000,{cols['u'][i]:.3f},{cols['e'][i]:.3f},{cols['s'][i]:.3f},"
        f"{cols['f'][i]:.3f},{str(bool(churned[i])).lower()}"
        for i in range(n)
    ]
    (tmp_path / "book.csv").write_text("\n".join(lines) + "\n")
    model = tmp_path / "model.yaml"
    model.write_text(starter_text() + HEALTH)
    return model, tmp_path / "book.csv"


def test_calibrate_writes_only_on_request(run, churn_history):
    model_path, book = churn_history
    before = model_path.read_text()
    args = ("health", "-c", str(model_path), "--accounts", str(book), "--calibrate")
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    cal = data["calibration"]
    assert cal["written"] is None and model_path.read_text() == before
    (group,) = cal["groups"]
    assert group["accepted"] and group["test"] == 1200  # 30 % held out
    assert group["test_after"]["correlation"] > group["test_before"]["correlation"]

    result = run(*args, "--write")
    assert result.exit_code == 0, result.output
    assert "wrote the calibrated weights" in result.output
    after = model_path.read_text().splitlines()
    old = before.splitlines()
    changed = [i for i, (a, b) in enumerate(zip(old, after, strict=False)) if a != b]
    assert len(after) == len(old) and len(changed) == 1  # only the weights line
    assert after[changed[0]].startswith("  weights: {usage: ")
    health = load_model(model_path).health
    assert health is not None and health.weights is not None
    for dim, true in {"usage": 50, "engagement": 20, "support": 20, "financial": 10}.items():
        assert health.weights[dim] == pytest.approx(true, abs=5)


def test_write_without_calibrate_is_a_usage_error(run, example):
    result = run("health", "-c", str(example), "--write")
    assert result.exit_code == 2
    assert "--write needs --calibrate" in result.output


def test_bad_health_section_exits_1_with_file_and_line(run, example):
    example.write_text(example.read_text() + "\nhealth:\n  weights: {usage: 90}\n")
    result = run("health", "-c", str(example))
    assert result.exit_code == 1
    assert "health.weights" in result.output and "weights sum to 90, not 100" in result.output
    assert "tierform.yaml:" in result.output and "Traceback" not in result.output


def test_playbooks_json(run, example):
    result = run("playbooks", "-c", str(example), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"playbooks", "matrix", "grade", "checks", "gaps"} <= set(data)
    assert data["grade"] == "excellent"
    first = data["playbooks"][0]
    assert {
        "name",
        "stage",
        "tiers",
        "trigger",
        "owner",
        "steps",
        "success_criteria",
        "escalation",
    } <= set(first)


def test_rules_run_json(run, example, tmp_path):
    result = run("rules", "run", "-c", str(example), "--as-of", "2026-11-01", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"as_of", "actions"} and data["as_of"] == "2026-11-01"
    assert data["actions"] and set(data["actions"][0]) == {
        "account_id",
        "rule",
        "action",
        "due",
        "reason",
    }
    # against itself as the previous book nothing changed: no routing or migration actions
    book = tmp_path / "accounts.csv"
    result = run(
        "rules",
        "run",
        "-c",
        str(example),
        "--as-of",
        "2026-11-01",
        "--format",
        "json",
        "--previous",
        str(book),
        "--rule",
        "route-by-acv-tier",
        "--rule",
        "tier-migration",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["actions"] == []


def test_rules_run_defaults_as_of_and_needs_known_rules(run, example):
    # --as-of defaults like every other command (accounts.as_of, else today).
    assert run("rules", "run", "-c", str(example)).exit_code == 0
    result = run("rules", "run", "-c", str(example), "--as-of", "2026-11-01", "--rule", "nope")
    assert result.exit_code == 1 and "unknown rule 'nope'" in result.output


def test_rules_test_json(run, example):
    result = run("rules", "test", "-c", str(example), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"cases", "pass_rate"} and data["pass_rate"] == 100.0
    assert len(data["cases"]) == 45


def test_rules_test_text_and_failing_exit(run, example):
    example.write_text(
        example.read_text()
        + """
rules:
  - name: wrong
    trigger: {type: days_before_date, days: 10}
    actions: [{type: create_task, text: call}]
    tests:
      - case: expects too much
        as_of: 2026-01-01
        account: {account_id: X, acv: 1000, renewal_date: 2026-01-05}
        expect: ["create_task:call", "notify:nobody"]
"""
    )
    result = run("rules", "test", "-c", str(example), "--no-generated")
    assert result.exit_code == 1  # 0% is below the 80% minimum
    assert "FAIL" in result.output and "wrong" in result.output


def test_validate_reports_rule_and_playbook_problems_with_lines(run, example):
    example.write_text(
        example.read_text()
        + """
rules:
  - name: onboard
    trigger: {type: account_created}
    actions: [{type: start_playbook, playbook: Welcome}]
"""
    )
    result = run("validate", "-c", str(example))
    assert result.exit_code == 1
    assert "rules.0.actions.0.playbook" in result.output
    assert "unknown playbook 'Welcome'" in result.output
    assert "tierform.yaml:" in result.output and "Traceback" not in result.output


def library_document(model_path, book_path, churn_path=None) -> bytes:
    """The JSON of a result validated in one go by the library (the command validates while
    it writes)."""
    import datetime as dt
    import io

    from tierform.cli.jsonout import write_json
    from tierform.core.book import read_book
    from tierform.core.health.churn_validation import read_churn
    from tierform.core.health.score import score_health

    model = load_model(model_path)
    book = read_book(book_path, model.accounts)
    kwargs = {}
    if churn_path is not None:
        kwargs = {"churn": read_churn(churn_path, book), "churn_source": str(churn_path)}
    result = score_health(model, book, as_of=dt.date(2026, 11, 1), **kwargs)
    out = io.BytesIO()
    write_json(result.to_dict(columnar=True), out.write)
    return out.getvalue()


@pytest.mark.parametrize("churn", ["column", "file", "none"])
def test_health_json_is_the_validated_results_document(run, example, tmp_path, churn):
    book = example.parent / "accounts.csv"
    args = ["health", "-c", str(example), "--accounts", str(book), "--as-of", "2026-11-01"]
    churn_path = None
    if churn == "file":
        churn_path = tmp_path / "churned.csv"
        rows = book.read_text(encoding="utf-8").splitlines()[1:]
        churn_path.write_text("account_id\n" + "\n".join(r.split(",")[0] for r in rows[::7]))
        args += ["--churn", str(churn_path)]
    elif churn == "none":
        lines = book.read_text(encoding="utf-8").splitlines()
        book = tmp_path / "unknown.csv"
        book.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n")
        args[4] = str(book)
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == library_document(example, book, churn_path)
    validation = json.loads(result.stdout)["validation"]
    assert (validation is None) == (churn == "none")
    if churn == "file":
        assert validation["source"] == str(churn_path) and validation["churned"] == 58
