"""Account-book values that cannot be read right are refused with their row, never guessed:
non-finite and huge numbers, malformed digit groups, decimal-comma books, impossible dates and
day-first columns."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tierform.core.book import MAX_ACV, book_from_records, read_book
from tierform.core.model import AccountSource
from tierform.errors import BookError


def _issues(err: pytest.ExceptionInfo[BookError]) -> dict[int, str]:
    return {i.row: i.message for i in err.value.issues if i.row is not None}


@pytest.mark.parametrize("cell", ["inf", "-inf", "Infinity", "1e400", "NaN", "nan", "-NaN"])
def test_non_finite_acv_is_an_error_with_its_row_in_csv(write, cell):
    with pytest.raises(BookError) as err:
        read_book(write("b.csv", f"account_id,acv\nA1,100\nA2,{cell}\n"))
    issue = next(i for i in err.value.issues if i.row is not None)
    assert (issue.row, issue.key) == (3, "acv")
    assert "infinite or not a number" in issue.message
    assert "b.csv" in str(issue)


@pytest.mark.parametrize("cell", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_acv_is_an_error_with_its_row_in_json(write, cell):
    text = '[{"account_id": "A1", "acv": 5}, {"account_id": "A2", "acv": CELL}]'
    text = text.replace("CELL", cell)
    with pytest.raises(BookError) as err:
        read_book(write("b.json", text))
    assert "infinite or not a number" in _issues(err)[2]


def test_non_finite_numbers_from_the_python_api_are_refused():
    with pytest.raises(BookError) as err:
        book_from_records([{"account_id": "A", "acv": float("inf")}])
    assert "infinite" in _issues(err)[1]


def test_non_finite_health_signal_is_an_error(write):
    with pytest.raises(BookError) as err:
        read_book(write("b.csv", "account_id,acv,logins\nA1,1,3\nA2,1,inf\n"))
    issue = err.value.issues[0]
    assert (issue.row, issue.key) == (3, "logins")


def test_acv_beyond_the_bound_is_refused(write):
    # The bound itself is refused; one cent under it is read.
    text = f"account_id,acv\nA1,{MAX_ACV:.0f}\nA2,{MAX_ACV - 0.01:.2f}\nA3,5\n"
    with pytest.raises(BookError) as err:
        read_book(write("b.csv", text))
    assert list(_issues(err)) == [2]
    book = read_book(write("b.csv", text), AccountSource(skip_invalid=True))
    assert book.ids() == ["A2", "A3"] and book.acv.tolist() == [999_999_999_999.99, 5.0]


@pytest.mark.parametrize("cell", ["$1,2,3", "1,23,4567", "12,34.5", "1 23"])
def test_malformed_digit_grouping_is_not_a_number(write, cell):
    with pytest.raises(BookError) as err:
        read_book(write("b.csv", f'account_id,acv\nA1,"{cell}"\n'))
    assert "malformed digit grouping" in _issues(err)[2]


def test_well_formed_groups_with_any_separator(write):
    text = 'account_id,acv\nA1,"1,234,567.5"\nA2,1 234\nA3,1\'234.25\nA4,USD 20,685.42\n'
    text = text.replace("USD 20,685.42", '"USD 20,685.42"')
    book = read_book(write("b.csv", text))
    assert book.acv.tolist() == [1234567.5, 1234.0, 1234.25, 20685.42]


def test_decimal_comma_column_is_detected_and_noted(write):
    text = 'account_id,acv\nA1,"1.234,50 €"\nA2,2.000\nA3,"12,5"\nA4,"1.000.000"\nA5,7\n'
    book = read_book(write("b.csv", text))
    # By hand: thousands dots, decimal comma.
    assert book.acv.tolist() == [1234.5, 2000.0, 12.5, 1_000_000.0, 7.0]
    assert any(w.key == "acv" and "1.234,56" in w.message for w in book.warnings)


def test_configured_number_format_wins_and_refuses_the_other(write):
    text = 'account_id,acv\nA1,"1.234"\nA2,"1,5"\n'
    book = read_book(write("b.csv", text), number_format="1.234,56")
    assert book.acv.tolist() == [1234.0, 1.5]
    with pytest.raises(BookError) as err:
        read_book(write("c.csv", 'account_id,acv\nA1,"1,234.50"\n'), number_format="1.234,56")
    assert "accounts.number_format" in _issues(err)[2]
    with pytest.raises(BookError) as err:
        read_book(write("c.csv", "account_id,acv\nA1,1\n"), number_format="1_234")
    assert err.value.issues[0].key == "accounts.number_format"


def test_mixed_number_formats_refuse_the_minority_rows(write):
    text = 'account_id,acv\nA1,"1,234.50"\nA2,"2,000.25"\nA3,"1.234,50"\n'
    with pytest.raises(BookError) as err:
        read_book(write("b.csv", text))
    assert list(_issues(err)) == [4] and "number_format" in _issues(err)[4]


def test_ambiguous_thousands_dot_in_a_decimal_point_column_gets_a_note(write):
    book = read_book(write("b.csv", "account_id,acv\nA1,12.500\nA2,3\n"))
    assert book.acv.tolist() == [12.5, 3.0]
    assert any("number_format" in w.message for w in book.warnings)


@pytest.mark.parametrize(
    "cell", ["2027-02-30", "2027-13-01", "0000-01-01", "02/30/2027", "31.04.2027"]
)
def test_impossible_dates_are_errors(write, cell):
    with pytest.raises(BookError) as err:
        read_book(write("b.csv", f"account_id,renewal_date\nA1,{cell}\nA2,2027-01-31\n"))
    assert "no such date" in _issues(err)[2]


@pytest.mark.parametrize("typed", ["date32", "timestamp"])
def test_typed_date_columns_keep_their_days_and_refuse_days_outside_the_calendar(typed):
    """A column a reader already typed as dates (Arrow's CSV inference, a JSON or xlsx book):
    inside years 1-9999 every day stays as it is, nulls stay blank; a day outside is refused."""
    import pyarrow as pa

    from tierform.core import book_dates

    days = [dt.date(2027, 1, 31), None, dt.date(1, 1, 1), dt.date(9999, 12, 31)]
    epoch = dt.date(1970, 1, 1)
    raw = [None if d is None else (d - epoch).days for d in days]
    if typed == "date32":
        column = pa.chunked_array([pa.array(raw[:2], pa.int32()), pa.array(raw[2:], pa.int32())])
        column = column.cast(pa.date32())
    else:
        seconds = [None if r is None else r * 86_400 for r in raw]
        column = pa.chunked_array([pa.array(seconds, pa.timestamp("s"))])
    inside = book_dates.parse_date_column(column)
    assert inside.dates.to_pylist() == days
    assert inside.kind.tolist() == [book_dates.OK] * 4

    # One day before year 1 and one after 9999, around a good one.
    outside_days = [(dt.date(1, 1, 1) - epoch).days - 1, raw[0], raw[3] + 1]
    outside = book_dates.parse_date_column(
        pa.chunked_array([pa.array(outside_days, pa.int32())]).cast(pa.date32())
    )
    assert outside.dates.to_pylist() == [None, days[0], None]
    no_such = book_dates.NO_SUCH_DATE
    assert outside.kind.tolist() == [no_such, book_dates.OK, no_such]


def test_day_first_column_decided_from_unambiguous_values(write):
    text = "account_id,renewal_date\nA1,13/01/2027\nA2,01/11/2027\nA3,2027-03-04\n"
    book = read_book(write("b.csv", text))
    got = [d.item() for d in book.dates("renewal_date")]
    assert got == [dt.date(2027, 1, 13), dt.date(2027, 11, 1), dt.date(2027, 3, 4)]
    assert any(w.key == "renewal_date" and "day-first" in w.message for w in book.warnings)


def test_month_first_salesforce_dates(write):
    text = "account_id,renewal_date\nA1,1/31/2027\nA2,3/4/2027\nA3,12/1/2026\n"
    got = [d.item() for d in read_book(write("b.csv", text)).dates("renewal_date")]
    assert got == [dt.date(2027, 1, 31), dt.date(2027, 3, 4), dt.date(2026, 12, 1)]


def test_ambiguous_column_needs_a_date_format(write):
    text = "account_id,renewal_date\nA1,01/11/2027\nA2,02/03/2027\n"
    with pytest.raises(BookError) as err:
        read_book(write("b.csv", text))
    assert set(_issues(err)) == {2, 3}
    assert all("date_format" in m for m in _issues(err).values())
    book = read_book(write("b.csv", text), date_format="%d/%m/%Y")
    got = [d.item() for d in book.dates("renewal_date")]
    assert got == [dt.date(2027, 11, 1), dt.date(2027, 3, 2)]
    with pytest.raises(BookError) as err:
        read_book(write("b.csv", text), date_format="%d/%m")
    assert err.value.issues[0].key == "accounts.date_format"


def test_mixed_date_orders_refuse_the_minority(write):
    text = "account_id,renewal_date\nA1,13/01/2027\nA2,14/01/2027\nA3,01/31/2027\n"
    with pytest.raises(BookError) as err:
        read_book(write("b.csv", text))
    assert list(_issues(err)) == [4] and "other order" in _issues(err)[4]


def test_nan_level_is_refused_not_blank():
    with pytest.raises(BookError) as err:
        book_from_records([{"account_id": "A", "acv": 1, "complexity": float("nan")}])
    assert err.value.issues[0].key == "complexity"


def test_many_rows_with_few_distinct_dates(write):
    rows = "".join(f"A{i},{1 + i % 12}/{1 + i % 28}/2027\n" for i in range(3000))
    book = read_book(write("b.csv", "account_id,renewal_date\n" + rows))
    expected = [np.datetime64(dt.date(2027, 1 + i % 12, 1 + i % 28)) for i in range(3000)]
    assert book.dates("renewal_date").tolist() == [e.item() for e in expected]
