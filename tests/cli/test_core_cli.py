"""The core commands end to end through click: JSON keys, exit codes, messages."""

from __future__ import annotations

import json

from tierform.core.loader import load_model


def test_segment_json_contract(run, example):
    result = run("segment", "-c", str(example), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"tiers", "assignments", "checks", "summary"}
    assert set(data["tiers"][0]) == {
        "name",
        "min_acv",
        "max_acv",
        "accounts",
        "arr",
        "share_accounts",
        "share_arr",
    }
    assert set(data["assignments"][0]) == {"account_id", "tier", "reason"}
    assert {"id", "status", "figure", "message"} <= set(data["checks"][0])
    assert {"accounts", "assigned", "missing_acv"} <= set(data["summary"])
    # The example book has 400 rows; blanks take the product-tier proxy, so all are assigned.
    assert data["summary"]["accounts"] == 400 == data["summary"]["assigned"]
    assert sum(t["accounts"] for t in data["tiers"]) == 400


def test_capacity_json_contract_and_growth(run, example):
    result = run("capacity", "-c", str(example), "--format", "json", "--growth", "40%")
    data = json.loads(result.stdout)
    assert {"tiers", "total_headcount", "total_cost", "cost_pct_arr", "checks"} <= set(data)
    assert {
        "name",
        "accounts",
        "arr",
        "target_ratio",
        "buffer",
        "fte",
        "headcount",
        "arr_per_csm",
        "cost",
        "cost_pct_arr",
    } <= set(data["tiers"][0])
    assert data["total_headcount"] == sum(t["headcount"] for t in data["tiers"])
    assert data["scenario"]["add_accounts"] == 160


def test_text_output_and_accounts_override(run, example, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text('Account ID,Annual Contract Value\nZ1,"$150,000"\nZ2,"$1,000"\n')
    result = run("segment", "-c", str(example), "--accounts", str(other))
    assert result.exit_code == 0
    assert "2 of 2 accounts assigned" in result.stdout


def test_bad_book_exits_1_without_traceback(run, example, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Account ID,Annual Contract Value\nZ1,abc\nZ1,5\n")
    result = run("segment", "-c", str(example), "--accounts", str(bad))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "row 2" in result.stderr and "row 3" in result.stderr and "bad.csv" in result.stderr


def test_bad_model_exits_1_with_file_line(run, tmp_path):
    path = tmp_path / "tierform.yaml"
    path.write_text(
        "tiers:\n  - name: A\n    min_acv: 5\n    touch_model: digital\n    layer: digital\n"
    )
    result = run("validate", "-c", str(path))
    assert result.exit_code == 1
    assert f"{path}:3" in result.stderr and "gap" in result.stderr


def test_schema_init_validate(run, tmp_path):
    schema = json.loads(run("schema").stdout)
    assert "tiers" in schema["properties"] and schema["additionalProperties"] is False
    path = tmp_path / "tierform.yaml"
    assert run("init", str(path)).exit_code == 0
    assert run("init", str(path)).exit_code == 1  # no overwrite without --force
    assert run("validate", "-c", str(path)).exit_code == 0


def test_init_platform_auto_uses_the_tree(run, tmp_path):
    path = tmp_path / "tierform.yaml"
    result = run("init", str(path), "--platform", "auto", "--customers", "300", "--budget", "1500")
    assert result.exit_code == 0 and "path B" in result.stdout
    model = load_model(path)
    assert [t.platform for t in model.targets.values()] == ["vitally"]
    assert model.targets["vitally"].model_extra["api_key"] == {"env": "VITALLY_API_KEY"}


def test_assign_and_recommend(run, example):
    data = json.loads(run("assign", "-c", str(example), "--format", "json").stdout)
    assert len(data["assignments"]) == 400
    owners = {a["owner"] for a in data["assignments"]}
    assert {"Ana Ruiz", "Grace Kim", "Growth pod", None} <= owners
    rec = json.loads(run("recommend", "-c", str(example), "--format", "json").stdout)
    assert (rec["path"], rec["adapter"]) == ("B", "vitally")


def test_recommend_takes_only_counts_and_budgets_that_mean_something(run):
    for args, words in (
        (("--budget", "nan"), "'nan' is not a number"),
        (("--budget", "-1"), "x>=0"),
        (("--budget", "-1e400"), "x>=0"),
        (("--customers", "-5"), "x>=0"),
    ):
        result = run("recommend", "--customers", "600", *args)
        assert result.exit_code == 2 and words in result.output, (args, result.output)
    # Path C costs more than a zero budget: it falls back as far as path A, never past it.
    rec = json.loads(
        run("recommend", "--customers", "600", "--budget", "0", "--format", "json").stdout
    )
    assert rec["path"] == "A"
    rec = json.loads(run("recommend", "--customers", "600", "--format", "json").stdout)
    assert rec["path"] == "C"
    from tierform.core.recommend import recommend  # the library: no budget takes it past A

    assert recommend(600, budget=-1.0).path == recommend(600, budget=float("nan")).path == "A"


def test_numbers_no_option_can_use_are_usage_errors(run, example):
    """NaN passes click's own ranges (it compares with no bound); a negative seed is not
    one numpy takes. Each is refused before any work, naming the option."""
    book = str(example.parent / "accounts.csv")
    cases = [
        (("health", "--calibrate", "--holdout", "nan"), "--holdout", "not a number"),
        (("health", "--calibrate", "--seed", "-1"), "--seed", "x>=0"),
        (("health", "--limit", "-3"), "--limit", "x>=0"),
        (("sync", "--wait", "nan"), "--wait", "not a number"),
        (("init", str(example.parent / "new.yaml"), "--budget", "nan"), "--budget", "not a number"),
        (("init", str(example.parent / "new.yaml"), "--customers", "-5"), "--customers", "x>=0"),
    ]
    for args, option, words in cases:
        model = () if args[0] == "init" else ("-c", str(example), "--accounts", book)
        result = run(*args, *model)
        assert result.exit_code == 2, (args, result.output)
        assert f"Invalid value for '{option}'" in result.output and words in result.output
    assert not (example.parent / "new.yaml").exists()


def test_a_roster_in_utf16_or_cp1252_reads_as_its_names(tmp_path):
    from tierform.core.roster import read_roster

    text = "name,tier\nZoë Ünal,Enterprise\nAna Ruiz,Enterprise\n"
    for encoding in ("utf-8", "utf-8-sig", "utf-16", "cp1252"):
        path = tmp_path / f"roster-{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        assert [e.name for e in read_roster(path)] == ["Zoë Ünal", "Ana Ruiz"], encoding


def test_missing_book_is_explained(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("segment")
    assert result.exit_code == 1 and "--accounts" in result.stderr


def test_init_auto_writes_the_recommended_target_live(run, tmp_path):
    path = tmp_path / "tierform.yaml"
    result = run("init", str(path), "--platform", "auto", "--customers", "2000", "--budget", "4000")
    # 2,000 customers with a $4,000/month budget: the recipe's path C, Gainsight first.
    assert result.exit_code == 0 and "path C" in result.stdout
    targets = load_model(path).targets
    assert list(targets) == ["gs"] and targets["gs"].platform == "gainsight"
    assert run("validate", "-c", str(path)).exit_code == 0
