"""A roster file that cannot be a roster is refused in one clear message, never read as noise or
as nobody: a spreadsheet, a header without ``name`` or with other columns, no CSM at all, and
control characters in a cell."""

from __future__ import annotations

import pytest

from tierform.core.roster import read_roster
from tierform.errors import ConfigError


def _refused(path) -> list[str]:
    with pytest.raises(ConfigError) as err:
        read_roster(path)
    return [str(issue) for issue in err.value.issues]


@pytest.mark.parametrize("suffix", [".xlsx", ".XLS", ".ods"])
def test_a_spreadsheet_is_refused_before_it_is_read(tmp_path, suffix):
    path = tmp_path / f"roster{suffix}"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)))
    [issue] = _refused(path)
    assert "a roster is CSV or YAML: save the sheet as CSV" in issue and path.name in issue


def test_a_header_with_other_columns_or_no_name_is_one_issue(tmp_path):
    path = tmp_path / "churn.csv"
    path.write_text("account_id,churned\nA1,true\nA2,false\n", encoding="utf-8")
    [issue] = _refused(path)
    assert "row 1" in issue
    assert "unknown column(s) 'account_id', 'churned'; no name column" in issue
    assert "name, tier, pool, capacity, email" in issue

    path.write_text("name,tier,owner\nAna,Enterprise,x\n", encoding="utf-8")
    [issue] = _refused(path)
    assert "unknown column(s) 'owner':" in issue and "no name column" not in issue


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("empty.csv", ""),
        ("header.csv", "name,tier,pool\n"),
        ("empty.yaml", "roster: []\n"),
        ("scalar.yaml", "Ana Ruiz\n"),
        ("list.json", "[]"),
    ],
)
def test_a_roster_with_no_csm_is_refused(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    [issue] = _refused(path)
    assert "the roster lists no CSMs" in issue


def test_a_json_roster_reads_its_csms(tmp_path):
    path = tmp_path / "roster.json"
    path.write_text('{"roster": [{"name": "Ana Ruiz", "tier": "Enterprise"}]}', encoding="utf-8")
    [entry] = read_roster(path)
    assert (entry.name, entry.tier, entry.pool) == ("Ana Ruiz", "Enterprise", None)


def test_a_control_character_in_a_cell_is_refused_with_its_row_and_column(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(
        'name,tier,email\nAna Ruiz,Enterprise,ana@example.com\n"\x1b[31mRED\x1b[0m",Enterprise,\n'
        "Dev Patel,Enterprise,dev\x07@example.com\n",
        encoding="utf-8",
    )
    issues = _refused(path)
    assert issues == [
        f"{path}: row 3: name: holds a control character (\\x1b[31mRED\\x1b[0m): remove it",
        f"{path}: row 4: email: holds a control character (dev\\x07@example.com): remove it",
    ]
    assert not any("\x1b" in i or "\x07" in i for i in issues)


def test_a_roster_nested_past_any_roster_is_refused_as_a_roster(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 70 + "]" * 70, encoding="utf-8")
    [issue] = _refused(path)
    assert "deep.json:1" in issue
    assert "nested more than 64 levels deep: no model or roster needs that" in issue
