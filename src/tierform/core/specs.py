"""Model sections owned by later stages (health, playbooks, rules, targets), re-exported here."""

from tierform.core.health_spec import HealthSpec
from tierform.core.playbook_spec import Playbook
from tierform.core.rule_spec import Rule
from tierform.core.target_spec import TargetSpec

__all__ = ["HealthSpec", "Playbook", "Rule", "TargetSpec"]
