"""Structured values (pydantic models, dataclasses, dicts, lists) as plain data and as text.

Used for the parts whose shape belongs to another part of tierform (health validation figures,
rule triggers and actions): whatever fields they carry are shown, none are invented.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from typing import Any

from tierform.report.format import label, number


def plain_data(obj: Any) -> Any:
    """Plain JSON-like data from models, dataclasses, enums and numpy values."""
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return plain_data(dump(mode="json", exclude_none=True))
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict) and not isinstance(obj, dict):
        return plain_data(to_dict())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return plain_data(dataclasses.asdict(obj))
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, dict):
        return {str(plain_data(k)): plain_data(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [plain_data(v) for v in obj]
    tolist = getattr(obj, "tolist", None)
    if callable(tolist):
        return plain_data(tolist())
    return obj


def is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def scalar_text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and math.isnan(value):
        return "—"
    if isinstance(value, int | float):
        return number(value, 4)
    return str(value)


def compact(value: Any) -> str:
    """A nested value on one line: ``a: 1; b: x`` / ``1, 2, 3``."""
    if is_scalar(value):
        return scalar_text(value)
    if isinstance(value, dict):
        return "; ".join(f"{label(k)}: {compact(v)}" for k, v in value.items())
    return ", ".join(compact(v) for v in value)
