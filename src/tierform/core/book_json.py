"""JSON books: a list of account objects (or ``{"accounts": [...]}``, or JSON lines), in any
encoding a CSV book may have, refused with a clear message when it is not that shape.

Non-finite numbers (``NaN``, ``Infinity``, ``1e400``) are kept as their text so the cleaning
step refuses them with the row, as it does for CSV books.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tierform.errors import BookError, Issue


def _float(text: str) -> float | str:
    value = float(text)
    return value if value not in (float("inf"), float("-inf")) else text


def _constant(text: str) -> str:
    return text  # NaN, Infinity, -Infinity: left as text for the cleaning step to refuse


def decode_json(data: bytes, encoding: str | None, name: str) -> str:
    """The book's text: the given encoding, else UTF-8/16/32 (with or without BOM), else cp1252."""
    if encoding is None:
        encoding = json.detect_encoding(data)
        if encoding == "utf-8":
            encoding = "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        if encoding.startswith("utf-8"):
            return data.decode("cp1252", errors="replace")  # an Excel-era export
        raise BookError(
            [Issue(f"cannot decode as {encoding}: set accounts.encoding", file=name)]
        ) from None
    except LookupError:
        raise BookError(
            [Issue(f"unknown encoding {encoding!r}: fix accounts.encoding", file=name)]
        ) from None


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=_float, parse_constant=_constant)


def read_json_records(path: Path, encoding: str | None) -> list[dict[str, Any]]:
    """The account objects of a JSON or JSON-lines book; raise BookError on any other shape."""
    name = str(path)
    text = decode_json(path.read_bytes(), encoding, name)
    try:
        data = _loads(text)
    except json.JSONDecodeError:
        data = _json_lines(text, name)
    except RecursionError:
        raise BookError([_too_deep(name)]) from None
    if isinstance(data, dict):
        data = data.get("accounts", data.get("data"))
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise BookError(
            [
                Issue(
                    'expected a list of account objects (or {"accounts": [...]}): export the '
                    "accounts as an array of objects",
                    file=name,
                )
            ]
        )
    return data


def _too_deep(name: str) -> Issue:
    return Issue(
        "JSON nested too deeply: an account book is a list of flat account objects "
        '(or {"accounts": [...]})',
        file=name,
    )


def _json_lines(text: str, name: str) -> list[Any]:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(_loads(line))
        except RecursionError:
            raise BookError([_too_deep(name)]) from None
        except json.JSONDecodeError as exc:
            raise BookError(
                [
                    Issue(
                        f"not valid JSON: {exc.msg} (column {exc.colno}): fix the file or export "
                        "it again",
                        file=name,
                        line=number,
                    )
                ]
            ) from None
    return records
