"""Account books: read a CRM export (CSV, XLSX, JSON) into columns and clean the real-world mess.

A book is held as columns (a pyarrow table plus numpy arrays for the numbers the engine needs),
never as per-account Python objects, so a million-account export costs little more than parsing
it. Every rejected value is reported with the file's row number; nothing is dropped silently.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

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

_LEVEL_WORDS = {"low": 0.0, "medium": 0.5, "med": 0.5, "mid": 0.5, "high": 1.0}
_TRUE = ["true", "yes", "y", "1", "x", "t"]
_FALSE = ["false", "no", "n", "0", "", "f"]
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d/%m/%Y")


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
        return [str(x) for x in self.table.column("account_id").to_pylist()]

    def numbers(self, name: str) -> np.ndarray | None:
        """A numeric column as float64 with NaN for blanks, or None if absent or not numeric."""
        col = self.column(name)
        if col is None:
            return None
        try:
            if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
                col = pc.cast(_clean_number_text(col), pa.float64(), safe=False)
            return np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None  # text that is not numbers

    def bools(self, name: str) -> np.ndarray:
        col = self.column(name)
        if col is None:
            return np.zeros(len(self), dtype=bool)
        return np.asarray(col.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)

    def dates(self, name: str) -> np.ndarray:
        """A date column as datetime64[D] (NaT for blanks)."""
        col = self.column(name)
        if col is None:
            return np.full(len(self), np.datetime64("NaT"), dtype="datetime64[D]")
        return np.asarray(col.to_numpy(zero_copy_only=False), dtype="datetime64[D]")

    def select(self, mask: np.ndarray) -> AccountBook:
        """A sub-book of the rows where ``mask`` is true (keeps messages' row numbers)."""
        return AccountBook(
            table=self.table.filter(pa.array(mask)),
            acv=self.acv[mask],
            acv_proxied=self.acv_proxied[mask],
            rows=self.rows[mask],
            source=self.source,
            warnings=list(self.warnings),
            skipped=list(self.skipped),
            missing_acv=int(np.isnan(self.acv[mask]).sum()),
        )


def read_book(path: str | Path, source: AccountSource | None = None) -> AccountBook:
    """Read and clean an account book; raise BookError listing every problem found."""
    source = source or AccountSource()
    path = Path(path)
    if not path.exists():
        raise BookError([Issue("file not found", file=str(path))])
    fmt = source.format or _format_from_suffix(path)
    if fmt == "csv":
        table, first_row = _read_csv(path, source.encoding), 2
    elif fmt == "xlsx":
        table, first_row = _read_xlsx(path, source.sheet), 2
    else:
        table, first_row = _read_json(path), 1
    return clean_table(table, source, str(path), first_row)


def book_from_records(
    records: list[dict[str, Any]], source: AccountSource | None = None
) -> AccountBook:
    """Build a book from dicts (the Python API and tests); a key in any record is a column."""
    return clean_table(_records_table(records), source or AccountSource(), "<records>", 1)


def _records_table(records: list[dict[str, Any]]) -> pa.Table:
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    return pa.table({n: _array([r.get(n) for r in records]) for n in names})


def _format_from_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
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


def _detect_encoding(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at the sample's end
            return "cp1252"
    return "utf-8"


def _read_csv(path: Path, encoding: str | None) -> pa.Table:
    enc = encoding or _detect_encoding(path)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        table = _csv(path, enc, delimiter)
        if (
            encoding is None
            and enc == "utf-8"
            and any(pa.types.is_binary(f.type) for f in table.schema)
        ):
            # Valid UTF-8 at the start, not further down (pyarrow then reads bytes): Windows-1252.
            return _csv(path, "cp1252", delimiter)
        return table
    except pa.ArrowInvalid as exc:
        if encoding is None and enc == "utf-8" and "UTF8" in str(exc):
            # Valid UTF-8 at the start but not further down: an Excel export in Windows-1252.
            return _csv(path, "cp1252", delimiter)
        raise BookError([Issue(f"cannot parse as CSV: {exc}", file=str(path))]) from None
    except (LookupError, UnicodeError) as exc:
        raise BookError([Issue(f"cannot decode as {enc}: {exc}", file=str(path))]) from None


def _csv(path: Path, encoding: str, delimiter: str) -> pa.Table:
    read = pacsv.ReadOptions(encoding=encoding, block_size=1 << 24)
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False)
    convert = pacsv.ConvertOptions(strings_can_be_null=True, quoted_strings_can_be_null=True)
    table = pacsv.read_csv(path, read_options=read, parse_options=parse, convert_options=convert)
    # A UTF-8 BOM that survived into the first header is not part of the name.
    names = [n.lstrip("\ufeff").strip() for n in table.column_names]
    return table.rename_columns(names)


def _read_xlsx(path: Path, sheet: str | None) -> pa.Table:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise BookError([Issue(f"cannot open as xlsx: {exc}", file=str(path))]) from None
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise BookError(
                [Issue(f"no sheet {sheet!r} (sheets: {wb.sheetnames})", file=str(path))]
            )
        ws = wb[sheet] if sheet else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise BookError([Issue("the sheet is empty", file=str(path))])
        names = [
            str(h).strip() if h is not None else f"column_{i + 1}" for i, h in enumerate(header)
        ]
        columns: list[list[Any]] = [[] for _ in names]
        for row in rows:
            if row is None or all(v is None for v in row):
                continue
            for i in range(len(names)):
                value = row[i] if i < len(row) else None
                columns[i].append(_xlsx_value(value))
    finally:
        wb.close()
    return pa.table({n: _array(c) for n, c in zip(names, columns, strict=True)})


def _xlsx_value(value: Any) -> Any:
    if hasattr(value, "date") and callable(value.date):
        return value.date().isoformat()
    return value


def _array(values: list[Any]) -> pa.Array:
    """A column from mixed cells: one type if they agree, else text."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def _read_json(path: Path) -> pa.Table:
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        try:  # JSON lines
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise BookError(
                [Issue(f"not valid JSON: {exc}", file=str(path), line=exc.lineno)]
            ) from None
    if isinstance(data, dict):
        data = data.get("accounts", data.get("data"))
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise BookError(
            [Issue('expected a list of account objects (or {"accounts": [...]})', file=str(path))]
        )
    return _records_table(data)


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
            shown = f" ({values[int(i)].as_py()!r})" if values is not None else ""
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


def clean_table(raw: pa.Table, source: AccountSource, filename: str, first_row: int) -> AccountBook:
    """Map columns, parse and check values; return a clean book or raise BookError."""
    warnings: list[Issue] = []
    table = _map_columns(raw, source, filename, warnings)
    n = table.num_rows
    rows = np.arange(first_row, first_row + n, dtype=np.int64)
    problems = _Problems(filename, rows)
    cols: dict[str, pa.ChunkedArray] = {}

    ids = _as_text(table.column("account_id"))
    problems.add(_mask(pc.invert(pc.is_valid(ids))), "blank account_id", "account_id")
    cols["account_id"] = ids
    for name in TEXT_COLUMNS[1:]:
        if name in table.column_names:
            cols[name] = _as_text(table.column(name))

    acv, bad_acv, negative = (
        _parse_acv(table.column("acv"))
        if "acv" in table.column_names
        else (np.full(n, np.nan), np.zeros(n, bool), np.zeros(n, bool))
    )
    raw_acv = table.column("acv") if "acv" in table.column_names else None
    problems.add(bad_acv, "ACV is not a number (fix the cell or leave it blank)", "acv", raw_acv)
    problems.add(
        negative,
        "ACV is negative (credit notes and refunds do not belong in the book)",
        "acv",
        raw_acv,
    )

    for name in DATE_COLUMNS:
        if name in table.column_names:
            parsed, bad = _parse_dates(table.column(name))
            problems.add(bad, "not a date (use YYYY-MM-DD)", name, table.column(name))
            cols[name] = parsed
    for name in LEVEL_COLUMNS:
        if name in table.column_names:
            level, bad = _parse_level(table.column(name))
            problems.add(bad, "expected 1-5 or low/medium/high", name, table.column(name))
            cols[name] = pa.chunked_array([pa.array(level)])
    if "strategic" in table.column_names:
        flag, bad = _parse_bool(table.column("strategic"))
        problems.add(bad, "expected true/false or yes/no", "strategic", table.column("strategic"))
        cols["strategic"] = flag

    dup_mask = _duplicate_mask(ids)
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

    extra = [c for c in table.column_names if c not in CANONICAL]
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
        clean = clean.filter(pa.array(keep))
        acv, acv_proxied, rows = acv[keep], acv_proxied[keep], rows[keep]
    book = AccountBook(clean, acv, acv_proxied, rows, filename, warnings, skipped)
    _missing_acv_warnings(book, source, raw_acv is not None)
    return book


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


def _mask(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=bool)


def _as_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    if not pa.types.is_string(col.type):
        if pa.types.is_floating(col.type):
            # Ids read as numbers come back as "123.0"; integral floats lose the ".0".
            as_int = pc.cast(col, pa.int64(), safe=False)
            integral = pc.equal(pc.cast(as_int, pa.float64()), col)
            col = pc.if_else(integral, pc.cast(as_int, pa.string()), pc.cast(col, pa.string()))
        else:
            col = pc.cast(col, pa.string())
    trimmed = pc.utf8_trim_whitespace(col)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _clean_number_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """'$1,234.50', ' 1 234 ', 'USD 900', '(1,000)' -> '1234.50', '1234', '900', '-1000'."""
    text = pc.utf8_trim_whitespace(col)
    text = pc.replace_substring_regex(text, r"^\((.*)\)$", r"-\1")
    text = pc.replace_substring_regex(text, r"[\s,$€£¥]|USD|EUR|GBP|usd|eur|gbp", "")
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _parse_acv(col: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ACV as float64 (NaN blank), with masks of non-numeric and negative values."""
    n = len(col)
    if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
        values = np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
        bad = np.zeros(n, dtype=bool)
    elif pa.types.is_null(col.type):
        values, bad = np.full(n, np.nan), np.zeros(n, dtype=bool)
    else:
        text = _clean_number_text(_as_text(col))
        ok = pc.match_substring_regex(text, r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
        bad = _mask(pc.and_kleene(pc.is_valid(text), pc.invert(ok.fill_null(False))))
        numeric = pc.if_else(ok.fill_null(False), text, pa.scalar(None, pa.string()))
        values = np.asarray(
            pc.cast(numeric, pa.float64()).to_numpy(zero_copy_only=False), dtype=float
        )
    with np.errstate(invalid="ignore"):
        negative = values < 0
    values = np.where(negative | bad, np.nan, values)
    return values, bad, negative


def _parse_dates(col: pa.ChunkedArray) -> tuple[pa.ChunkedArray, np.ndarray]:
    if pa.types.is_date(col.type):
        return col.cast(pa.date32()), np.zeros(len(col), dtype=bool)
    if pa.types.is_timestamp(col.type):
        return pc.cast(col, pa.date32()), np.zeros(len(col), dtype=bool)
    text = _as_text(col)
    result: pa.ChunkedArray | None = None
    for fmt in _DATE_FORMATS:
        parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
        result = parsed if result is None else pc.coalesce(result, parsed)
    assert result is not None
    bad = _mask(pc.and_(pc.is_valid(text), pc.is_null(result)))
    return pc.cast(result, pa.date32()), bad


def _parse_level(col: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """1-5 scores or low/medium/high words, scaled to 0-1 (NaN when blank)."""
    n = len(col)
    if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
        raw = np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    else:
        text = pc.utf8_lower(_as_text(col))
        words = np.full(n, np.nan)
        for word, value in _LEVEL_WORDS.items():
            words[_mask(pc.equal(text, word).fill_null(False))] = value
        numeric = pc.cast(
            pc.if_else(
                pc.match_substring_regex(text, r"^\d+(\.\d+)?$").fill_null(False),
                text,
                pa.scalar(None, pa.string()),
            ),
            pa.float64(),
        )
        raw = np.asarray(numeric.to_numpy(zero_copy_only=False), dtype=float)
        level = np.where(np.isnan(words), (raw - 1) / 4, words)
        blank = _mask(pc.is_null(text))
        bad = ~blank & (np.isnan(level) | (level < 0) | (level > 1))
        return np.where(bad, np.nan, level), bad
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(raw) & ((raw < 1) | (raw > 5))
    return np.where(bad, np.nan, (raw - 1) / 4), bad


def _parse_bool(col: pa.ChunkedArray) -> tuple[pa.ChunkedArray, np.ndarray]:
    if pa.types.is_boolean(col.type):
        return col.fill_null(False), np.zeros(len(col), dtype=bool)
    text = pc.utf8_lower(pc.cast(col, pa.string())).fill_null("")
    text = pc.utf8_trim_whitespace(text)
    true = pc.is_in(text, value_set=pa.array(_TRUE))
    false = pc.is_in(text, value_set=pa.array(_FALSE))
    bad = _mask(pc.invert(pc.or_(true, false)))
    return true, bad


def _duplicate_mask(ids: pa.ChunkedArray) -> np.ndarray:
    """True for every occurrence of an id after its first."""
    counts = pc.value_counts(ids.drop_null())
    dup_values = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    mask = np.zeros(len(ids), dtype=bool)
    if len(dup_values) == 0:
        return mask
    idx = np.flatnonzero(_mask(pc.is_in(ids, value_set=dup_values).fill_null(False)))
    seen: set[str] = set()
    for i, value in zip(idx, ids.take(pa.array(idx)).to_pylist(), strict=True):
        if value in seen:
            mask[i] = True
        seen.add(value)
    return mask


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
