"""Regenerate the bundled example book: ``python examples/generate.py``.

Deterministic (fixed seed). Headers and ACVs look like a CRM export ("Account ID",
"$16,022.65"), which examples/tierform.yaml maps with its ``accounts.columns`` section.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tierform.testing.sample import generate_accounts, write_csv

CRM_HEADERS = {
    "account_id": "Account ID",
    "name": "Account Name",
    "acv": "Annual Contract Value",
    "renewal_date": "Renewal Date",
    "owner": "Account Owner",
}


def crm_export(n: int = 400, seed: int = 7) -> pa.Table:
    table = generate_accounts(n, seed=seed)
    acv = table.column("acv")
    dollars = pc.binary_join_element_wise("$", _thousands(acv), "")
    table = table.set_column(table.column_names.index("acv"), "acv", dollars)
    return table.rename_columns([CRM_HEADERS.get(c, c) for c in table.column_names])


def _thousands(values: pa.ChunkedArray) -> pa.Array:
    return pa.array([None if v is None else f"{v:,.2f}" for v in values.to_pylist()], pa.string())


if __name__ == "__main__":
    write_csv(crm_export(), str(Path(__file__).with_name("accounts.csv")))
