"""The recipe's platform decision tree (paths A-D) as a function with its reasons.

    Customer count < 100 and no CS platform      -> A: spreadsheet (xlsx / Google Sheets)
    Customer count 100-500 and budget for tooling -> B: Vitally or ChurnZero   ($500-$2,000/mo)
    Customer count 500-5,000 and enterprise needs -> C: Gainsight or Totango   ($2,000-$5,000/mo)
    Customer count 5,000+ and a PLG motion        -> D: Gainsight + product analytics ($5,000+/mo)

The tree leaves gaps (say 300 customers and no budget); each gap resolves to the nearest path the
inputs allow, and the reason says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

PATHS = {
    "A": {
        "name": "Spreadsheet",
        "adapters": ["xlsx", "sheets"],
        "min_budget": 0,
        "cost": "$0",
        "speed": "1 week",
    },
    "B": {
        "name": "Mid-market CS platform",
        "adapters": ["vitally", "churnzero"],
        "min_budget": 500,
        "cost": "$500-$2,000/mo",
        "speed": "2-3 weeks",
    },
    "C": {
        "name": "Enterprise CS platform",
        "adapters": ["gainsight", "totango"],
        "min_budget": 2000,
        "cost": "$2,000-$5,000/mo",
        "speed": "3-4 weeks",
    },
    "D": {
        "name": "Digital-first platform",
        "adapters": ["gainsight"],
        "min_budget": 5000,
        "cost": "$5,000+/mo",
        "speed": "4-6 weeks",
        "extra": "product analytics",
    },
}
PLATFORMS = ("xlsx", "sheets", "vitally", "churnzero", "gainsight", "totango")


@dataclass(frozen=True)
class Recommendation:
    path: str
    name: str
    adapter: str
    alternatives: list[str]
    reason: str
    cost: str
    speed: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _affordable(path: str, budget: float | None) -> bool:
    return budget is None or budget >= PATHS[path]["min_budget"]  # type: ignore[operator]


def recommend(
    customers: int,
    existing_platform: str | None = None,
    budget: float | None = None,
    plg: bool = False,
) -> Recommendation:
    """Path and adapter for ``customers`` accounts; ``budget`` is monthly, None = not a limit."""
    existing = (existing_platform or "").strip().lower() or None
    if existing in ("none", "spreadsheet"):
        existing = None
    if customers < 100 and existing is None:
        path, why = "A", f"{customers} customers (< 100) and no CS platform yet"
    elif customers < 100:
        path = next((p for p, v in PATHS.items() if existing in v["adapters"]), "B")  # type: ignore[operator]
        why = f"{customers} customers (< 100) but already on {existing}"
    elif customers <= 500:
        path, why = "B", f"{customers} customers (100-500)"
    elif customers <= 5000 or not plg:
        band = "500-5,000" if customers <= 5000 else "5,000+ without a PLG motion"
        path, why = "C", f"{customers} customers ({band})"
    else:
        path, why = "D", f"{customers} customers (5,000+) with a PLG motion"
    fallback = path
    while fallback > "A" and not _affordable(fallback, budget):  # A: a spreadsheet, no cost
        fallback = chr(ord(fallback) - 1)
    if fallback != path:
        why += (
            f"; path {path} needs about {PATHS[path]['cost']} but the budget is "
            f"${budget:,.0f}/mo, so path {fallback}"
        )
        if fallback == "A" and customers > 100:
            why += " (a spreadsheet breaks above about 100 accounts: plan the move)"
        path = fallback
    else:
        why += f"; fits the budget ({PATHS[path]['cost']})" if budget is not None else ""
    info = PATHS[path]
    adapters: list[str] = list(info["adapters"])  # type: ignore[call-overload]
    if existing in adapters:
        adapter = existing
        why += f"; stays on {existing}, which this path includes"
    else:
        adapter = adapters[0]
        if existing in PLATFORMS:
            why += f"; {existing} belongs to another path (tierform migrate can move the data)"
    if path == "D":
        why += "; pair it with product analytics for product-led signals"
    return Recommendation(
        path,
        str(info["name"]),
        adapter,
        [a for a in adapters if a != adapter],
        why,
        str(info["cost"]),
        str(info["speed"]),
    )
