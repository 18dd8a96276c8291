"""The xlsx ownership marker: a custom document property listing managed sheets and columns."""

from __future__ import annotations

import json
from typing import Any

from tierform.adapters.tabular import MARKER_VERSION, Table, table_from_marker
from tierform.workbook.xlsx import MARKER_PROPERTY
from tierform.workbook.xlsx_read import XlsxReader, read_json_property


def parse_marker(raw: Any) -> dict[str, Table]:
    """Managed tables by key from the marker's JSON (anything unreadable: none managed)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("sheets"), dict):
        return {}
    out: dict[str, Table] = {}
    for key, marker in raw["sheets"].items():
        if isinstance(marker, dict):
            table = table_from_marker(str(key), marker)
            if table is not None:
                out[table.key] = table
    return out


def read_marker(reader: XlsxReader) -> dict[str, Table]:
    return parse_marker(read_json_property(reader, MARKER_PROPERTY))


def marker_json(tables: dict[str, Table]) -> str:
    return json.dumps(
        {"version": MARKER_VERSION, "sheets": {k: t.marker() for k, t in sorted(tables.items())}},
        sort_keys=True,
        separators=(",", ":"),
    )


def workbook_marker(wb: Any) -> dict[str, Table]:
    """The marker of an openpyxl workbook."""
    props = wb.custom_doc_props
    if MARKER_PROPERTY not in props.names:
        return {}
    try:
        return parse_marker(json.loads(props[MARKER_PROPERTY].value))
    except (json.JSONDecodeError, TypeError):
        return {}


def set_workbook_marker(wb: Any, tables: dict[str, Table]) -> None:
    from openpyxl.packaging.custom import StringProperty

    props = wb.custom_doc_props
    if MARKER_PROPERTY in props.names:
        del props[MARKER_PROPERTY]
    props.append(StringProperty(name=MARKER_PROPERTY, value=marker_json(tables)))
