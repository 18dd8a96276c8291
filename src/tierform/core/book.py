"""Account books: read a CRM export (CSV, XLSX, JSON) into columns and clean the real-world mess.

A book is held as columns (a pyarrow table plus numpy arrays for the numbers the engine needs),
never as per-account Python objects, so a million-account export costs little more than parsing
it. Every rejected value is reported with the file's row number; nothing is dropped silently.

Reading each format is in ``book_csv``, ``book_xlsx`` and ``book_json``; reading numbers, dates
and storable text is in ``book_numbers``, ``book_dates`` and ``book_text``. This module maps the
columns, checks the values and holds the result.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pyarrow as pa

from tierform.core import arrow_compute as pc
from tierform.core import book_ahead, book_dates, book_numbers
from tierform.core.arrays import arrow_array, true_mask
from tierform.core.background import Background
from tierform.core.book_csv import CSV_SUFFIXES, read_csv, text_columns
from tierform.core.book_json import read_json_records
from tierform.core.book_text import clean_text_columns, may_need_trim, nested_values
from tierform.core.book_xlsx import read_xlsx_rows
from tierform.core.model import AccountSource
from tierform.errors import BookError, Issue

CANONICAL = (
    "account_id",
    "name",
    "acv",
    "contract_start",
    "renewal_date",
    "industry",
    "region",
    "product_tier",
    "complexity",
    "growth_potential",
    "strategic",
    "owner",
    "previous_tier",
)
TEXT_COLUMNS = (
    "account_id",
    "name",
    "industry",
    "region",
    "product_tier",
    "owner",
    "previous_tier",
)
DATE_COLUMNS = ("contract_start", "renewal_date")
LEVEL_COLUMNS = ("complexity", "growth_potential")
MAX_LISTED = 20  # per kind of problem; the rest are counted, not listed
_ORDER_PROBE = 1024  # ids looked at before checking a whole book for ascending order
# No single account's annual contract reaches a trillion: a larger figure is a unit or export
# error, and refusing it keeps every sum, share and chart axis finite and exact to the cent.
MAX_ACV = 1e12

_LEVEL_WORDS = {"low": 0.0, "medium": 0.5, "med": 0.5, "mid": 0.5, "high": 1.0}
_TRUE = ["true", "yes", "y", "1", "x", "t"]
_FALSE = ["false", "no", "n", "0", "", "f"]
_NOT_READ = object()  # a column ``AccountBook.read_numbers`` does not hold


@dataclass
class AccountBook:
    """A cleaned account book.

    ``table`` holds the canonical columns (text as strings, dates as date32, ``strategic`` as
    bool, levels scaled 0-1) plus every other column of the export untouched (health signals).
    ``acv`` is float64 with NaN where no ACV (nor proxy) is known; ``acv_proxied`` marks ACVs
    taken from the product-tier proxy. ``rows`` are the source's row numbers for messages.
    """

    table: pa.Table
    acv: np.ndarray
    acv_proxied: np.ndarray
    rows: np.ndarray
    source: str = "<memory>"
    warnings: list[Issue] = field(default_factory=list)
    skipped: list[Issue] = field(default_factory=list)
    missing_acv: int = 0
    number_format: str | None = None  # the configured format; None: detected per column
    # Extra columns as numbers, read once while checking them (format detected per column):
    # handed out by the first ``numbers()`` call that reads them the same way.
    read_numbers: dict[str, np.ndarray | None] = field(
        default_factory=dict, repr=False, compare=False
    )
    # The ids as Python strings, made once per table: a sync asks for them a dozen times.
    _ids: tuple[pa.Table, tuple[str, ...]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __len__(self) -> int:
        return self.table.num_rows

    def has(self, column: str) -> bool:
        return column in self.table.column_names

    def column(self, name: str) -> pa.ChunkedArray | None:
        return self.table.column(name) if name in self.table.column_names else None

    def text(self, name: str) -> list[str | None]:
        """A text column as Python strings (for small books or per-account output)."""
        col = self.column(name)
        return [None] * len(self) if col is None else col.to_pylist()

    def ids(self) -> list[str]:
        """The account ids, a new list each call (the caller may change it)."""
        cached = self._ids
        if cached is None or cached[0] is not self.table:
            col = self.table.column("account_id")
            values = col.to_pylist()
            if not (pa.types.is_string(col.type) and col.null_count == 0):
                values = [str(x) for x in values]
            cached = self._ids = (self.table, tuple(values))
        return list(cached[1])

    def ids_unique(self) -> bool:
        """Whether no account id repeats: a book read from a file never repeats one (the
        repeats are skipped), one made otherwise may."""
        col = self.table.column("account_id")
        if pa.types.is_string(col.type) and col.null_count == 0:
            return not _has_repeats(col)
        ids = self.ids()
        return len(set(ids)) == len(ids)

    def with_columns(self, table: pa.Table) -> AccountBook:
        """This book with ``table`` in place of its own (same rows, some columns replaced).

        Where ``account_id`` is the very same data, the ids already made as Python strings
        are kept: a second million strings would cost time and memory at the peak of a sync.
        """
        book = AccountBook(
            table=table,
            acv=self.acv,
            acv_proxied=self.acv_proxied,
            rows=self.rows,
            source=self.source,
            warnings=list(self.warnings),
            skipped=list(self.skipped),
            missing_acv=self.missing_acv,
            number_format=self.number_format,
        )
        cached = self._ids
        if cached is not None and cached[0] is self.table and _same_column(self.table, table):
            book._ids = (table, cached[1])
        return book

    def id_column(self) -> pa.Array | pa.ChunkedArray:
        """The account ids as a text column (the values :meth:`ids` gives, without a Python
        string per account when they are text already)."""
        col = self.table.column("account_id")
        if pa.types.is_string(col.type) and col.null_count == 0:
            return col
        return pa.array(self.ids(), type=pa.string())

    def numbers(self, name: str) -> np.ndarray | None:
        """A numeric column as float64 with NaN for blanks, or None if absent or not numeric."""
        col = self.column(name)
        if col is None:
            return None
        if self.number_format is None:
            # Taken in one step: two threads may ask for the same column (health's signals).
            read = self.read_numbers.pop(name, _NOT_READ)
            if read is not _NOT_READ:
                return cast(np.ndarray | None, read)
        try:
            parsed = book_numbers.parse_number_column(col, self.number_format)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        if (parsed.bad & (parsed.kind != book_numbers.NOT_FINITE)).any():
            return None  # text that is not numbers
        return parsed.values  # NaN (refused when the book was read) stays a blank

    def bools(self, name: str) -> np.ndarray:
        col = self.column(name)
        if col is None:
            return np.zeros(len(self), dtype=bool)
        return true_mask(col)

    def dates(self, name: str) -> np.ndarray:
        """A date column as datetime64[D] (NaT for blanks)."""
        col = self.column(name)
        if col is None:
            return np.full(len(self), np.datetime64("NaT"), dtype="datetime64[D]")
        return np.asarray(col.to_numpy(zero_copy_only=False), dtype="datetime64[D]")

    def has_usable_acv(self) -> bool:
        """Whether any account has an ACV (its own or the product-tier proxy) to tier on."""
        return bool((~np.isnan(self.acv)).any())

    def select(self, mask: np.ndarray) -> AccountBook:
        """A sub-book of the rows where ``mask`` is true (keeps messages' row numbers)."""
        return AccountBook(
            table=pc.filter(self.table, arrow_array(np.asarray(mask, dtype=bool))),
            acv=self.acv[mask],
            acv_proxied=self.acv_proxied[mask],
            rows=self.rows[mask],
            source=self.source,
            warnings=list(self.warnings),
            skipped=list(self.skipped),
            missing_acv=int(np.isnan(self.acv[mask]).sum()),
            number_format=self.number_format,
        )


def read_book(
    path: str | Path,
    source: AccountSource | None = None,
    *,
    number_format: str | None = None,
    date_format: str | None = None,
) -> AccountBook:
    """Read and clean an account book; raise BookError listing every problem found.

    ``number_format`` ("1,234.56" or "1.234,56") and ``date_format`` (strptime style, e.g.
    "%d/%m/%Y") default to ``accounts.number_format`` / ``accounts.date_format`` when the model
    has them; unset, both are decided per column from the values that can only be read one way.
    """
    source = source or AccountSource()
    path = Path(path)
    if not path.exists():
        raise BookError([Issue("file not found: check the path", file=str(path))])
    if path.is_dir():
        raise BookError([Issue("is a folder, not an account book", file=str(path))])
    fmt = source.format or _format_from_suffix(path)
    notes: list[Issue] = []
    try:
        if fmt == "csv":
            as_text = text_columns(source.columns)
            # Read already when the command began (see book_ahead), else read here.
            csv_book = book_ahead.claim(path, source.encoding, as_text) or read_csv(
                path, source.encoding, as_text
            )
            table, first_row, notes = csv_book.table, csv_book.first_row, csv_book.notes
        elif fmt == "xlsx":
            table, first_row = _read_xlsx(path, source.sheet), 2
        else:
            table, first_row = _read_json(path, source), 1
    except OSError as exc:
        raise BookError([Issue(f"cannot read the file: {exc.strerror}", file=str(path))]) from None
    if table.num_rows == 0:
        raise BookError(
            [
                Issue(
                    "the book has a header but no account rows: export the accounts again",
                    file=str(path),
                )
            ]
        )
    return clean_table(
        table,
        source,
        str(path),
        first_row,
        notes,
        number_format=number_format,
        date_format=date_format,
    )


def book_from_records(
    records: list[dict[str, Any]], source: AccountSource | None = None
) -> AccountBook:
    """Build a book from dicts (the Python API and tests); a key in any record is a column."""
    source = source or AccountSource()
    return clean_table(_records_table(records, source, "<records>", 1), source, "<records>", 1)


def _records_table(
    records: list[dict[str, Any]], source: AccountSource, filename: str, first_row: int
) -> pa.Table:
    nested = nested_values(records)
    if nested:
        records = _flatten_nested(records, nested, source, filename, first_row)
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    return pa.table({str(n): _array([r.get(n) for r in records]) for n in names})


def _flatten_nested(
    records: list[dict[str, Any]],
    nested: list[tuple[int, str]],
    source: AccountSource,
    filename: str,
    first_row: int,
) -> list[dict[str, Any]]:
    """Objects or lists as values: refused in the canonical columns, JSON text elsewhere."""
    canonical = set(CANONICAL) | set(source.columns.values())
    refused = [(i, key) for i, key in nested if key in canonical]
    if refused:
        issues = [
            Issue(
                f"{key} is an object or a list, not a value: export it as text or a number",
                file=filename,
                row=i + first_row,
                key=key,
            )
            for i, key in refused[:MAX_LISTED]
        ]
        if len(refused) > MAX_LISTED:
            issues.append(
                Issue(f"... and {len(refused) - MAX_LISTED} more object values", file=filename)
            )
        raise BookError(issues, f"{filename}: account fields hold objects or lists")
    records = [dict(r) for r in records]
    for i, key in nested:
        try:
            records[i][key] = json.dumps(records[i][key], ensure_ascii=False)
        except (RecursionError, ValueError):
            raise BookError(
                [
                    Issue(
                        "value nested too deeply to read", file=filename, row=i + first_row, key=key
                    )
                ]
            ) from None
    return records


def _format_from_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".json", ".jsonl", ".ndjson"):
        return "json"
    raise BookError(
        [
            Issue(
                f"unknown book format {suffix!r}: use .csv, .xlsx or .json, or set accounts.format",
                file=str(path),
            )
        ]
    )


def _read_xlsx(path: Path, sheet: str | None) -> pa.Table:
    names, columns = read_xlsx_rows(path, sheet)
    return pa.table({n: _array(c) for n, c in zip(names, columns, strict=True)})


def _array(values: list[Any]) -> pa.Array:
    """A column from mixed cells: one type if they agree, else text."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def _read_json(path: Path, source: AccountSource) -> pa.Table:
    return _records_table(read_json_records(path, source.encoding), source, str(path), 1)


class _Problems:
    """Collects row-numbered problems per kind, listing the first few of each kind."""

    def __init__(self, source: str, rows: np.ndarray) -> None:
        self.source = source
        self.rows = rows
        self.issues: list[Issue] = []
        self.bad = np.zeros(len(rows), dtype=bool)

    def add(
        self, mask: np.ndarray, message: str, key: str, values: pa.ChunkedArray | None = None
    ) -> None:
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        self.bad |= mask
        for i in idx[:MAX_LISTED]:
            shown = f" ({_shown(values, int(i))})" if values is not None else ""
            self.issues.append(
                Issue(message + shown, file=self.source, row=int(self.rows[i]), key=key)
            )
        if idx.size > MAX_LISTED:
            self.issues.append(
                Issue(
                    f"... and {idx.size - MAX_LISTED} more rows: {message}",
                    file=self.source,
                    key=key,
                )
            )

    def take(self, other: _Problems) -> None:
        """``other``'s problems after these (collected apart, e.g. on another thread)."""
        self.issues += other.issues
        self.bad |= other.bad


def _shown(values: pa.ChunkedArray, i: int) -> str:
    """A cell as the user wrote it, shortened; safe for values Python cannot hold (year 0)."""
    try:
        text = repr(values[i].as_py())
    except (OverflowError, ValueError):
        text = repr(str(pc.cast(values[i], pa.string())))
    return text if len(text) <= 80 else text[:77] + "..."


def clean_table(
    raw: pa.Table,
    source: AccountSource,
    filename: str,
    first_row: int,
    notes: list[Issue] | None = None,
    *,
    number_format: str | None = None,
    date_format: str | None = None,
) -> AccountBook:
    """Map columns, parse and check values; return a clean book or raise BookError."""
    number_format = number_format or source.number_format
    date_format = date_format or source.date_format
    _check_formats(number_format, date_format, filename)
    warnings: list[Issue] = list(notes or [])
    table = _map_columns(raw, source, filename, warnings)
    n = table.num_rows
    rows = np.arange(first_row, first_row + n, dtype=np.int64)
    table = clean_text_columns(table, rows, filename, warnings)
    problems = _Problems(filename, rows)
    cols: dict[str, pa.ChunkedArray] = {}

    ids = _as_text(table.column("account_id"))
    problems.add(true_mask(pc.invert(pc.is_valid(ids))), "blank account_id", "account_id")
    cols["account_id"] = ids
    # The ACV is parsed on a second thread while the other columns are parsed here; each part
    # collects its own problems and notes, joined in the order the columns are checked in.
    raw_acv = table.column("acv") if "acv" in table.column_names else None
    acv_problems = _Problems(filename, rows)
    acv_notes: list[Issue] = []
    acv_job = (
        Background(lambda: _parse_acv(raw_acv, number_format, acv_problems, acv_notes))
        if raw_acv is not None
        else None
    )
    for name in TEXT_COLUMNS[1:]:
        if name in table.column_names:
            cols[name] = _as_text(table.column(name))
    others = _Problems(filename, rows)
    other_notes: list[Issue] = []
    for name in DATE_COLUMNS:
        if name in table.column_names:
            cols[name] = _parse_dates(table.column(name), name, date_format, others, other_notes)
    for name in LEVEL_COLUMNS:
        if name in table.column_names:
            level, bad = _parse_level(table.column(name))
            others.add(bad, "expected 1-5 or low/medium/high", name, table.column(name))
            cols[name] = pa.chunked_array([arrow_array(level)])
    if "strategic" in table.column_names:
        flag, bad = _parse_bool(table.column("strategic"))
        others.add(bad, "expected true/false or yes/no", "strategic", table.column("strategic"))
        cols["strategic"] = flag
    extra = [c for c in table.column_names if c not in CANONICAL]
    read_numbers = {name: _check_finite(table.column(name), name, others) for name in extra}
    dup_mask = _duplicate_mask(ids)  # still beside the ACV's parse
    acv = acv_job.result() if acv_job is not None else np.full(n, np.nan)
    for part in (acv_problems, others):
        problems.take(part)
    warnings += acv_notes + other_notes

    if source.skip_duplicates:
        _note_skipped(
            dup_mask, "duplicate account_id (kept the first)", filename, rows, ids, warnings
        )
    else:
        problems.add(
            dup_mask,
            "duplicate account_id (set accounts.skip_duplicates to keep the first)",
            "account_id",
            ids,
        )

    skipped: list[Issue] = []
    keep = ~problems.bad
    if problems.issues:
        if not source.skip_invalid:
            raise BookError(
                problems.issues,
                f"{filename}: {int(problems.bad.sum())} invalid row(s); "
                "fix them or set accounts.skip_invalid: true to skip them",
            )
        skipped = problems.issues
    if source.skip_duplicates:
        keep &= ~dup_mask

    out = {name: cols[name] for name in CANONICAL if name in cols}
    for name in extra:
        out[name] = table.column(name)
    clean = pa.table(out)
    acv_proxied = np.zeros(n, dtype=bool)
    if source.product_tier_acv and "product_tier" in cols:
        proxy = _proxy_acv(cols["product_tier"], source.product_tier_acv)
        acv_proxied = np.isnan(acv) & ~np.isnan(proxy)
        acv = np.where(acv_proxied, proxy, acv)
    if not keep.all():
        clean = pc.filter(clean, arrow_array(keep))
        acv, acv_proxied, rows = acv[keep], acv_proxied[keep], rows[keep]
    book = AccountBook(
        clean, acv, acv_proxied, rows, filename, warnings, skipped, number_format=number_format
    )
    if keep.all() and number_format is None:  # read as numbers() would, on the same rows
        book.read_numbers = {k: v for k, v in read_numbers.items() if not isinstance(v, bool)}
    _missing_acv_warnings(book, source, raw_acv is not None)
    return book


def _check_formats(number_format: str | None, date_format: str | None, filename: str) -> None:
    issues = []
    if number_format is not None and number_format not in book_numbers.NUMBER_FORMATS:
        issues.append(
            Issue(
                f"unknown number format {number_format!r}: use "
                f"{' or '.join(repr(f) for f in book_numbers.NUMBER_FORMATS)}",
                file=filename,
                key="accounts.number_format",
            )
        )
    if date_format is not None and not book_dates.valid_format(date_format):
        issues.append(
            Issue(
                f"unusable date format {date_format!r}: use day, month and year codes as in "
                "'%d/%m/%Y' or '%m/%d/%Y'",
                file=filename,
                key="accounts.date_format",
            )
        )
    if issues:
        raise BookError(issues)


def _map_columns(
    raw: pa.Table, source: AccountSource, filename: str, warnings: list[Issue]
) -> pa.Table:
    present = {name.strip().lower(): name for name in raw.column_names}
    rename: dict[str, str] = {}
    problems: list[Issue] = []
    for canonical, crm in source.columns.items():
        if crm in raw.column_names:
            rename[crm] = canonical
            continue
        issue = Issue(
            f"mapped column {crm!r} is not in the file "
            f"(columns: {', '.join(raw.column_names[:15])})",
            file=filename,
            key=f"accounts.columns.{canonical}",
        )
        # Without ids nothing works; any other column is optional and only warned about.
        (problems if canonical == "account_id" else warnings).append(issue)
    for canonical in CANONICAL:
        if (
            canonical not in rename.values()
            and canonical in present
            and present[canonical] not in rename
        ):
            rename[present[canonical]] = canonical
    if problems:
        raise BookError(problems)
    names = [rename.get(c, c) for c in raw.column_names]
    table = raw.rename_columns(names)
    if "account_id" not in names:
        raise BookError(
            [
                Issue(
                    "no account_id column: map it with accounts.columns.account_id "
                    f"(columns: {', '.join(raw.column_names[:15])})",
                    file=filename,
                )
            ]
        )
    if len(set(names)) != len(names):
        dupes = sorted({x for x in names if names.count(x) > 1})
        raise BookError([Issue(f"column(s) {dupes} appear twice after mapping", file=filename)])
    return table


def _as_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    if not pa.types.is_string(col.type):
        if pa.types.is_floating(col.type):
            # Ids read as numbers come back as "123.0"; integral floats lose the ".0".
            # Only finite values within float64's exact integer range can be whole numbers.
            safe = pc.fill_null(pc.and_(pc.is_finite(col), pc.less(pc.abs(col), 2.0**53)), False)
            as_int = pc.cast(pc.if_else(safe, col, 0.0), pa.int64(), safe=False)
            integral = pc.and_(safe, pc.equal(pc.cast(as_int, pa.float64()), col))
            col = pc.if_else(integral, pc.cast(as_int, pa.string()), pc.cast(col, pa.string()))
        else:
            col = pc.cast(col, pa.string())
    if not may_need_trim(col):
        return col  # nothing to trim or to blank: the same values, no copy
    trimmed = pc.utf8_trim_whitespace(col)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _parse_acv(
    col: pa.ChunkedArray, number_format: str | None, problems: _Problems, notes: list[Issue]
) -> np.ndarray:
    """ACV as float64 (NaN where blank or refused); every refused cell goes to ``problems``."""
    parsed = book_numbers.parse_number_column(col, number_format)
    for kind in _kinds(parsed.kind[parsed.bad]):
        message = book_numbers.kind_message(int(kind), parsed.number_format, "ACV")
        problems.add(parsed.kind == kind, message, "acv", col)
    values = parsed.values
    with np.errstate(invalid="ignore"):
        negative = values < 0
        huge = values >= MAX_ACV
    problems.add(
        negative, "ACV is negative (credit notes and refunds do not belong in the book)", "acv", col
    )
    problems.add(
        huge,
        f"ACV is {MAX_ACV:,.0f} or more, beyond any single contract: check the units or the "
        "export (an overflowed or pasted cell)",
        "acv",
        col,
    )
    if (
        number_format is None
        and parsed.detected
        and parsed.number_format != book_numbers.DECIMAL_POINT
    ):
        notes.append(
            Issue(
                f"ACV read as {parsed.number_format} (decimal comma, thousands dot) from the "
                "values that can only be read that way; set accounts.number_format to fix it",
                file=problems.source,
                key="acv",
            )
        )
    elif number_format is None and parsed.ambiguous_dots:
        notes.append(
            Issue(
                f"{parsed.ambiguous_dots} ACV(s) like '12.500' read with a decimal point (12.5); "
                "if the book writes thousands with dots, set accounts.number_format: '1.234,56'",
                file=problems.source,
                key="acv",
            )
        )
    return np.where(negative | huge | parsed.bad, np.nan, values)


def _kinds(kinds: np.ndarray) -> list[int]:
    """The distinct problem kinds (small non-negative codes), ascending; no ``np.unique``, which
    loads ``numpy.ma`` (a cost every small command would pay)."""
    return np.flatnonzero(np.bincount(kinds.astype(np.int64))).tolist() if kinds.size else []


def _parse_dates(
    col: pa.ChunkedArray,
    name: str,
    date_format: str | None,
    problems: _Problems,
    notes: list[Issue],
) -> pa.ChunkedArray:
    parsed = book_dates.parse_date_column(col, date_format)
    for kind in _kinds(parsed.kind[parsed.kind != book_dates.OK]):
        message = book_dates.kind_message(int(kind), parsed.slash_order)
        problems.add(parsed.kind == kind, message, name, col)
    if parsed.detected and parsed.slash_order == book_dates.DAY_FIRST:
        notes.append(
            Issue(
                "dates read day-first (D/M/YYYY) for the whole column, from the values whose "
                "first number is above 12; set accounts.date_format to fix it",
                file=problems.source,
                key=name,
            )
        )
    return parsed.dates


def _check_finite(col: pa.ChunkedArray, name: str, problems: _Problems) -> np.ndarray | None | bool:
    """Infinities and NaN in a numeric column (a health signal) are refused like ACVs are.

    Returns what ``AccountBook.numbers`` gives for the column read with a detected format (the
    values, or None for text that is not numbers), or False where the column was not read."""
    if not (
        pa.types.is_floating(col.type)
        or pa.types.is_string(col.type)
        or pa.types.is_large_string(col.type)
    ):
        return False
    try:
        parsed = book_numbers.parse_number_column(col, None)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    not_finite = parsed.kind == book_numbers.NOT_FINITE
    others = parsed.bad & ~not_finite
    if not_finite.any() and not others.any():
        message = book_numbers.kind_message(book_numbers.NOT_FINITE, parsed.number_format, name)
        problems.add(not_finite, message, name, col)
    return None if others.any() else parsed.values


def _parse_level(col: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """1-5 scores or low/medium/high words, scaled to 0-1 (NaN when blank)."""
    n = len(col)
    if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
        raw = np.asarray(pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
        with np.errstate(invalid="ignore"):
            bad = ~((raw >= 1) & (raw <= 5))  # NaN too: a NaN cell, or a blank (cleared below)
        if col.null_count:
            bad &= true_mask(pc.is_valid(col))
        level = (raw - 1) / 4  # blanks are NaN already
        level[bad] = np.nan
        return level, bad
    text = pc.utf8_lower(_as_text(col))
    words = np.full(n, np.nan)
    for word, value in _LEVEL_WORDS.items():
        words[true_mask(pc.equal(text, word))] = value
    numeric = pc.cast(
        pc.if_else(
            pc.fill_null(pc.match_substring_regex(text, r"^\d+(\.\d+)?$"), False),
            text,
            pa.scalar(None, pa.string()),
        ),
        pa.float64(),
    )
    raw = np.asarray(numeric.to_numpy(zero_copy_only=False), dtype=float)
    level = np.where(np.isnan(words), (raw - 1) / 4, words)
    blank = true_mask(pc.is_null(text))
    bad = ~blank & (np.isnan(level) | (level < 0) | (level > 1))
    return np.where(bad, np.nan, level), bad


def _parse_bool(col: pa.ChunkedArray) -> tuple[pa.ChunkedArray, np.ndarray]:
    if pa.types.is_boolean(col.type):
        return pc.fill_null(col, False), np.zeros(len(col), dtype=bool)
    text = pc.fill_null(pc.utf8_lower(pc.cast(col, pa.string())), "")
    text = pc.utf8_trim_whitespace(text)
    true = pc.is_in(text, value_set=pa.array(_TRUE))
    false = pc.is_in(text, value_set=pa.array(_FALSE))
    bad = true_mask(pc.invert(pc.or_(true, false)))
    return true, bad


def _duplicate_mask(ids: pa.ChunkedArray) -> np.ndarray:
    """True for every occurrence of an id after its first."""
    if not _has_repeats(ids):
        return np.zeros(len(ids), dtype=bool)
    counts = pc.value_counts(pc.drop_null(ids))
    dup_values = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
    mask = np.zeros(len(ids), dtype=bool)
    if len(dup_values) == 0:
        return mask
    idx = np.flatnonzero(true_mask(pc.is_in(ids, value_set=dup_values)))
    seen: set[str] = set()
    for i, value in zip(idx, pc.take(ids, pa.array(idx)).to_pylist(), strict=True):
        if value in seen:
            mask[i] = True
        seen.add(value)
    return mask


def _has_repeats(ids: pa.ChunkedArray) -> bool:
    """Whether any (non-blank) id appears twice: neighbours in sorted order, faster than
    counting every value in a hash table when (as usual) there are none."""
    if len(ids) < 2:
        return False
    if _strictly_ascending(pc.drop_null(ids) if ids.null_count else ids):
        return False  # an export in id order (a common one): no sort needed
    ordered = pc.take(ids, pc.array_sort_indices(ids))
    same = pc.equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1))
    return pc.any(same).as_py() is True


def _strictly_ascending(ids: pa.ChunkedArray) -> bool:
    """Whether every id sorts after the one before it, shorter ids first (so "A-999" before
    "A-1000", as numbered exports run), and so none repeats. The first few are looked at
    first, so an unsorted book pays almost nothing for asking."""
    n = len(ids)
    for stop in (min(n, _ORDER_PROBE), n):
        if stop < 2:
            return True
        size = pc.binary_length(ids.slice(0, stop))
        before, after = ids.slice(0, stop - 1), ids.slice(1, stop - 1)
        short, long = size.slice(0, stop - 1), size.slice(1, stop - 1)
        ascending = pc.or_(
            pc.less(short, long), pc.and_(pc.equal(short, long), pc.less(before, after))
        )
        if pc.all(ascending).as_py() is not True:
            return False
    return True


def _note_skipped(
    mask: np.ndarray,
    message: str,
    filename: str,
    rows: np.ndarray,
    ids: pa.ChunkedArray,
    out: list[Issue],
) -> None:
    idx = np.flatnonzero(mask)
    for i in idx[:MAX_LISTED]:
        out.append(Issue(f"{message} ({ids[int(i)].as_py()!r})", file=filename, row=int(rows[i])))
    if idx.size > MAX_LISTED:
        out.append(Issue(f"... and {idx.size - MAX_LISTED} more rows: {message}", file=filename))


def _proxy_acv(product_tier: pa.ChunkedArray, proxies: dict[str, float]) -> np.ndarray:
    keys = pa.array(list(proxies))
    index = pc.index_in(pc.utf8_lower(product_tier), value_set=pc.utf8_lower(keys))
    idx = np.asarray(index.to_numpy(zero_copy_only=False), dtype=float)
    values = np.array(list(proxies.values()), dtype=float)
    out = np.full(len(idx), np.nan)
    ok = ~np.isnan(idx)
    out[ok] = values[idx[ok].astype(np.int64)]
    return out


def _missing_acv_warnings(book: AccountBook, source: AccountSource, has_acv_column: bool) -> None:
    n = len(book)
    missing_given = int((np.isnan(book.acv) | book.acv_proxied).sum())
    book.missing_acv = int(np.isnan(book.acv).sum())
    if n == 0:
        return
    if not has_acv_column:
        book.warnings.append(
            Issue(
                "the book has no acv column: map it with accounts.columns.acv",
                file=book.source,
                key="acv",
            )
        )
        return
    share = 100 * missing_given / n
    proxied = int(book.acv_proxied.sum())
    if missing_given:
        detail = f"{missing_given} of {n} accounts ({share:.1f}%) have no ACV"
        if proxied:
            detail += f"; {proxied} took the product-tier proxy"
        if share > source.missing_acv_warn_pct:
            hint = (
                "run a CRM clean-up sprint; map accounts.product_tier_acv to use product tier as"
                " a proxy"
                if not proxied
                else "run a CRM clean-up sprint"
            )
            book.warnings.append(
                Issue(
                    f"{detail}, above {source.missing_acv_warn_pct:g}%: {hint}",
                    file=book.source,
                    key="acv",
                )
            )
        elif book.missing_acv:
            book.warnings.append(Issue(detail, file=book.source, key="acv"))


def finite_sum(values: np.ndarray) -> float:
    total = float(np.nansum(values))
    return total if math.isfinite(total) else 0.0


def _same_column(old: pa.Table, new: pa.Table, name: str = "account_id") -> bool:
    """Whether ``name`` in both tables is the same data in the same memory (no value compared)."""
    if name not in old.column_names or name not in new.column_names:
        return False
    a, b = old.column(name), new.column(name)
    if a.type != b.type or a.num_chunks != b.num_chunks:
        return False
    for x, y in zip(a.chunks, b.chunks, strict=True):
        if x.offset != y.offset or len(x) != len(y):
            return False
        xb, yb = x.buffers(), y.buffers()
        if len(xb) != len(yb):
            return False
        for u, v in zip(xb, yb, strict=True):
            if (u is None) != (v is None):
                return False
            if u is not None and v is not None and (u.address, u.size) != (v.address, v.size):
                return False
    return True
