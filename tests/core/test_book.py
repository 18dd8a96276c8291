"""Account books: formats, encodings, column mapping and the real mess of CRM exports."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tierform.core.book import book_from_records, read_book
from tierform.core.model import AccountSource
from tierform.errors import BookError

CLEAN = "account_id,name,acv,renewal_date\nA1,Acme,1000,2027-01-31\nA2,Beta,2500.5,2027-02-28\n"


def test_reads_clean_csv(write):
    book = read_book(write("b.csv", CLEAN))
    assert book.ids() == ["A1", "A2"]
    assert book.acv.tolist() == [1000.0, 2500.5]
    assert book.dates("renewal_date").tolist()[0].isoformat() == "2027-01-31"
    assert book.rows.tolist() == [2, 3]


def test_currency_formatted_numbers(write):
    text = 'account_id,acv\nA1,"$1,234.50"\nA2," USD 900 "\nA3,"(1,000)"\nA4,€75\nA5,1e3\n'
    with pytest.raises(BookError) as err:
        read_book(write("b.csv", text))
    # Only the parenthesised negative is rejected, on its file row (header is row 1).
    assert [(i.row, "negative" in i.message) for i in err.value.issues] == [(4, True)]
    book = read_book(write("b.csv", text), AccountSource(skip_invalid=True))
    assert book.ids() == ["A1", "A2", "A4", "A5"]
    assert book.acv.tolist() == [1234.5, 900.0, 75.0, 1000.0]
    assert len(book.skipped) == 1


def test_every_bad_row_reported_with_row_number(write):
    text = "account_id,acv\nA1,100\nA2,abc\n,300\nA1,400\nA5,-5\nA6,\n"
    with pytest.raises(BookError) as err:
        read_book(write("b.csv", text))
    got = sorted((i.row, i.key) for i in err.value.issues)
    assert got == [(3, "acv"), (4, "account_id"), (5, "account_id"), (6, "acv")]
    messages = {i.row: i.message for i in err.value.issues}
    assert "not a number" in messages[3] and "'abc'" in messages[3]
    assert "duplicate" in messages[5] and "negative" in messages[6]
    assert "b.csv" in str(err.value) and "skip_invalid" in str(err.value)


def test_duplicates_can_keep_first(write):
    text = "account_id,acv\nA1,100\nA2,200\nA1,300\n"
    book = read_book(write("b.csv", text), AccountSource(skip_duplicates=True))
    assert book.ids() == ["A1", "A2"] and book.acv.tolist() == [100.0, 200.0]
    assert any(w.row == 4 and "duplicate" in w.message for w in book.warnings)


def test_blank_acv_is_missing_and_warned_above_threshold(write):
    text = "account_id,acv\nA1,100\nA2,\nA3,300\nA4,\n"
    book = read_book(write("b.csv", text))
    assert np.isnan(book.acv).tolist() == [False, True, False, True]
    assert book.missing_acv == 2
    # 2 of 4 = 50 %, above the 10 % default: a warning with the recipe's recovery.
    assert any(
        "2 of 4 accounts (50.0%)" in w.message and "clean-up" in w.message for w in book.warnings
    )


def test_product_tier_proxy_fills_missing_acv(write):
    text = "account_id,acv,product_tier\nA1,100,Pro\nA2,,Pro\nA3,,enterprise\nA4,,Unknown\n"
    source = AccountSource(product_tier_acv={"Pro": 12000, "Enterprise": 150000})
    book = read_book(write("b.csv", text), source)
    assert book.acv[:3].tolist() == [100.0, 12000.0, 150000.0]
    assert np.isnan(book.acv[3])
    assert book.acv_proxied.tolist() == [False, True, True, False]
    assert book.missing_acv == 1


def test_column_mapping_and_missing_mapped_column(write):
    text = "Account ID,Annual Contract Value\nX,5\n"
    source = AccountSource(columns={"account_id": "Account ID", "acv": "Annual Contract Value"})
    assert read_book(write("b.csv", text), source).acv.tolist() == [5.0]
    optional = AccountSource(columns={"account_id": "Account ID", "acv": "ACV (USD)"})
    book = read_book(write("b.csv", text), optional)
    warning = book.warnings[0]
    assert "'ACV (USD)' is not in the file" in warning.message
    assert warning.key == "accounts.columns.acv"
    no_ids = AccountSource(columns={"account_id": "Id"})
    with pytest.raises(BookError) as err:
        read_book(write("b.csv", text), no_ids)
    assert err.value.issues[0].key == "accounts.columns.account_id"


def test_no_account_id_column(write):
    with pytest.raises(BookError, match="no account_id column"):
        read_book(write("b.csv", "id,acv\n1,2\n"))


def test_bom_and_other_encodings(write):
    bom = ("\ufeff" + "account_id,name,acv\nA1,Café,10\n").encode("utf-8")
    assert read_book(write("bom.csv", bom)).text("name") == ["Café"]
    cp = "account_id,name,acv\nA1,Société Générale,10\n".encode("cp1252")
    assert read_book(write("cp.csv", cp)).text("name") == ["Société Générale"]
    utf16 = "account_id,name,acv\nA1,Zoë,10\n".encode("utf-16")
    assert read_book(write("u16.csv", utf16)).text("name") == ["Zoë"]


def test_late_non_utf8_byte_falls_back_to_cp1252(write):
    rows = "".join(f"A{i},Plain {i},10\n" for i in range(5000))
    data = ("account_id,name,acv\n" + rows).encode() + "Z1,Müller,10\n".encode("cp1252")
    book = read_book(write("late.csv", data))
    assert book.text("name")[-1] == "Müller"


def test_numeric_ids_keep_their_text(write):
    book = read_book(write("b.csv", "account_id,acv\n1001,5\n1002,6\n"))
    assert book.ids() == ["1001", "1002"]


def test_dates_levels_and_flags(write):
    text = (
        "account_id,acv,renewal_date,complexity,growth_potential,strategic\n"
        "A1,1,2027-01-31,1,low,yes\nA2,1,01/31/2027,5,High,no\nA3,1,,3,,\n"
    )
    book = read_book(write("b.csv", text))
    assert [str(d) for d in book.dates("renewal_date")] == ["2027-01-31", "2027-01-31", "NaT"]
    assert book.numbers("complexity").tolist() == [0.0, 1.0, 0.5]
    g = book.numbers("growth_potential")
    assert g[:2].tolist() == [0.0, 1.0] and np.isnan(g[2])
    assert book.bools("strategic").tolist() == [True, False, False]
    bad = "account_id,acv,renewal_date,complexity,strategic\nA1,1,soon,9,maybe\n"
    with pytest.raises(BookError) as err:
        read_book(write("bad.csv", bad))
    assert sorted(i.key for i in err.value.issues) == ["complexity", "renewal_date", "strategic"]


def test_xlsx_book(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Export"
    ws.append(["account_id", "acv", "renewal_date"])
    ws.append(["A1", 1500, None])
    ws.append(["A2", "$2,000", None])
    wb.create_sheet("Other")
    path = tmp_path / "b.xlsx"
    wb.save(path)
    book = read_book(path, AccountSource(sheet="Export"))
    assert book.acv.tolist() == [1500.0, 2000.0]
    with pytest.raises(BookError, match="no sheet 'Missing'"):
        read_book(path, AccountSource(sheet="Missing"))


def test_json_books(write):
    records = [{"account_id": "A1", "acv": 10}, {"account_id": "A2", "acv": "$20"}]
    assert read_book(write("b.json", json.dumps(records))).acv.tolist() == [10.0, 20.0]
    wrapped = json.dumps({"accounts": records})
    assert read_book(write("w.json", wrapped)).ids() == ["A1", "A2"]
    lines = "\n".join(json.dumps(r) for r in records)
    assert read_book(write("l.jsonl", lines)).ids() == ["A1", "A2"]
    with pytest.raises(BookError, match="list of account objects"):
        read_book(write("x.json", "[1, 2]"))


def test_unknown_format_and_missing_file(write, tmp_path):
    with pytest.raises(BookError, match="unknown book format"):
        read_book(write("b.parquet", "x"))
    with pytest.raises(BookError, match="file not found"):
        read_book(tmp_path / "none.csv")


def test_signals_are_kept_and_select_subsets():
    book = book_from_records(
        [{"account_id": "A", "acv": 1, "logins": 3}, {"account_id": "B", "acv": 2, "logins": 4}]
    )
    assert book.numbers("logins").tolist() == [3.0, 4.0]
    sub = book.select(np.array([False, True]))
    assert sub.ids() == ["B"] and sub.acv.tolist() == [2.0]


def test_records_with_uneven_keys_and_text_numbers():
    book = book_from_records(
        [{"account_id": "A", "acv": 1}, {"account_id": "B", "acv": 2, "note": "vip"}]
    )
    assert book.text("note") == [None, "vip"]
    assert book.numbers("note") is None  # text that is not numbers


BAD_EVERYWHERE = (
    "account_id,acv,renewal_date,complexity,strategic,csat,owner\n"
    "A1,1.234,13/01/2027,9,maybe,inf,Ana\n"  # ACV and date read the other way round (notes)
    ',"2.000,5",01/02/2027,3,yes,4,Ben\n'
    "A3,-7,2027-02-30,2,no,5,Cy\n"
)


def test_problems_and_notes_come_column_by_column_in_the_order_they_are_checked(write):
    """Ids, ACV, dates, 1-5 levels, the flag, then the extra number columns: each column's
    problems in row order, whichever thread parsed it."""
    path = write("b.csv", BAD_EVERYWHERE)
    with pytest.raises(BookError) as err:
        read_book(path)
    got = [(i.key, i.row) for i in err.value.issues]
    assert got == [
        ("account_id", 3),
        ("acv", 4),
        ("renewal_date", 4),
        ("complexity", 2),
        ("strategic", 2),
        ("csat", 2),
    ]
    skipped = read_book(path, AccountSource(skip_invalid=True))
    assert [(i.key, i.row) for i in skipped.skipped] == got
    notes = [w.key for w in skipped.warnings if w.key in ("acv", "renewal_date")]
    assert notes[:2] == ["acv", "renewal_date"]
