"""List fields defaulted through ``empty_list`` behave as ``default_factory=list`` did: empty,
and never shared between instances."""

from __future__ import annotations

from tierform.core.model import CoverageModel
from tierform.core.rules.spec import Condition, Rule


def test_each_instance_gets_its_own_empty_list() -> None:
    a, b = Condition(), Condition()
    assert a.signals == [] and b.signals == []
    assert a.signals is not b.signals


def test_every_list_factory_makes_a_new_empty_list() -> None:
    for cls, name in ((CoverageModel, "roster"), (Condition, "signals"), (Rule, "tests")):
        factory = cls.model_fields[name].default_factory
        assert factory is not None
        made = [factory(), factory()]  # type: ignore[call-arg]
        assert made == [[], []] and made[0] is not made[1]
