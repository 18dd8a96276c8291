"""Neutral values <-> Totango attribute values. Pure functions: no I/O.

Coverage fields are account attributes with the field's own name as API name (``tf_tier``),
written through the gateway as ``sdr_o.tf_tier=...`` [HTTPQ]. Gateway parameters are text, and
whether the Search API returns a number attribute as a number or as text is not documented [I],
so number fields are read back from either form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tierform.adapters.totango.query import SUCCESS_MANAGER
from tierform.sync.state import Data, canon

OURS = "tf_"
SM_KEY = "success_manager"  # the neutral name of Totango's Success Manager attribute


def attribute(name: str) -> str:
    """The Totango attribute (API name) a neutral field is written to."""
    return SUCCESS_MANAGER if name == SM_KEY else name


def wire(value: Any) -> str:
    """A value as gateway text; None (remove) is the empty value."""
    value = canon(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read_value(value: Any, numeric: bool) -> Any:
    if value is None or value == "":
        return None
    if numeric and isinstance(value, str):
        try:
            number = float(value.replace(",", ""))
        except ValueError:
            return value
        return int(number) if number.is_integer() else number
    return value


def neutral(
    values: Mapping[str, Any], fields: Iterable[str], numeric: set[str], want_sm: bool
) -> Data:
    """tierform's fields from an account's selected attributes."""
    out: Data = {f: read_value(values.get(f), f in numeric) for f in fields if f.startswith(OURS)}
    if want_sm:
        out[SM_KEY] = read_value(values.get(SUCCESS_MANAGER), False)
    return out


def owned(values: Mapping[str, Any]) -> bool:
    """Whether an account carries any value tierform wrote."""
    return any(k.startswith(OURS) and v not in (None, "") for k, v in values.items())


def gateway_params(service_id: str, account_id: str, values: Mapping[str, Any]) -> dict[str, str]:
    """One gateway request carrying every changed attribute of one account [HTTP]."""
    params = {"sdr_s": service_id, "sdr_o": account_id}
    for name, value in sorted(values.items()):
        params[f"sdr_o.{attribute(name)}"] = wire(value)
    return params
