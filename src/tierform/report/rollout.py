"""The recipe's phased rollout with dates: set up the platform, then the highest-value tier with
its onboarding playbook only, stabilise for 30 days, then the next tier, then the digital tiers.

"Launching all tiers simultaneously" is the recipe's anti-pattern; each phase here adds its tiers
to the model's ``rollout:`` list, which is how ``tierform sync`` enables work items tier by tier.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from tierform.core.model import CoverageModel

STABILISE_DAYS = 30


@dataclass(frozen=True)
class Phase:
    name: str
    tiers: list[str]
    scope: str
    start: dt.date
    end: dt.date  # the day the next phase may start


def setup_days(speed: str) -> int:
    """The longest set-up time the recipe gives for a path ("2-3 weeks" -> 21 days)."""
    numbers = [int(n) for n in re.findall(r"\d+", speed)]
    weeks = max(numbers) if numbers else 0
    return 7 * weeks if "week" in speed else weeks


def rollout_plan(model: CoverageModel, as_of: dt.date, speed: str) -> list[Phase]:
    """Platform set-up from ``as_of`` (the path's ``speed``), then the tiers from the highest
    bound down: the top tier, the next, then every tier below, each phase stabilised 30 days."""
    ordered = [t.name for t in reversed(model.tiers_low_to_high)]
    setup_end = as_of + dt.timedelta(days=setup_days(speed))
    phases = [
        Phase(
            "Platform set-up",
            [],
            f"provision the platform and finish its build sheet ({speed})",
            as_of,
            setup_end,
        )
    ]
    groups = [ordered[:1], ordered[1:2], ordered[2:]]
    scopes = [
        "onboarding playbook only, then stabilise",
        "its playbooks, health alerts and rules, then stabilise",
        "digital-touch programmes, then the full model",
    ]
    start = setup_end
    for k, (tiers, scope) in enumerate(zip(groups, scopes, strict=True)):
        if not tiers:
            continue
        end = start + dt.timedelta(days=STABILISE_DAYS)
        phases.append(Phase(f"Phase {k + 1}", tiers, scope, start, end))
        start = end
    return phases
