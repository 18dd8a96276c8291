"""JSON books: a list of account objects (or ``{"accounts": [...]}``, or JSON lines), in any
encoding a CSV book may have, refused with a clear message when it is not that shape.

Non-finite numbers (``NaN``, ``Infinity``, ``1e400``) are kept as their text so the cleaning
step refuses them with the row, as it does for CSV books.
"""

from __future__ import annotations

import json
import re
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
    if ("\\ud" in text or "\\uD" in text) and _LONE_SURROGATE.search(text) is not None:
        _refuse_lone_surrogates(data, name)
    return data


# A UTF-16 surrogate written as an escape: a pair is one character (an emoji), but half of one
# is a text that cannot be written as UTF-8 (nor held in a column). Only where an escape looks
# like half a pair (a high one not followed by a low one, or a low one alone) are the records
# checked; a book that escapes every emoji pays one scan of its text.
_HIGH, _LOW = r"\\u[dD][89abAB][0-9a-fA-F]{2}", r"\\u[dD][c-fC-F][0-9a-fA-F]{2}"
_LONE_SURROGATE = re.compile(f"{_HIGH}(?!{_LOW})|(?<!{_HIGH}){_LOW}")
_LISTED = 20


def _refuse_lone_surrogates(records: list[dict[str, Any]], name: str) -> None:
    """A BookError naming each record and field whose name or text holds half a surrogate
    pair (an export cut a character in two)."""
    issues = []
    found = 0
    for row, record in enumerate(records, start=1):
        for key, value in record.items():
            try:
                if _writable(key) and _writable(value):
                    continue
            except RecursionError:  # nested too deeply: refused as such when the book is built
                continue
            found += 1
            if found <= _LISTED:
                issues.append(
                    Issue(
                        "holds half of a UTF-16 surrogate pair (a \\ud800-\\udfff escape "
                        "alone): the export cut a character in two; fix the text or export "
                        "the accounts again",
                        file=name,
                        row=row,
                        key=_shown(key),
                    )
                )
    if found > _LISTED:
        issues.append(Issue(f"... and {found - _LISTED} more such fields", file=name))
    if issues:
        raise BookError(issues, f"{name}: {found} field(s) hold a broken character")


def _writable(value: Any) -> bool:
    """Whether every text in ``value`` (nested values too) can be written as UTF-8."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_writable(k) and _writable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(map(_writable, value))
    return True


def _shown(key: str) -> str:
    """A field name as it can be printed (a broken character as its escape)."""
    return key.encode("utf-8", "backslashreplace").decode("utf-8")


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
