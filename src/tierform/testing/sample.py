"""A deterministic generator of realistic account books, for the bundled example and benchmarks.

ACVs are lognormal (median $16K, sigma 1.15: roughly 5 % above $100K, 30 % at $25K-$100K, half
at $5K-$25K); complexity and product tier follow ACV; health signals and churn follow a hidden
health factor, so a sound health score correlates with retention.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

AS_OF = np.datetime64("2026-11-01")
INDUSTRIES = np.array(
    [
        "Software",
        "Healthcare",
        "Financial Services",
        "Retail",
        "Manufacturing",
        "Education",
        "Media",
        "Logistics",
    ]
)
REGIONS = np.array(["North America", "EMEA", "APAC", "LATAM"])
_PREFIX = np.array(
    [
        "Blue",
        "North",
        "Bright",
        "Iron",
        "Silver",
        "Summit",
        "Clear",
        "Rapid",
        "Cedar",
        "Harbor",
        "Atlas",
        "Nova",
        "Pioneer",
        "Granite",
        "Lumen",
        "Vertex",
    ]
)
_SUFFIX = np.array(
    [
        "Labs",
        "Systems",
        "Health",
        "Logistics",
        "Analytics",
        "Retail",
        "Partners",
        "Works",
        "Foods",
        "Capital",
        "Media",
        "Robotics",
        "Energy",
        "Learning",
    ]
)
CSMS = {
    "Enterprise": ["Ana Ruiz", "Dev Patel"],
    "Mid-Market": ["Grace Kim", "Omar Haddad", "Lena Vogel"],
}


def generate_accounts(n: int, seed: int = 7, blank_acv_share: float = 0.02) -> pa.Table:
    """``n`` accounts as a pyarrow table with the canonical columns and health signals."""
    rng = np.random.default_rng(seed)
    acv = np.round(np.exp(rng.normal(np.log(16_000), 1.15, n)), 2)
    log_acv = np.log10(acv)
    ids = np.char.add("ACC-", np.char.zfill(np.arange(1, n + 1).astype(str), 6))
    names = np.char.add(
        np.char.add(_PREFIX[rng.integers(0, len(_PREFIX), n)], " "),
        _SUFFIX[rng.integers(0, len(_SUFFIX), n)],
    )
    names = np.char.add(np.char.add(names, " "), np.arange(1, n + 1).astype(str))
    start = AS_OF - rng.integers(30, 3 * 365, n).astype("timedelta64[D]")
    years = np.ceil((AS_OF - start).astype(float) / 365.0).astype(int)
    renewal = start + (years * 365).astype("timedelta64[D]")
    complexity = np.clip(np.round((log_acv - 3.2) * 1.6 + rng.normal(0, 0.8, n)), 1, 5).astype(int)
    growth = rng.integers(1, 6, n)
    strategic = rng.random(n) < np.where(acv > 60_000, 0.08, 0.005)
    product_tier = np.select(
        [acv >= 100_000, acv >= 25_000, acv >= 5_000], ["Enterprise", "Business", "Pro"], "Starter"
    )
    owner = np.full(n, "", dtype=object)
    for tier, lo, hi in (("Enterprise", 100_000, np.inf), ("Mid-Market", 25_000, 100_000)):
        idx = np.flatnonzero((acv >= lo) & (acv < hi))
        owner[idx] = np.array(CSMS[tier], dtype=object)[rng.integers(0, len(CSMS[tier]), idx.size)]
    health = rng.normal(0, 1, n)
    signals = {
        "logins_per_week": np.round(np.clip(6 + 3 * health + rng.normal(0, 2, n), 0, None), 1),
        "feature_adoption": np.round(np.clip(0.5 + 0.18 * health + rng.normal(0, 0.1, n), 0, 1), 2),
        "usage_trend": np.round(np.clip(0.05 * health + rng.normal(0, 0.08, n), -0.5, 0.5), 3),
        "meeting_attendance": np.round(
            np.clip(0.6 + 0.15 * health + rng.normal(0, 0.15, n), 0, 1), 2
        ),
        "support_tickets": np.clip(
            np.round(4 - 1.5 * health + rng.normal(0, 1.5, n)), 0, None
        ).astype(int),
        "csat": np.round(np.clip(4 + 0.5 * health + rng.normal(0, 0.5, n), 1, 5), 1),
        "days_payment_late": np.clip(
            np.round(5 - 6 * health + rng.normal(0, 6, n)), 0, None
        ).astype(int),
    }
    churned = rng.random(n) < 1 / (1 + np.exp(2.2 + 1.6 * health))
    acv_column = pa.array(acv, mask=rng.random(n) < blank_acv_share)
    return pa.table(
        {
            "account_id": pa.array(ids.astype(object), pa.string()),
            "name": pa.array(names.astype(object), pa.string()),
            "acv": acv_column,
            "contract_start": pa.array(start),
            "renewal_date": pa.array(renewal),
            "industry": pa.array(
                INDUSTRIES[rng.integers(0, len(INDUSTRIES), n)].astype(object), pa.string()
            ),
            "region": pa.array(
                REGIONS[rng.integers(0, len(REGIONS), n)].astype(object), pa.string()
            ),
            "product_tier": pa.array(product_tier.astype(object), pa.string()),
            "complexity": pa.array(complexity),
            "growth_potential": pa.array(growth),
            "strategic": pa.array(strategic),
            "owner": pa.array(owner, pa.string()).cast(pa.string()),
            **{k: pa.array(v) for k, v in signals.items()},
            "churned": pa.array(churned),
        }
    )


def write_csv(table: pa.Table, path: str) -> None:
    import pyarrow.csv as pacsv

    pacsv.write_csv(table, path)
