"""Number formatting shared by the HTML and Markdown renderers (one look, two outputs)."""

from __future__ import annotations

import math

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
DASH = "—"


def currency_symbol(code: str) -> str:
    return _SYMBOLS.get(code.upper(), code.upper() + " ")


def is_blank(value: float | int | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(value: float | None, currency: str = "USD") -> str:
    """Whole currency units with thousands separators: ``$1,234,567``."""
    if value is None or is_blank(value):
        return DASH
    sign = "-" if value < 0 else ""
    return f"{sign}{currency_symbol(currency)}{abs(value):,.0f}"


def pct(value: float | None, digits: int = 1) -> str:
    if value is None or is_blank(value):
        return DASH
    return f"{value:.{digits}f}%"


def count(value: float | int | None) -> str:
    if value is None or is_blank(value):
        return DASH
    return f"{value:,.0f}"


def number(value: float | int | None, digits: int = 2) -> str:
    """A plain figure: integers without decimals, others with up to ``digits``."""
    if value is None or is_blank(value):
        return DASH
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}".rstrip("0").rstrip(".")


def acv_range(low: float, high: float | None, currency: str = "USD") -> str:
    """Half-open tier bounds as a leader reads them: ``$25,000 to < $100,000``."""
    if high is None:
        return f"{money(low, currency)} and above"
    return f"{money(low, currency)} to < {money(high, currency)}"


def label(text: str) -> str:
    """``value_delivery`` -> ``Value delivery``."""
    words = text.replace("_", " ").strip()
    return words[:1].upper() + words[1:]
