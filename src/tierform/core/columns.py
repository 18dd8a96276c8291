"""Recognise a CRM export's header: which column is tierform's ``account_id``, ``acv``, ...

``tierform init --accounts`` maps an export without hand edits: a header is matched to the
canonical columns the book reader knows (:data:`tierform.core.book.CANONICAL`) exactly, then
ignoring case and punctuation, then by the names Salesforce, HubSpot and Dynamics exports use.
Numeric columns left over are offered as health signals by what their name says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from tierform.core.book import CANONICAL
from tierform.core.book_csv import read_csv
from tierform.core.book_json import read_json_records
from tierform.core.book_xlsx import read_xlsx_rows
from tierform.core.model import AccountSource
from tierform.errors import BookError, Issue

# Export names per canonical column, best first (compared by :func:`key`). Salesforce account
# reports, HubSpot company exports and Dynamics 365 account exports ("(Do Not Modify) Account"
# is the record GUID Dynamics puts first).
KNOWN_NAMES: dict[str, tuple[str, ...]] = {
    "account_id": (
        "Account ID",
        "Account ID (18)",
        "Account ID 18",
        "Salesforce ID",
        "Record ID",
        "Company ID",
        "(Do Not Modify) Account",
        "Account Number",
        "Customer ID",
        "Id",
    ),
    "name": ("Account Name", "Company name", "Company", "Customer Name", "Account"),
    "acv": (
        "Annual Contract Value",
        "ACV",
        "Annual Recurring Revenue",
        "ARR",
        "Contract Value",
        "Total Contract Value Annual",
        "Subscription Value",
    ),
    "contract_start": (
        "Contract Start Date",
        "Contract Start",
        "Start Date",
        "Customer Since",
        "Became a Customer Date",
    ),
    "renewal_date": (
        "Renewal Date",
        "Next Renewal Date",
        "Contract End Date",
        "Contract End",
        "End Date",
        "Renewal",
    ),
    "industry": ("Industry", "Industry Vertical", "Vertical"),
    "region": (
        "Region",
        "Billing Region",
        "Sales Region",
        "Territory",
        "Billing Country",
        "Country/Region",
        "Address 1: Country/Region",
        "Country",
    ),
    "product_tier": ("Product Tier", "Edition", "Plan", "Product Edition", "Subscription Plan"),
    "complexity": ("Complexity", "Account Complexity", "Implementation Complexity"),
    "growth_potential": ("Growth Potential", "Expansion Potential", "Whitespace Potential"),
    "strategic": ("Strategic Account", "Strategic", "Is Strategic", "Key Account"),
    "owner": (
        "Account Owner",
        "Company owner",
        "Owner",
        "Owner Name",
        "CSM",
        "Customer Success Manager",
        "Account Manager",
    ),
    "previous_tier": ("Previous Tier", "Customer Tier", "Segment", "CS Tier", "Tier"),
}

# Words in a numeric column's name -> the health dimension it feeds, and whether a higher value
# is worse (tickets, days late), for the suggested percentile normaliser.
SIGNAL_WORDS: tuple[tuple[tuple[str, ...], str, bool], ...] = (
    (("usage", "login", "active", "adoption", "seats used", "utili"), "usage", False),
    (("ticket", "case", "incident", "escalation"), "support", True),
    (("csat", "satisfaction"), "support", False),
    (("nps", "engagement", "meeting", "attendance", "training", "response"), "engagement", False),
    (("payment", "late", "overdue", "past due", "dso", "invoice"), "financial", True),
)


def key(name: str) -> str:
    """A header as compared: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _bare(name: str) -> str:
    """The header without qualifiers such as "(converted)" or "(USD)", unless that is all."""
    stripped = re.sub(r"\s*\([^)]*\)\s*$", "", name)
    return key(stripped) or key(name)


@dataclass
class Suggestion:
    """A numeric column offered as a health signal."""

    column: str
    dimension: str
    higher_is_better: bool


@dataclass
class Mapping:
    """What ``init`` learned from an export's header."""

    columns: dict[str, str] = field(default_factory=dict)  # canonical -> export header
    how: dict[str, str] = field(default_factory=dict)  # canonical -> exact | normalised | known
    unmapped: list[str] = field(default_factory=list)  # canonical columns not found
    unused: list[str] = field(default_factory=list)  # export headers mapped to nothing
    signals: list[Suggestion] = field(default_factory=list)


def map_header(header: list[str], numeric: set[str] | None = None) -> Mapping:
    """Map an export header to the canonical columns; suggest signals from numeric leftovers."""
    out = Mapping()
    taken: set[str] = set()
    passes = (
        ("exact", lambda canonical, h: h == canonical),
        ("normalised", lambda canonical, h: key(h) == key(canonical)),
    )
    for how, match in passes:
        for canonical in CANONICAL:
            if canonical in out.columns:
                continue
            for h in header:
                if h not in taken and match(canonical, h):
                    out.columns[canonical], out.how[canonical] = h, how
                    taken.add(h)
                    break
    for canonical in CANONICAL:
        if canonical in out.columns:
            continue
        for known in KNOWN_NAMES.get(canonical, ()):
            hit = next(
                (h for h in header if h not in taken and key(h) == key(known)), None
            ) or next((h for h in header if h not in taken and _bare(h) == key(known)), None)
            if hit is not None:
                out.columns[canonical], out.how[canonical] = hit, "known"
                taken.add(hit)
                break
    out.columns = {c: out.columns[c] for c in CANONICAL if c in out.columns}
    out.unmapped = [c for c in CANONICAL if c not in out.columns]
    out.unused = [h for h in header if h not in taken]
    for h in out.unused:
        if numeric is not None and h not in numeric:
            continue
        words = h.lower()
        for needles, dimension, worse in SIGNAL_WORDS:
            if any(n in words for n in needles):
                out.signals.append(Suggestion(h, dimension, not worse))
                break
    return out


def read_header(path: Path, source: AccountSource | None = None) -> tuple[list[str], set[str]]:
    """The export's column names and those holding numbers; raise BookError if unreadable."""
    source = source or AccountSource()
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm") or source.format == "xlsx":
        names, cols = read_xlsx_rows(path, source.sheet)
        numeric = {
            n
            for n, c in zip(names, cols, strict=True)
            if any(v is not None for v in c)
            and all(isinstance(v, int | float) for v in c if v is not None)
        }
        return names, numeric
    if suffix in (".json", ".jsonl", ".ndjson") or source.format == "json":
        records = read_json_records(path, source.encoding)
        names = list(dict.fromkeys(k for r in records if isinstance(r, dict) for k in r))
        numeric = {
            n
            for n in names
            if all(isinstance(r.get(n), int | float) for r in records if r.get(n) is not None)
            and any(r.get(n) is not None for r in records)
        }
        return names, numeric
    if not path.exists():
        raise BookError([Issue("file not found: check the path", file=str(path))])
    table = read_csv(path, source.encoding).table
    numeric = {
        f.name.lstrip("\ufeff")
        for f in table.schema
        if pa.types.is_integer(f.type) or pa.types.is_floating(f.type)
    }
    return [n.lstrip("\ufeff") for n in table.column_names], numeric


def count_accounts(path: Path) -> int:
    """How many accounts an export holds: its data rows, with no column mapping needed."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        _, cols = read_xlsx_rows(path, None)
        return len(cols[0]) if cols else 0
    if suffix in (".json", ".jsonl", ".ndjson"):
        return len(read_json_records(path, None))
    if not path.exists():
        raise BookError([Issue("file not found: check the path", file=str(path))])
    return int(read_csv(path, None).table.num_rows)


def columns_yaml(mapping: Mapping, indent: str = "    ") -> str:
    """The ``accounts.columns`` block for the starter model, one quoted header per line."""
    import json

    if not mapping.columns:
        return " {}"
    return "\n" + "\n".join(
        f"{indent}{canonical}: {json.dumps(header)}"
        for canonical, header in mapping.columns.items()
    )


def signals_yaml(mapping: Mapping) -> str:
    """A commented ``health.signals`` suggestion for the numeric columns the export holds."""
    import json

    if not mapping.signals:
        return ""
    lines = [
        "# Suggested health signals from the export's numeric columns (percentile within the",
        "# book needs no scale; replace it with linear or thresholds once you know the range).",
        "# Uncomment to use; a signal list replaces the built-in one, so keep three or more.",
        "# health:",
        "#   signals:",
    ]
    for s in mapping.signals:
        name = re.sub(r"[^0-9a-z]+", "_", s.column.lower()).strip("_") or "signal"
        better = str(s.higher_is_better).lower()
        lines.append(
            f"#     {name}: {{column: {json.dumps(s.column)}, dimension: {s.dimension}, "
            f"normalise: {{type: percentile, higher_is_better: {better}}}}}"
        )
    return "\n".join(lines) + "\n"
